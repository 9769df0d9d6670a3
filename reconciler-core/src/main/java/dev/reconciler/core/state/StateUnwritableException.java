package dev.reconciler.core.state;

/**
 * A write to the {@link StateStore} failed because its directory cannot take writes: the disk is full, the file
 * system turned read-only, or another I/O error. Nothing of the failed write is stored (a batch is atomic). Unlike
 * other {@link StateStoreException}s this one can pass: once space returns the store takes writes again, which
 * {@link StateStore#probeWritable()} finds out.
 */
public class StateUnwritableException extends StateStoreException {
    private static final long serialVersionUID = 1L;
    private final String cause;

    /**
     * @param cause   the cause in a few words, e.g. "no space left on device"
     * @param message the full message: directory, operation, cause and the fix
     */
    public StateUnwritableException(String cause, String message, Throwable throwable) {
        super(message, throwable);
        this.cause = cause;
    }

    /** The cause in a few words ("no space left on device", "read-only file system", "I/O error"). */
    public String reason() {
        return cause;
    }
}
