package dev.reconciler.app.source;

import dev.reconciler.app.source.SourceStatus.Phase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A source's lifecycle as one state machine: the phase, why, since when and when the next attempt is. Every thread
 * of the source (connection attempts, Debezium's batch and completion threads, the connection watch) moves it with
 * compare-and-set transitions, and status, metrics, health and alerts all read it, so they can never disagree.
 *
 * <p>Each change of phase or reason is logged once, in the project's format; a retry that changes neither (the same
 * "connection refused" again) only moves the next attempt and logs nothing.
 */
final class SourceLifecycle {
    private static final Logger log = LoggerFactory.getLogger(SourceLifecycle.class);

    /** @param nextAttemptAt while waiting, when the next connection attempt is due; else null */
    record State(Phase phase, String reason, Instant since, Instant nextAttemptAt) {
    }

    private final String source;
    private final InstantSource clock;
    private final AtomicReference<State> state;

    SourceLifecycle(String source, InstantSource clock) {
        this.source = source;
        this.clock = clock;
        this.state = new AtomicReference<>(new State(Phase.STARTING, null, clock.instant(), null));
    }

    State get() {
        return state.get();
    }

    /**
     * Moves to {@code to} when the current phase is one of {@code from}; a closed source ({@link Phase#STOPPED})
     * never moves again.
     *
     * @return false when the current phase was not one of {@code from} (nothing changed)
     */
    boolean move(Set<Phase> from, Phase to, String reason, Instant nextAttemptAt) {
        while (true) {
            State current = state.get();
            if (current.phase() == Phase.STOPPED || !from.contains(current.phase())) return false;
            boolean same = current.phase() == to && Objects.equals(current.reason(), reason);
            State next = new State(to, reason, same ? current.since() : clock.instant(), nextAttemptAt);
            if (state.compareAndSet(current, next)) {
                if (!same) logChange(current, next);
                return true;
            }
        }
    }

    /** Moves to {@code to} from any phase but {@link Phase#STOPPED}. */
    boolean move(Phase to, String reason, Instant nextAttemptAt) {
        return move(Set.of(Phase.values()), to, reason, nextAttemptAt);
    }

    /** Final: closed. Logs nothing (the runtime logs the stop). */
    void stop() {
        state.set(new State(Phase.STOPPED, null, clock.instant(), null));
    }

    private void logChange(State before, State after) {
        String what = after.reason() == null ? after.phase().name() : after.phase() + ": " + after.reason();
        // The JSON log's source field; restored after, as the source's own threads carry it for good.
        String previous = org.slf4j.MDC.get("source");
        org.slf4j.MDC.put("source", source);
        try {
            switch (after.phase()) {
                case WAITING, RECONNECTING -> log.warn("source {}: {}{}", source, what,
                        after.nextAttemptAt() == null ? "" : " (retrying with backoff; logged again when the reason changes)");
                case BINLOG_GAP -> log.error("source {}: {}", source, what);
                case STREAMING -> log.info("source {}: {}{}", source, what, before.phase() == Phase.RECONNECTING
                        || before.phase() == Phase.WAITING ? " (connected again after " + seconds(before.since()) + ")" : "");
                default -> log.info("source {}: {}", source, what);
            }
        } finally {
            if (previous == null) org.slf4j.MDC.remove("source");
            else org.slf4j.MDC.put("source", previous);
        }
    }

    private String seconds(Instant since) {
        long ms = java.time.Duration.between(since, clock.instant()).toMillis();
        return String.format("%.1fs", ms / 1000.0);
    }
}
