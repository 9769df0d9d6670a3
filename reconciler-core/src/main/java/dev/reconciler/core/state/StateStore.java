package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;

import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Where the engine keeps everything: pair state by {@link PairKey}, the deadline index, discrepancies and engine
 * metadata, and the journal of outcomes ({@link JournalEntry}). Writes come as atomic {@link StateWrite} batches
 * from the engine (the one writer of everything it reads); the journal's consumers write only their own metadata
 * (cursors) and trim the journal, from their own threads. Stores serialise batches, so that is safe. Reads may
 * come from other threads (the API) and see the last committed batch.
 *
 * <p>Implementations: {@link InMemoryStateStore} (tests, baseline) and
 * {@code dev.reconciler.core.state.rocksdb.RocksDbStateStore} (the product). Both pass one contract test suite.
 * Every method but {@link #close()} throws {@link IllegalStateException} naming the store once it is closed.
 */
public interface StateStore extends AutoCloseable {

    Optional<PairState> pair(PairKey key);

    /**
     * The stored states of several pairs at once (absent keys are left out). The engine reads every pair a batch
     * of facts touches with one call, which a store can serve with one round trip (RocksDB {@code multiGet}).
     */
    default Map<PairKey, PairState> pairs(Collection<PairKey> keys) {
        Map<PairKey, PairState> out = new HashMap<>();
        for (PairKey k : keys) pair(k).ifPresent(s -> out.put(k, s));
        return out;
    }

    /**
     * Up to {@code limit} entries of one lane of one rule whose time is in {@code [from, upTo]}, earliest first.
     * Stops at the first entry not yet due. {@code from} may be null (the start of the lane); the engine passes the
     * time up to which it already handled the lane, so a scan does not wade through entries deleted before it.
     */
    List<TimerEntry> dueTimers(String rule, Lane lane, Instant from, Instant upTo, int limit);

    /** {@link #dueTimers(String, Lane, Instant, Instant, int)} from the start of the lane. */
    default List<TimerEntry> dueTimers(String rule, Lane lane, Instant upTo, int limit) {
        return dueTimers(rule, lane, null, upTo, limit);
    }

    Optional<Discrepancy> discrepancy(String id);

    /** Visits every stored discrepancy (open and resolved) in id order. */
    default void forEachDiscrepancy(Consumer<Discrepancy> visitor) {
        forEachDiscrepancyAfter(null, d -> {
            visitor.accept(d);
            return true;
        });
    }

    /**
     * Visits stored discrepancies in id order, starting after {@code afterId} (at the first when null), until the
     * visitor returns false. Paging (the HTTP API) reads a page, not everything before it.
     */
    void forEachDiscrepancyAfter(String afterId, Predicate<Discrepancy> visitor);

    /** Visits every pair of one rule in key order. */
    void forEachPair(String rule, Consumer<PairState> visitor);

    Optional<String> meta(String name);

    /**
     * The image in this store's value format, or null when the store keeps objects. Safe from any thread: the
     * engine encodes each fact's image while it prepares the fact ({@code ReconciliationEngine.prepare}, on the
     * source's thread), and the store copies the bytes into every value of the row's pair instead of encoding the
     * row again on the engine thread.
     */
    default EncodedImage encode(dev.reconciler.core.fact.RowImage image) {
        return null;
    }

    /**
     * Applies all changes atomically, in order.
     *
     * @throws StateUnwritableException if the store's directory takes no writes (disk full, read-only file
     *                                  system, I/O error); nothing of the write is stored
     */
    void write(StateWrite write);

    /**
     * Checks that the store takes writes again after a {@link StateUnwritableException}: clears the store's own
     * error state where it has one and writes a small marker. Returns normally when a write would succeed.
     *
     * @throws StateUnwritableException if it still does not
     */
    default void probeWritable() {
    }

    // ---------------------------------------------------------------- outcome journal (see JournalEntry)

    /**
     * The sequence number of the last entry appended to the outcome journal, 0 if none ever was. It survives
     * {@link #trimJournal trims} and (in a durable store) reopening: numbers are never reused.
     */
    long journalSeq();

    /** Up to {@code limit} journal entries with a sequence number of at least {@code fromSeq}, in sequence order. */
    List<JournalEntry> journal(long fromSeq, int limit);

    /**
     * Deletes the journal entries with a sequence number up to {@code upToSeq} (inclusive); the counter stays.
     * May be called from any thread (the journal's consumers trim it).
     */
    void trimJournal(long upToSeq);

    /** Idempotent: a second call does nothing. */
    @Override
    void close();
}
