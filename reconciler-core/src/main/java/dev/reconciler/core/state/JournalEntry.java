package dev.reconciler.core.state;

import dev.reconciler.core.outcome.Outcome;

import java.time.Instant;
import java.util.Objects;

/**
 * One entry of the outcome journal: an outcome the engine reported, numbered in the order it was committed.
 *
 * <p>The engine appends every {@link Outcome.DiscrepancyOpened}, {@link Outcome.DiscrepancyResolved},
 * {@link Outcome.SourceStalled}, {@link Outcome.SourceRecovered}, {@link Outcome.RulePaused} and
 * {@link Outcome.RuleResumed} to the journal in the same atomic write as the
 * state change that produced it (never {@link Outcome.PairMatched}: matches are the hot path and nobody is told
 * about them). Consumers (the alert dispatchers of the app) read it in sequence order from a cursor they keep
 * themselves, and trim what all of them have passed. A crash before the write loses the state change and the entry
 * together; the replayed facts produce both again, so every entry is delivered at least once.
 *
 * @param seq the entry's sequence number: 1 for the first entry a store ever took, then one more per entry, never
 *            reused (trimming keeps the counter)
 */
public record JournalEntry(long seq, Outcome outcome) {
    public JournalEntry {
        if (seq < 1) throw new IllegalArgumentException("journal sequence numbers start at 1, got " + seq);
        Objects.requireNonNull(outcome, "outcome");
        if (!journaled(outcome)) {
            throw new IllegalArgumentException("only discrepancy, source, rule-pause and quarantine-alert outcomes are journaled, not " + outcome);
        }
    }

    /** Whether the engine journals this kind of outcome: everything but {@link Outcome.PairMatched}. */
    public static boolean journaled(Outcome o) {
        return o instanceof Outcome.DiscrepancyOpened || o instanceof Outcome.DiscrepancyResolved
                || o instanceof Outcome.SourceStalled || o instanceof Outcome.SourceRecovered
                || o instanceof Outcome.CoverageGap || o instanceof Outcome.RulePaused
                || o instanceof Outcome.RuleResumed
                || o instanceof Outcome.FactQuarantined q && q.alert();
    }

    /**
     * When the engine decided it (its clock): detected-at of an opened discrepancy or a stall, resolved-at of a
     * resolution, the recovery time of a recovered source. Journal bounds by age use it.
     */
    public Instant at() {
        if (outcome instanceof Outcome.DiscrepancyOpened o) return o.discrepancy().detectedAt();
        if (outcome instanceof Outcome.DiscrepancyResolved r) {
            // A waiver also ends the alert, and has no resolved-at: the time of the step, last on the timeline.
            var d = r.discrepancy();
            if (d.resolvedAt() != null || d.timeline().isEmpty()) return d.resolvedAt() != null ? d.resolvedAt() : d.detectedAt();
            return d.timeline().get(d.timeline().size() - 1).at();
        }
        if (outcome instanceof Outcome.SourceStalled s) return s.detectedAt();
        if (outcome instanceof Outcome.CoverageGap g) return g.at();
        if (outcome instanceof Outcome.RulePaused p) return p.at();
        if (outcome instanceof Outcome.RuleResumed r) return r.at();
        if (outcome instanceof Outcome.FactQuarantined q) return q.fact().at();
        return ((Outcome.SourceRecovered) outcome).at();
    }
}
