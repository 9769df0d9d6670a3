package dev.reconciler.core.testing;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.match.CounterpartLookup;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Drives the engine the way Kafka's TopologyTestDriver drives a topology: feed facts with event times, move
 * watermarks and the wall clock by hand, and read back exactly the outcomes each step produced.
 *
 * <p>Positions are assigned per source in feeding order (like a binlog), so replaying a fact object fed earlier
 * replays it at its original position. The driver can be restarted on the same store to simulate a process
 * restart.
 */
public final class EngineTestDriver implements AutoCloseable {
    private EngineConfig config;
    private final Supplier<StateStore> reopen;
    private final ManualClock clock;
    private final Map<String, Long> positions = new HashMap<>();
    private final List<Outcome> history = new ArrayList<>();
    private StateStore store;
    private ReconciliationEngine engine;
    private CounterpartLookup lookup = CounterpartLookup.NONE;
    private CounterpartLookup.Policy lookupPolicy = CounterpartLookup.Policy.NONE;

    public EngineTestDriver(EngineConfig config) {
        this(config, new InMemoryStateStore(), null);
    }

    /**
     * @param reopen how to reopen the store after {@link #restart()} closed it; null for a store that cannot be
     *               reopened (restart then keeps the same open store)
     */
    public EngineTestDriver(EngineConfig config, StateStore store, Supplier<StateStore> reopen) {
        this.config = config;
        this.store = store;
        this.reopen = reopen;
        this.clock = new ManualClock(OrderInventory.T0);
        this.engine = new ReconciliationEngine(config, store, clock);
    }

    /** From now on (a new engine on the same state) verify before alert with this port and policy. */
    public EngineTestDriver verifyBeforeAlert(CounterpartLookup lookup, CounterpartLookup.Policy policy) {
        this.lookup = lookup;
        this.lookupPolicy = policy;
        this.engine = new ReconciliationEngine(config, store, clock, lookup, policy);
        return this;
    }

    /** Hands the engine a lookup's answer, as the pipeline does on the engine thread. */
    public List<Outcome> answer(CounterpartLookup.Answer answer) {
        return record(engine.recordLookup(answer));
    }

    /** RocksDB options for tests: an 8 MiB cache instead of the product's 256 MiB. */
    public static final RocksDbStateStore.Options SMALL_ROCKSDB =
            RocksDbStateStore.Options.defaults().withBlockCacheBytes(8L << 20);

    /** A driver over a RocksDB store in {@code dir} (small cache), which {@link #restart()} closes and reopens. */
    public static EngineTestDriver onRocksDb(EngineConfig config, Path dir) {
        return new EngineTestDriver(config, RocksDbStateStore.open(dir, SMALL_ROCKSDB),
                () -> RocksDbStateStore.open(dir, SMALL_ROCKSDB));
    }

    public ReconciliationEngine engine() {
        return engine;
    }

    public StateStore store() {
        return store;
    }

    public ManualClock clock() {
        return clock;
    }

    /** Everything the engine reported since the driver started. */
    public List<Outcome> history() {
        return List.copyOf(history);
    }

    /** Builds a fact at the next position of its source. */
    public Fact fact(String source, String table, Operation op, Map<String, Object> row,
                     Map<String, Object> before, Instant eventTime) {
        long pos = positions.merge(source, 1L, Long::sum);
        return OrderInventory.fact(source, table, op, row, before, eventTime, pos * 100);
    }

    public List<Outcome> pipe(Fact... facts) {
        return record(engine.apply(List.of(facts)));
    }

    public List<Outcome> pipe(List<Fact> facts) {
        return record(engine.apply(facts));
    }

    /** Inserts a row at the next position; returns this step's outcomes. */
    public List<Outcome> insert(String source, String table, Map<String, Object> row, Instant at) {
        return pipe(fact(source, table, Operation.INSERT, row, null, at));
    }

    public List<Outcome> update(String source, String table, Map<String, Object> before, Map<String, Object> after,
                                Instant at) {
        return pipe(fact(source, table, Operation.UPDATE, after, before, at));
    }

    public List<Outcome> delete(String source, String table, Map<String, Object> row, Instant at) {
        return pipe(fact(source, table, Operation.DELETE, row, null, at));
    }

    public List<Outcome> watermark(String source, Instant at) {
        return record(engine.advanceWatermark(source, at));
    }

    /** Moves every source's watermark (and the wall clock, so nothing looks stalled) to {@code at}. */
    public List<Outcome> watermarkAll(Instant at) {
        if (clock.instant().isBefore(at)) clock.set(at);
        List<Outcome> out = new ArrayList<>();
        for (String s : config.sources()) out.addAll(watermark(s, at));
        return out;
    }

    public List<Outcome> tick(Instant wallClock) {
        clock.set(wallClock);
        return record(engine.tick());
    }

    public List<Outcome> tick(Duration later) {
        return tick(clock.instant().plus(later));
    }

    /** Simulates a process restart: a new engine on the same state (reopened from disk when possible). */
    public void restart() {
        if (reopen != null) {
            store.close();
            store = reopen.get();
        }
        engine = new ReconciliationEngine(config, store, clock, lookup, lookupPolicy);
    }

    /** A restart with another configuration (an operator changed the file), on the same state. */
    public void restart(EngineConfig newConfig) {
        config = newConfig;
        restart();
    }

    public List<Discrepancy> discrepancies(Status status) {
        List<Discrepancy> out = new ArrayList<>();
        store.forEachDiscrepancy(d -> {
            if (status == null || d.status() == status) out.add(d);
        });
        return out;
    }

    private List<Outcome> record(List<Outcome> outcomes) {
        history.addAll(outcomes);
        return outcomes;
    }

    @Override
    public void close() {
        store.close();
    }
}
