package dev.reconciler.core.discrepancy;

import java.time.Instant;
import java.util.Objects;

/**
 * One step in a discrepancy's life that a person took (or the engine took on a person's earlier decision, with
 * {@code by} = {@value #ENGINE}): acknowledged, waived, resolved by hand, re-opened. Kept on the discrepancy (its
 * last {@link Discrepancy#MAX_TIMELINE}) and, every one, in the audit trail ({@code AuditEntry}).
 *
 * @param at     the engine's clock
 * @param by     who: the {@code by} field of the API request (free text, e.g. a login name)
 * @param reason why (mandatory for waive and resolve; may be empty otherwise, never null)
 */
public record TimelineEntry(Instant at, Action action, String by, String reason) {
    /** The {@code by} of steps the engine takes by itself (e.g. re-opening a waived mismatch whose amount changed). */
    public static final String ENGINE = "engine";

    /**
     * What was done. The names are stable (API, audit trail); the ordinals are stored: append, never reorder.
     * OPENED, ALERTED and VERIFIED are not stored on a discrepancy today: the API derives "opened" and the engine's
     * "resolved" from the discrepancy's times, and other parts of the product may add the others.
     */
    public enum Action { OPENED, ALERTED, VERIFIED, ACKNOWLEDGED, WAIVED, RESOLVED, REOPENED }

    public TimelineEntry {
        Objects.requireNonNull(at, "at");
        Objects.requireNonNull(action, "action");
        by = by == null ? "" : by;
        reason = reason == null ? "" : reason;
    }
}
