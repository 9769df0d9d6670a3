package dev.reconciler.core.state;

import java.time.Instant;
import java.util.Objects;

/** One entry of the deadline index: pair {@code pair} is due on lane {@code lane} at {@code due}. */
public record TimerEntry(Lane lane, Instant due, PairKey pair) {
    public TimerEntry {
        Objects.requireNonNull(lane, "lane");
        Objects.requireNonNull(due, "due");
        Objects.requireNonNull(pair, "pair");
    }
}
