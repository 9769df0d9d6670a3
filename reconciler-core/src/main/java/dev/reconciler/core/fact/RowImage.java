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

    /** The canonical image of a fact's row, with every column. */
    public static RowImage of(Fact fact) {
        return of(fact, null);
    }

    /** The canonical image of a fact's row with only the columns in {@code keep} (all when null), in row order. */
    public static RowImage of(Fact fact, Set<String> keep) {
        Map<String, Object> source = fact.columns();
        int n = keep == null ? source.size() : Math.min(source.size(), keep.size());
        String[] names = new String[n];
        String[] values = new String[n];
        int i = 0;
        for (Map.Entry<String, Object> e : source.entrySet()) {
            if (keep != null && !keep.contains(e.getKey())) continue;
            if (i == n) break;
            names[i] = e.getKey();
            values[i++] = Values.canonical(e.getValue());
        }
        if (i < n) {
            names = java.util.Arrays.copyOf(names, i);
            values = java.util.Arrays.copyOf(values, i);
        }
        return new RowImage(fact.row(), Columns.wrap(names, values), fact.eventTime(), fact.position());
    }

    public String column(String name) {
        return columns.get(name);
    }
}
