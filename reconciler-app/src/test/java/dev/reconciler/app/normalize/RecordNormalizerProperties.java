package dev.reconciler.app.normalize;

import dev.reconciler.core.fact.QuarantineReason;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing of the normalize layer's first step: Debezium change records (Kafka Connect structs, as the connector builds
 * them) with any operation code, missing or odd source fields, and column values of any logical type, never make the
 * normalizer throw. A record it cannot read is {@link RecordNormalizer.Bad} with a reason, never a crash.
 */
class RecordNormalizerProperties {
    private static final Schema ROW = SchemaBuilder.struct().name("inventory.collection_inventory_stream.Value")
            .field("id", Schema.INT64_SCHEMA)
            .field("identifier", Schema.OPTIONAL_STRING_SCHEMA)
            .field("changed_quantity", Schema.OPTIONAL_STRING_SCHEMA)
            .field("gmt_create", SchemaBuilder.int64().name("io.debezium.time.Timestamp").optional().build())
            .field("day", SchemaBuilder.int32().name("io.debezium.time.Date").optional().build())
            .optional().build();
    private static final Schema SOURCE = SchemaBuilder.struct().name("source")
            .field("db", Schema.OPTIONAL_STRING_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
            .field("file", Schema.OPTIONAL_STRING_SCHEMA)
            .field("pos", Schema.OPTIONAL_INT64_SCHEMA)
            .field("row", Schema.OPTIONAL_INT32_SCHEMA)
            .build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("envelope")
            .field("before", ROW).field("after", ROW).field("source", SOURCE)
            .field("op", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).build();

    record Input(String op, String db, String table, Long ts, String file, Long pos, String identifier,
                 String quantity, Long created, Integer day, boolean before, boolean after, boolean key) {
    }

    @Provide
    Arbitrary<Input> inputs() {
        Arbitrary<String> text = Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(20),
                Arbitraries.of("1e999999999", "NaN", "abc", "1" + "0".repeat(100), " O1 ")).injectNull(0.2);
        Arbitrary<Long> anyLong = Arbitraries.longs().injectNull(0.2)
                .edgeCases(c -> c.add(Long.MAX_VALUE).add(Long.MIN_VALUE));
        Arbitrary<String> op = Arbitraries.of("c", "u", "d", "r", "t", "m", "x", "").injectNull(0.1);
        Arbitrary<String> names = Arbitraries.of("inventory", "collection_inventory_stream", "reconciler_heartbeat", "")
                .injectNull(0.1);
        return Combinators.combine(
                Combinators.combine(op, names, names, anyLong, text, anyLong).as(java.util.Arrays::asList),
                Combinators.combine(text, text, anyLong, Arbitraries.integers().injectNull(0.2),
                        Arbitraries.of(true, false), Arbitraries.of(true, false), Arbitraries.of(true, false)).as(java.util.Arrays::asList))
                .as((a, b) -> new Input((String) a.get(0), (String) a.get(1), (String) a.get(2), (Long) a.get(3),
                        (String) a.get(4), (Long) a.get(5), (String) b.get(0), (String) b.get(1), (Long) b.get(2),
                        (Integer) b.get(3), (Boolean) b.get(4), (Boolean) b.get(5), (Boolean) b.get(6)));
    }

    static SourceRecord record(Input in) {
        Struct src = new Struct(SOURCE).put("db", in.db()).put("table", in.table()).put("ts_ms", in.ts())
                .put("file", in.file()).put("pos", in.pos()).put("row", 0);
        Struct row = new Struct(ROW).put("id", 1L).put("identifier", in.identifier())
                .put("changed_quantity", in.quantity()).put("gmt_create", in.created()).put("day", in.day());
        Struct value = new Struct(ENVELOPE).put("source", src).put("op", in.op());
        if (in.before()) value.put("before", row);
        if (in.after()) value.put("after", row);
        Struct key = in.key() ? new Struct(KEY).put("id", 1L) : null;
        return new SourceRecord(null, null, "inventory.inventory.collection_inventory_stream", null,
                key == null ? null : KEY, key, ENVELOPE, value);
    }

    @Property(tries = 2000)
    void noRecordMakesTheNormalizerThrow(@ForAll("inputs") Input in) {
        RecordNormalizer.Normalized n = new RecordNormalizer("inventory", "inventory.reconciler_heartbeat")
                .normalize(record(in));
        assertThat(n).isNotNull();
        if (n instanceof RecordNormalizer.Bad b) {
            assertThat(b.reason()).isIn(QuarantineReason.UNKNOWN_OPERATION, QuarantineReason.INTERNAL_ERROR);
            // never the row's values
            if (in.quantity() != null && in.quantity().length() > 3) assertThat(b.detail()).doesNotContain(in.quantity());
        }
    }

    @Example
    void anUnknownOperationIsABadRecordWithItsPlace() {
        Input in = new Input("t", "inventory", "collection_inventory_stream", 1_000L, "mariadb-bin.000003", 77L, "O1",
                "1", null, null, false, false, true);
        RecordNormalizer.Normalized n = new RecordNormalizer("inventory", null).normalize(record(in));
        assertThat(n).isInstanceOfSatisfying(RecordNormalizer.Bad.class, b -> {
            assertThat(b.reason()).isEqualTo(QuarantineReason.UNKNOWN_OPERATION);
            assertThat(b.table()).isEqualTo("collection_inventory_stream");
            assertThat(b.position().toString()).isEqualTo("mariadb-bin.000003:77:0");
            assertThat(b.detail()).isEqualTo("operation 't'");
        });
    }

    @Example
    void aRecordWithoutCommitTimeIsABadRecordNotACrash() {
        Input in = new Input("c", "inventory", "collection_inventory_stream", null, "mariadb-bin.000003", 78L, "O1",
                "1", null, null, false, true, true);
        RecordNormalizer.Normalized n = new RecordNormalizer("inventory", null).normalize(record(in));
        assertThat(n).isInstanceOfSatisfying(RecordNormalizer.Bad.class, b -> {
            assertThat(b.reason()).isEqualTo(QuarantineReason.INTERNAL_ERROR);
            assertThat(b.detail()).startsWith("normalizing: java.lang.");
            assertThat(b.position().toString()).isEqualTo("mariadb-bin.000003:78:0");
        });
    }
}
