package dev.reconciler.bench;

import java.time.Instant;
import java.time.InstantSource;

/** The engine's clock in a benchmark: set by the driver (to just after the newest commit), never read from the OS. */
final class SettableClock implements InstantSource {
    private Instant now;

    SettableClock(Instant start) {
        this.now = start;
    }

    @Override
    public Instant instant() {
        return now;
    }

    void set(Instant t) {
        now = t;
    }
}
