package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.StateCodec;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome journal in the {@code journal} column family: its sequence numbers, reading from a cursor and
 * trimming. Entries are appended by {@link BatchWriter} in the batch of the change they record, together with the
 * last sequence number assigned ({@code meta} {@value #META_SEQ}), so trimming never resets the sequence.
 *
 * <p>Threads: {@link #read} from any thread; {@link #trim} and {@link #committed} under the store's write lock.
 */
final class RocksDbJournal {
    /** The meta entry holding the last sequence number assigned (decimal text). */
    static final String META_SEQ = "journal-seq";
    /** Deletes per batch when trimming. */
    private static final int TRIM_BATCH = 10_000;

    /** The last sequence number committed; changed under the store's write lock after the batch is written. */
    private volatile long seq;
    /**
     * No journal entry below this is left (this process trimmed them): reads and trims seek here, past the
     * tombstones of trimmed entries. 0 after opening, until the first trim.
     */
    private volatile long floor;

    private RocksDbJournal(long seq) {
        this.seq = seq;
    }

    static RocksDbJournal load(RocksDB db, ColumnFamilyHandle meta) throws RocksDBException {
        byte[] raw = db.get(meta, META_SEQ.getBytes(StandardCharsets.UTF_8));
        return new RocksDbJournal(raw == null ? 0 : Long.parseLong(new String(raw, StandardCharsets.UTF_8)));
    }

    /** The last sequence number committed. */
    long seq() {
        return seq;
    }

    /** The batch that appended up to {@code seq} is written. */
    void committed(long seq) {
        this.seq = seq;
    }

    List<JournalEntry> read(RocksDB db, ColumnFamilyHandle journal, NameTable names, long fromSeq, int limit)
            throws RocksDBException {
        List<JournalEntry> out = new ArrayList<>(Math.min(limit, 256));
        try (ReadOptions ro = new ReadOptions();
             RocksIterator it = db.newIterator(journal, ro)) {
            long from = Math.max(Math.max(0, fromSeq), floor);
            for (it.seek(StateCodec.journalKey(from)); it.isValid() && out.size() < limit; it.next()) {
                out.add(StateCodec.decodeJournal(StateCodec.decodeJournalKey(it.key()), it.value(), names));
            }
            it.status();
        }
        return out;
    }

    /** Deletes every entry up to {@code upToSeq}; under the store's write lock. */
    void trim(RocksDB db, ColumnFamilyHandle journal, BatchWriter writer, long upToSeq) throws RocksDBException {
        long upTo = Math.min(upToSeq, Long.MAX_VALUE - 1);
        if (upTo < floor) return;
        // A point delete per entry, not a range delete: readers seek to their cursor, past these tombstones,
        // while every iterator over a column family with range tombstones in its memtable pays for all of them.
        try (Slice upper = new Slice(StateCodec.journalKey(upTo + 1));
             ReadOptions ro = new ReadOptions().setIterateUpperBound(upper);
             RocksIterator it = db.newIterator(journal, ro)) {
            List<byte[]> keys = new ArrayList<>();
            for (it.seek(StateCodec.journalKey(floor)); it.isValid(); it.next()) {
                keys.add(it.key());
                if (keys.size() >= TRIM_BATCH) {
                    writer.deleteJournalEntries(db, keys);
                    keys.clear();
                }
            }
            it.status();
            if (!keys.isEmpty()) writer.deleteJournalEntries(db, keys);
        }
        floor = Math.min(upTo, seq) + 1;   // entries appended later are above it
    }
}
