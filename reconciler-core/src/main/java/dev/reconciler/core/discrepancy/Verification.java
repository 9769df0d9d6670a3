package dev.reconciler.core.discrepancy;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * What the reconciler found when it looked a {@code MISSING_*} discrepancy's counterpart up on the other database
 * before alerting (verify before alert): it is recorded on the discrepancy, so the API document and the alert say
 * whether the absence was confirmed.
 *
 * @param result what the lookup said
 * @param at     when the lookup answered (for {@link Result#PRESENT_NOT_IN_BINLOG}: when the row was found)
 * @param detail for {@link Result#NOT_VERIFIED}: why (e.g. "timeout after 2 s", "SELECT command denied"); for
 *               {@link Result#PRESENT_NOT_IN_BINLOG}: where the row was found; for {@link Result#ABSENT}: what was
 *               searched. Never row values.
 * @param waited for {@link Result#PRESENT_NOT_IN_BINLOG}: how long the reconciler waited for the binlog; else null
 */
public record Verification(Result result, Instant at, String detail, Duration waited) {

    public enum Result {
        /** The other database has no such row: the absence is real ("verified absent at T"). */
        ABSENT,
        /**
         * The other database holds the row, but its binlog did not deliver it within the bounded wait: the binlog
         * reader misses changes (or a transaction's binlog time lies far in the past), itself worth an alert.
         */
        PRESENT_NOT_IN_BINLOG,
        /** The lookup could not be made (database down, timeout, privilege, rate limit): it fired as before. */
        NOT_VERIFIED
    }

    public Verification {
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(at, "at");
        detail = detail == null ? "" : detail;
    }

    /** One line for people: "verified absent at T", "not verified: timeout after 2 s", ... */
    public String summary() {
        return switch (result) {
            case ABSENT -> "verified absent at " + at + (detail.isEmpty() ? "" : " (" + detail + ")");
            case PRESENT_NOT_IN_BINLOG -> "present in the database (" + detail + ", found at " + at
                    + ") but not seen in the binlog after " + (waited == null ? "the wait" : waited.toSeconds() + " s");
            case NOT_VERIFIED -> "not verified: " + (detail.isEmpty() ? "the lookup failed" : detail);
        };
    }
}
