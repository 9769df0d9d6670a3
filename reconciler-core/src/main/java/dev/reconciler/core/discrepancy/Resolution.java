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
    REVERIFIED
}
