package dev.reconciler.core.discrepancy;

import java.time.Instant;
import java.util.Objects;

/**
 * One step of the audit trail: what a person (or the engine, on a person's earlier decision) did with which
 * discrepancy, when, and why. Numbered in commit order from 1; never deleted (people's steps are few).
 *
 * @param seq the entry's number: strictly increasing, never reused
 */
public record AuditEntry(long seq, Instant at, String discrepancyId, String rule, DiscrepancyType type,
                         TimelineEntry.Action action, String by, String reason) {
    private static final String VERSION = "1";

    public AuditEntry {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(discrepancyId, "discrepancyId");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(action, "action");
        by = by == null ? "" : by;
        reason = reason == null ? "" : reason;
    }

    public static AuditEntry of(long seq, Discrepancy d, TimelineEntry step) {
        return new AuditEntry(seq, step.at(), d.id(), d.rule(), d.type(), step.action(), step.by(), step.reason());
    }

    /** The entry as one line of tab-separated text (how the store keeps it, as engine metadata). */
    public String encode() {
        return String.join("\t", VERSION, at.toString(), discrepancyId, escape(rule), type.name(), action.name(),
                escape(by), escape(reason));
    }

    /** Reads {@link #encode()}'s text back; {@code seq} is the number it is stored under. */
    public static AuditEntry decode(long seq, String text) {
        String[] f = text.split("\t", -1);
        if (f.length != 8 || !f[0].equals(VERSION)) {
            throw new IllegalStateException("audit entry " + seq + " is not in a format this release reads");
        }
        return new AuditEntry(seq, Instant.parse(f[1]), f[2], unescape(f[3]), DiscrepancyType.valueOf(f[4]),
                TimelineEntry.Action.valueOf(f[5]), unescape(f[6]), unescape(f[7]));
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static String unescape(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c != '\\' || i + 1 == s.length()) {
                out.append(c);
                continue;
            }
            char n = s.charAt(++i);
            out.append(switch (n) {
                case 't' -> '\t';
                case 'n' -> '\n';
                case 'r' -> '\r';
                default -> n;
            });
        }
        return out.toString();
    }
}
