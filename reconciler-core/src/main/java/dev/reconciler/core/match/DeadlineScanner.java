package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.TimerEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Fires the deadline index when a watermark moves: the pairs of each lane that are due are decided again (waits)
 * or dropped (retention), a page per committed batch, and the scan marks move on. Owned by the engine thread.
 *
 * <p>The engine commits the new watermark before firing. That is crash-safe: a crash in between leaves the due
 * entries in the index and their lane's scan mark where it was, so the next watermark move (after a restart, the
 * first newer one) scans them again; deciding a pair twice is harmless, since the verdict is compared with what is
 * open.
 */
final class DeadlineScanner {
    /** Timers handled per committed batch when watermarks move. */
    private static final int TIMER_PAGE = 1024;
    static final String META_SCANNED = "scanned/";

    /**
     * Per (rule, lane): the time up to which the deadline index was handled. Persisted, loaded on start. Shared with
     * the {@link PairDecider}, which never schedules a deadline at or before a lane's mark.
     */
    static final class Marks {
        private final Map<String, Instant> scannedUpTo = new HashMap<>();

        Marks(EngineConfig config, StateStore store) {
            for (Rule rule : config.rules()) {
                for (Lane lane : Lane.values()) {
                    String name = laneName(rule, lane);
                    store.meta(name).ifPresent(t -> scannedUpTo.put(name, Instant.parse(t)));
                }
            }
        }

        /**
         * A deadline at or before the time up to which its lane was already scanned would never be found (scans
         * start there); it is moved just after it and fires with the next watermark move. Only retention deadlines
         * (last event time + retention, possibly already past) can need this.
         */
        Instant notBeforeScanned(Rule rule, Lane lane, Instant due) {
            Instant scanned = scannedUpTo.get(laneName(rule, lane));
            return scanned != null && !due.isAfter(scanned) ? scanned.plusNanos(1) : due;
        }
    }

    private final EngineConfig config;
    private final StateStore store;
    private final Watermarks watermarks;
    private final Counters counters;
    private final RulePauses pauses;
    private final Marks marks;
    private final PairDecider decider;
    private final VerifyBeforeAlert verify;

    DeadlineScanner(EngineConfig config, StateStore store, Watermarks watermarks, Counters counters,
                    RulePauses pauses, Marks marks, PairDecider decider, VerifyBeforeAlert verify) {
        this.verify = verify;
        this.config = config;
        this.store = store;
        this.watermarks = watermarks;
        this.counters = counters;
        this.pauses = pauses;
        this.marks = marks;
        this.decider = decider;
    }

    /** Fires every lane the source's new watermark moves, then persists the scan marks that moved. */
    List<Outcome> advance(String source) {
        List<Outcome> outcomes = new ArrayList<>();
        Set<String> moved = new HashSet<>();
        for (Rule rule : config.rules()) {
            boolean left = watermarks.feeds(rule, Side.LEFT, source);
            boolean right = watermarks.feeds(rule, Side.RIGHT, source);
            if (pauses.isPaused(rule)) {
                // Pairs held: the wait lanes are not scanned (their marks stay) until the rule resumes, so every
                // wait that passes meanwhile is decided then, against the real watermarks.
                if (left || right) outcomes.addAll(fire(rule, Lane.EXPIRE, watermarks.bothSides(rule), moved));
                continue;
            }
            if (left) outcomes.addAll(fire(rule, Lane.WAIT_LEFT, watermarks.of(rule, Side.LEFT), moved));
            if (right) outcomes.addAll(fire(rule, Lane.WAIT_RIGHT, watermarks.of(rule, Side.RIGHT), moved));
            if (left || right) outcomes.addAll(fire(rule, Lane.EXPIRE, watermarks.bothSides(rule), moved));
        }
        if (!moved.isEmpty()) {
            UnitOfWork scanned = new UnitOfWork(store);
            for (String lane : moved) scanned.putMeta(lane, marks.scannedUpTo.get(lane).toString());
            scanned.commit();
        }
        return outcomes;
    }

    /**
     * Decides the pairs of one lane that are due at {@code upTo}, a page per committed batch. The scan starts where
     * the previous one ended: entries before that were handled, and RocksDB need not skip their tombstones. Adds
     * the lane to {@code moved} when its scan mark moved (the caller persists those marks).
     */
    private List<Outcome> fire(Rule rule, Lane lane, Instant upTo, Set<String> moved) {
        if (upTo == null) return List.of();
        String name = laneName(rule, lane);
        Instant from = marks.scannedUpTo.get(name);
        if (from != null && !upTo.isAfter(from)) return List.of();
        List<Outcome> outcomes = new ArrayList<>();
        while (true) {
            List<TimerEntry> due = store.dueTimers(rule.name(), lane, from, upTo, TIMER_PAGE);
            if (due.isEmpty()) break;
            UnitOfWork uow = new UnitOfWork(store);
            uow.preload(due.stream().map(TimerEntry::pair).toList());
            for (TimerEntry t : due) {
                PairState state = uow.pair(t.pair());
                if (state == null || !t.due().equals(state.timer(lane))) {
                    uow.deleteTimer(t);   // left behind by an older release, or by a crash before its pair
                } else if (lane == Lane.EXPIRE) {
                    uow.deleteTimer(t);
                    expire(uow, rule, state);
                } else {
                    decider.decide(uow, rule, state);   // the deadline passed: decide() moves (deletes) the entry
                }
            }
            counters.flush(uow);
            verify.flush(uow);
            outcomes.addAll(uow.commit());
            if (due.size() < TIMER_PAGE) break;
        }
        marks.scannedUpTo.put(name, upTo);
        moved.add(name);
        return outcomes;
    }

    static String laneName(Rule rule, Lane lane) {
        return META_SCANNED + rule.name() + "/" + lane.name();
    }

    /** Drops a finished pair and its discrepancy records once both watermarks passed its retention. */
    private void expire(UnitOfWork uow, Rule rule, PairState state) {
        for (Map.Entry<DiscrepancyType, Integer> e : state.occurrences().entrySet()) {
            for (int n = 1; n <= e.getValue(); n++) {
                uow.deleteDiscrepancy(Discrepancy.idOf(rule.name(), state.key().values(), e.getKey(), n));
            }
        }
        uow.delete(state.key());
    }
}
