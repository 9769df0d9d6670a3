package dev.reconciler.core.rule;

/** How many right rows one left row pairs with. */
public enum Multiplicity {
    /** One left row, one right row; a second live row on either side for the same key is a duplicate. */
    ONE_TO_ONE,
    /** One left row, any number of right rows whose quantities add up to the left one (split deductions). */
    SUM
}
