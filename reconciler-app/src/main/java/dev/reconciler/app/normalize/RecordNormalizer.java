package dev.reconciler.app.normalize;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowValues;
import dev.reconciler.core.fact.SourcePosition;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.Instant;
import java.time.LocalDate;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;

/**
 * Turns one Debezium change record (Kafka Connect form) into what the engine understands: a {@link Fact}, a
 * heartbeat (the source's commit clock moved), or nothing (schema changes, records of no interest).
 */
public final class RecordNormalizer {

    /** What a record means. */
    public sealed interface Normalized {
    }

    public record AFact(Fact fact) implements Normalized {
    }

    /** A heartbeat row committed at {@code commitTime}, read from the binlog. */
    public record Heartbeat(Instant commitTime) implements Normalized {
    }

    public record Skip() implements Normalized {
    }

    /**
     * A change record that cannot become a fact: quarantined by the engine with {@code reason} (see
     * {@link dev.reconciler.core.fact.QuarantineReason}); the source goes on.
     *
     * @param primaryKey "" when unknown
     * @param position   null when unknown
     * @param detail     the operation code or exception class, never a row value
     */
    public record Bad(String table, String primaryKey, SourcePosition position, QuarantineReason reason,
                      String detail) implements Normalized {
    }

    private static final Skip SKIP = new Skip();
    private static final int MAX_LAYOUTS = 1024;
    private final String source;
    /** The heartbeat table's database and table names, or null: compared as they are, no name built per record. */
    private final String heartbeatDb;
    private final String heartbeatTable;
    /** Column layouts by Debezium schema (identity). Used by the source's thread only, like the whole normalizer. */
    private final Map<Schema, RowValues.Layout> layouts = new IdentityHashMap<>();

    /**
     * @param heartbeatTable {@code db.table} of the heartbeat table, or null
     */
    public RecordNormalizer(String source, String heartbeatTable) {
        this.source = source;
        int dot = heartbeatTable == null ? -1 : heartbeatTable.indexOf('.');
        this.heartbeatDb = dot < 0 ? null : heartbeatTable.substring(0, dot);
        this.heartbeatTable = dot < 0 ? null : heartbeatTable.substring(dot + 1);
    }

    /**
     * What the record means; never throws: a record that fails to convert (a type no conversion foresaw) is
     * {@link Bad} with reason {@code INTERNAL_ERROR} and the exception's class.
     */
    public Normalized normalize(SourceRecord record) {
        try {
            return convert(record);
        } catch (RuntimeException e) {
            String table = "";
            SourcePosition position = null;
            try {
                Struct src = ((Struct) record.value()).getStruct("source");
                table = src.getString("table");
                position = new SourcePosition(str(src, "file"), num(src, "pos"), num(src, "row"));
            } catch (RuntimeException ignored) {
                // as much of the place as can be read
            }
            return new Bad(table == null ? "" : table, "", position, QuarantineReason.INTERNAL_ERROR,
                    "normalizing: " + e.getClass().getName());
        }
    }

    private Normalized convert(SourceRecord record) {
        if (!(record.value() instanceof Struct value)) return SKIP;
        // Debezium's own heartbeat records carry the wall clock when they were emitted (Instant.now()), not a commit
        // time: they are emitted while a backlog is being read too, so taking them as a watermark would promise
        // changes that have not been delivered yet. Only heartbeat-table rows, which come through the binlog, count.
        if (record.topic().startsWith("__debezium-heartbeat")) return SKIP;
        if (value.schema().field("op") == null || value.schema().field("source") == null) return SKIP;
        Struct src = value.getStruct("source");
        String db = src.getString("db");
        String table = src.getString("table");
        if (db == null || table == null) return SKIP;
        Instant commit = Instant.ofEpochMilli(src.getInt64("ts_ms"));
        if (heartbeatTable != null && heartbeatTable.equals(table) && heartbeatDb.equals(db)) {
            // A snapshot read of the heartbeat row is no binlog event: it says nothing about what was delivered.
            return "r".equals(value.getString("op")) ? SKIP : new Heartbeat(commit);
        }

        String code = value.getString("op");
        Operation op = code == null ? null : switch (code) {
            case "c" -> Operation.INSERT;
            case "u" -> Operation.UPDATE;
            case "d" -> Operation.DELETE;
            case "r" -> Operation.READ;
            default -> null;
        };
        if (op == null) {
            // E.g. a truncate ("t"), which the connector only sends when told to: rows gone without a change each.
            return new Bad(table, "", new SourcePosition(str(src, "file"), num(src, "pos"), num(src, "row")),
                    QuarantineReason.UNKNOWN_OPERATION, "operation '" + code + "'");
        }
        Struct after = value.getStruct("after");
        Struct before = value.getStruct("before");
        Struct image = op == Operation.DELETE ? before : after;
        if (image == null) return SKIP;
        String pk = primaryKey(record.key(), image);
        SourcePosition position = new SourcePosition(str(src, "file"), num(src, "pos"), num(src, "row"));
        Map<String, Object> prev = op == Operation.UPDATE && before != null ? columns(before) : null;
        return new AFact(new Fact(new RowId(source, table, pk), op, columns(image), prev, commit, position));
    }

    private static String primaryKey(Object key, Struct image) {
        if (key instanceof Struct k) {
            List<Field> fields = k.schema().fields();
            if (fields.size() == 1) return String.valueOf(k.get(fields.get(0)));   // the common case: no joiner
            StringJoiner j = new StringJoiner("|");
            for (Field f : k.schema().fields()) j.add(String.valueOf(k.get(f)));
            return j.toString();
        }
        // A table without a primary key: the whole row is its identity.
        return String.valueOf(image.hashCode());
    }

    /**
     * The row as {@link RowValues} over its table's column layout, made once per Debezium schema (the connector
     * reuses one schema object per table until the table changes), so a fact is neither a map built per row nor a
     * copy of one.
     */
    private Map<String, Object> columns(Struct s) {
        Schema schema = s.schema();
        RowValues.Layout layout = layouts.get(schema);
        if (layout == null) {
            if (layouts.size() >= MAX_LAYOUTS) layouts.clear();   // schemas churned (DDL): start over
            layout = RowValues.Layout.of(schema.fields().stream().map(Field::name).toList());
            layouts.put(schema, layout);
        }
        List<Field> fields = schema.fields();
        Object[] values = new Object[fields.size()];
        for (int i = 0; i < values.length; i++) {
            Field f = fields.get(i);
            values[i] = value(f.schema(), s.get(f));
        }
        return RowValues.wrap(layout, values);
    }

    /** Debezium's temporal logical types to java.time, so row images read as times, not epoch numbers. */
    static Object value(Schema schema, Object v) {
        if (v == null || schema.name() == null) return v;
        return switch (schema.name()) {
            case "io.debezium.time.Timestamp" -> Instant.ofEpochMilli((Long) v);
            case "io.debezium.time.MicroTimestamp" -> Instant.EPOCH.plusNanos((Long) v * 1000);
            case "io.debezium.time.NanoTimestamp" -> Instant.EPOCH.plusNanos((Long) v);
            case "io.debezium.time.Date" -> LocalDate.ofEpochDay((Integer) v);
            default -> v;
        };
    }

    private static String str(Struct s, String field) {
        return s.schema().field(field) == null || s.get(field) == null ? "" : String.valueOf(s.get(field));
    }

    private static long num(Struct s, String field) {
        if (s.schema().field(field) == null) return 0;
        Object v = s.get(field);
        return v instanceof Number n ? n.longValue() : 0;
    }
}
