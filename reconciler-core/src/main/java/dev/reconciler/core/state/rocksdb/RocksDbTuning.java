package dev.reconciler.core.state.rocksdb;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

import java.util.ArrayList;
import java.util.List;

/**
 * The native objects a store's db is configured with, built from {@link RocksDbStateStore.Options}; they outlive
 * the db (and a reopen of it) and are released after it, by {@link #close()}.
 *
 * <p>Memory does not grow with the number of keys: all column families share one LRU block cache (data, index and
 * filter blocks), the memtables are charged to that cache through a {@link WriteBufferManager} that flushes once
 * they reach half of it, and each column family keeps at most two memtables.
 */
final class RocksDbTuning {
    private static final int MAX_WRITE_BUFFER_NUMBER = 2;

    private LRUCache cache;
    private BloomFilter bloom;
    private WriteBufferManager writeBufferManager;
    private DBOptions dbOptions;
    private final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
    private WriteOptions writeOptions;
    /** The column families in open order, for opening and reopening the db. */
    private List<ColumnFamilyDescriptor> descriptors;

    private RocksDbTuning() {
    }

    /** Builds every native object; if one fails, those built before it are released. */
    static RocksDbTuning create(RocksDbStateStore.Options options) {
        RocksDbTuning t = new RocksDbTuning();
        try {
            t.configure(options);
            return t;
        } catch (RuntimeException | Error e) {
            t.close();
            throw e;
        }
    }

    private void configure(RocksDbStateStore.Options options) {
        // Few shards: with RocksDB's automatic choice a small cache is split into 1 MiB shards that cannot hold an
        // index block, which is then evicted as soon as it is read (measured: reads 160 µs instead of 9 µs).
        int shardBits = (int) Math.max(0, Math.min(4, 63 - Long.numberOfLeadingZeros(options.blockCacheBytes() >> 24)));
        cache = new LRUCache(options.blockCacheBytes(), shardBits, false, 0.1);
        bloom = new BloomFilter(10.0);
        // Memtables of all column families are charged to the block cache and flushed at half of it.
        writeBufferManager = new WriteBufferManager(Math.max(1, options.blockCacheBytes() / 2), cache);
        dbOptions = new DBOptions()
                .setCreateIfMissing(true)
                .setCreateMissingColumnFamilies(true)
                .setWriteBufferManager(writeBufferManager)
                // With several column families the WAL is kept until every one of them has flushed; a rarely
                // written one (meta) would pin it forever without this cap, which forces those flushes.
                .setMaxTotalWalSize(4 * options.writeBufferBytes())
                .setKeepLogFileNum(5)
                .setMaxLogFileSize(16L * 1024 * 1024)
                .setMaxBackgroundJobs(2)
                .setBytesPerSync(1L << 20);
        writeOptions = new WriteOptions().setSync(options.syncWrites());

        // Pairs take nearly all writes and every read; the deadline index a quarter of the writes; the rest
        // little. Small column families get small memtables so they do not hold the write buffer budget.
        long small = Math.max(1L << 20, options.writeBufferBytes() / 16);
        descriptors = ColumnFamilies.descriptors(name -> switch (name) {
            case ColumnFamilies.PAIRS -> cfOptions(options.writeBufferBytes(), true);
            case ColumnFamilies.TIMERS -> cfOptions(options.writeBufferBytes() / 2, false);
            default -> cfOptions(small, false);
        });
    }

    private ColumnFamilyOptions cfOptions(long writeBufferBytes, boolean pointReads) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(cache)
                .setCacheIndexAndFilterBlocks(true)
                .setCacheIndexAndFilterBlocksWithHighPriority(true)
                .setPinL0FilterAndIndexBlocksInCache(true);
        ColumnFamilyOptions o = new ColumnFamilyOptions();
        cfOptions.add(o);
        if (pointReads) {
            // Most reads of a flash sale are for keys never seen (a new order): a bloom filter answers them
            // without touching data blocks, and a memtable bloom filter without walking the memtable.
            table.setFilterPolicy(bloom);
            o.setMemtablePrefixBloomSizeRatio(0.05).setMemtableWholeKeyFiltering(true);
        }
        return o.setWriteBufferSize(writeBufferBytes)
                .setMaxWriteBufferNumber(MAX_WRITE_BUFFER_NUMBER)
                // Level 0 and 1 are rewritten soon: not worth compressing; LZ4 below that (cheap to decode).
                .setCompressionPerLevel(List.of(CompressionType.NO_COMPRESSION, CompressionType.NO_COMPRESSION,
                        CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION,
                        CompressionType.LZ4_COMPRESSION, CompressionType.LZ4_COMPRESSION,
                        CompressionType.LZ4_COMPRESSION))
                .setLevelCompactionDynamicLevelBytes(true)
                .setTableFormatConfig(table);
    }

    DBOptions dbOptions() {
        return dbOptions;
    }

    WriteOptions writeOptions() {
        return writeOptions;
    }

    /** The column families in {@link ColumnFamilies#ORDER}, with their options. */
    List<ColumnFamilyDescriptor> descriptors() {
        return descriptors;
    }

    /**
     * Releases everything; only after the db that uses it is closed. Order: write options, column family and db
     * options, then the write buffer manager, the cache and the filter they point to.
     */
    void close() {
        closeQuietly(writeOptions);
        for (ColumnFamilyOptions o : cfOptions) closeQuietly(o);
        closeQuietly(dbOptions);
        closeQuietly(writeBufferManager);
        closeQuietly(cache);
        closeQuietly(bloom);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (Exception ignored) {
            // RocksObject.close() does not throw; nothing useful to do if it did.
        }
    }
}
