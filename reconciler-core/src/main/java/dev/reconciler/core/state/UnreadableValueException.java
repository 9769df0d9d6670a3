package dev.reconciler.core.state;

/**
 * A stored value this release cannot decode: corrupt bytes, or a format version it does not read. The stores
 * rethrow it as a {@link StateStoreException} naming their directory and the way out.
 */
public class UnreadableValueException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public UnreadableValueException(String message, Throwable cause) {
        super(message, cause);
    }
}
