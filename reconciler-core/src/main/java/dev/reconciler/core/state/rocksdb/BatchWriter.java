package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateCodec;
import dev.reconciler.core.state.StateWrite;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns changes into RocksDB write batches: every batch the store writes (but a format migration's, see
 * {@link StoreFormat}) is encoded here, in RocksDB's serialized form ({@link BatchRep}), and written in one call.
 *
 * <p>A {@link StateWrite} becomes one batch: atomic, applied in order, logged to the WAL before it is acknowledged
 * (fsync'ed per batch only with {@link RocksDbStateStore.Options#syncWrites()}). The batch carries the names first
 * assigned while encoding it ({@link PersistentNames}) and, if it appends to the journal, the journal's new last
 * sequence number ({@link RocksDbJournal}).
 *
 * <p>Not thread-safe: the store calls it under its write lock, one batch at a time (a batch must carry the names
 * its values use before another batch can use them).
 */
final class BatchWriter {
    private static final byte[] EMPTY = new byte[0];

    private final NameTable names;
    private final RocksDbJournal journal;
    private final WriteOptions writeOptions;
    /** Column family ids, for batches built in their serialized form; they do not change when the db is reopened. */
    private final int cfPairs;
    private final int cfTimers;
    private final int cfDiscrepancies;
    private final int cfMeta;
    private final int cfJournal;
    /**
     * The one buffer every batch is built in (this class runs under the store's write lock, one batch at a time):
     * it grows to the largest batch and stays, so no batch allocates a large array (see {@link BatchRep}). Above
     * {@link #KEEP_AT_MOST} (a rare huge batch, e.g. a journal trim after a long outage) it is dropped afterwards:
     * a large batch is handed to RocksDB as the whole buffer, which RocksDB copies whole, so a buffer much larger
     * than the usual batch (a Debezium batch of 2,048 records: 0.5–2.6 MB) would be copied for every one.
     */
    private BatchRep batch = new BatchRep(INITIAL_CAPACITY);
    /** Pair values are encoded here and copied into the batch at once (under the write lock, like the batch). */
    private final StateCodec.PairScratch scratch = new StateCodec.PairScratch();
    private static final int INITIAL_CAPACITY = 64 * 1024;
    private static final int KEEP_AT_MOST = 8 * 1024 * 1024;

    BatchWriter(ColumnFamilies cfs, NameTable names, RocksDbJournal journal, WriteOptions writeOptions) {
        this.names = names;
        this.journal = journal;
        this.writeOptions = writeOptions;
        this.cfPairs = cfs.pairs.getID();
        this.cfTimers = cfs.timers.getID();
        this.cfDiscrepancies = cfs.discrepancies.getID();
        this.cfMeta = cfs.meta.getID();
        this.cfJournal = cfs.journal.getID();
    }

    /** Writes {@code write} (not empty) as one batch. */
    void write(RocksDB db, StateWrite write) throws RocksDBException {
        long seq = journal.seq();
        BatchRep batch = this.batch;
        batch.reset();
        // Pair and deadline changes are handed to RocksDB in key order: consecutive memtable inserts then walk
        // the same skip-list nodes, which stay in the CPU cache (random order costs a cache miss per level).
        // Each key occurs once per batch, and the sort is stable anyway, so the outcome is the same.
        List<KeyedOp> pairOps = new ArrayList<>();
        List<KeyedOp> timerOps = new ArrayList<>();
        Map<Discrepancy, byte[]> stored = new IdentityHashMap<>();
        for (StateWrite.Op op : write.ops()) {
            // Java 17: no pattern matching in switch yet, so an instanceof chain over the sealed Op.
            if (op instanceof StateWrite.PutPair p) {
                // Encoded when it is copied into the batch, in key order (see putSorted): no array per value.
                pairOps.add(new KeyedOp(StateCodec.pairKey(p.state().key()), null, p.state()));
            } else if (op instanceof StateWrite.DeletePair d) {
                pairOps.add(new KeyedOp(StateCodec.pairKey(d.key()), null, null));
            } else if (op instanceof StateWrite.PutTimer t) {
                timerOps.add(new KeyedOp(StateCodec.timerKey(t.timer()), EMPTY, null));
            } else if (op instanceof StateWrite.DeleteTimer t) {
                timerOps.add(new KeyedOp(StateCodec.timerKey(t.timer()), null, null));
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
        int upTo = names.forEachUnpersisted((id, name) -> batch.put(cfMeta, PersistentNames.key(id), bytes(name)));
        if (seq != journal.seq()) batch.put(cfMeta, bytes(RocksDbJournal.META_SEQ), bytes(Long.toString(seq)));
        write(db, batch);
        names.markPersisted(upTo);
        journal.committed(seq);
    }

    /**
     * Deletes journal entries, in one batch. Each entry is put once (a fresh sequence number), so a
     * {@code SingleDelete} suffices (see {@link #putSorted}).
     */
    void deleteJournalEntries(RocksDB db, List<byte[]> keys) throws RocksDBException {
        BatchRep batch = this.batch;
        batch.reset();
        for (byte[] key : keys) batch.singleDelete(cfJournal, key);
        write(db, batch);
    }

    private void write(RocksDB db, BatchRep batch) throws RocksDBException {
        try (WriteBatch rocksBatch = batch.toWriteBatch()) {
            db.write(writeOptions, rocksBatch);
        } finally {
            if (batch.capacity() > KEEP_AT_MOST) this.batch = new BatchRep(INITIAL_CAPACITY);
        }
    }

    /** A put (a value, or a pair state to encode) or a delete (neither) of one key. */
    private record KeyedOp(byte[] key, byte[] value, PairState pair) {
    }

    /**
     * @param writtenOnce every key of {@code cf} is put at most once between deletes, so a delete can be a
     *                    {@code SingleDelete}: it and the put it cancels both vanish as soon as they meet in a flush
     *                    or compaction, where a plain tombstone would be carried down to the last level. Deadline
     *                    entries qualify (the engine writes one only when a pair's deadline changes, in the batch
     *                    that changes the pair), and so do journal entries (a fresh sequence number each).
     */
    private void putSorted(BatchRep batch, int cf, List<KeyedOp> ops, boolean writtenOnce) {
        ops.sort((a, b) -> Arrays.compareUnsigned(a.key(), b.key()));
        for (KeyedOp op : ops) {
            if (op.pair() != null) {
                scratch.encode(op.pair(), names);
                batch.put(cf, op.key(), scratch.buffer(), 0, scratch.length());
            } else if (op.value() != null) batch.put(cf, op.key(), op.value());
            else if (writtenOnce) batch.singleDelete(cf, op.key());
            else batch.delete(cf, op.key());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
