package dev.reconciler.streams;

import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateStoreContract;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The core's store contract on {@link StreamsStateStore} over Kafka Streams' persistent (RocksDB) key-value stores,
 * reopened from their directory for the durability tests (a restored task reopens them the same way, after the
 * changelog has refilled them).
 */
class StreamsStateStoreTest extends StateStoreContract {
    private final List<KeyValueStore<Bytes, byte[]>> open = new ArrayList<>();

    @Override
    protected StateStore newStore(Path dir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reconciler-store-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(p,
                new org.apache.kafka.streams.processor.TaskId(0, 0), dir.toFile());
        closeStreamsStores();
        List<KeyValueStore<Bytes, byte[]>> stores = new ArrayList<>();
        for (String name : List.of(StreamsStateStore.PAIRS, StreamsStateStore.TIMERS,
                StreamsStateStore.DISCREPANCIES, StreamsStateStore.META, StreamsStateStore.JOURNAL)) {
            KeyValueStore<Bytes, byte[]> s = Stores.persistentKeyValueStore(name).get();
            s.init(context.getStateStoreContext(), s);
            stores.add(s);
        }
        open.addAll(stores);
        return new StreamsStateStore(stores.get(0), stores.get(1), stores.get(2), stores.get(3),
                stores.get(4));
    }

    @Override
    protected StateStore reopen(StateStore old, Path dir) {
        old.close();
        return newStore(dir);
    }

    @Override
    protected boolean durable() {
        return true;
    }

    private void closeStreamsStores() {
        open.forEach(KeyValueStore::close);
        open.clear();
    }

    /**
     * Trims delete by sequence number from the oldest entry still stored (no range scan): a reopened store finds
     * that entry again, so a trim after a partial trim and a reopen still removes exactly the older entries.
     */
    @org.junit.jupiter.api.Test
    void aTrimAfterAPartialTrimAndAReopenRemovesExactlyTheOlderEntries() {
        appendJournalFixture();
        store.trimJournal(2);
        reopenStore();
        store.trimJournal(3);
        org.assertj.core.api.Assertions.assertThat(wholeJournal())
                .extracting(dev.reconciler.core.state.JournalEntry::seq).containsExactly(4L, 5L);
        write(new dev.reconciler.core.state.StateWrite().appendJournal(journalFixture().get(0)));
        store.trimJournal(5);
        org.assertj.core.api.Assertions.assertThat(wholeJournal())
                .extracting(dev.reconciler.core.state.JournalEntry::seq).containsExactly(6L);
        reopenStore();
        store.trimJournal(6);
        org.assertj.core.api.Assertions.assertThat(wholeJournal()).isEmpty();
        org.assertj.core.api.Assertions.assertThat(store.journalSeq()).isEqualTo(6);
    }

    @org.junit.jupiter.api.AfterEach
    void closeAll() {
        closeStreamsStores();
    }
}
