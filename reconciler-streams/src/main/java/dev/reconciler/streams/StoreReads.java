package dev.reconciler.streams;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.StateCodec;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.function.Predicate;

/**
 * Reads of this instance's match-task stores through Kafka Streams' interactive queries, one facts partition at a
 * time (the partition's active task only: a standby may be behind). Safe from any thread.
 *
 * <p>Discrepancies are stored by id in each partition's store; a listing merges the partitions' stores in id order
 * (the embedded store's order), so its pages and cursors are the embedded mode's.
 *
 * <p>What a read sees: the store as the task wrote it, which under exactly-once may include the writes of a
 * transaction not yet committed (Kafka Streams' interactive queries read uncommitted state). Such a transaction is
 * committed within {@code commit.interval.ms} (100 ms) unless the task fails, in which case a discrepancy read here
 * may vanish and come back when the restored task processes the facts again.
 */
final class StoreReads {
    private final KafkaStreams streams;
    private final String factsTopic;

    StoreReads(KafkaStreams streams, String factsTopic) {
        this.streams = streams;
        this.factsTopic = factsTopic;
    }

    /** A partition whose store cannot be read here now (moved away, restoring, or the application not running). */
    static final class NotQueryable extends RuntimeException {
        final int partition;

        NotQueryable(int partition, String why) {
            super("partition " + partition + ": " + why, null, false, false);
            this.partition = partition;
        }
    }

    /** Throws {@link NotQueryable} unless the partition's stores answer a read here. */
    void probe(int partition) {
        store(partition, StreamsStateStore.META).approximateNumEntries();
    }

    Optional<Discrepancy> discrepancy(String id, Collection<Integer> partitions) {
        byte[] key = id.getBytes(StandardCharsets.UTF_8);
        for (int p : partitions) {
            byte[] v = store(p, StreamsStateStore.DISCREPANCIES).get(Bytes.wrap(key));
            if (v != null) return Optional.of(decode(p, v, names(p)));
        }
        return Optional.empty();
    }

    /**
     * Visits the partitions' discrepancies in id order after {@code afterId} (null: from the first), until the visitor
     * returns false: a merge of the partitions' stores, each read in its own key order.
     */
    void forEachDiscrepancyAfter(Collection<Integer> partitions, String afterId, Predicate<Discrepancy> visitor) {
        List<Cursor> open = new ArrayList<>();
        try {
            PriorityQueue<Cursor> heads = new PriorityQueue<>((a, b) -> Arrays.compareUnsigned(a.key, b.key));
            for (int p : partitions) {
                ReadOnlyKeyValueStore<Bytes, byte[]> s = store(p, StreamsStateStore.DISCREPANCIES);
                KeyValueIterator<Bytes, byte[]> it = afterId == null ? s.all()
                        : s.range(Bytes.wrap(afterId.getBytes(StandardCharsets.UTF_8)), null);
                // The names after the iterator: every name its values use is stored by then (names are written in
                // the same state write as the values, right after them).
                Cursor c = new Cursor(p, it, names(p));
                open.add(c);
                if (c.advance(afterId)) heads.add(c);
            }
            while (!heads.isEmpty()) {
                Cursor c = heads.poll();
                if (!visitor.test(decode(c.partition, c.value, c.names))) return;
                if (c.advance(afterId)) heads.add(c);
            }
        } catch (InvalidStateStoreException e) {
            throw new NotQueryable(-1, "the store went away during the read (" + e.getMessage() + ")");
        } finally {
            open.forEach(c -> c.it.close());
        }
    }

    private Discrepancy decode(int partition, byte[] value, NameTable names) {
        try {
            return StateCodec.decodeDiscrepancy(value, names);
        } catch (RuntimeException e) {
            // A name written a moment after the value that uses it: read the names again, once.
            return StateCodec.decodeDiscrepancy(value, names(partition));
        }
    }

    private NameTable names(int partition) {
        NameTable names = new NameTable();
        try (KeyValueIterator<Bytes, byte[]> it = store(partition, StreamsStateStore.META)
                .prefixScan(StreamsStateStore.NAME_PREFIX, Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                String key = new String(kv.key.get(), StandardCharsets.UTF_8);
                names.load(Integer.parseInt(key.substring(StreamsStateStore.NAME_PREFIX.length())),
                        new String(kv.value, StandardCharsets.UTF_8));
            }
        }
        return names;
    }

    private ReadOnlyKeyValueStore<Bytes, byte[]> store(int partition, String name) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(name,
                    QueryableStoreTypes.<Bytes, byte[]>keyValueStore()).withPartition(partition));
        } catch (InvalidStateStoreException e) {
            throw new NotQueryable(partition, "the stores of " + factsTopic + "-" + partition
                    + " cannot be read on this instance now (" + e.getMessage() + ")");
        }
    }

    /** One partition's iterator and its current record. */
    private static final class Cursor {
        final int partition;
        final KeyValueIterator<Bytes, byte[]> it;
        final NameTable names;
        byte[] key;
        byte[] value;

        Cursor(int partition, KeyValueIterator<Bytes, byte[]> it, NameTable names) {
            this.partition = partition;
            this.it = it;
            this.names = names;
        }

        /** Moves to the next record after {@code afterId} (a range starts at it, inclusive); false at the end. */
        boolean advance(String afterId) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                if (afterId != null && new String(kv.key.get(), StandardCharsets.UTF_8).equals(afterId)) continue;
                key = kv.key.get();
                value = kv.value;
                return true;
            }
            return false;
        }
    }
}
