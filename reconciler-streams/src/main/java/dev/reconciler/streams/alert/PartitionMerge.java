package dev.reconciler.streams.alert;

import dev.reconciler.core.outcome.Outcome;

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
 * vanish: a stalled source or a paused rule is reported once <em>per partition</em>. Merged here:
 * <ul>
 *   <li><b>Stalled / paused</b> (a condition that holds until it ends): passes when the first partition reports it;
 *       the others join it silently.</li>
 *   <li><b>Recovered / resumed</b>: passes when the <em>last</em> partition that reported the condition reports its
 *       end — a source is not recovered while any engine task still waits on it. An end with no condition known
 *       since this alerter started (the start was read after the failover point) passes once, so receivers that
 *       saw the start from the previous alerter see the end.</li>
 *   <li><b>Coverage gaps</b> (events): one per record key (source, from, to), among the last
 *       {@link #RECENT_EVENTS} gaps.</li>
 * </ul>
 * Not thread-safe: owned by the alerter's consumer thread; a new alerter (after a failover) starts empty.
 */
final class PartitionMerge {
    static final int RECENT_EVENTS = 10_000;

    /** A condition's subject (source, or rule+side+table+column) → the partitions reporting it now. */
    private final Map<String, Set<Integer>> holding = new HashMap<>();
    /** Subjects whose end has passed since the start, with no condition since: further ends are duplicates. */
    private final Set<String> ended = new HashSet<>();
    private final LinkedHashSet<String> recentEvents = new LinkedHashSet<>();

    /** Whether the outcome, read from {@code partition} under record key {@code key}, goes to the alert journal. */
    boolean pass(int partition, String key, Outcome o) {
        if (o instanceof Outcome.SourceStalled s) return begins("source/" + s.source(), partition);
        if (o instanceof Outcome.SourceRecovered s) return ends("source/" + s.source(), partition);
        if (o instanceof Outcome.RulePaused p) {
            return begins(subject(p.rule(), p.side().name(), p.table(), p.column()), partition);
        }
        if (o instanceof Outcome.RuleResumed r) {
            return ends(subject(r.rule(), r.side().name(), r.table(), r.column()), partition);
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

    private boolean begins(String subject, int partition) {
        ended.remove(subject);
        Set<Integer> by = holding.computeIfAbsent(subject, s -> new HashSet<>());
        boolean first = by.isEmpty();
        by.add(partition);
        return first;
    }

    private boolean ends(String subject, int partition) {
        Set<Integer> by = holding.get(subject);
        if (by == null || by.isEmpty()) return ended.add(subject);
        by.remove(partition);
        if (!by.isEmpty()) return false;
        holding.remove(subject);
        ended.add(subject);
        return true;
    }
}
