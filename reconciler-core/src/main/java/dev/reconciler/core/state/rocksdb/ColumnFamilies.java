package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateCodec;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.RocksDB;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * The store's layout: one column family per kind of record, opened in this order.
 *
 * <ul>
 *   <li>{@code default}: unused, RocksDB requires it;</li>
 *   <li>{@code pairs}: {@link StateCodec#pairKey} → {@link StateCodec#encode(PairState)}, with a bloom filter for
 *       the engine's point lookups;</li>
 *   <li>{@code timers}: {@link StateCodec#timerKey} → empty; the entry is decoded from the key, and a due scan is
 *       a seek to the lane's prefix bounded above by {@link StateCodec#timerUpperBound};</li>
 *   <li>{@code discrepancies}: id (UTF-8) → {@link StateCodec#encode(Discrepancy)};</li>
 *   <li>{@code meta}: name → value, both UTF-8; among them the store's format ({@value StoreFormat#META_FORMAT},
 *       see {@link StoreFormat}: checked at open, an older store migrated in place, a newer one refused), the names
 *       stored rows refer to by id ({@value PersistentNames#PREFIX}id, see {@link PersistentNames}), the last
 *       journal sequence number ({@value RocksDbJournal#META_SEQ}) and the write probe's marker
 *       ({@value RocksDbStateStore#META_PROBE});</li>
 *   <li>{@code journal}: {@link StateCodec#journalKey} (big-endian sequence number) →
 *       {@link StateCodec#encodeJournal}; the last sequence number assigned is in {@code meta} under
 *       {@value RocksDbJournal#META_SEQ}, written in the batch that appends, so trimming never resets it
 *       ({@link RocksDbJournal}).</li>
 * </ul>
 *
 * <p>An instance holds the handles of one open db; {@link RocksDbStateStore} replaces it when it reopens the db.
 */
final class ColumnFamilies {
    static final String DEFAULT = "default";
    static final String PAIRS = "pairs";
    static final String TIMERS = "timers";
    static final String DISCREPANCIES = "discrepancies";
    static final String META = "meta";
    static final String JOURNAL = "journal";
    /** Open order; the handles RocksDB returns come in this order. */
    static final List<String> ORDER = List.of(DEFAULT, PAIRS, TIMERS, DISCREPANCIES, META, JOURNAL);

    final ColumnFamilyHandle pairs;
    final ColumnFamilyHandle timers;
    final ColumnFamilyHandle discrepancies;
    final ColumnFamilyHandle meta;
    final ColumnFamilyHandle journal;
    /** All handles in open order. */
    private final List<ColumnFamilyHandle> all;

    /** @param handles as {@link RocksDB#open} returned them for {@link #descriptors} */
    ColumnFamilies(List<ColumnFamilyHandle> handles) {
        if (handles.size() != ORDER.size()) {
            throw new IllegalArgumentException("expected " + ORDER.size() + " column family handles, got "
                    + handles.size());
        }
        this.all = List.copyOf(handles);
        this.pairs = handles.get(1);
        this.timers = handles.get(2);
        this.discrepancies = handles.get(3);
        this.meta = handles.get(4);
        this.journal = handles.get(5);
    }

    /** The descriptors to open the db with, in {@link #ORDER}, each with the options {@code options} gives it. */
    static List<ColumnFamilyDescriptor> descriptors(Function<String, ColumnFamilyOptions> options) {
        List<ColumnFamilyDescriptor> out = new ArrayList<>(ORDER.size());
        for (String name : ORDER) {
            byte[] id = name.equals(DEFAULT) ? RocksDB.DEFAULT_COLUMN_FAMILY : name.getBytes(StandardCharsets.UTF_8);
            out.add(new ColumnFamilyDescriptor(id, options.apply(name)));
        }
        return List.copyOf(out);
    }

    /** All handles in open order. */
    List<ColumnFamilyHandle> all() {
        return all;
    }

    /** Releases the handles; before the db they point into. */
    void close() {
        for (ColumnFamilyHandle h : all) h.close();
    }
}
