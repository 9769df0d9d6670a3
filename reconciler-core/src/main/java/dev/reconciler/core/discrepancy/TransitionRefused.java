package dev.reconciler.core.discrepancy;

/**
 * A step a person asked for that the discrepancy's state does not allow (e.g. waiving a resolved one); the message
 * says why and what to do instead. The HTTP API answers it with 409.
 */
public final class TransitionRefused extends RuntimeException {
    public TransitionRefused(String message) {
        super(message);
    }
}
