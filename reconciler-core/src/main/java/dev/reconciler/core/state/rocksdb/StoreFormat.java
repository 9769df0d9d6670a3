package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.state.FormatVersion;
import dev.reconciler.core.state.JournalCodec;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.StateStoreException;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The store's format marker and the migration of an older store, at open ({@link FormatVersion} says what each
 * format is and how one value migrates; this class walks the column families).
 *
 * <p>The marker is the {@code meta} entry {@value #META_FORMAT} (the format as decimal text). A new store gets it
 * when it is created. A store without it was written by a release before format 4, i.e. format 3 (its values say
 * so: an older one fails to decode, with a message). A store of a format this release does not read is refused
 * before anything in it is read.
 *
 * <p>Migrating 3 → 4 rewrites every discrepancy, then every journal entry, in batches; pairs keep their layout and
 * are left as they are. The marker is written last, with a synced write. A migration interrupted by a crash leaves
 * some values in format 4 and no marker: the next start runs the migration again, skips what is already in format
 * 4 (readers take both formats), and finishes. One log line per step, with counts.
 */
final class StoreFormat {
    /** The meta entry holding the store's format. */
    static final String META_FORMAT = "format";

    /**
     * How a migration runs: values per batch, and (tests only) a simulated crash after that many batches, or -1.
     */
    record Run(int batchSize, int crashAfterBatches) {
        static final Run DEFAULT = new Run(1_000, -1);
    }

    private final Path dir;
    private final RocksDB db;
    private final ColumnFamilyHandle meta;
    private final NameTable names;
    private final WriteOptions writeOptions;
    private final Consumer<String> log;

    StoreFormat(Path dir, RocksDB db, ColumnFamilyHandle meta, NameTable names, WriteOptions writeOptions,
                Consumer<String> log) {
        this.dir = dir;
        this.db = db;
        this.meta = meta;
        this.names = names;
        this.writeOptions = writeOptions;
        this.log = Objects.requireNonNull(log, "log");
    }

    /**
     * Refuses a store whose marker names a format this release does not read. Called before anything else in the
     * store is read, so a newer layout is never decoded with this release's codecs.
     *
     * @return the format recorded in the store, or -1 if it records none
     */
    static int checkReadable(Path dir, RocksDB db, ColumnFamilyHandle meta) throws RocksDBException {
        byte[] raw = db.get(meta, META_FORMAT.getBytes(StandardCharsets.UTF_8));
        if (raw == null) return -1;
        String text = new String(raw, StandardCharsets.UTF_8);
        int format;
        try {
            format = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new StateStoreException(FormatVersion.refusal(dir, "'" + text + "' (unreadable)"));
        }
        if (!FormatVersion.readable(format)) throw new StateStoreException(FormatVersion.refusal(dir, text));
        return format;
    }

    /**
     * Brings the store to {@link FormatVersion#CURRENT}: marks a new store, migrates an older one.
     *
     * @param recorded      what {@link #checkReadable} returned
     * @param created       the directory held no store before this open
     * @param discrepancies the discrepancies column family
     * @param journal       the journal column family
     * @return the store's format now ({@link FormatVersion#CURRENT})
     */
    int ensureCurrent(int recorded, boolean created, ColumnFamilyHandle discrepancies, ColumnFamilyHandle journal,
                      Run run) throws RocksDBException {
        if (recorded == FormatVersion.CURRENT) return recorded;
        if (created) {
            writeMarker();
            log.accept("state store " + dir + ": created in format " + FormatVersion.CURRENT);
            return FormatVersion.CURRENT;
        }
        int from = recorded < 0 ? FormatVersion.UNMARKED : recorded;
        String step = "state store " + dir + ": format " + from + " → " + FormatVersion.CURRENT + ": ";
        log.accept(step + "migrating in place" + (recorded < 0 ? " (no format marker: written by a release before"
                + " format 4)" : "") + "; values already in format " + FormatVersion.CURRENT
                + " (an interrupted earlier migration) are kept");
        int[] batches = {0};
        migrate(step, "discrepancies", discrepancies, run, batches,
                (key, value) -> FormatVersion.migrateDiscrepancy(value, names));
        migrate(step, "journal entries", journal, run, batches,
                (key, value) -> FormatVersion.migrateJournal(JournalCodec.decodeKey(key), value, names));
        log.accept(step + "pairs: same layout in format " + FormatVersion.CURRENT
                + ", read as they are and rewritten as they change");
        writeMarker();
        log.accept(step + "done; the store is now format " + FormatVersion.CURRENT + " (releases that read only"
                + " format " + from + " can no longer read it)");
        return FormatVersion.CURRENT;
    }

    @FunctionalInterface
    private interface Migration {
        byte[] apply(byte[] key, byte[] value);
    }

    /** Re-encodes every value of {@code cf} older than the current format, in batches. */
    private void migrate(String step, String what, ColumnFamilyHandle cf, Run run, int[] batches, Migration m)
            throws RocksDBException {
        long started = System.nanoTime();
        long rewritten = 0;
        long current = 0;
        try (RocksIterator it = db.newIterator(cf)) {
            WriteBatch batch = new WriteBatch();
            try {
                for (it.seekToFirst(); it.isValid(); it.next()) {
                    byte[] value = it.value();
                    if (!FormatVersion.older(value)) {
                        current++;
                        continue;
                    }
                    byte[] key = it.key();
                    batch.put(cf, key, decoded(what, key, value, m));
                    rewritten++;
                    if (batch.count() >= run.batchSize()) {
                        commit(batch, run, batches);
                        batch.close();
                        batch = new WriteBatch();
                    }
                }
                it.status();
                if (batch.count() > 0) commit(batch, run, batches);
            } finally {
                batch.close();
            }
        }
        log.accept(step + what + ": " + rewritten + " re-encoded, " + current + " already in format "
                + FormatVersion.CURRENT + " (" + (System.nanoTime() - started) / 1_000_000 + " ms)");
    }

    private byte[] decoded(String what, byte[] key, byte[] value, Migration m) {
        try {
            return m.apply(key, value);
        } catch (IllegalStateException e) {
            throw new StateStoreException("state store " + dir + ": cannot migrate " + what + " to format "
                    + FormatVersion.CURRENT + ": " + e.getMessage() + "; " + FormatVersion.unreadableValueAdvice(), e);
        }
    }

    /** Writes one batch, with any names first used while re-encoding it (none expected: every name is known). */
    private void commit(WriteBatch batch, Run run, int[] batches) throws RocksDBException {
        int upTo = names.forEachUnpersisted((id, name) -> {
            try {
                batch.put(meta, PersistentNames.key(id), name.getBytes(StandardCharsets.UTF_8));
            } catch (RocksDBException e) {
                throw new StateStoreException("state store " + dir + ": " + e.getMessage(), e);
            }
        });
        db.write(writeOptions, batch);
        names.markPersisted(upTo);
        if (++batches[0] == run.crashAfterBatches()) {
            throw new IllegalStateException("simulated crash after " + batches[0] + " migration batches");
        }
    }

    /** The marker, synced: once it is on disk, every batch before it is too (the WAL is written in order). */
    private void writeMarker() throws RocksDBException {
        try (WriteOptions sync = new WriteOptions().setSync(true)) {
            db.put(meta, sync, META_FORMAT.getBytes(StandardCharsets.UTF_8),
                    Integer.toString(FormatVersion.CURRENT).getBytes(StandardCharsets.UTF_8));
        }
    }
}
