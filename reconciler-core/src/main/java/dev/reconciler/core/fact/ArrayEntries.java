package dev.reconciler.core.fact;

import java.util.AbstractMap.SimpleImmutableEntry;
import java.util.AbstractSet;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;

/** The entry set of a map kept as parallel arrays of names and values ({@link Columns}, {@link RowValues}). */
final class ArrayEntries<V> extends AbstractSet<Map.Entry<String, V>> {
    private final String[] names;
    private final V[] values;

    ArrayEntries(String[] names, V[] values) {
        this.names = names;
        this.values = values;
    }

    @Override
    public Iterator<Map.Entry<String, V>> iterator() {
        return new Iterator<>() {
            private int i;

            @Override
            public boolean hasNext() {
                return i < names.length;
            }

            @Override
            public Map.Entry<String, V> next() {
                if (i >= names.length) throw new NoSuchElementException();
                Map.Entry<String, V> e = new SimpleImmutableEntry<>(names[i], values[i]);
                i++;
                return e;
            }
        };
    }

    @Override
    public int size() {
        return names.length;
    }
}
