package dev.reconciler.core.discrepancy;

/**
 * Lifecycle of a discrepancy: OPEN when detected, RESOLVED once the pair became consistent (or a person resolved it
 * by hand, {@link Resolution#MANUAL}), WAIVED while a person has accepted it as known (see docs/workflow.md).
 *
 * <p>Stored: OPEN and RESOLVED by ordinal; WAIVED is stored as OPEN plus a marker in the discrepancy's extension
 * block ({@code DiscrepancyCodec}), so a previous release still reads a store holding waived discrepancies (as open).
 */
public enum Status {
    OPEN,
    RESOLVED,
    /**
     * Accepted as known by a person, with a reason: not alerted, not counted as open, still listed. The engine still
     * judges the pair: once it is consistent the discrepancy is RESOLVED as usual.
     */
    WAIVED
}
