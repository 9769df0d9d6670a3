package dev.reconciler.app.verify;

/**
 * Keeps a verification's reads under a rate: after each query it sleeps until the rows read so far are within
 * {@code rowsPerSecond} of the time spent. Owned by the verifying thread.
 */
final class Throttle {
    private final long rowsPerSecond;
    private final long started = System.nanoTime();
    private long rows;
    private long sleptNanos;

    /** @param rowsPerSecond 0 for no limit */
    Throttle(long rowsPerSecond) {
        this.rowsPerSecond = rowsPerSecond;
    }

    void read(long n) throws InterruptedException {
        rows += n;
        if (rowsPerSecond <= 0) return;
        long due = rows * 1_000_000_000L / rowsPerSecond;
        long ahead = due - (System.nanoTime() - started);
        if (ahead > 1_000_000) {
            Thread.sleep(ahead / 1_000_000, (int) (ahead % 1_000_000));
            sleptNanos += ahead;
        }
    }

    long rows() {
        return rows;
    }

    long sleptMillis() {
        return sleptNanos / 1_000_000;
    }
}
