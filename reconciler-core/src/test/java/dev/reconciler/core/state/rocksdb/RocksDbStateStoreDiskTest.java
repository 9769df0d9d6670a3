package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.state.StateUnwritableException;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The store on a file system that fills up or turns read-only: a clear error, nothing torn, and recovery. */
class RocksDbStateStoreDiskTest {
    private static final RocksDbStateStore.Options SMALL = RocksDbStateStore.Options.defaults()
            .withBlockCacheBytes(8L << 20).withWriteBufferBytes(1L << 20);
    private static final String VALUE = "x".repeat(2000);

    @Test
    void aFullDiskFailsWritesWithTheCauseAndTheStoreTakesWritesAgainOnceSpaceReturns() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.tmpfs(24)) {
            var dir = fs.path().resolve("store");
            List<Integer> stored = new ArrayList<>();
            try (RocksDbStateStore store = RocksDbStateStore.open(dir, SMALL, line -> { })) {
                fs.fill();
                StateUnwritableException failure = null;
                for (int i = 0; i < 100_000 && failure == null; i++) {
                    try {
                        store.write(new StateWrite().putMeta("k" + i, VALUE));
                        stored.add(i);
                    } catch (StateUnwritableException e) {
                        failure = e;
                    }
                }
                assertThat(failure).as("a write fails once the disk is full").isNotNull();
                assertThat(failure.reason()).isEqualTo("no space left on device");
                assertThat(failure.getMessage()).contains(dir.toString()).contains("free space");
                assertThatThrownBy(store::probeWritable).isInstanceOf(StateUnwritableException.class)
                        .hasMessageContaining("no space left on device");

                fs.free();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(store::probeWritable);
                store.write(new StateWrite().putMeta("after", "yes"));
                for (int i : stored) assertThat(store.meta("k" + i)).hasValue(VALUE);
            }
            try (RocksDbStateStore store = RocksDbStateStore.open(dir, SMALL, line -> { })) {
                for (int i : stored) assertThat(store.meta("k" + i)).hasValue(VALUE);
                assertThat(store.meta("after")).hasValue("yes");
            }
        }
    }

    @Test
    void aFileSystemTurnedReadOnlyFailsWritesWithTheCauseAndKeepsWhatWasStored() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.ext4(64)) {
            var dir = fs.path().resolve("store");
            RocksDbStateStore store = RocksDbStateStore.open(dir, SMALL, line -> { });
            try {
                for (int i = 0; i < 100; i++) store.write(new StateWrite().putMeta("k" + i, VALUE));
                fs.failReadOnly();
                assertThatThrownBy(() -> {
                    for (int i = 0; i < 10_000; i++) store.write(new StateWrite().putMeta("r" + i, VALUE));
                }).isInstanceOf(StateUnwritableException.class)
                        .hasMessageContaining(dir.toString()).hasMessageContaining("read-only file system");
                assertThatThrownBy(store::probeWritable).isInstanceOf(StateUnwritableException.class)
                        .hasMessageContaining("read-only file system");
                assertThat(store.meta("k99")).hasValue(VALUE);
            } finally {
                try {
                    store.close();
                } catch (RuntimeException closing) {
                    // syncing the WAL on a read-only file system fails; the handles are released anyway
                }
            }
        }
    }
}
