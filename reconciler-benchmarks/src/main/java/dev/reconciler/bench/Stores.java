package dev.reconciler.bench;

import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** The stores a benchmark compares, by the name its {@code store} parameter uses, and their directories. */
final class Stores {
    static final String ROCKSDB = "rocksdb";
    static final String MEMORY = "memory";

    private Stores() {
    }

    /** Opens an empty store; {@code dir} is used only by a store on disk and must not hold one already. */
    static StateStore open(String kind, Path dir) {
        return switch (kind) {
            case ROCKSDB -> RocksDbStateStore.open(dir, RocksDbStateStore.Options.defaults());
            case MEMORY -> new InMemoryStateStore();
            default -> throw new IllegalArgumentException("unknown store '" + kind + "'; use rocksdb or memory");
        };
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes a directory tree; nothing if it does not exist. */
    static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    /** Bytes of all regular files under {@code dir}. */
    static long size(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            return paths.filter(Files::isRegularFile).mapToLong(p -> {
                try {
                    return Files.size(p);
                } catch (IOException e) {
                    return 0;   // a file compaction removed meanwhile
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot measure " + dir, e);
        }
    }
}
