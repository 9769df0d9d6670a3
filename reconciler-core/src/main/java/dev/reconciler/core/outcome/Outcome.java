package dev.reconciler.core.outcome;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** What the engine tells the layers above (metrics, alerts, API). */
public sealed interface Outcome {

    /**
     * A pair became consistent: both sides present, quantities agree, no duplicate.
     *
     * @param lastCommit the later commit time of the pair's rows (match latency is measured from it)
     * @param decidedAt  the engine's clock when it decided
     */
    record PairMatched(String rule, Map<String, String> key, List<RowImage> left, List<RowImage> right,
                       Instant lastCommit, Instant decidedAt) implements Outcome {
    }

    /** A discrepancy was detected. */
    record DiscrepancyOpened(Discrepancy discrepancy) implements Outcome {
    }

    /** An open discrepancy was resolved; {@link Discrepancy#resolution()} says why. */
    record DiscrepancyResolved(Discrepancy discrepancy) implements Outcome {
    }

    /**
     * A source's watermark fell behind the wall clock by more than the configured bound. Pairs waiting on it are
     * held (no MISSING_* is reported because of it) until it recovers.
     *
     * @param watermark null when the source has not delivered anything yet
     */
    record SourceStalled(String source, Instant watermark, Duration behind, Instant detectedAt) implements Outcome {
    }

    /** A stalled source caught up again. */
    record SourceRecovered(String source, Instant watermark, Instant at) implements Outcome {
    }

    /**
     * A window of a source's history that was not observed (its binlog purged before it was read, and the re-read
     * started later): changes committed in it were never seen. Pairs whose counterpart would have come from it are
     * not reported missing; {@code reconciler verify} checks the window against the databases.
     */
    record CoverageGap(String source, Instant from, Instant to, String reason, Instant at) implements Outcome {
    }

    /**
     * A rule stopped judging: a row of {@code table} (of {@code source}), routed to the rule's {@code side}, lacks
     * {@code column}, which the rule reads (a key, quantity or filter column): the column was dropped or renamed.
     * Until it resumes, the rule's pairs are held (no MISSING_* is reported for it) and the rows of that table are
     * not judged; the other rules go on. One outcome per (rule, side, source, table).
     *
     * @param position the log position of the first row seen without the column
     */
    record RulePaused(String rule, Side side, String source, String table, String column, SourcePosition position,
                      Instant at) implements Outcome {
    }

    /**
     * A paused rule side judges the rows of {@code table} again: a row of that table carries the column again
     * ({@link Why#COLUMN_BACK}, {@code position} is that row's), or the engine was started with a configuration that
     * no longer reads the column ({@link Why#CONFIGURATION_CHANGED}, {@code position} null). The rows of the table
     * changed in between were not judged ({@code held} of them reached the engine since it last started).
     *
     * @param pausedAt when the pause began
     */
    record RuleResumed(String rule, Side side, String source, String table, String column, Why why,
                       SourcePosition position, Instant pausedAt, long held, Instant at) implements Outcome {
        public enum Why { COLUMN_BACK, CONFIGURATION_CHANGED }
    }

    /**
     * A fact that could not be processed was quarantined (stored with its reason, see
     * {@link dev.reconciler.core.fact.Quarantined}) instead of being applied; the source goes on with the next one.
     * Reported for every quarantined fact (metrics count them); journaled, and so alerted, only when {@code alert}:
     * for the first of its (source, reason), and again once a day while more come.
     *
     * @param since quarantined facts of this (source, reason) since the previous alert, this one included; 0 when
     *              {@code alert} is false
     */
    record FactQuarantined(dev.reconciler.core.fact.Quarantined fact, boolean alert, long since) implements Outcome {
    }
}
