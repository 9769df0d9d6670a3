package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Gauges the engine keeps so that metrics need no scan of the state: pairs pending per (rule, side) and open
 * discrepancies per (rule, type). Changed in step with pair state and persisted with it, in the same batch, as
 * engine metadata; loaded back on start. Owned by the engine thread.
 */
final class Counters {
    private static final String PREFIX = "count/";
    private final Map<String, Long> values = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();

    static String pending(String rule, Side side) {
        return PREFIX + "pending/" + rule + "/" + side.label();
    }

    static String open(String rule, DiscrepancyType type) {
        return PREFIX + "open/" + rule + "/" + type.name();
    }

    void load(StateStore store, Iterable<String> names) {
        for (String n : names) store.meta(n).ifPresent(v -> values.put(n, Long.parseLong(v)));
    }

    long get(String name) {
        return values.getOrDefault(name, 0L);
    }

    void add(String name, long delta) {
        if (delta == 0) return;
        values.merge(name, delta, Long::sum);
        dirty.add(name);
    }

    /** Writes the changed counters into the unit of work and forgets that they changed. */
    void flush(UnitOfWork uow) {
        for (String n : dirty) uow.putMeta(n, Long.toString(get(n)));
        dirty.clear();
    }
}
