package dev.reconciler.core.fact;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;

/**
 * An immutable, insertion-ordered map of column name to canonical text that allows null values (SQL NULL). Row
 * images are small (a handful of columns) and there are millions of them, so two arrays and a linear lookup beat a
 * {@code LinkedHashMap} in both memory and time.
 */
public final class Columns extends AbstractMap<String, String> {
    private static final Columns EMPTY = new Columns(new String[0], new String[0]);
    private final String[] names;
    private final String[] values;

    private Columns(String[] names, String[] values) {
        this.names = names;
        this.values = values;
    }

    /** Takes ownership of the arrays: the caller must not change them afterwards. */
    public static Columns wrap(String[] names, String[] values) {
        if (names.length != values.length) throw new IllegalArgumentException("names and values differ in length");
        return names.length == 0 ? EMPTY : new Columns(names, values);
    }

    public static Columns copyOf(Map<String, String> map) {
        if (map instanceof Columns c) return c;
        String[] n = new String[map.size()];
        String[] v = new String[map.size()];
        int i = 0;
        for (Map.Entry<String, String> e : map.entrySet()) {
            n[i] = e.getKey();
            v[i++] = e.getValue();
        }
        return wrap(n, v);
    }

    /** Builds columns from parallel arrays (copied). */
    public static Columns of(String[] names, String[] values) {
        return wrap(names.clone(), values.clone());
    }

    @Override
    public int size() {
        return names.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return indexOf(key) >= 0;
    }

    @Override
    public String get(Object key) {
        int i = indexOf(key);
        return i < 0 ? null : values[i];
    }

    /** In order, without the entry objects {@link #entrySet()} creates (the value codec walks every stored row). */
    @Override
    public void forEach(java.util.function.BiConsumer<? super String, ? super String> action) {
        for (int i = 0; i < names.length; i++) action.accept(names[i], values[i]);
    }

    private int indexOf(Object key) {
        for (int i = 0; i < names.length; i++) {
            if (names[i].equals(key)) return i;
        }
        return -1;
    }

    @Override
    public Set<Map.Entry<String, String>> entrySet() {
        return new ArrayEntries<>(names, values);
    }

    @Override
    public boolean equals(Object o) {
        // Fast path for the same names in the same order; otherwise the Map contract (order does not matter).
        if (o instanceof Columns c && Arrays.equals(names, c.names)) return Arrays.equals(values, c.values);
        return super.equals(o);
    }

    @Override
    public int hashCode() {
        return super.hashCode();
    }
}
