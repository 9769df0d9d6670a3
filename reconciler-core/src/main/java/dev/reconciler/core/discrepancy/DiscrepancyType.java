package dev.reconciler.core.discrepancy;

/** What is wrong with a pair. The names are stable: metrics, alerts and the API use them. */
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
    DUPLICATE_RIGHT
}
