package dev.reconciler.streams;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.state.EncodedImage;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateCodec;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.TimerEntry;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The core's {@link StateStore} on Kafka Streams key-value stores: one stream task's engine state, kept in
 * persistent RocksDB stores whose changes go to changelog topics, so a task moved to another instance is rebuilt
 * from them. Keys and values are the embedded store's ({@link StateCodec}), so both modes store the same bytes.
 *
 * <p>Five stores, like the embedded store's column families: pairs, the deadline index, discrepancies, the outcome
 * journal and meta (engine metadata and the {@link NameTable}'s names under {@value #NAME_PREFIX}). Atomicity: a
 * {@link StateWrite} is applied to the stores in one call on the task's thread; with exactly-once processing the
 * stores' changelog writes, the outcomes and the input offsets commit in one transaction, and a task that fails
 * between two commits is wiped and restored from the changelog, so a half-applied write is never seen after a
 * failure.
 *
 * <p>The outcome journal (every outcome but matches) is kept like the embedded store's, in a fifth store, so the
 * store meets the core's whole contract; the match processor trims it as soon as the outcomes are forwarded,
 * because the outcomes topic, written in the same transaction, is the distributed mode's journal.
 *
 * <p>Used by one stream thread only (the task's), like the task's stores; interactive queries read the Streams
 * stores themselves.
 */
public final class StreamsStateStore implements StateStore {
    public static final String PAIRS = "reconciler-pairs";
    public static final String TIMERS = "reconciler-timers";
    public static final String DISCREPANCIES = "reconciler-discrepancies";
    public static final String META = "reconciler-meta";
    public static final String JOURNAL = "reconciler-journal";
    static final String NAME_PREFIX = "name.";
    private static final String JOURNAL_SEQ = "journal.seq";
    private static final byte[] EMPTY = new byte[0];

    private final KeyValueStore<Bytes, byte[]> pairs;
    private final KeyValueStore<Bytes, byte[]> timers;
    private final KeyValueStore<Bytes, byte[]> discrepancies;
    private final KeyValueStore<Bytes, byte[]> meta;
    private final KeyValueStore<Bytes, byte[]> journal;
    private final NameTable names = new NameTable();
    private long journalSeq;
    /** Entries below this sequence number are trimmed. */
    private long journalFloor;
    private boolean closed;

    public StreamsStateStore(KeyValueStore<Bytes, byte[]> pairs, KeyValueStore<Bytes, byte[]> timers,
                             KeyValueStore<Bytes, byte[]> discrepancies, KeyValueStore<Bytes, byte[]> meta,
                             KeyValueStore<Bytes, byte[]> journal) {
        this.pairs = pairs;
        this.timers = timers;
        this.discrepancies = discrepancies;
        this.meta = meta;
        this.journal = journal;
        try (KeyValueIterator<Bytes, byte[]> it = meta.prefixScan(NAME_PREFIX, Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                String key = text(kv.key.get());
                names.load(Integer.parseInt(key.substring(NAME_PREFIX.length())), text(kv.value));
            }
        }
        journalSeq = meta(JOURNAL_SEQ).map(Long::parseLong).orElse(0L);
        // The oldest entry still in the journal (entries are appended with consecutive numbers and trimmed from
        // the oldest): trims delete from here, without scanning.
        try (KeyValueIterator<Bytes, byte[]> it = journal.all()) {
            journalFloor = it.hasNext() ? StateCodec.decodeJournalKey(it.next().key.get()) : journalSeq + 1;
        }
    }

    /** The five persistent, changelogged stores a match task needs. */
    public static List<StoreBuilder<KeyValueStore<Bytes, byte[]>>> storeBuilders() {
        return storeBuilders(true);
    }

    /** @param persistent false for in-memory stores (still changelogged): tests that need no RocksDB files */
    static List<StoreBuilder<KeyValueStore<Bytes, byte[]>>> storeBuilders(boolean persistent) {
        return List.of(builder(PAIRS, persistent), builder(TIMERS, persistent), builder(DISCREPANCIES, persistent),
                builder(META, persistent), builder(JOURNAL, persistent));
    }

    private static StoreBuilder<KeyValueStore<Bytes, byte[]>> builder(String name, boolean persistent) {
        // No record cache: the engine reads back what it wrote in the same batch, and the cache would only delay
        // the changelog writes that EOS commits anyway.
        return Stores.keyValueStoreBuilder(persistent ? Stores.persistentKeyValueStore(name)
                        : Stores.inMemoryKeyValueStore(name), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingDisabled();
    }

    @Override
    public Optional<PairState> pair(PairKey key) {
        open();
        byte[] v = pairs.get(Bytes.wrap(StateCodec.pairKey(key)));
        return v == null ? Optional.empty() : Optional.of(StateCodec.decodePair(key, v, names));
    }

    @Override
    public List<TimerEntry> dueTimers(String rule, Lane lane, Instant fromTime, Instant upTo, int limit) {
        open();
        byte[] from = fromTime == null ? StateCodec.lanePrefix(rule, lane) : StateCodec.timerLowerBound(rule, lane,
                fromTime);
        byte[] to = StateCodec.timerUpperBound(rule, lane, upTo);
        List<TimerEntry> out = new ArrayList<>();
        // Streams ranges include their upper end; the embedded store's bound excludes it.
        try (KeyValueIterator<Bytes, byte[]> it = timers.range(Bytes.wrap(from), Bytes.wrap(to))) {
            while (it.hasNext() && out.size() < limit) {
                byte[] k = it.next().key.get();
                if (Arrays.compareUnsigned(k, to) >= 0) break;
                out.add(StateCodec.decodeTimer(k));
            }
        }
        return out;
    }

    @Override
    public Optional<Discrepancy> discrepancy(String id) {
        open();
        byte[] v = discrepancies.get(Bytes.wrap(bytes(id)));
        return v == null ? Optional.empty() : Optional.of(StateCodec.decodeDiscrepancy(v, names));
    }

    @Override
    public void forEachDiscrepancyAfter(String afterId, Predicate<Discrepancy> visitor) {
        open();
        try (KeyValueIterator<Bytes, byte[]> it = afterId == null ? discrepancies.all()
                : discrepancies.range(Bytes.wrap(bytes(afterId)), null)) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                if (afterId != null && text(kv.key.get()).equals(afterId)) continue;
                if (!visitor.test(StateCodec.decodeDiscrepancy(kv.value, names))) break;
            }
        }
    }

    @Override
    public void forEachPair(String rule, Consumer<PairState> visitor) {
        open();
        try (KeyValueIterator<Bytes, byte[]> it = pairs.prefixScan(StateCodec.rulePrefix(rule),
                Serdes.ByteArray().serializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] k = kv.key.get();
                visitor.accept(StateCodec.decodePair(StateCodec.decodePairKey(k), kv.value, names));
            }
        }
    }

    @Override
    public Optional<String> meta(String name) {
        open();
        byte[] v = meta.get(Bytes.wrap(bytes(name)));
        return v == null ? Optional.empty() : Optional.of(text(v));
    }

    @Override
    public EncodedImage encode(RowImage image) {
        open();
        return StateCodec.encodeImage(image, names);
    }

    @Override
    public void write(StateWrite write) {
        open();
        long seq = journalSeq;
        java.util.Map<dev.reconciler.core.discrepancy.Discrepancy, byte[]> stored = new java.util.IdentityHashMap<>();
        for (StateWrite.Op op : write.ops()) {
            if (op instanceof StateWrite.PutPair p) {
                pairs.put(Bytes.wrap(StateCodec.pairKey(p.state().key())), StateCodec.encode(p.state(), names));
            } else if (op instanceof StateWrite.DeletePair d) {
                pairs.delete(Bytes.wrap(StateCodec.pairKey(d.key())));
            } else if (op instanceof StateWrite.PutTimer t) {
                timers.put(Bytes.wrap(StateCodec.timerKey(t.timer())), EMPTY);
            } else if (op instanceof StateWrite.DeleteTimer t) {
                timers.delete(Bytes.wrap(StateCodec.timerKey(t.timer())));
            } else if (op instanceof StateWrite.PutDiscrepancy d) {
                byte[] value = StateCodec.encode(d.discrepancy(), names);
                stored.put(d.discrepancy(), value);
                discrepancies.put(Bytes.wrap(bytes(d.discrepancy().id())), value);
            } else if (op instanceof StateWrite.DeleteDiscrepancy d) {
                discrepancies.delete(Bytes.wrap(bytes(d.id())));
            } else if (op instanceof StateWrite.PutMeta m) {
                if (m.value() == null) meta.delete(Bytes.wrap(bytes(m.name())));
                else meta.put(Bytes.wrap(bytes(m.name())), bytes(m.value()));
            } else if (op instanceof StateWrite.AppendJournal j) {
                journal.put(Bytes.wrap(StateCodec.journalKey(++seq)), StateCodec.encodeJournal(j.outcome(), names,
                        dd -> stored.computeIfAbsent(dd, x -> StateCodec.encode(x, names))));
            } else {
                throw new IllegalArgumentException("unknown state operation " + op);
            }
        }
        // Names first assigned while encoding this write are stored with it, so no value outlives its names.
        int upTo = names.forEachUnpersisted((id, name) -> meta.put(Bytes.wrap(bytes(NAME_PREFIX + id)), bytes(name)));
        names.markPersisted(upTo);
        if (seq != journalSeq) {
            meta.put(Bytes.wrap(bytes(JOURNAL_SEQ)), bytes(Long.toString(seq)));
            journalSeq = seq;
        }
    }

    @Override
    public long journalSeq() {
        open();
        return journalSeq;
    }

    @Override
    public List<JournalEntry> journal(long fromSeq, int limit) {
        open();
        List<JournalEntry> out = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = journal.range(Bytes.wrap(StateCodec.journalKey(Math.max(fromSeq,
                0))), null)) {
            while (it.hasNext() && out.size() < limit) {
                KeyValue<Bytes, byte[]> kv = it.next();
                out.add(StateCodec.decodeJournal(StateCodec.decodeJournalKey(kv.key.get()), kv.value, names));
            }
        }
        return out;
    }

    @Override
    public void trimJournal(long upToSeq) {
        open();
        // Point deletes of the entries appended since the last trim, no range scan: the match processor trims
        // after every batch of outcomes, and each Streams store iterator registers (and then removes) an
        // open-iterator gauge, a JMX re-registration that cost more than the rest of a fact's processing
        // (docs/scale-out.md, "Benchmark"). A put of null deletes without reading the old value first.
        long last = Math.min(upToSeq, journalSeq);
        for (long seq = journalFloor; seq <= last; seq++) journal.put(Bytes.wrap(StateCodec.journalKey(seq)), null);
        journalFloor = Math.max(journalFloor, last + 1);
    }

    /** The stores belong to Kafka Streams, which closes them; this only stops further use. */
    @Override
    public void close() {
        closed = true;
    }

    private void open() {
        if (closed) throw new IllegalStateException("the streams state store of this task is closed");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}
