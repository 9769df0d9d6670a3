package dev.reconciler.core.state;

/**
 * The deadline index has one lane per watermark a pair can wait on. Entries of one (rule, lane) are ordered by
 * time, so an expiry scan stops at the first entry not yet due.
 */
public enum Lane {
    /** Right rows waiting for a left counterpart: due when the left side's watermark passes the deadline. */
    WAIT_LEFT((byte) 1),
    /** Left rows waiting for a right counterpart: due when the right side's watermark passes the deadline. */
    WAIT_RIGHT((byte) 2),
    /** A finished pair to drop after retention: due when both sides' watermarks pass it. */
    EXPIRE((byte) 3);

    public final byte code;

    Lane(byte code) {
        this.code = code;
    }

    public static Lane of(byte code) {
        for (Lane l : values()) {
            if (l.code == code) return l;
        }
        throw new IllegalArgumentException("unknown lane code " + code);
    }
}
