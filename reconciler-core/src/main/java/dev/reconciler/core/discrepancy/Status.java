package dev.reconciler.core.discrepancy;

/** Lifecycle of a discrepancy: OPEN when detected, RESOLVED once the pair became consistent. */
public enum Status {
    OPEN,
    RESOLVED
}
