package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.PairKey;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * The port through which the engine has a {@code MISSING_*} counterpart looked up on the other database before it
 * alerts (verify before alert). Core knows no JDBC: the application implements it.
 *
 * <p>The engine calls {@link #request} on its own thread, after the batch that put the lookup in flight is
 * committed; the implementation must not block (it queues the request, or answers at once when it cannot take
 * it). Every request must be answered exactly once, on the engine's thread, through
 * {@link ReconciliationEngine#recordLookup}; a request not answered within the {@link Policy#maxWait() max wait}
 * fires as "not verified", so a lost one never suppresses an alert.
 */
public interface CounterpartLookup {

    /**
     * Look for a live row of {@code lookIn} (the side the discrepancy says is missing) of the pair's rule with the
     * pair's key that matches the side's filter.
     *
     * @param discrepancyId the id the discrepancy will have when it opens (for logs)
     */
    record Request(PairKey pair, DiscrepancyType type, Side lookIn, String discrepancyId, Instant requestedAt) {
        public Request {
            Objects.requireNonNull(pair, "pair");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(lookIn, "lookIn");
        }

        /** The answer to this request. */
        public Answer answer(Answer.Found found, Instant at, String detail) {
            return new Answer(pair, type, found, at, detail);
        }
    }

    /**
     * @param detail where the row was found / what was searched / why the lookup failed; never row values
     */
    record Answer(PairKey pair, DiscrepancyType type, Found found, Instant at, String detail) {
        public enum Found {
            /** A matching row is in the database: its binlog event is late. */
            PRESENT,
            /** No matching row: the absence is confirmed. */
            ABSENT,
            /** The lookup could not be made (down, timeout, privilege, rate limit, queue full). */
            FAILED
        }

        public Answer {
            Objects.requireNonNull(pair, "pair");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(found, "found");
            Objects.requireNonNull(at, "at");
            detail = detail == null ? "" : detail;
        }
    }

    /**
     * Which rules verify, and how long a found counterpart may take to arrive through the binlog.
     *
     * @param rules      the rules that verify before alerting
     * @param maxWait    how long a {@code MISSING_*} whose counterpart was found in the database waits for the
     *                   binlog before it fires as "present in the database but not seen in the binlog after ..."; also
     *                   how long a lookup may go unanswered before it fires as "not verified"
     * @param maxPending lookups in flight or waiting at most; beyond, a {@code MISSING_*} fires at once, "not
     *                   verified: ... lookups already waiting"
     */
    record Policy(Set<String> rules, Duration maxWait, int maxPending) {
        public static final Duration DEFAULT_MAX_WAIT = Duration.ofMinutes(2);
        public static final int DEFAULT_MAX_PENDING = 10_000;
        public static final Policy NONE = new Policy(Set.of(), DEFAULT_MAX_WAIT, DEFAULT_MAX_PENDING);

        public Policy {
            rules = Set.copyOf(rules);
            Objects.requireNonNull(maxWait, "maxWait");
            if (maxWait.isNegative() || maxWait.isZero()) throw new IllegalArgumentException("maxWait must be > 0");
            if (maxPending < 1) throw new IllegalArgumentException("maxPending must be >= 1");
        }
    }

    void request(Request request);

    /** No lookups: every request fails at once (used when no rule verifies). */
    CounterpartLookup NONE = r -> {
        throw new IllegalStateException("no counterpart lookup configured");
    };
}
