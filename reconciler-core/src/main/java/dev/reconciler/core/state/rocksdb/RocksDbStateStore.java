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
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;

/**
 * The product's {@link StateStore}: RocksDB with one column family per kind of record ({@link ColumnFamilies} is
 * the layout). This class opens the store, guards its lifecycle, reads, and closes; the rest is in its seams:
 * {@link RocksDbTuning} (options, native objects and their release order), {@link RocksDbOpenFailure} (why an open
 * failed and the way out), {@link BatchWriter} (every write batch), {@link RocksDbJournal} (the outcome journal),
 * {@link PersistentNames} (the name table on disk) and {@link StoreFormat} (the format marker and migration).
 *
 * <p>A {@link StateWrite} becomes one write batch ({@link BatchWriter}): atomic, applied in order, logged to the
 * WAL before it is acknowledged (fsync'ed per batch only with {@link Options#syncWrites()}; {@link #close()} syncs
 * the WAL).
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

    /** The meta entry the write probe puts (empty value). */
    static final String META_PROBE = "write-probe";
    private static final byte[] EMPTY = new byte[0];

    private final Path dir;
    private final RocksDbTuning tuning;
    /**
     * The db and its column families. Replaced only by {@link #reopen}, under the exclusive lifecycle lock; every
     * other use holds the shared one.
     */
    private RocksDB db;
    private ColumnFamilies cfs;
    /** Names stored rows refer to by id ({@link PersistentNames}). */
    private final NameTable names;
    private final RocksDbJournal journal;
    private final BatchWriter writer;
    private final boolean syncWrites;
    /** One batch at a time: a batch must carry the names its values use before another batch can use them. */
    private final Object writeLock = new Object();

    /** Shared by every call, exclusive for {@link #close()}: native handles are never freed under a running call. */
    private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** The cause of the last write error ("read-only file system", ...); guarded like {@code db}. */
    private volatile String lastUnwritableCause = "I/O error";
    private volatile boolean open = true;
    /** The store's format, {@link FormatVersion#CURRENT} once open. */
    private int format;

    private RocksDbStateStore(Path dir, RocksDB db, ColumnFamilies cfs, RocksDbTuning tuning, boolean syncWrites) {
        this.dir = dir;
        this.db = db;
        this.cfs = cfs;
        this.tuning = tuning;
        this.syncWrites = syncWrites;
        this.names = PersistentNames.load(db, cfs.meta);
        try {
            this.journal = RocksDbJournal.load(db, cfs.meta);
        } catch (RocksDBException e) {
            throw new StateStoreException("RocksDB state store at " + dir + ": read the journal sequence number failed: "
                    + e.getMessage(), e);
        }
        this.writer = new BatchWriter(cfs, names, journal, tuning.writeOptions());
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

        RocksDbTuning tuning = RocksDbTuning.create(options);
        try {
            List<ColumnFamilyHandle> handles = new ArrayList<>(tuning.descriptors().size());
            RocksDB db = RocksDB.open(tuning.dbOptions(), abs.toString(), tuning.descriptors(), handles);
            RocksDbStateStore store;
            int recorded;
            try {
                ColumnFamilies cfs = new ColumnFamilies(handles);
                // Before anything else is read: a newer layout is never decoded with this release's codecs.
                recorded = StoreFormat.checkReadable(abs, db, cfs.meta);
                store = new RocksDbStateStore(abs, db, cfs, tuning, options.syncWrites());
            } catch (RocksDBException | RuntimeException | Error e) {
                for (ColumnFamilyHandle h : handles) h.close();
                db.close();
                throw e;
            }
            try {
                store.format = new StoreFormat(abs, db, store.cfs.meta, store.names, tuning.writeOptions(), log)
                        .ensureCurrent(recorded, created, store.cfs.discrepancies, store.cfs.journal, run);
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
            tuning.close();
            throw new StateStoreException(RocksDbOpenFailure.describe(abs, e), e);
        } catch (RuntimeException | Error e) {
            tuning.close();
            throw e;
        }
    }

    // ---------------------------------------------------------------- reads

    @Override
    public Optional<PairState> pair(PairKey key) {
        Objects.requireNonNull(key, "key");
        return call("read pair", key, () -> {
            byte[] v = db.get(cfs.pairs, StateCodec.pairKey(key));
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
            List<ColumnFamilyHandle> families = new ArrayList<>(ordered.size());
            for (PairKey k : ordered) {
                raw.add(StateCodec.pairKey(k));
                families.add(cfs.pairs);
            }
            // One JNI round trip for the whole batch instead of one per key.
            List<byte[]> values = db.multiGetAsList(families, raw);
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
                 RocksIterator it = db.newIterator(cfs.timers, ro)) {
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
            byte[] v = db.get(cfs.discrepancies, bytes(id));
            return v == null ? Optional.empty() : Optional.of(StateCodec.decodeDiscrepancy(v, names));
        });
    }

    @Override
    public void forEachDiscrepancyAfter(String afterId, java.util.function.Predicate<Discrepancy> visitor) {
        Objects.requireNonNull(visitor, "visitor");
        call("scan discrepancies after", afterId, () -> {
            try (ReadOptions ro = new ReadOptions();
                 RocksIterator it = db.newIterator(cfs.discrepancies, ro)) {
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
                 RocksIterator it = db.newIterator(cfs.pairs, ro)) {
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
            byte[] v = db.get(cfs.meta, bytes(name));
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
                writer.write(db, write);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- outcome journal

    @Override
    public long journalSeq() {
        return call("read the journal sequence number", null, journal::seq);
    }

    @Override
    public List<JournalEntry> journal(long fromSeq, int limit) {
        return call("read the journal from", fromSeq, () -> journal.read(db, cfs.journal, names, fromSeq, limit));
    }

    @Override
    public void trimJournal(long upToSeq) {
        writing("trim the journal up to " + upToSeq, () -> {
            synchronized (writeLock) {
                journal.trim(db, cfs.journal, writer, upToSeq);
            }
            return null;
        });
    }

    // ---------------------------------------------------------------- writability

    /** Bytes the probe writes and syncs beside the store: a flush needs room, not only a WAL record. */
    static final int PROBE_BYTES = 1 << 20;
    static final String PROBE_FILE = "write-probe.tmp";

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
            db.put(cfs.meta, tuning.writeOptions(), bytes(META_PROBE), EMPTY);
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
                cfs.close();
                try {
                    db.closeE();
                } catch (RocksDBException ignored) {
                    // The failed writer may fail the close too; the handles are released anyway.
                }
                db = null;   // calls now fail with "not reopened yet" instead of touching freed handles
            }
            List<ColumnFamilyHandle> fresh = new ArrayList<>(tuning.descriptors().size());
            RocksDB reopened;
            try {
                reopened = RocksDB.open(tuning.dbOptions(), dir.toString(), tuning.descriptors(), fresh);
            } catch (RocksDBException e) {
                StateUnwritableException failed = unwritable("reopen after a write error", "RocksDB: " + e.getMessage(), e);
                failed.addSuppressed(why);
                throw failed;
            }
            cfs = new ColumnFamilies(fresh);
            db = reopened;
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
        lastUnwritableCause = cause;
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
            for (ColumnFamilyHandle h : cfs.all()) {
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
                tuning.close();
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
            cfs.close();
            try {
                db.closeE();
            } catch (RocksDBException e) {
                if (failure == null) {
                    failure = e;
                    failed = "close the db";
                }
            }
            tuning.close();
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
                // The cause of the write error that closed the db, so that status keeps naming it (e.g. a
                // read-only file system) while the reopen attempts fail, rather than a generic I/O error.
                String cause = lastUnwritableCause;
                throw new StateUnwritableException(cause, "RocksDB state store at " + dir + ": " + operation
                        + " failed: " + cause + "; the store could not be reopened after the write error yet; it is"
                        + " tried again at the next probe", null);
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
