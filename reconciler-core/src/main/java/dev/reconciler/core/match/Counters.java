package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Numbers the engine keeps so that metrics need no scan of the state.
 * <ul>
 *   <li>Gauges: pairs pending per (rule, side), unresolved (open or waived) and waived discrepancies per (rule,
 *       type). Changed in step with pair state and persisted with it, in the same batch, as engine metadata; loaded
 *       back on start. Open, as reported, is unresolved minus waived.</li>
 *   <li>The day's figures ({@link DailyTally}), counted from the outcomes of each batch as it is flushed.</li>
 *   <li>Counters since start (Prometheus counters may reset): facts taken per (rule, side), and facts that matched
 *       a side's filter but had a blank key column and so could pair with nothing, and rows held because they lack
 *       a column the rule reads (see {@link RulePauses}).</li>
 * </ul>
 * Metadata names are built once per rule: this sits on the per-fact path. Owned by the engine thread; the gauges
 * and counters may be read by other threads.
 */
final class Counters {
    private static final DiscrepancyType[] TYPES = DiscrepancyType.values();

    private static final int WAIVED = 2 + TYPES.length;

    /**
     * Everything counted for one rule; gauges by index: pending left, pending right, then unresolved per type, then
     * waived per type.
     */
    private static final class PerRule {
        final String[] gaugeNames = new String[2 + 2 * TYPES.length];
        final long[] gauges = new long[2 + 2 * TYPES.length];
        final boolean[] dirty = new boolean[2 + 2 * TYPES.length];
        final AtomicLong[] facts = {new AtomicLong(), new AtomicLong()};
        final AtomicLong[] withoutKey = {new AtomicLong(), new AtomicLong()};
        final AtomicLong[] held = {new AtomicLong(), new AtomicLong()};

        PerRule(String rule) {
            gaugeNames[0] = "count/pending/" + rule + "/left";
            gaugeNames[1] = "count/pending/" + rule + "/right";
            for (DiscrepancyType t : TYPES) gaugeNames[2 + t.ordinal()] = "count/open/" + rule + "/" + t.name();
            for (DiscrepancyType t : TYPES) gaugeNames[WAIVED + t.ordinal()] = "count/waived/" + rule + "/" + t.name();
        }
    }

    private final Map<String, PerRule> rules = new HashMap<>();
    private final DailyTally daily;

    Counters(List<Rule> rules, StateStore store) {
        this.daily = new DailyTally(store);
        for (Rule r : rules) {
            PerRule p = new PerRule(r.name());
            for (int i = 0; i < p.gaugeNames.length; i++) {
                p.gauges[i] = store.meta(p.gaugeNames[i]).map(Long::parseLong).orElse(0L);
            }
            this.rules.put(r.name(), p);
        }
    }

    /** Reads the gauges back from the store (the last committed batch), dropping changes not written. */
    void reloadGauges(StateStore store) {
        for (Map.Entry<String, PerRule> e : rules.entrySet()) {
            PerRule p = e.getValue();
            for (int i = 0; i < p.gaugeNames.length; i++) {
                p.gauges[i] = store.meta(p.gaugeNames[i]).map(Long::parseLong).orElse(0L);
                p.dirty[i] = false;
            }
        }
        daily.forget();
    }

    /** The rule looked up last (an immutable pair, so any thread may read it): most facts of a batch share it. */
    private record Last(String rule, PerRule counted) {
    }

    private volatile Last last = new Last("", null);

    private PerRule of(String rule) {
        Last l = last;
        if (l.rule() == rule) return l.counted();   // the same rule name: the engine passes the rule's own string
        PerRule p = rules.get(rule);
        if (p == null) throw new IllegalArgumentException("unknown rule '" + rule + "'");
        last = new Last(rule, p);
        return p;
    }

    /** Pairs whose {@code side} rows wait for the other side. */
    long pending(String rule, Side side) {
        return of(rule).gauges[side.ordinal()];
    }

    /** Open (not waived, not resolved) discrepancies. */
    long open(String rule, DiscrepancyType type) {
        PerRule p = of(rule);
        return p.gauges[2 + type.ordinal()] - p.gauges[WAIVED + type.ordinal()];
    }

    long waived(String rule, DiscrepancyType type) {
        return of(rule).gauges[WAIVED + type.ordinal()];
    }

    /** Unresolved (open or waived): in step with the pairs' open sets. */
    void addWaived(String rule, DiscrepancyType type, long delta) {
        add(of(rule), WAIVED + type.ordinal(), delta);
    }

    DailyTally daily() {
        return daily;
    }

    void addPending(String rule, Side side, long delta) {
        add(of(rule), side.ordinal(), delta);
    }

    void addOpen(String rule, DiscrepancyType type, long delta) {
        add(of(rule), 2 + type.ordinal(), delta);
    }

    private static void add(PerRule p, int i, long delta) {
        if (delta == 0) return;
        p.gauges[i] += delta;
        p.dirty[i] = true;
    }

    void countFact(String rule, Side side) {
        increment(of(rule).facts[side.ordinal()]);
    }

    void countWithoutKey(String rule, Side side) {
        increment(of(rule).withoutKey[side.ordinal()]);
    }

    void countHeld(String rule, Side side) {
        increment(of(rule).held[side.ordinal()]);
    }

    long held(String rule, Side side) {
        return of(rule).held[side.ordinal()].get();
    }

    /** The engine thread is the one writer: a plain increment published for readers, no atomic read-modify-write. */
    private static void increment(AtomicLong counter) {
        counter.lazySet(counter.get() + 1);
    }

    long facts(String rule, Side side) {
        return of(rule).facts[side.ordinal()].get();
    }

    long withoutKey(String rule, Side side) {
        return of(rule).withoutKey[side.ordinal()].get();
    }

    /**
     * Counts the unit's outcomes into the day's figures, and writes the changed gauges and figures into the unit of
     * work and forgets that they changed.
     */
    void flush(UnitOfWork uow) {
        daily.count(uow.untallied());
        daily.flush(uow);
        for (PerRule p : rules.values()) {
            for (int i = 0; i < p.dirty.length; i++) {
                if (!p.dirty[i]) continue;
                uow.putMeta(p.gaugeNames[i], Long.toString(p.gauges[i]));
                p.dirty[i] = false;
            }
        }
    }
}
