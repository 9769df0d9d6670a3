package dev.reconciler.core.fact;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A row as the engine keeps it: identity, the columns as canonical text ({@link Values#canonical}), the commit
 * time and log position of the image.
 */
public record RowImage(RowId id, Map<String, String> columns, Instant eventTime, SourcePosition position) {
    public RowImage {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(eventTime, "eventTime");
        Objects.requireNonNull(position, "position");
        columns = Collections.unmodifiableMap(new LinkedHashMap<>(columns));
    }

    /** The canonical image of a fact's row. */
    public static RowImage of(Fact fact) {
        Map<String, String> cols = new LinkedHashMap<>();
        fact.columns().forEach((k, v) -> cols.put(k, Values.canonical(v)));
        return new RowImage(fact.row(), cols, fact.eventTime(), fact.position());
    }

    public String column(String name) {
        return columns.get(name);
    }
}
