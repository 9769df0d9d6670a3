package dev.reconciler.core.fact;

/**
 * Why a fact could not be processed and was quarantined instead (see {@link Quarantined}). A bounded set: it is a
 * metric label. A quarantined fact takes part in no pair: it is never matched and never makes a MISSING_* of its own.
 */
public enum QuarantineReason {
    /** The row matches a rule side's filter but a key column is NULL or blank (after trimming). */
    KEY_MISSING,
    /** The row matches a rule side's filter but its quantity column is NULL or blank. */
    QUANTITY_MISSING,
    /** The quantity column holds text that is not a decimal number ({@code abc}, {@code NaN}, {@code Infinity}). */
    QUANTITY_NOT_A_NUMBER,
    /**
     * The quantity is a number beyond the bounds the engine computes with: more than {@link Values#QUANTITY_MAX_TEXT}
     * characters, more than {@link Values#QUANTITY_MAX_INTEGER_DIGITS} integer digits or more than
     * {@link Values#QUANTITY_MAX_SCALE} decimal places ({@code 1e999999999}, {@code 1e400}, a 101-digit number).
     */
    QUANTITY_OUT_OF_RANGE,
    /** The columns a rule keeps of the row add up to more than {@link Values#MAX_IMAGE_CHARS} characters. */
    ROW_TOO_LARGE,
    /** A change record of an operation the reconciler does not know (neither insert, update, delete nor read). */
    UNKNOWN_OPERATION,
    /** Processing the fact threw an unexpected exception (a bug): the detail names the exception class. */
    INTERNAL_ERROR
}
