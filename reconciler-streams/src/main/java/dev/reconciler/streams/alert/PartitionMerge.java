package dev.reconciler.streams.alert;

import dev.reconciler.core.outcome.Outcome;

import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Makes the outcomes of N engine tasks read like the outcomes of the embedded mode's one engine, before they enter
 * the alert journal.
 *
 * <p>Discrepancies and quarantined facts belong to one partition each (they are keyed by pair or row) and pass as
 * they are. But every task sees every source's watermark, and every task that reads a table's facts sees a column
 * vanish: a stalled source or a paused rule is reported once <em>per partition</em>, at about the same time. And the
 * partitions are read independently: one partition's stall <em>and</em> recovery may be read before another
 * partition's stall. Merged here, per subject (a source; a rule, side, table and column), into episodes:
 * <ul>
 *   <li><b>Stalled / paused</b> passes when it opens an episode: no episode is open, and it was decided after the
 *       last episode's end (an earlier one is a late report, from a partition read behind, of the episode already
 *       ended). While an episode is open, other partitions' reports join it silently.</li>
 *   <li><b>Recovered / resumed</b> passes when the last partition that joined the open episode reports its end — a
 *       source is not recovered while any engine task seen waiting on it still waits. An end with no episode known
 *       since this alerter started (the start was read before a failover) passes once, so that receivers that saw the
 *       start from the previous alerter see the end.</li>
 *   <li><b>Coverage gaps</b> (events): one per record key (source, from, to), among the last
 *       {@link #RECENT_EVENTS} gaps.</li>
 * </ul>
 * Times are the engines' decision times (each task's wall clock): instances' clocks should agree within seconds.
 * Not thread-safe: owned by the alerter's consumer thread; a new alerter (after a failover) starts empty.
 */
final class PartitionMerge {
    static final int RECENT_EVENTS = 10_000;

    /** A subject's episodes: the partitions in the open one (null when none), and when the last one ended. */
    private static final class Subject {
        Set<Integer> open;
        Instant endedAt;
    }

    private final Map<String, Subject> subjects = new HashMap<>();
    private final LinkedHashSet<String> recentEvents = new LinkedHashSet<>();

    /** Whether the outcome, read from {@code partition} under record key {@code key}, goes to the alert journal. */
    boolean pass(int partition, String key, Outcome o) {
        if (o instanceof Outcome.SourceStalled s) return begins("source/" + s.source(), partition, s.detectedAt());
        if (o instanceof Outcome.SourceRecovered s) return ends("source/" + s.source(), partition, s.at());
        if (o instanceof Outcome.RulePaused p) {
            return begins(subject(p.rule(), p.side().name(), p.table(), p.column()), partition, p.at());
        }
        if (o instanceof Outcome.RuleResumed r) {
            return ends(subject(r.rule(), r.side().name(), r.table(), r.column()), partition, r.at());
        }
        if (o instanceof Outcome.CoverageGap) {
            if (!recentEvents.add(key)) return false;
            if (recentEvents.size() > RECENT_EVENTS) recentEvents.remove(recentEvents.iterator().next());
            return true;
        }
        return true;
    }

    private static String subject(String rule, String side, String table, String column) {
        return "rule/" + rule + "/" + side + "/" + table + "/" + column;
    }

    private boolean begins(String name, int partition, Instant at) {
        Subject s = subjects.computeIfAbsent(name, n -> new Subject());
        if (s.open != null) {
            s.open.add(partition);
            return false;
        }
        if (s.endedAt != null && !at.isAfter(s.endedAt)) return false;   // a late report of the ended episode
        s.open = new HashSet<>();
        s.open.add(partition);
        return true;
    }

    private boolean ends(String name, int partition, Instant at) {
        Subject s = subjects.computeIfAbsent(name, n -> new Subject());
        if (s.open == null) {
            if (s.endedAt != null) return false;   // another partition's report of the end already passed
            s.endedAt = at;
            return true;
        }
        s.open.remove(partition);
        if (!s.open.isEmpty()) return false;
        s.open = null;
        s.endedAt = at;
        return true;
    }
}
