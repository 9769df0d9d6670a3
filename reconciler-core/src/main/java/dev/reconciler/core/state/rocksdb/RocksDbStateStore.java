package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.state.EncodedImage;
import dev.reconciler.core.state.FormatVersion;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateCodec;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateStoreException;
import dev.reconciler.core.state.StateUnwritableException;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.TimerEntry;
import dev.reconciler.core.state.UnreadableValueException;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DBOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteBufferManager;
import org.rocksdb.WriteOptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The product's {@link StateStore}: RocksDB with one column family per kind of record.
 *
 * <ul>
 *   <li>{@code pairs}: {@link StateCodec#pairKey} → {@link StateCodec#encode(PairState)}, with a bloom filter for
 *       the engine's point lookups;</li>
 *   <li>{@code timers}: {@link StateCodec#timerKey} → empty; the entry is decoded from the key, and a due scan is
 *       a seek to the lane's prefix bounded above by {@link StateCodec#timerUpperBound};</li>
 *   <li>{@code discrepancies}: id (UTF-8) → {@link StateCodec#encode(Discrepancy)};</li>
 *   <li>{@code meta}: name → value, both UTF-8; among them the store's format ({@value StoreFormat#META_FORMAT},
 *       see {@link StoreFormat}: checked at open, an older store migrated in place, a newer one refused);</li>
 *   <li>{@code journal}: {@link StateCodec#journalKey} (big-endian sequence number) →
 *       {@link StateCodec#encodeJournal}; the last sequence number assigned is in {@code meta} under
 *       {@value #META_JOURNAL_SEQ}, written in the batch that appends, so trimming never resets it;</li>
 *   <li>{@code default}: unused, RocksDB requires it.</li>
 * </ul>
 *
 * <p>Memory does not grow with the number of keys: all column families share one LRU block cache (data, index and
 * filter blocks), the memtables are charged to that cache through a {@link WriteBufferManager} that flushes once
 * they reach half of it, and each column family keeps at most two memtables.
 *
 * <p>A {@link StateWrite} becomes one {@link WriteBatch}: atomic, applied in order, logged to the WAL before it is
 * acknowledged (fsync'ed per batch only with {@link Options#syncWrites()}; {@link #close()} syncs the WAL).
 *
 * <p>Threads: one writer, any number of concurrent readers (RocksDB handles that; an iterator sees the state as of
 * its creation). Every call holds a shared lock that {@link #close()} takes exclusively, so the native handles
 * are never released under a running read: close waits for it. Every call but {@link #close()},
 * {@link #directory()} and {@link #toString()} throws {@link IllegalStateException} once the store is closed, and
 * every {@link RocksDBException} surfaces as a {@link StateStoreException} naming the directory and the operation.
 */
public final class RocksDbStateStore implements StateStore {

    static {
        RocksDB.loadLibrary();
    }

    /**
     * Tuning of one store.
     *
     * @param blockCacheBytes  the one LRU cache shared by all column families; memtables are charged to it too, so
     *                         it is roughly the store's native memory budget (iterators may pin a few blocks
     *                         beyond it)
     * @param writeBufferBytes size of one memtable of one column family (at most two per column family, and all
     *                         together at most half of the cache before a flush is forced)
     * @param syncWrites       fsync the WAL on every batch; off by default: the WAL is written for every batch but a
     *                         machine crash (not a process crash) may lose the last acknowledged batches
     */
    public record Options(long blockCacheBytes, long writeBufferBytes, boolean syncWrites) {
        private static final long MIB = 1024L * 1024L;

        public Options {
            if (blockCacheBytes <= 0) {
                throw new IllegalArgumentException("blockCacheBytes must be positive, got " + blockCacheBytes);
            }
            if (writeBufferBytes <= 0) {
                throw new IllegalArgumentException("writeBufferBytes must be positive, got " + writeBufferBytes);
            }
        }

        /**
         * 256 MiB block cache (memtables included), 64 MiB memtables for pairs, WAL without fsync per batch. Larger
         * memtables mean fewer level-0 files, so fewer files to probe on every read of a pair.
         */
        public static Options defaults() {
            return new Options(256 * MIB, 64 * MIB, false);
        }

        public Options withBlockCacheBytes(long bytes) {
            return new Options(bytes, writeBufferBytes, syncWrites);
        }

        public Options withWriteBufferBytes(long bytes) {
            return new Options(blockCacheBytes, bytes, syncWrites);
        }

        public Options withSyncWrites(boolean sync) {
            return new Options(blockCacheBytes, writeBufferBytes, sync);
        }
    }

    private static final String CF_PAIRS = "pairs";
    private static final String CF_TIMERS = "timers";
    private static final String CF_DISCREPANCIES = "discrepancies";
    private static final String CF_META = "meta";
    private static final String CF_JOURNAL = "journal";
    private static final String META_JOURNAL_SEQ = "journal-seq";
    private static final int MAX_WRITE_BUFFER_NUMBER = 2;
    private static final byte[] EMPTY = new byte[0];

    private final Path dir;
    private RocksDB db;
    /**
     * All handles in open order: default, pairs, timers, discrepancies, meta, journal. The db and its handles are
     * replaced only by {@link #reopen()}, under the exclusive lifecycle lock; every other use holds the shared one.
     */
    private List<ColumnFamilyHandle> handles;
    private ColumnFamilyHandle pairs;
    private ColumnFamilyHandle timers;
    private ColumnFamilyHandle discrepancies;
    private ColumnFamilyHandle meta;
    private ColumnFamilyHandle journal;
    /** Column family ids, for batches built in their serialized form ({@link BatchRep}). */
    private final int cfPairs;
    private final int cfTimers;
    private final int cfDiscrepancies;
    private final int cfMeta;
    private final int cfJournal;
    /** The last journal sequence number committed; changed under {@link #writeLock} after the batch is written. */
    private volatile long journalSeq;
    /**
     * No journal entry below this is left (this process trimmed them): reads and trims seek here, past the
     * tombstones of trimmed entries. 0 after opening, until the first trim.
     */
    private volatile long journalFloor;
    private final WriteOptions writeOptions;
    private final boolean syncWrites;
    private final Natives natives;
    /** Names stored rows refer to by id; entries live in the meta column family under {@value #NAME_PREFIX}. */
    private final NameTable names = new NameTable();
    static final String NAME_PREFIX = "name-table/";
    /** One batch at a time: a batch must carry the names its values use before another batch can use them. */
    private final Object writeLock = new Object();

    /** Shared by every call, exclusive for {@link #close()}: native handles are never freed under a running call. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    private volatile boolean open = true;
    /** The store's format, {@link FormatVersion#CURRENT} once open. */
    private int format;

    /** Native objects the db was configured with; they outlive the db and are released after it. */
    private static final class Natives {
        LRUCache cache;
        BloomFilter bloom;
        WriteBufferManager writeBufferManager;
        DBOptions dbOptions;
        final List<ColumnFamilyOptions> cfOptions = new ArrayList<>();
        /** The column families in open order, for {@link #reopen()}. */
        List<ColumnFamilyDescriptor> descriptors;
        WriteOptions writeOptions;

        /** Options and write options, then the write buffer manager, the cache and the filter. */
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

    private RocksDbStateStore(Path dir, RocksDB db, List<ColumnFamilyHandle> handles, Natives natives,
                              boolean syncWrites) {
        this.dir = dir;
        attach(db, handles);
        this.cfPairs = pairs.getID();
        this.cfTimers = timers.getID();
        this.cfDiscrepancies = discrepancies.getID();
        this.cfMeta = meta.getID();
        this.cfJournal = journal.getID();
        this.natives = natives;
        this.writeOptions = natives.writeOptions;
        this.syncWrites = syncWrites;
        loadNames();
        try {
            byte[] seq = db.get(meta, bytes(META_JOURNAL_SEQ));
            journalSeq = seq == null ? 0 : Long.parseLong(new String(seq, StandardCharsets.UTF_8));
        } catch (RocksDBException e) {
            throw new StateStoreException("RocksDB state store at " + dir + ": read the journal sequence number failed: "
                    + e.getMessage(), e);
        }
    }

    private void attach(RocksDB db, List<ColumnFamilyHandle> handles) {
        this.db = db;
        this.handles = List.copyOf(handles);
        this.pairs = handles.get(1);
        this.timers = handles.get(2);
        this.discrepancies = handles.get(3);
        this.meta = handles.get(4);
        this.journal = handles.get(5);
    }

    private void loadNames() {
        byte[] prefix = bytes(NAME_PREFIX);
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                names.load(Integer.parseInt(key.substring(NAME_PREFIX.length())),
                        new String(it.value(), StandardCharsets.UTF_8));
            }
        }
    }

    /**
     * Opens the store in {@code dir} as {@link #open(Path, Options, Consumer)} does, logging format steps to the
     * JDK's platform logger.
     */
    public static RocksDbStateStore open(Path dir, Options options) {
        System.Logger logger = System.getLogger(RocksDbStateStore.class.getName());
        return open(dir, options, line -> logger.log(System.Logger.Level.INFO, line));
    }

    /**
     * Opens the store in {@code dir}, creating the directory, the database and missing column families as needed.
     * A new store is marked with this release's format; a store of an older format this release reads is migrated
     * in place first ({@link StoreFormat}); a store of a format it does not read is refused.
     *
     * @param log receives one line per format step (creation, each migration step with counts)
     * @throws StateStoreException if the directory cannot be created, RocksDB cannot open it (e.g. another
     *                             process holds its lock), or its format is not one this release reads; the
     *                             message names the directory and the way out
     */
    public static RocksDbStateStore open(Path dir, Options options, Consumer<String> log) {
        return open(dir, options, log, StoreFormat.Run.DEFAULT);
    }

    static RocksDbStateStore open(Path dir, Options options, Consumer<String> log, StoreFormat.Run run) {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(log, "log");
        Path abs = dir.toAbsolutePath().normalize();
        // RocksDB writes CURRENT when it creates a database: without it there is no store yet.
        boolean created = !Files.exists(abs.resolve("CURRENT"));
        try {
            Files.createDirectories(abs);
        } catch (IOException e) {
            throw new StateStoreException("cannot create the RocksDB state store directory " + abs + ": " + e
                    + "; make it writable or point state.dir elsewhere", e);
        }

        Natives n = new Natives();
        try {
            // Few shards: with RocksDB's automatic choice a small cache is split into 1 MiB shards that cannot hold an
            // index block, which is then evicted as soon as it is read (measured: reads 160 µs instead of 9 µs).
            int shardBits = (int) Math.max(0, Math.min(4, 63 - Long.numberOfLeadingZeros(options.blockCacheBytes() >> 24)));
            n.cache = new LRUCache(options.blockCacheBytes(), shardBits, false, 0.1);
            n.bloom = new BloomFilter(10.0);
            // Memtables of all column families are charged to the block cache and flushed at half of it.
            n.writeBufferManager = new WriteBufferManager(Math.max(1, options.blockCacheBytes() / 2), n.cache);
            n.dbOptions = new DBOptions()
                    .setCreateIfMissing(true)
                    .setCreateMissingColumnFamilies(true)
                    .setWriteBufferManager(n.writeBufferManager)
                    // With several column families the WAL is kept until every one of them has flushed; a rarely
                    // written one (meta) would pin it forever without this cap, which forces those flushes.
                    .setMaxTotalWalSize(4 * options.writeBufferBytes())
                    .setKeepLogFileNum(5)
                    .setMaxLogFileSize(16L * 1024 * 1024)
                    .setMaxBackgroundJobs(2)
                    .setBytesPerSync(1L << 20);
            n.writeOptions = new WriteOptions().setSync(options.syncWrites());

            // Pairs take nearly all writes and every read; the deadline index a quarter of the writes; the rest
            // little. Small column families get small memtables so they do not hold the write buffer budget.
            long small = Math.max(1L << 20, options.writeBufferBytes() / 16);
            List<ColumnFamilyDescriptor> descriptors = List.of(
                    new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions(n, small, false)),
                    new ColumnFamilyDescriptor(bytes(CF_PAIRS), cfOptions(n, options.writeBufferBytes(), true)),
                    new ColumnFamilyDescriptor(bytes(CF_TIMERS), cfOptions(n, options.writeBufferBytes() / 2, false)),
                    new ColumnFamilyDescriptor(bytes(CF_DISCREPANCIES), cfOptions(n, small, false)),
                    new ColumnFamilyDescriptor(bytes(CF_META), cfOptions(n, small, false)),
                    new ColumnFamilyDescriptor(bytes(CF_JOURNAL), cfOptions(n, small, false)));
            n.descriptors = descriptors;
            List<ColumnFamilyHandle> handles = new ArrayList<>(descriptors.size());
            RocksDB db = RocksDB.open(n.dbOptions, abs.toString(), descriptors, handles);
            RocksDbStateStore store;
            int recorded;
            try {
                // Before anything else is read: a newer layout is never decoded with this release's codecs.
                recorded = StoreFormat.checkReadable(abs, db, handles.get(4));
                store = new RocksDbStateStore(abs, db, handles, n, options.syncWrites());
            } catch (RocksDBException | RuntimeException | Error e) {
                for (ColumnFamilyHandle h : handles) h.close();
                db.close();
                throw e;
            }
            try {
                store.format = new StoreFormat(abs, db, store.meta, store.names, store.writeOptions, log)
                        .ensureCurrent(recorded, created, store.discrepancies, store.journal, run);
                return store;
            } catch (RocksDBException | RuntimeException | Error e) {
                try {
                    store.close();
                } catch (RuntimeException closing) {
                    e.addSuppressed(closing);
                }
                throw e;
            }
        } catch (RocksDBException e) {
            n.close();
            throw new StateStoreException(openFailure(abs, e), e);
        } catch (RuntimeException | Error e) {
            n.close();
            throw e;
        }
    }

    private static ColumnFamilyOptions cfOptions(Natives n, long writeBufferBytes, boolean pointReads) {
        BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(n.cache)
                .setCacheIndexAndFilterBlocks(true)
                .setCacheIndexAndFilterBlocksWithHighPriority(true)
                .setPinL0FilterAndIndexBlocksInCache(true);
        ColumnFamilyOptions o = new ColumnFamilyOptions();
        n.cfOptions.add(o);
        if (pointReads) {
            // Most reads of a flash sale are for keys never seen (a new order): a bloom filter answers them
            // without touching data blocks, and a memtable bloom filter without walking the memtable.
            table.setFilterPolicy(n.bloom);
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

    private static String openFailure(Path dir, RocksDBException e) {
        String rocks = e.getMessage();
        Status status = e.getStatus();
        Status.Code code = status == null ? null : status.getCode();
        String lower = rocks == null ? "" : rocks.toLowerCase(Locale.ROOT);
        String prefix = "cannot open the RocksDB state store at " + dir + ": ";
        if (lower.contains("lock")) {
            return prefix + "another reconciler process holds the lock on " + dir
                    + ": stop it or point state.dir elsewhere (RocksDB: " + rocks + ")";
        }
        if (code == Status.Code.Corruption) {
            return prefix + "the store is corrupt (RocksDB: " + rocks + "); nothing was changed. Ways out: restore"
                    + " the whole state.dir (the store and sources/ with the binlog offsets) from a backup taken while"
                    + " the reconciler was stopped; or move the whole state.dir aside (keep it for analysis) and start"
                    + " with an empty one: the sources then read what their snapshot settings say (snapshotLookback),"
                    + " and discrepancies, acknowledgements and pairs older than that are forgotten";
        }
        if (lower.contains("column famil")) {
            return prefix + "it was written by a different release with other column families (RocksDB: " + rocks
                    + "); run that release, or start with an empty state.dir";
        }
        return prefix + rocks + "; check that the directory is writable and the disk is not full";
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<PairState> pair(PairKey key) {
        Objects.requireNonNull(key, "key");
        return call("read pair", key, () -> {
            byte[] v = db.get(pairs, StateCodec.pairKey(key));
            return v == null ? Optional.empty() : Optional.of(StateCodec.decodePair(key, v, names));
        });
    }

    @Override
    public Map<PairKey, PairState> pairs(Collection<PairKey> keys) {
        Objects.requireNonNull(keys, "keys");
        if (keys.isEmpty()) return Map.of();
        return call("read pairs", keys.size() + " keys", () -> {
            List<PairKey> ordered = new ArrayList<>(keys);
            List<byte[]> raw = new ArrayList<>(ordered.size());
            List<ColumnFamilyHandle> cfs = new ArrayList<>(ordered.size());
            for (PairKey k : ordered) {
                raw.add(StateCodec.pairKey(k));
                cfs.add(pairs);
            }
            // One JNI round trip for the whole batch instead of one per key.
            List<byte[]> values = db.multiGetAsList(cfs, raw);
            Map<PairKey, PairState> out = new HashMap<>(ordered.size() * 2);
            for (int i = 0; i < ordered.size(); i++) {
                byte[] v = values.get(i);
                if (v != null) out.put(ordered.get(i), StateCodec.decodePair(ordered.get(i), v, names));
            }
            return out;
        });
    }

    @Override
    public List<TimerEntry> dueTimers(String rule, Lane lane, Instant fromTime, Instant upTo, int limit) {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(lane, "lane");
        Objects.requireNonNull(upTo, "upTo");
        return call("scan due timers of", rule + "/" + lane, () -> {
            if (limit <= 0) return List.of();
            byte[] from = fromTime == null ? StateCodec.lanePrefix(rule, lane)
                    : StateCodec.timerLowerBound(rule, lane, fromTime);
            byte[] to = StateCodec.timerUpperBound(rule, lane, upTo);
            // Closed in reverse order: iterator, then its read options, then the bound they point to.
            try (Slice upper = new Slice(to);
                 ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
                 RocksIterator it = db.newIterator(timers, ro)) {
                List<TimerEntry> out = new ArrayList<>(Math.min(limit, 256));
                for (it.seek(from); it.isValid() && out.size() < limit; it.next()) {
                    out.add(StateCodec.decodeTimer(it.key()));
                }
                it.status();
                return out;
            }
        });
    }

    @Override
    public Optional<Discrepancy> discrepancy(String id) {
        Objects.requireNonNull(id, "id");
        return call("read discrepancy", id, () -> {
            byte[] v = db.get(discrepancies, bytes(id));
            return v == null ? Optional.empty() : Optional.of(StateCodec.decodeDiscrepancy(v, names));
        });
    }

    @Override
    public void forEachDiscrepancyAfter(String afterId, java.util.function.Predicate<Discrepancy> visitor) {
        Objects.requireNonNull(visitor, "visitor");
        call("scan discrepancies after", afterId, () -> {
            try (ReadOptions ro = new ReadOptions();
                 RocksIterator it = db.newIterator(discrepancies, ro)) {
                // Ids are ASCII (hex), so byte order is the id order of the other stores.
                byte[] after = afterId == null ? null : bytes(afterId);
                if (after == null) it.seekToFirst();
                else it.seek(after);
                for (; it.isValid(); it.next()) {
                    if (after != null && Arrays.equals(it.key(), after)) continue;
                    if (!visitor.test(StateCodec.decodeDiscrepancy(it.value(), names))) break;
                }
                it.status();
            }
            return null;
        });
    }

    @Override
    public void forEachPair(String rule, Consumer<PairState> visitor) {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(visitor, "visitor");
        call("scan pairs of rule", rule, () -> {
            byte[] prefix = StateCodec.rulePrefix(rule);
            byte[] end = prefixEnd(prefix);
            try (Slice upper = end == null ? null : new Slice(end);
                 ReadOptions ro = upper == null ? new ReadOptions() : new ReadOptions().setIterateUpperBound(upper);
                 RocksIterator it = db.newIterator(pairs, ro)) {
                for (it.seek(prefix); it.isValid(); it.next()) {
                    byte[] k = it.key();
                    if (!startsWith(k, prefix)) break; // only reachable without an upper bound
                    visitor.accept(StateCodec.decodePair(StateCodec.decodePairKey(k), it.value(), names));
                }
                it.status();
            }
            return null;
        });
    }

    @Override
    public Optional<String> meta(String name) {
        Objects.requireNonNull(name, "name");
        return call("read meta", name, () -> {
            byte[] v = db.get(meta, bytes(name));
            return v == null ? Optional.empty() : Optional.of(new String(v, StandardCharsets.UTF_8));
        });
    }

    // ---------------------------------------------------------------- writes

    /** Encoded with this store's name table, whose new names go into the next batch written. */
    @Override
    public EncodedImage encode(RowImage image) {
        Objects.requireNonNull(image, "image");
        return call("encode a row image of", image.id(), () -> StateCodec.encodeImage(image, names));
    }

    @Override
    public void write(StateWrite write) {
        Objects.requireNonNull(write, "write");
        writing("write a batch of changes", () -> {
            if (write.isEmpty()) return null;
            synchronized (writeLock) {
                writeBatch(write);
            }
            return null;
        });
    }

    private void writeBatch(StateWrite write) throws RocksDBException {
        long seq = journalSeq;
        BatchRep batch = new BatchRep(256 * write.ops().size());
        // Pair and deadline changes are handed to RocksDB in key order: consecutive memtable inserts then walk
        // the same skip-list nodes, which stay in the CPU cache (random order costs a cache miss per level).
        // Each key occurs once per batch, and the sort is stable anyway, so the outcome is the same.
        List<KeyedOp> pairOps = new ArrayList<>();
        List<KeyedOp> timerOps = new ArrayList<>();
        Map<Discrepancy, byte[]> stored = new IdentityHashMap<>();
        for (StateWrite.Op op : write.ops()) {
            // Java 17: no pattern matching in switch yet, so an instanceof chain over the sealed Op.
            if (op instanceof StateWrite.PutPair p) {
                pairOps.add(new KeyedOp(StateCodec.pairKey(p.state().key()), StateCodec.encode(p.state(), names)));
            } else if (op instanceof StateWrite.DeletePair d) {
                pairOps.add(new KeyedOp(StateCodec.pairKey(d.key()), null));
            } else if (op instanceof StateWrite.PutTimer t) {
                timerOps.add(new KeyedOp(StateCodec.timerKey(t.timer()), EMPTY));
            } else if (op instanceof StateWrite.DeleteTimer t) {
                timerOps.add(new KeyedOp(StateCodec.timerKey(t.timer()), null));
            } else if (op instanceof StateWrite.PutDiscrepancy d) {
                byte[] value = StateCodec.encode(d.discrepancy(), names);
                stored.put(d.discrepancy(), value);
                batch.put(cfDiscrepancies, bytes(d.discrepancy().id()), value);
            } else if (op instanceof StateWrite.DeleteDiscrepancy d) {
                batch.delete(cfDiscrepancies, bytes(d.id()));
            } else if (op instanceof StateWrite.PutMeta m) {
                if (m.value() == null) batch.delete(cfMeta, bytes(m.name()));
                else batch.put(cfMeta, bytes(m.name()), bytes(m.value()));
            } else if (op instanceof StateWrite.AppendJournal j) {
                // A journaled discrepancy is the one stored earlier in the batch (UnitOfWork puts records first):
                // its bytes are reused, not encoded again.
                batch.put(cfJournal, StateCodec.journalKey(++seq), StateCodec.encodeJournal(j.outcome(), names,
                        dd -> stored.computeIfAbsent(dd, x -> StateCodec.encode(x, names))));
            } else {
                throw new IllegalArgumentException("unknown state operation " + op);
            }
        }
        putSorted(batch, cfPairs, pairOps, false);
        putSorted(batch, cfTimers, timerOps, true);
        // Names first assigned while encoding this batch go into it, so no value outlives its names.
        int upTo = names.forEachUnpersisted((id, name) -> batch.put(cfMeta, bytes(NAME_PREFIX + id), bytes(name)));
        if (seq != journalSeq) batch.put(cfMeta, bytes(META_JOURNAL_SEQ), bytes(Long.toString(seq)));
        try (WriteBatch rocksBatch = new WriteBatch(batch.toArray())) {
            db.write(writeOptions, rocksBatch);
        }
        names.markPersisted(upTo);
        journalSeq = seq;
    }

    /** A put (value) or delete (null value) of one key. */
    private record KeyedOp(byte[] key, byte[] value) {
    }

    /**
     * @param writtenOnce every key of {@code cf} is put at most once between deletes, so a delete can be a
     *                    {@code SingleDelete}: it and the put it cancels both vanish as soon as they meet in a flush
     *                    or compaction, where a plain tombstone would be carried down to the last level. Deadline
     *                    entries qualify (the engine writes one only when a pair's deadline changes, in the batch
     *                    that changes the pair), and so do journal entries (a fresh sequence number each).
     */
    private static void putSorted(BatchRep batch, int cf, List<KeyedOp> ops, boolean writtenOnce) {
        ops.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
        for (KeyedOp op : ops) {
            if (op.value() != null) batch.put(cf, op.key(), op.value());
            else if (writtenOnce) batch.singleDelete(cf, op.key());
            else batch.delete(cf, op.key());
        }
    }

    // ---------------------------------------------------------------- outcome journal

    @Override
    public long journalSeq() {
        return call("read the journal sequence number", null, () -> journalSeq);
    }

    @Override
    public List<JournalEntry> journal(long fromSeq, int limit) {
        return call("read the journal from", fromSeq, () -> {
            List<JournalEntry> out = new ArrayList<>(Math.min(limit, 256));
            try (ReadOptions ro = new ReadOptions();
                 RocksIterator it = db.newIterator(journal, ro)) {
                long from = Math.max(Math.max(0, fromSeq), journalFloor);
                for (it.seek(StateCodec.journalKey(from)); it.isValid() && out.size() < limit; it.next()) {
                    out.add(StateCodec.decodeJournal(StateCodec.decodeJournalKey(it.key()), it.value(), names));
                }
                it.status();
            }
            return out;
        });
    }

    @Override
    public void trimJournal(long upToSeq) {
        writing("trim the journal up to " + upToSeq, () -> {
            long upTo = Math.min(upToSeq, Long.MAX_VALUE - 1);
            synchronized (writeLock) {
                if (upTo < journalFloor) return null;
                // A point delete per entry, not a range delete: readers seek to their cursor, past these tombstones,
                // while every iterator over a column family with range tombstones in its memtable pays for all of them.
                try (Slice upper = new Slice(StateCodec.journalKey(upTo + 1));
                     ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
                     RocksIterator it = db.newIterator(journal, ro)) {
                    WriteBatch batch = new WriteBatch();
                    try {
                        for (it.seek(StateCodec.journalKey(journalFloor)); it.isValid(); it.next()) {
                            batch.singleDelete(journal, it.key());   // each entry is put once (see putSorted)
                            if (batch.count() >= 10_000) {
                                db.write(writeOptions, batch);
                                batch.close();
                                batch = new WriteBatch();
                            }
                        }
                        it.status();
                        if (batch.count() > 0) db.write(writeOptions, batch);
                    } finally {
                        batch.close();
                    }
                }
                journalFloor = Math.min(upTo, journalSeq) + 1;   // entries appended later are above it
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- writability

    /** Bytes the probe writes and syncs beside the store: a flush needs room, not only a WAL record. */
    static final int PROBE_BYTES = 1 << 20;
    static final String PROBE_FILE = "write-probe.tmp";
    private static final String META_PROBE = "write-probe";

    /**
     * Writes and syncs {@value #PROBE_BYTES} bytes in a file beside the store (and removes it), clears RocksDB's
     * background error if it has one ({@code Resume()}: after a failed flush or WAL write RocksDB refuses all
     * writes until then), and writes a small marker into {@code meta}.
     */
    @Override
    public void probeWritable() {
        writing("probe for writes", () -> {
            synchronized (writeLock) {
                Path probe = dir.resolve(PROBE_FILE);
                try {
                    Files.write(probe, new byte[PROBE_BYTES], java.nio.file.StandardOpenOption.CREATE,
                            java.nio.file.StandardOpenOption.TRUNCATE_EXISTING, java.nio.file.StandardOpenOption.WRITE,
                            java.nio.file.StandardOpenOption.DSYNC);
                } catch (IOException e) {
                    throw unwritable("probe for writes", String.valueOf(e.getMessage()), e);
                } finally {
                    try {
                        Files.deleteIfExists(probe);
                    } catch (IOException ignored) {
                        // Removed by the next probe; it is not part of the store.
                    }
                }
            }
            return null;
        });
        try {
            writing("probe for writes", this::putProbe);
        } catch (StateUnwritableException e) {
            // The directory takes writes again (the file above), RocksDB does not: after a failed WAL write it
            // keeps refusing ("Writer has previous error") until the db is reopened (RocksJava has no Resume()).
            reopen(e);
            writing("probe for writes after reopening the store", this::putProbe);
        }
    }

    private Void putProbe() throws RocksDBException {
        synchronized (writeLock) {
            db.put(meta, writeOptions, bytes(META_PROBE), EMPTY);
        }
        return null;
    }

    /**
     * Closes and reopens the db in the same directory, under the exclusive lifecycle lock (no call runs meanwhile).
     * Only acknowledged batches are in the WAL; a record torn by the failed write is dropped at recovery (RocksDB's
     * point-in-time recovery), which is right: that write was never acknowledged. Names and the journal sequence
     * number in memory are as of the last acknowledged batch, so nothing needs reloading.
     */
    private void reopen(StateUnwritableException why) {
        lifecycle.writeLock().lock();
        try {
            if (!open) throw new IllegalStateException("RocksDB state store at " + dir + " is closed");
            if (db != null) {
                for (ColumnFamilyHandle h : handles) h.close();
                try {
                    db.closeE();
                } catch (RocksDBException ignored) {
                    // The failed writer may fail the close too; the handles are released anyway.
                }
                db = null;   // calls now fail with "not reopened yet" instead of touching freed handles
            }
            List<ColumnFamilyHandle> fresh = new ArrayList<>(natives.descriptors.size());
            RocksDB reopened;
            try {
                reopened = RocksDB.open(natives.dbOptions, dir.toString(), natives.descriptors, fresh);
            } catch (RocksDBException e) {
                StateUnwritableException failed = unwritable("reopen after a write error", "RocksDB: " + e.getMessage(), e);
                failed.addSuppressed(why);
                throw failed;
            }
            attach(reopened, fresh);
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    /** A write call: a failure because the directory takes no writes becomes a {@link StateUnwritableException}. */
    private <T> T writing(String operation, RocksCall<T> body) {
        try {
            return call(operation, null, body);
        } catch (StateStoreException e) {
            if (!(e instanceof StateUnwritableException) && e.getCause() instanceof RocksDBException r) {
                Status st = r.getStatus();
                boolean io = st != null && st.getCode() == Status.Code.IOError;
                if (io || unwritableCause(String.valueOf(r.getMessage())) != null) {
                    throw unwritable(operation, "RocksDB: " + r.getMessage(), r);
                }
            }
            throw e;
        }
    }

    private StateUnwritableException unwritable(String operation, String detail, Throwable t) {
        String cause = unwritableCause(detail);
        if (cause == null) cause = "I/O error";
        String fix = switch (cause) {
            case "no space left on device", "disk quota exceeded" -> "free space on the file system of " + dir
                    + "; ingestion is paused and resumes by itself once a write succeeds";
            case "read-only file system" -> "make the file system of " + dir + " writable again (a file system"
                    + " remounted read-only after errors needs a check and a restart of the reconciler)";
            default -> "check the disk and the file system of " + dir + "; ingestion is paused and resumes by"
                    + " itself once a write succeeds";
        };
        return new StateUnwritableException(cause, "RocksDB state store at " + dir + ": " + operation
                + " failed: " + cause + " (" + detail + "); " + fix, t);
    }

    /** The cause named in an I/O error message, or null if it names none of the known ones. */
    static String unwritableCause(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        if (m.contains("no space left") || m.contains("nospace") || m.contains("enospc")) {
            return "no space left on device";
        }
        if (m.contains("read-only file system") || m.contains("erofs")) return "read-only file system";
        if (m.contains("quota")) return "disk quota exceeded";
        return null;
    }

    // ---------------------------------------------------------------- metrics and lifecycle

    /** SST files plus memtables over all column families: an estimate for metrics, not an exact figure. */
    public long approximateSizeBytes() {
        return call("read size properties", null, () -> {
            long total = 0;
            for (ColumnFamilyHandle h : handles) {
                total += db.getLongProperty(h, "rocksdb.total-sst-files-size");
                total += db.getLongProperty(h, "rocksdb.cur-size-all-mem-tables");
            }
            return total;
        });
    }

    /** The store's format: {@link FormatVersion#CURRENT} once it is open (an older store was migrated). */
    public int format() {
        return format;
    }

    /** The store's directory (absolute). */
    public Path directory() {
        return dir;
    }

    /**
     * Syncs the WAL, then releases every native handle. Waits for calls in flight (a scan in another thread);
     * call it once the writer has stopped. A second call does nothing.
     *
     * @throws IllegalStateException if called from inside a visitor of this store (it would wait for itself)
     * @throws StateStoreException   if syncing the WAL or closing the db failed; the handles are released anyway
     */
    @Override
    public void close() {
        if (lifecycle.getReadHoldCount() > 0) {
            throw new IllegalStateException("RocksDB state store at " + dir
                    + " cannot be closed from inside one of its own calls (a visitor)");
        }
        lifecycle.writeLock().lock();
        try {
            if (!open) return;
            open = false;
            RocksDBException failure = null;
            String failed = null;
            if (db == null) {   // a reopen failed: the handles are released already
                natives.close();
                return;
            }
            if (!syncWrites) {
                try {
                    db.syncWal();
                } catch (RocksDBException e) {
                    failure = e;
                    failed = "sync the WAL";
                }
            }
            // Release order: the column family handles first (they point into the db), then the db itself, then
            // what it was configured with (write options, column family and db options, the write buffer manager,
            // the block cache, the bloom filter), which must not go before the db that uses them.
            for (ColumnFamilyHandle h : handles) h.close();
            try {
                db.closeE();
            } catch (RocksDBException e) {
                if (failure == null) {
                    failure = e;
                    failed = "close the db";
                }
            }
            natives.close();
            if (failure != null) {
                throw new StateStoreException("RocksDB state store at " + dir + ": failed to " + failed
                        + " on close: " + failure.getMessage(), failure);
            }
        } finally {
            lifecycle.writeLock().unlock();
        }
    }

    @Override
    public String toString() {
        return "RocksDbStateStore[" + dir + (open ? "" : ", closed") + "]";
    }

    // ---------------------------------------------------------------- helpers

    @FunctionalInterface
    private interface RocksCall<T> {
        T call() throws RocksDBException;
    }

    /** Runs one call under the shared lock, after the open check, turning RocksDB failures into unchecked ones. */
    private <T> T call(String operation, Object subject, RocksCall<T> body) {
        Lock lock = lifecycle.readLock();
        lock.lock();
        try {
            if (!open) throw new IllegalStateException("RocksDB state store at " + dir + " is closed");
            if (db == null) {
                throw new StateUnwritableException("I/O error", "RocksDB state store at " + dir + ": " + operation
                        + " failed: the store could not be reopened after a write error yet; it is tried again at"
                        + " the next probe", null);
            }
            return body.call();
        } catch (UnreadableValueException e) {
            throw new StateStoreException("RocksDB state store at " + dir + ": " + operation
                    + (subject == null ? "" : " " + subject) + ": " + e.getMessage() + "; "
                    + FormatVersion.unreadableValueAdvice(), e);
        } catch (RocksDBException e) {
            // The message is built only here, so that the hot path does not format the subject.
            throw new StateStoreException("RocksDB state store at " + dir + ": " + operation
                    + (subject == null ? "" : " " + subject) + " failed: " + e.getMessage(), e);
        } finally {
            lock.unlock();
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null if there is none. */
    static byte[] prefixEnd(byte[] prefix) {
        int i = prefix.length - 1;
        while (i >= 0 && prefix[i] == (byte) 0xFF) i--;
        if (i < 0) return null;
        byte[] end = Arrays.copyOf(prefix, i + 1);
        end[i]++;
        return end;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
