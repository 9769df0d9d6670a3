package dev.reconciler.app.alert;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Storm control of one sink: per rule and per minute (of detection for openings, of resolution for resolutions),
 * the first {@code threshold} discrepancies are delivered one by one; the rest of that minute become one
 * {@link Alert.StormAlert} with their count, a count per type and a sample of keys.
 *
 * <p>Deterministic: which entries are aggregated depends only on the journal (their times and order) and on the
 * counts this class had at the dispatcher's last checkpoint ({@link #state()}, restored by {@link #restore}), never
 * on the wall clock. The dispatcher does not move its checkpoint past an entry folded into an aggregate that is not
 * yet delivered, so after a crash the same aggregate is rebuilt from the journal and nothing is lost.
 *
 * <p>An aggregate is delivered when its minute is over ({@link #due}: {@link #FLUSH_DELAY} after the minute, by the
 * dispatcher's clock), or earlier when the rule's next minute begins, or — for openings — before any resolution of
 * the same rule is delivered, so that a receiver never hears of a resolution before the opening it ends.
 * Not thread-safe: the dispatcher's thread owns it.
 */
final class StormControl {
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** How long after its minute an aggregate waits for stragglers (the engine commits what it detected at once). */
    static final Duration FLUSH_DELAY = Duration.ofSeconds(5);

    private final int threshold;
    private final int sampleSize;
    /** By rule and direction; insertion order. */
    private final Map<String, Window> windows = new LinkedHashMap<>();

    /** The counts of one rule and direction in one minute, as persisted with the dispatcher's cursor. */
    record WindowState(String rule, boolean opened, Instant start, int count) {
    }

    /**
     * @param deliver    what to deliver now, in order (aggregates flushed first, then the alert unless aggregated)
     * @param aggregated the offered alert was folded into an aggregate instead of being delivered
     */
    record Decision(List<Alert> deliver, boolean aggregated) {
    }

    private static final class Window {
        final String rule;
        final boolean opened;
        final Instant start;
        int count;
        Builder pending;

        Window(String rule, boolean opened, Instant start, int count) {
            this.rule = rule;
            this.opened = opened;
            this.start = start;
            this.count = count;
        }

        /** When this window's aggregate goes out: the end of its minute plus {@link #FLUSH_DELAY}. */
        Instant dueAt() {
            return start.plus(WINDOW).plus(FLUSH_DELAY);
        }
    }

    /** The aggregate being built in one window (whose rule, direction and minute it takes). */
    private final class Builder {
        final long firstSeq;
        int count;
        final Map<DiscrepancyType, Integer> byType = new EnumMap<>(DiscrepancyType.class);
        final List<Alert.Sample> sample = new ArrayList<>();
        Instant first;
        Instant last;

        Builder(long firstSeq) {
            this.firstSeq = firstSeq;
        }

        void add(Discrepancy d, Instant at) {
            count++;
            byType.merge(d.type(), 1, Integer::sum);
            if (sample.size() < sampleSize) sample.add(new Alert.Sample(d.id(), d.type(), d.key()));
            if (first == null || at.isBefore(first)) first = at;
            if (last == null || at.isAfter(last)) last = at;
        }

        Alert.StormAlert build(Window w) {
            return new Alert.StormAlert(firstSeq, w.rule, w.opened, w.start, count, byType, sample, first, last);
        }
    }

    StormControl(int threshold, int sampleSize) {
        if (threshold < 1) throw new IllegalArgumentException("storm threshold must be at least 1, got " + threshold);
        this.threshold = threshold;
        this.sampleSize = sampleSize;
    }

    /** Decides what happens to one alert taken from the journal, in journal order. */
    Decision offer(Alert alert) {
        if (!(alert instanceof Alert.DiscrepancyAlert a)) return new Decision(List.of(alert), false);
        Discrepancy d = a.discrepancy();
        boolean opened = a.firing();
        Instant at = opened ? d.detectedAt() : d.resolvedAt();
        Instant bucket = at.truncatedTo(ChronoUnit.MINUTES);
        List<Alert> deliver = new ArrayList<>(2);
        if (!opened) {
            // an opening folded into an aggregate is told before any resolution of the rule (order per key)
            Window o = windows.get(id(d.rule(), true));
            if (o != null && o.pending != null) deliver.add(flush(o));
        }
        forget(bucket.minus(WINDOW));
        String id = id(d.rule(), opened);
        Window w = windows.get(id);
        if (w == null || bucket.isAfter(w.start)) {
            if (w != null && w.pending != null) deliver.add(flush(w));
            windows.remove(id);
            w = new Window(d.rule(), opened, bucket, 0);
            windows.put(id, w);
        }
        // (an entry of an earlier minute than the current window, after a clock step back, counts in the current one)
        w.count++;
        if (w.count <= threshold) {
            deliver.add(alert);
            deliver.sort(Comparator.comparingLong(Alert::seq));
            return new Decision(deliver, false);
        }
        if (w.pending == null) w.pending = new Builder(a.seq());
        w.pending.add(d, at);
        deliver.sort(Comparator.comparingLong(Alert::seq));
        return new Decision(deliver, true);
    }

    /** Aggregates whose minute (plus {@link #FLUSH_DELAY}) is over at {@code now}, oldest first; they leave. */
    List<Alert> due(Instant now) {
        List<Alert> out = new ArrayList<>();
        for (Window w : windows.values()) {
            if (w.pending != null && !now.isBefore(w.dueAt())) out.add(flush(w));
        }
        out.sort(Comparator.comparingLong(Alert::seq));
        return out;
    }

    /** When the next pending aggregate becomes due, or null if none is pending. */
    Instant nextDue() {
        Instant next = null;
        for (Window w : windows.values()) {
            if (w.pending == null) continue;
            Instant due = w.dueAt();
            if (next == null || due.isBefore(next)) next = due;
        }
        return next;
    }

    /** Whether some entries are folded into an aggregate not yet handed out. */
    boolean pending() {
        for (Window w : windows.values()) if (w.pending != null) return true;
        return false;
    }

    /** The counts to persist with a checkpoint; only meaningful when nothing is {@link #pending()}. */
    List<WindowState> state() {
        List<WindowState> out = new ArrayList<>();
        for (Window w : windows.values()) out.add(new WindowState(w.rule, w.opened, w.start, w.count));
        return out;
    }

    /** Back to the counts of a checkpoint (after a restart); pending aggregates are rebuilt from the journal. */
    void restore(List<WindowState> state) {
        windows.clear();
        for (WindowState s : state) windows.put(id(s.rule(), s.opened()), new Window(s.rule(), s.opened(), s.start(), s.count()));
    }

    private Alert flush(Window w) {
        Alert a = w.pending.build(w);
        w.pending = null;
        return a;
    }

    /** Drops windows of minutes before {@code before} with nothing pending: no entry can count in them any more. */
    private void forget(Instant before) {
        Iterator<Window> it = windows.values().iterator();
        while (it.hasNext()) {
            Window w = it.next();
            if (w.pending == null && w.start.isBefore(before)) it.remove();
        }
    }

    private static String id(String rule, boolean opened) {
        return rule + (opened ? "\u0000opened" : "\u0000resolved");
    }
}
