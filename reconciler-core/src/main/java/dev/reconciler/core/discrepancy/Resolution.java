package dev.reconciler.core.discrepancy;

/** Why an open discrepancy was resolved. */
public enum Resolution {
    /** The missing counterpart arrived (late, but it arrived). */
    COUNTERPART_ARRIVED,
    /** The row that caused it was deleted, logically deleted, or stopped matching the rule's filter. */
    RETRACTED,
    /** An update made the pair consistent (e.g. a quantity was corrected). */
    CORRECTED,
    /** A window verification's finding that a later verification of the same window no longer finds. */
    REVERIFIED,
    /**
     * A person resolved it by hand (with a reason, see the discrepancy's timeline), whatever the engine judges.
     * Stored as {@link #CORRECTED} plus a marker in the extension block, so a previous release still reads it.
     */
    MANUAL
}
