package dev.reconciler.streams;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Debezium change records as Kafka Connect writes them (JSON converter with schemas): the envelope of the MySQL
 * and MariaDB connectors (before, after, source with db, table, ts_ms, file, pos, row; op). The same record is
 * available as the Connect {@link SourceRecord} the embedded mode normalizes, so a test can feed both modes
 * exactly the same change.
 */
final class ChangeRecords {
    static final String DB = "shop";
    static final String HEARTBEAT_TABLE = "ops.reconciler_heartbeat";

    private final JsonConverter keys = converter(true);
    private final JsonConverter values = converter(false);
    private final Map<String, Schema> rowSchemas = new HashMap<>();
    private long pos = 4;

    private static final Schema SOURCE = SchemaBuilder.struct().name("io.debezium.connector.mariadb.Source")
            .field("db", Schema.STRING_SCHEMA).field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA).field("file", Schema.STRING_SCHEMA)
            .field("pos", Schema.INT64_SCHEMA).field("row", Schema.INT32_SCHEMA).build();

    /** A change: its Connect form and its bytes on the change topic. */
    record Change(String topic, SourceRecord record, byte[] key, byte[] value) {
    }

    private static JsonConverter converter(boolean isKey) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("schemas.enable", "true"), isKey);
        return c;
    }

    /** An insert ("c") of {@code row} into {@code table} committed at {@code commit}. */
    Change insert(String topic, String table, Map<String, Object> row, Instant commit) {
        return change(topic, DB, table, "c", null, row, commit);
    }

    /** A heartbeat row update committed at {@code commit}. */
    Change heartbeat(String topic, Instant commit) {
        String[] t = HEARTBEAT_TABLE.split("\\.");
        Map<String, Object> before = new java.util.LinkedHashMap<>();
        before.put("id", 1L);
        before.put("ts", commit.minusSeconds(1).toEpochMilli());
        Map<String, Object> after = new java.util.LinkedHashMap<>(before);
        after.put("ts", commit.toEpochMilli());
        return change(topic, t[0], t[1], "u", before, after, commit);
    }

    private Change change(String topic, String db, String table, String op, Map<String, Object> before,
                          Map<String, Object> after, Instant commit) {
        Map<String, Object> image = after != null ? after : before;
        Schema rowSchema = rowSchemas.computeIfAbsent(db + "." + table, k -> rowSchema(k, image));
        Schema keySchema = SchemaBuilder.struct().name(topic + ".Key").field("id", Schema.INT64_SCHEMA).build();
        Schema envelope = SchemaBuilder.struct().name(topic + ".Envelope")
                .field("before", rowSchema).field("after", rowSchema).field("source", SOURCE)
                .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA).build();
        Struct key = new Struct(keySchema).put("id", ((Number) image.get("id")).longValue());
        Struct value = new Struct(envelope)
                .put("before", before == null ? null : struct(rowSchema, before))
                .put("after", after == null ? null : struct(rowSchema, after))
                .put("source", new Struct(SOURCE).put("db", db).put("table", table).put("ts_ms", commit.toEpochMilli())
                        .put("file", "mariadb-bin.000001").put("pos", pos++).put("row", 0))
                .put("op", op).put("ts_ms", commit.toEpochMilli());
        SourceRecord record = new SourceRecord(null, null, topic, 0, keySchema, key, envelope, value);
        return new Change(topic, record, keys.fromConnectData(topic, keySchema, key),
                values.fromConnectData(topic, envelope, value));
    }

    private static Schema rowSchema(String name, Map<String, Object> row) {
        SchemaBuilder b = SchemaBuilder.struct().name(name + ".Value").optional();
        row.forEach((column, v) -> b.field(column, v instanceof Long ? Schema.OPTIONAL_INT64_SCHEMA
                : v instanceof Integer ? Schema.OPTIONAL_INT32_SCHEMA : Schema.OPTIONAL_STRING_SCHEMA));
        return b.build();
    }

    private static Struct struct(Schema schema, Map<String, Object> row) {
        Struct s = new Struct(schema);
        row.forEach((column, v) -> s.put(column, v instanceof Long || v instanceof Integer || v == null ? v
                : String.valueOf(v)));
        return s;
    }
}
