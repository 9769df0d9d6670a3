package dev.reconciler.core.fact;

import java.util.AbstractMap;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The columns of one changed row as a source delivers them: an immutable map (SQL NULL allowed) over a table's
 * column {@link Layout}, which every row of the table shares, and one array of values. A {@link Fact} keeps it as it
 * is instead of copying it, and a canonical image ({@link RowImage#of}) picks the columns it keeps by position
 * instead of looking each one up by name. Rows arrive by the million and are read on the source's thread, so both
 * show in the cost per fact.
 */
public final class RowValues extends AbstractMap<String, Object> {

    /** The column names of a table, in order, with their positions. Immutable; safe to share between threads. */
    public static final class Layout {
        private final String[] names;
        private final Map<String, Integer> positions;
        /** Positions of the columns of a kept-column set, per set (compared by identity); replaced, never changed. */
        private volatile Pick[] picks = new Pick[0];

        private record Pick(Set<String> keep, int[] positions) {
        }

        private Layout(String[] names) {
            this.names = names;
            this.positions = new HashMap<>(names.length * 2);
            for (int i = 0; i < names.length; i++) {
                if (positions.put(Objects.requireNonNull(names[i], "column name"), i) != null) {
                    throw new IllegalArgumentException("column " + names[i] + " appears twice");
                }
            }
        }

        public static Layout of(List<String> names) {
            return new Layout(names.toArray(new String[0]));
        }

        /** The position of a column, or -1 if the table has none of that name. */
        public int positionOf(Object name) {
            Integer p = positions.get(name);
            return p == null ? -1 : p;
        }

        /**
         * The positions of {@code keep}'s columns in {@code keep}'s order (-1 for a column the table lacks),
         * remembered per set: the engine passes the same set for every row of a stream.
         */
        int[] positionsOf(Set<String> keep) {
            Pick[] cached = picks;
            for (Pick p : cached) {
                if (p.keep == keep) return p.positions;
            }
            int[] out = new int[keep.size()];
            int i = 0;
            for (String name : keep) out[i++] = positionOf(name);
            if (cached.length < 16) {   // a handful of streams read a table; more sets than that are not worth keeping
                Pick[] next = Arrays.copyOf(cached, cached.length + 1);
                next[cached.length] = new Pick(keep, out);
                picks = next;
            }
            return out;
        }
    }

    private final Layout layout;
    private final Object[] values;

    private RowValues(Layout layout, Object[] values) {
        this.layout = layout;
        this.values = values;
    }

    /** Takes ownership of {@code values} (one per column of {@code layout}, in its order): do not change them. */
    public static RowValues wrap(Layout layout, Object[] values) {
        Objects.requireNonNull(layout, "layout");
        if (values.length != layout.names.length) {
            throw new IllegalArgumentException(values.length + " values for " + layout.names.length + " columns");
        }
        return new RowValues(layout, values);
    }

    public Layout layout() {
        return layout;
    }

    /** The value at a position of the layout. */
    public Object valueAt(int position) {
        return values[position];
    }

    @Override
    public int size() {
        return values.length;
    }

    @Override
    public boolean containsKey(Object key) {
        return layout.positionOf(key) >= 0;
    }

    @Override
    public Object get(Object key) {
        int i = layout.positionOf(key);
        return i < 0 ? null : values[i];
    }

    @Override
    public Set<Map.Entry<String, Object>> entrySet() {
        return new ArrayEntries<>(layout.names, values);
    }
}
