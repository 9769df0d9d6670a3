package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * Numbers the engine keeps so that metrics need no scan of the state.
 * <ul>
 *   <li>Gauges: pairs pending per (rule, side) and open discrepancies per (rule, type). Changed in step with pair
 *       state and persisted with it, in the same batch, as engine metadata; loaded back on start.</li>
 *   <li>Counters since start (Prometheus counters may reset): facts taken per (rule, side), and facts that matched
 *       a side's filter but had a blank key column and so could pair with nothing.</li>
 * </ul>
 * Owned by the engine thread; the counters since start are read by other threads.
 */
final class Counters {
    private static final String PREFIX = "count/";
    private final Map<String, Long> values = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    private final Map<String, java.util.concurrent.atomic.LongAdder> sinceStart =
            new java.util.concurrent.ConcurrentHashMap<>();

    static String facts(String rule, Side side) {
        return "facts/" + rule + "/" + side.label();
    }

    static String withoutKey(String rule, Side side) {
        return "without-key/" + rule + "/" + side.label();
    }

    void increment(String name) {
        sinceStart.computeIfAbsent(name, n -> new java.util.concurrent.atomic.LongAdder()).increment();
    }

    long sinceStart(String name) {
        var a = sinceStart.get(name);
        return a == null ? 0 : a.sum();
    }

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
