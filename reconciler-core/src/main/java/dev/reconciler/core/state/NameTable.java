package dev.reconciler.core.state;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;

/**
 * Short ids for the names a stored row repeats: sources, tables, binlog files, column names and enum-like column
 * values. A pair value then
 * carries small varints instead of ~120 bytes of text per row, which halves what RocksDB writes, flushes and
 * compacts per pair. Ids are assigned on first use and persisted by the store in the same atomic batch as the first
 * value that uses them (see {@link #forEachUnpersisted}), so a value never refers to an id the store does not have.
 *
 * <p>Bounded: past {@link #CAPACITY} names (a long-lived server rotates binlog files forever) new names are written
 * inline instead. Lookups are safe from any thread; ids are assigned under a lock.
 */
public final class NameTable {
    /** More names than this are written inline. */
    static final int CAPACITY = 1 << 16;
    private final int capacity;
    private final ConcurrentHashMap<String, Integer> ids = new ConcurrentHashMap<>();
    /** names[id - 1]; replaced, never changed in place, so readers need no lock. */
    private volatile String[] names = new String[64];
    private int size;
    /** Ids below this are in the store. */
    private int persisted;

    public NameTable() {
        this(CAPACITY);
    }

    NameTable(int capacity) {
        this.capacity = capacity;
    }

    /** The id of {@code name}, assigning the next one if new; 0 when the table is full (write the name inline). */
    int idOf(String name) {
        return idOf(name, capacity);
    }

    /**
     * The id of a column value that looks like an enum constant ({@link ValueCodec}). Such values get new ids only
     * while the table is less than half full, so a column that only looks categorical cannot crowd out the names.
     */
    int idOfValue(String value) {
        return idOf(value, capacity / 2);
    }

    private int idOf(String name, int limit) {
        Integer id = ids.get(name);
        if (id != null) return id;
        synchronized (this) {
            id = ids.get(name);
            if (id != null) return id;
            if (size >= limit) return 0;
            String[] n = names;
            if (size == n.length) n = Arrays.copyOf(n, n.length * 2);
            n[size++] = name;
            names = n;
            ids.put(name, size);
            return size;
        }
    }

    /** The name of an id read from the store. */
    String name(int id) {
        String[] n = names;
        if (id < 1 || id > n.length || n[id - 1] == null) {
            throw new IllegalStateException("unknown name id " + id + " (the store's name table is incomplete)");
        }
        return n[id - 1];
    }

    /** Loads one entry when the store opens. */
    public synchronized void load(int id, String name) {
        if (id < 1) throw new IllegalArgumentException("name id " + id);
        String[] n = names;
        if (id > n.length) n = Arrays.copyOf(n, Math.max(n.length * 2, id));
        n[id - 1] = name;
        names = n;
        ids.put(name, id);
        size = Math.max(size, id);
        persisted = size + 1;
    }

    /**
     * Visits the names not yet in the store, so the store can add them to the batch it is writing.
     *
     * @return the highest id visited, for {@link #markPersisted} once the batch is written
     */
    public synchronized int forEachUnpersisted(BiConsumer<Integer, String> visitor) {
        for (int id = Math.max(persisted, 1); id <= size; id++) visitor.accept(id, names[id - 1]);
        return size;
    }

    /** The batch carrying every name up to {@code upTo} was written. */
    public synchronized void markPersisted(int upTo) {
        persisted = Math.max(persisted, upTo + 1);
    }

    public synchronized int size() {
        return size;
    }
}
