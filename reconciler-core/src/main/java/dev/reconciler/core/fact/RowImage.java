package dev.reconciler.core.fact;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

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

    /** The canonical image of a fact's row. */
    public static RowImage of(Fact fact) {
        Map<String, Object> source = fact.columns();
        String[] names = new String[source.size()];
        String[] values = new String[source.size()];
        int i = 0;
        for (Map.Entry<String, Object> e : source.entrySet()) {
            names[i] = e.getKey();
            values[i++] = Values.canonical(e.getValue());
        }
        return new RowImage(fact.row(), Columns.wrap(names, values), fact.eventTime(), fact.position());
    }

    public String column(String name) {
        return columns.get(name);
    }
}
