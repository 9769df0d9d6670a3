package dev.reconciler.core.fact;

/** What happened to a row. {@link #READ} is a snapshot read: the row exists, nothing is known of its history. */
public enum Operation {
    READ,
    INSERT,
    UPDATE,
    DELETE;

    /** True when the image describes a row that exists after the operation. */
    public boolean rowExists() {
        return this != DELETE;
    }
}
