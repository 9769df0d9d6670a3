package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.state.StateStoreException;
import dev.reconciler.core.state.StateWrite;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A torn or overwritten store file is found at open, with a message naming the directory, the file RocksDB
 * complains about and the way out; never a store that opens and answers from half its data.
 */
class RocksDbStateStoreCorruptionTest {
    private static final RocksDbStateStore.Options SMALL = RocksDbStateStore.Options.defaults()
            .withBlockCacheBytes(8L << 20).withWriteBufferBytes(1L << 20);

    /** A store with data in SST files (more than a memtable was written), closed. */
    private static void storeWithTables(Path dir) {
        String value = "v".repeat(1000);
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, SMALL, line -> { })) {
            for (int b = 0; b < 40; b++) {
                StateWrite w = new StateWrite();
                for (int i = 0; i < 100; i++) w.putMeta("k" + b + "-" + i, value);
                store.write(w);
            }
        }
    }

    private static Path largest(Path dir, String suffix) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(suffix)
                            || f.getFileName().toString().startsWith(suffix))
                    .max(Comparator.comparingLong(f -> f.toFile().length())).orElseThrow();
        }
    }

    private static void truncateToHalf(Path file) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
    }

    @Test
    void aTornTableFileIsRefusedAtOpenWithTheWayOut(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("store");
        storeWithTables(dir);
        Path sst = largest(dir, ".sst");
        truncateToHalf(sst);
        assertThatThrownBy(() -> RocksDbStateStore.open(dir, SMALL, line -> { }))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("corrupt")
                .hasMessageContaining(sst.getFileName().toString())
                .hasMessageContaining("restore");
    }

    @Test
    void anOverwrittenManifestIsRefusedAtOpenWithTheWayOut(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("store");
        storeWithTables(dir);
        // The manifest CURRENT names: an older one may still lie beside it, and garbage in that one harms nothing.
        Path manifest = dir.resolve(Files.readString(dir.resolve("CURRENT")).trim());
        try (RandomAccessFile f = new RandomAccessFile(manifest.toFile(), "rw")) {
            f.seek(f.length() / 3);
            f.write("garbage written over the file".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
        assertThatThrownBy(() -> RocksDbStateStore.open(dir, SMALL, line -> { }))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("corrupt")
                .hasMessageContaining("restore");
    }

    @Test
    void anOverwrittenCurrentFileIsRefusedAtOpenWithTheWayOut(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("store");
        storeWithTables(dir);
        Files.writeString(dir.resolve("CURRENT"), "garbage");
        assertThatThrownBy(() -> RocksDbStateStore.open(dir, SMALL, line -> { }))
                .isInstanceOf(StateStoreException.class)
                .hasMessageContaining(dir.toString())
                .hasMessageContaining("restore");
        assertThat(Files.readString(dir.resolve("CURRENT"))).as("the evidence is left as it was").isEqualTo("garbage");
    }
}
