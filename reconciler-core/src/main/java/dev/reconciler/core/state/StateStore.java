package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;

import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Where the engine keeps everything: pair state by {@link PairKey}, the deadline index, discrepancies and engine
 * metadata. Writes come only as atomic {@link StateWrite} batches from the engine (the one writer); reads may come
 * from other threads (the API) and see the last committed batch.
 *
 * <p>Implementations: {@link InMemoryStateStore} (tests, baseline) and
 * {@code dev.reconciler.core.state.rocksdb.RocksDbStateStore} (the product). Both pass one contract test suite.
 * Every method but {@link #close()} throws {@link IllegalStateException} naming the store once it is closed.
 */
public interface StateStore extends AutoCloseable {

    Optional<PairState> pair(PairKey key);

    /**
     * Up to {@code limit} entries of one lane of one rule whose time is at or before {@code upTo}, earliest first.
     * Stops at the first entry not yet due.
     */
    List<TimerEntry> dueTimers(String rule, Lane lane, java.time.Instant upTo, int limit);

    Optional<Discrepancy> discrepancy(String id);

    /** Visits every stored discrepancy (open and resolved) in id order. */
    void forEachDiscrepancy(Consumer<Discrepancy> visitor);

    /** Visits every pair of one rule in key order. */
    void forEachPair(String rule, Consumer<PairState> visitor);

    Optional<String> meta(String name);

    /** Applies all changes atomically, in order. */
    void write(StateWrite write);

    /** Idempotent: a second call does nothing. */
    @Override
    void close();
}
