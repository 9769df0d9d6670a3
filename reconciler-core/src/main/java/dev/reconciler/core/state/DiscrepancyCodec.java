package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.fact.RowImage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A discrepancy's value: version, id, rule, type, key, occurrence, status, times, resolution, difference, the left
 * and right row images, the acknowledgement, and (from format 4) an extension block of optional tagged fields.
 * A journal entry embeds the same encoding.
 *
 * <p>Extension fields (tag, length, bytes; a reader skips tags it does not know):
 * <ul>
 *   <li>{@value #TAG_WORKFLOW}: one byte, the state a person set that the base fields cannot say in a way a previous
 *       release reads: {@value #WAIVED} waived (base status OPEN), {@value #MANUAL} resolved by hand (base
 *       resolution CORRECTED). A previous release reads them as open, and as corrected.</li>
 *   <li>{@value #TAG_TIMELINE}: the timeline: a count, then per step its time, action ordinal, by and reason.</li>
 *   <li>{@value #TAG_VERIFICATION}: the verification before alerting: result ordinal, time, detail, and the wait
 *       in seconds + 1 (0: none).</li>
 * </ul>
 */
public final class DiscrepancyCodec {
    static final int TAG_WORKFLOW = 1;
    static final int TAG_TIMELINE = 2;
    static final int TAG_VERIFICATION = 3;
    static final int WAIVED = 1;
    static final int MANUAL = 2;

    private DiscrepancyCodec() {
    }

    public static byte[] encode(Discrepancy d, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(256);
        out.b(FormatVersion.CURRENT);
        out.string(d.id());
        out.string(d.rule());
        out.b(d.type().ordinal());
        out.varLong(d.key().size());
        for (Map.Entry<String, String> e : d.key().entrySet()) {
            out.string(e.getKey());
            out.nullableString(e.getValue());
        }
        out.varLong(d.occurrence());
        out.b((d.status() == Status.WAIVED ? Status.OPEN : d.status()).ordinal());
        out.instant(d.detectedAt());
        out.nullableInstant(d.resolvedAt());
        Resolution stored = d.resolution() == Resolution.MANUAL ? Resolution.CORRECTED : d.resolution();
        out.b(stored == null ? -1 : stored.ordinal());
        // toString, not toPlainString: it keeps the scale, so the value reads back equal.
        out.nullableString(d.difference() == null ? null : d.difference().toString());
        RowImageCodec.writeAll(out, d.left(), names);
        RowImageCodec.writeAll(out, d.right(), names);
        Acknowledgement ack = d.acknowledgement();
        out.bool(ack != null);
        if (ack != null) {
            out.instant(ack.at());
            out.string(ack.note());
        }
        int workflow = d.status() == Status.WAIVED ? WAIVED : d.resolution() == Resolution.MANUAL ? MANUAL : 0;
        Verification v = d.verification();
        int fields = (workflow == 0 ? 0 : 1) + (d.timeline().isEmpty() ? 0 : 1) + (v == null ? 0 : 1);
        out.varLong(fields);   // format 4: the extension block (see FormatVersion)
        if (workflow != 0) {
            out.varLong(TAG_WORKFLOW).varLong(1).b(workflow);
        }
        if (!d.timeline().isEmpty()) {
            Bytes.Writer t = new Bytes.Writer(64);
            t.varLong(d.timeline().size());
            for (TimelineEntry e : d.timeline()) {
                t.instant(e.at()).b(e.action().ordinal()).string(e.by()).string(e.reason());
            }
            byte[] bytes = t.toArray();
            out.varLong(TAG_TIMELINE).varLong(bytes.length).raw(bytes);
        }
        if (v != null) {
            Bytes.Writer f = new Bytes.Writer(64);
            f.b(v.result().ordinal());
            f.instant(v.at());
            f.string(v.detail());
            f.varLong(v.waited() == null ? 0 : v.waited().toSeconds() + 1);
            byte[] bytes = f.toArray();
            out.varLong(TAG_VERIFICATION).varLong(bytes.length).raw(bytes);
        }
        return out.toArray();
    }

    public static Discrepancy decode(byte[] bytes, NameTable names) {
        return decode(bytes, 0, names);
    }

    /** The discrepancy encoded from {@code from} on (a journal entry holds one after its two header bytes). */
    static Discrepancy decode(byte[] bytes, int from, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes, from);
            int version = in.b();
            FormatVersion.check(version, "discrepancy");
            String id = in.string();
            String rule = in.string();
            DiscrepancyType type = DiscrepancyType.values()[in.b()];
            int k = (int) in.varLong();
            Map<String, String> key = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) key.put(in.name(), in.nullableString());
            int occurrence = (int) in.varLong();
            Status status = Status.values()[in.b()];
            Instant detectedAt = in.instant();
            Instant resolvedAt = in.nullableInstant();
            int res = in.b();
            String diff = in.nullableString();
            List<RowImage> left = RowImageCodec.readAll(in, names);
            List<RowImage> right = RowImageCodec.readAll(in, names);
            Acknowledgement ack = in.bool() ? new Acknowledgement(in.instant(), in.string()) : null;
            Resolution resolution = res < 0 ? null : Resolution.values()[res];
            List<TimelineEntry> timeline = new ArrayList<>();
            Verification[] verification = new Verification[1];
            int workflow = version >= 4 ? readExtensions(in, timeline, verification) : 0;
            if (workflow == WAIVED && status == Status.OPEN) status = Status.WAIVED;
            if (workflow == MANUAL && status == Status.RESOLVED) resolution = Resolution.MANUAL;
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    resolution, diff == null ? null : new BigDecimal(diff), left, right, ack, timeline,
                    verification[0]);
        } catch (RuntimeException e) {
            throw new UnreadableValueException("corrupt discrepancy record: " + e.getMessage(), e);
        }
    }

    /**
     * The extension block of format 4: a count, then per field a tag, a length and the bytes. Reads the tags this
     * release knows (the timeline into {@code timeline}; returns the workflow byte, 0 without) and skips the others,
     * which a later release may have written.
     */
    private static int readExtensions(Bytes.Reader in, List<TimelineEntry> timeline, Verification[] verification) {
        int workflow = 0;
        long n = in.varLong();
        for (long i = 0; i < n; i++) {
            long tag = in.varLong();
            int length = in.length();
            if (tag == TAG_WORKFLOW && length == 1) {
                workflow = in.b();
            } else if (tag == TAG_TIMELINE) {
                int end = in.position() + length;
                long steps = in.varLong();
                TimelineEntry.Action[] actions = TimelineEntry.Action.values();
                for (long s = 0; s < steps; s++) {
                    Instant at = in.instant();
                    int action = in.b();
                    String by = in.string();
                    String reason = in.string();
                    // An action a later release added: kept out (this release cannot name it), the rest still read.
                    if (action < actions.length) timeline.add(new TimelineEntry(at, actions[action], by, reason));
                }
                if (in.position() != end) throw new IllegalStateException("timeline length does not match");
            } else if (tag == TAG_VERIFICATION) {
                Verification.Result result = Verification.Result.values()[in.b()];
                Instant at = in.instant();
                String detail = in.string();
                long waited = in.varLong();
                verification[0] = new Verification(result, at, detail,
                        waited == 0 ? null : java.time.Duration.ofSeconds(waited - 1));
            } else {
                in.skip(length);
            }
        }
        return workflow;
    }
}
