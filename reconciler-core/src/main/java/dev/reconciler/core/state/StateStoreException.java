package dev.reconciler.core.state;

/**
 * A {@link StateStore} could not do what was asked for a reason outside the caller's control (I/O error, corrupt
 * files, a lock held by another process). Unchecked: the engine cannot recover from it and stops; the message names
 * the store, the operation and, where there is one, the fix.
 */
public class StateStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StateStoreException(String message) {
        super(message);
    }

    public StateStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
