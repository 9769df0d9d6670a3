package dev.reconciler.app.config;

import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import java.nio.file.Path;

/**
 * Where and how the reconciler keeps its state: the RocksDB store (pairs, timers, discrepancies, watermarks) and,
 * beside it, each source's binlog offsets and schema history.
 *
 * @param dir             the state directory (relative paths are relative to the working directory)
 * @param cacheSize       the RocksDB block cache shared by all column families, memtables included (bytes)
 * @param writeBufferSize the memtable size of the pairs column family (bytes)
 * @param syncWrites      fsync the write-ahead log on every batch
 */
public record StateConfig(Path dir, long cacheSize, long writeBufferSize, boolean syncWrites) {
    public static final String DEFAULT_DIR = "state";

    public static StateConfig defaults() {
        RocksDbStateStore.Options o = RocksDbStateStore.Options.defaults();
        return new StateConfig(Path.of(DEFAULT_DIR), o.blockCacheBytes(), o.writeBufferBytes(), o.syncWrites());
    }

    public RocksDbStateStore.Options storeOptions() {
        return new RocksDbStateStore.Options(cacheSize, writeBufferSize, syncWrites);
    }

    /** The RocksDB directory inside the state directory. */
    public Path storeDir() {
        return dir.resolve("rocksdb");
    }
}
