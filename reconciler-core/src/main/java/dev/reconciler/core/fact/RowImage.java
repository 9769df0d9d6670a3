package dev.reconciler.core.fact;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * A row as the engine keeps it: identity, the columns as canonical text ({@link Values#canonical}; an immutable
 * {@link Columns} map that allows SQL NULL), the commit time and log position of the image.
 */
public record RowImage(RowId id, Map<String, String> columns, Instant eventTime, SourcePosition position) {
    public RowImage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(eventTime, "eventTime");
        Objects.requireNonNull(position, "position");
        columns = Columns.copyOf(columns);
    }

    /**
     * The canonical image of a fact's row with only the columns in {@code keep} (all, in row order, when null),
     * in {@code keep}'s order. Walking the few kept names beats walking every column of a wide row.
     */
    public static RowImage of(Fact fact, Set<String> keep) {
        Map<String, Object> source = fact.columns();
        if (keep == null) return new RowImage(fact.row(), canonicalAll(source), fact.eventTime(), fact.position());
        String[] names = new String[keep.size()];
        String[] values = new String[names.length];
        int i = 0;
        if (source instanceof RowValues row) {
            // By position: the kept columns' places in the table's layout are looked up once per layout.
            int[] positions = row.layout().positionsOf(keep);
            int k = 0;
            for (String name : keep) {
                int at = positions[k++];
                if (at < 0) continue;   // the row has no such column
                names[i] = name;
                values[i++] = Values.canonical(row.valueAt(at));
            }
        } else {
            for (String name : keep) {
                Object v = source.get(name);
                if (v == null && !source.containsKey(name)) continue;   // the row has no such column
                names[i] = name;
                values[i++] = Values.canonical(v);
            }
        }
        if (i < names.length) {
            names = java.util.Arrays.copyOf(names, i);
            values = java.util.Arrays.copyOf(values, i);
        }
        return new RowImage(fact.row(), Columns.wrap(names, values), fact.eventTime(), fact.position());
    }

    private static Columns canonicalAll(Map<String, Object> source) {
        String[] names = new String[source.size()];
        String[] values = new String[names.length];
        int i = 0;
        for (Map.Entry<String, Object> e : source.entrySet()) {
            names[i] = e.getKey();
            values[i++] = Values.canonical(e.getValue());
        }
        return Columns.wrap(names, values);
    }

    public String column(String name) {
        return columns.get(name);
    }
}
