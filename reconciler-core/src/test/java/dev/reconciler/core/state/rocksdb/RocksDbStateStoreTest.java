package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateCodec;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateStoreContract;
import dev.reconciler.core.state.StateStoreException;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.StoredRow;
import dev.reconciler.core.state.TimerEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The RocksDB store against the shared contract (durable: reopen is close + open), plus what is RocksDB's own. */
class RocksDbStateStoreTest extends StateStoreContract {

    /** Small memtables so that the larger tests flush and read from SST files, not only from memtables. */
    private static final RocksDbStateStore.Options TEST_OPTIONS = RocksDbStateStore.Options.defaults()
            .withBlockCacheBytes(8L * 1024 * 1024)
            .withWriteBufferBytes(512L * 1024);

    private static Path stateDir(Path dir) {
        return dir.resolve("state"); // does not exist yet: open creates it
    }

    @Override
    protected StateStore newStore(Path dir) {
        return RocksDbStateStore.open(stateDir(dir), TEST_OPTIONS);
    }

    @Override
    protected StateStore reopen(StateStore old, Path dir) {
        old.close();
        return RocksDbStateStore.open(stateDir(dir), TEST_OPTIONS);
    }

    @Override
    protected boolean durable() {
        return true;
    }

    private RocksDbStateStore rocks() {
        return (RocksDbStateStore) store;
    }

    // ---------------------------------------------------------------- open and close

    @Test
    void optionsHaveBoundedDefaultsAndRejectNonsense() {
        RocksDbStateStore.Options d = RocksDbStateStore.Options.defaults();
        assertThat(d.blockCacheBytes()).isEqualTo(256L * 1024 * 1024);
        assertThat(d.writeBufferBytes()).isEqualTo(64L * 1024 * 1024);
        assertThat(d.syncWrites()).isFalse();
        assertThatThrownBy(() -> new RocksDbStateStore.Options(0, 1, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blockCacheBytes");
        assertThatThrownBy(() -> d.withWriteBufferBytes(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("writeBufferBytes");
    }

    @Test
    void createsItsDirectoryAndReportsIt() {
        assertThat(rocks().directory()).isEqualTo(stateDir(dir).toAbsolutePath().normalize());
        assertThat(rocks().directory()).isDirectory();
        Path nested = dir.resolve("a/b/c");
        try (RocksDbStateStore s = RocksDbStateStore.open(nested, TEST_OPTIONS)) {
            assertThat(nested).isDirectory();
            assertThat(s.directory()).isEqualTo(nested.toAbsolutePath());
        }
    }

    @Test
    void aSecondStoreOnTheSameDirectoryFailsNamingTheDirAndTheFix() {
        Path d = stateDir(dir);
        write(new StateWrite().putMeta("m", "v"));

        assertThatThrownBy(() -> RocksDbStateStore.open(d, TEST_OPTIONS))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining(d.toString())
                .hasMessageContaining("another reconciler process holds the lock")
                .hasMessageContaining("stop it or point state.dir elsewhere");

        // the first store is unaffected, and once it is closed the directory opens again
        assertThat(store.meta("m")).contains("v");
        store.close();
        try (RocksDbStateStore again = RocksDbStateStore.open(d, TEST_OPTIONS)) {
            assertThat(again.meta("m")).contains("v");
        }
    }

    @Test
    void openingAFileInsteadOfADirectoryFailsNamingIt() throws IOException {
        Path file = Files.createFile(dir.resolve("not-a-dir"));
        assertThatThrownBy(() -> RocksDbStateStore.open(file, TEST_OPTIONS))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining(file.toString());
    }

    @Test
    void closedMessageNamesTheDirectory() {
        store.close();
        assertThatThrownBy(() -> store.meta("m"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("RocksDB state store at " + stateDir(dir) + " is closed");
        assertThatThrownBy(() -> rocks().approximateSizeBytes()).isInstanceOf(IllegalStateException.class);
        assertThat(rocks().directory()).isEqualTo(stateDir(dir));
    }

    @Test
    void closingFromInsideAVisitorIsRefused() {
        write(new StateWrite().putPair(PairState.empty(key("sale", "O1"), T0)));
        assertThatThrownBy(() -> store.forEachPair("sale", p -> store.close()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("visitor");
        assertThat(store.pair(key("sale", "O1"))).isPresent();
    }

    @Test
    void syncedWritesSurviveReopen() {
        Path d = dir.resolve("synced");
        RocksDbStateStore.Options synced = TEST_OPTIONS.withSyncWrites(true);
        try (RocksDbStateStore s = RocksDbStateStore.open(d, synced)) {
            s.write(new StateWrite().putPair(richPair(key("sale", "O1"))).putMeta("m", "v"));
        }
        try (RocksDbStateStore s = RocksDbStateStore.open(d, synced)) {
            assertThat(s.pair(key("sale", "O1"))).contains(richPair(key("sale", "O1")));
            assertThat(s.meta("m")).contains("v");
        }
    }

    // ---------------------------------------------------------------- volume

    private static PairKey bulkKey(int i) {
        return key("sale", "O" + i, Integer.toString(i % 7));
    }

    private static PairState bulkPair(int i) {
        PairKey k = bulkKey(i);
        StoredRow row = new StoredRow(Side.LEFT, image("orders", Integer.toString(i), T0.plusMillis(i),
                new SourcePosition("mysql-bin.000001", 1000L + i, 0),
                columns("order_no", "O" + i, "qty", Integer.toString(i % 13), "sku", "SKU-" + (i % 101))),
                T0.plusMillis(i), true);
        return new PairState(k, List.of(row), Set.of(), Map.of(), false, null, T0.plusMillis(i), null,
                T0.plusMillis(i));
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void fiftyThousandPairsInBatchesReadBackScanAndSurviveReopen() throws IOException {
        int n = 50_000;
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) order.add(i);
        Collections.shuffle(order, new Random(42));
        for (int from = 0; from < n; from += 1000) {
            StateWrite w = new StateWrite();
            for (int i : order.subList(from, from + 1000)) {
                w.putPair(bulkPair(i)).putTimer(new TimerEntry(Lane.WAIT_RIGHT, T0.plusMillis(i), bulkKey(i)));
            }
            write(w);
        }
        assertThat(rocks().approximateSizeBytes()).isPositive();
        try (var files = Files.list(rocks().directory())) {
            assertThat(files.map(Path::toString)).as("memtables were flushed to SST files")
                    .anyMatch(f -> f.endsWith(".sst"));
        }

        assertBulk(n);
        reopenStore();
        assertBulk(n);
        assertThat(rocks().approximateSizeBytes()).isPositive();

        // expire the first thousand the way the engine would: scan due, delete pair and timer in one batch each
        List<TimerEntry> due = store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusMillis(999), 250);
        int expired = 0;
        while (!due.isEmpty()) {
            StateWrite w = new StateWrite();
            for (TimerEntry t : due) w.deleteTimer(t).deletePair(t.pair());
            write(w);
            expired += due.size();
            due = store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusMillis(999), 250);
        }
        assertThat(expired).isEqualTo(1000);
        assertThat(store.pair(bulkKey(0))).isEmpty();
        assertThat(store.pair(bulkKey(1000))).contains(bulkPair(1000));
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusMillis(1000), 10))
                .containsExactly(new TimerEntry(Lane.WAIT_RIGHT, T0.plusMillis(1000), bulkKey(1000)));
    }

    private void assertBulk(int n) {
        for (int i = 0; i < n; i += 997) {
            assertThat(store.pair(bulkKey(i))).as("pair %d", i).contains(bulkPair(i));
        }
        assertThat(store.pair(key("sale", "O" + n, "0"))).isEmpty();

        int[] count = {0};
        byte[][] previous = {null};
        store.forEachPair("sale", p -> {
            byte[] k = StateCodec.pairKey(p.key());
            if (previous[0] != null) assertThat(Arrays.compareUnsigned(previous[0], k)).isNegative();
            previous[0] = k;
            count[0]++;
        });
        assertThat(count[0]).isEqualTo(n);

        List<TimerEntry> due = store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusMillis(9_999), 20_000);
        assertThat(due).hasSize(10_000);
        for (int i = 0; i < due.size(); i++) {
            assertThat(due.get(i)).isEqualTo(new TimerEntry(Lane.WAIT_RIGHT, T0.plusMillis(i), bulkKey(i)));
        }
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusMillis(9_999), 100))
                .containsExactlyElementsOf(due.subList(0, 100));
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, T0.plusMillis(n), 10)).isEmpty();
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void concurrentScansSeeWholeBatches() throws Exception {
        int perBatch = 20;
        int batches = 300;
        AtomicBoolean done = new AtomicBoolean();
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try {
                for (int b = 1; b <= batches; b++) {
                    StateWrite w = new StateWrite();
                    for (int i = 0; i < perBatch; i++) w.putPair(PairState.empty(key("atomic", "k" + i), T0.plusSeconds(b)));
                    w.putMeta("version", Integer.toString(b));
                    store.write(w);
                }
            } finally {
                done.set(true);
            }
        });
        int scans = 0;
        while (!done.get() || scans == 0) {
            List<Instant> seen = new ArrayList<>();
            store.forEachPair("atomic", p -> seen.add(p.lastEventTime()));
            if (!seen.isEmpty()) {
                assertThat(seen).hasSize(perBatch);
                assertThat(Set.copyOf(seen)).as("one scan sees one batch").hasSize(1);
            }
            scans++;
        }
        writer.get();
        assertThat(store.meta("version")).contains(Integer.toString(batches));
        assertThat(scans).isPositive();
    }
}
