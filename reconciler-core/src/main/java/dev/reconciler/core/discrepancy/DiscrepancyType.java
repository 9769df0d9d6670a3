package dev.reconciler.core.discrepancy;

/**
 * What is wrong with a pair. The names are stable: metrics, alerts and the API use them. The ordinals are stored:
 * append new constants, never reorder.
 */
public enum DiscrepancyType {
    /** A left row (order) has no right counterpart (inventory not deducted) after the grace period. */
    MISSING_RIGHT,
    /** A right row (inventory deducted) has no left counterpart (no order) after the grace period. */
    MISSING_LEFT,
    /** Both sides are present but their quantities differ; the difference is right minus left. */
    QUANTITY_MISMATCH,
    /** Two or more live left rows for one key. */
    DUPLICATE_LEFT,
    /** Two or more live right rows for one key in a one-to-one rule (e.g. a duplicate deduction). */
    DUPLICATE_RIGHT,
    /**
     * Found by a window verification ({@code reconciler verify}): left rows in the rule that the database holds but
     * the binlog never showed the reconciler (written with {@code sql_log_bin=0}, or during an outage beyond the
     * binlog's retention), or whose current version it never saw. {@code left} lists those rows as the database has
     * them, {@code right} the pair's right rows in the database.
     */
    UNOBSERVED_LEFT,
    /** As {@link #UNOBSERVED_LEFT}, for right rows (e.g. an inventory deduction the binlog never carried). */
    UNOBSERVED_RIGHT,
    /**
     * Found by a window verification: the pair's rows as the database holds them now are inconsistent (the
     * {@code left} and {@code right} rows; {@code difference} as for a quantity mismatch) while the reconciler holds
     * the pair as consistent, with nothing open or pending, and every row of the database is one it saw: a change
     * it never observed (e.g. a row deleted without a binlog event).
     */
    UNREPORTED_INCONSISTENCY;

    /** Whether only a window verification reports this type (the live engine never opens it). */
    public boolean fromVerification() {
        return this == UNOBSERVED_LEFT || this == UNOBSERVED_RIGHT || this == UNREPORTED_INCONSISTENCY;
    }
}
