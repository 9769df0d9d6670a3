package dev.reconciler.core.fact;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A normalized row image of a flow table, as the source layer hands it to the engine.
 *
 * @param row       the row's identity (source, table, primary key)
 * @param operation what happened to the row
 * @param columns   the row after the operation; for a {@link Operation#DELETE} the row before it. Values are
 *                  {@code String}, {@code Number}, {@code Boolean}, {@code Instant} or {@code null}. Copied, unless
 *                  it is a {@link RowValues} (immutable already).
 * @param before    for an {@link Operation#UPDATE}, the row before it when the source has it (binlog row image
 *                  FULL); lets the engine retract the row from its old key when a key column changed. May be null.
 * @param eventTime the commit time of the change in the source database (binlog {@code source.ts_ms})
 * @param position  the change's position in its source's log
 */
public record Fact(RowId row, Operation operation, Map<String, Object> columns, Map<String, Object> before,
                   Instant eventTime, SourcePosition position) {

    public Fact {
        Objects.requireNonNull(row, "row");
        Objects.requireNonNull(operation, "operation");
        Objects.requireNonNull(eventTime, "eventTime");
        Objects.requireNonNull(position, "position");
        columns = copy(Objects.requireNonNull(columns, "columns"));
        before = before == null ? null : copy(before);
    }

    public String source() {
        return row.source();
    }

    public String table() {
        return row.table();
    }

    private static Map<String, Object> copy(Map<String, Object> m) {
        if (m instanceof RowValues) return m;   // immutable already: sources build rows this way, no copy per fact
        // LinkedHashMap (not Map.copyOf) because row images legitimately hold nulls.
        return Collections.unmodifiableMap(new LinkedHashMap<>(m));
    }
}
