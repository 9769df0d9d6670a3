package dev.reconciler.app.source;

/**
 * When the heartbeat writer beats next. Binlog commit times are whole seconds and a source's watermark is its
 * newest commit time minus one second ({@link DebeziumSource}), so on an idle database the watermark moves when the
 * first heartbeat of a new second (of the database's clock) is read; more beats in the same second move nothing.
 * A beat made at a fixed delay lands anywhere in its second, so a pair waiting on an idle side waited up to one
 * interval more than it had to. Beats are therefore put {@link #MARGIN_MILLIS} after a second starts on the
 * database's clock, never further apart than the configured interval (rounded down to whole seconds, at least one
 * second: beats closer than that cannot move the watermark sooner).
 *
 * <p>The database's clock is measured at each beat ({@code UNIX_TIMESTAMP(NOW(3))} between two readings of ours);
 * an error in that measurement only moves the beat within its second, as an unaligned beat was anyway.
 */
final class HeartbeatTiming {
    /** After the database's second starts: covers the clock reading's error and the statement's start. */
    static final long MARGIN_MILLIS = 20;
    private static final long SECOND = 1000;

    private HeartbeatTiming() {
    }

    /**
     * Milliseconds from now until the next beat.
     *
     * @param localNowMillis   our clock, now
     * @param dbAheadMillis    how far the database's clock is ahead of ours (negative: behind)
     * @param intervalMillis   the configured heartbeat interval
     */
    static long delayMillis(long localNowMillis, long dbAheadMillis, long intervalMillis) {
        long dbNow = localNowMillis + dbAheadMillis;
        // The latest aligned instant within the interval (one second at least): always after now, since one is in
        // every second.
        return aligned(dbNow + Math.max(intervalMillis, SECOND)) - dbNow;
    }

    /** The latest instant at or before {@code t} that is {@link #MARGIN_MILLIS} into a second. */
    private static long aligned(long t) {
        return Math.floorDiv(t - MARGIN_MILLIS, SECOND) * SECOND + MARGIN_MILLIS;
    }
}
