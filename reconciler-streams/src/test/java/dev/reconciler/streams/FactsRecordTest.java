package dev.reconciler.streams;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The facts topic's record format: every value type a fact may carry survives the trip. */
class FactsRecordTest {
    final Serde<FactsRecord> serde = FactsRecord.serde();

    FactsRecord trip(FactsRecord r) {
        return serde.deserializer().deserialize("facts", serde.serializer().serialize("facts", r));
    }

    @Test
    void factsWithEveryValueTypeAndABeforeImageSurvive() {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", 7L);
        row.put("order_id", "O7");
        row.put("item_count", 3);
        row.put("price", new BigDecimal("12.50"));
        row.put("ratio", 0.25);
        row.put("flag", true);
        row.put("at", Instant.parse("2026-11-26T08:00:00.123456Z"));
        row.put("note", null);
        row.put("long_text", "x".repeat(70_000));
        Map<String, Object> before = new LinkedHashMap<>(row);
        before.put("item_count", 2);
        Fact f = new Fact(new RowId("orders", "trade_order_stream_0001", "7"), Operation.UPDATE, row, before,
                Instant.parse("2026-11-26T08:00:01Z"), new SourcePosition("mariadb-bin.000003", 1234, 1));
        Fact back = ((FactsRecord.FactRecord) trip(new FactsRecord.FactRecord(f))).fact();
        assertThat(back.row()).isEqualTo(f.row());
        assertThat(back.operation()).isEqualTo(Operation.UPDATE);
        assertThat(back.eventTime()).isEqualTo(f.eventTime());
        assertThat(back.position()).isEqualTo(f.position());
        assertThat(back.columns()).containsEntry("item_count", 3L).containsEntry("price", new BigDecimal("12.50"))
                .containsEntry("ratio", 0.25).containsEntry("flag", true).containsEntry("note", null)
                .containsEntry("at", row.get("at")).containsEntry("long_text", row.get("long_text"));
        assertThat(back.before()).containsEntry("item_count", 2L);
    }

    @Test
    void markersAndBadRecordsSurvive() {
        FactsRecord.Marker m = new FactsRecord.Marker("inventory", 0, Instant.parse("2026-11-26T08:00:00Z"));
        assertThat(trip(m)).isEqualTo(m);
        FactsRecord.Bad b = new FactsRecord.Bad("orders", "t", "", null, QuarantineReason.UNKNOWN_OPERATION,
                "operation 't'");
        assertThat(trip(b)).isEqualTo(b);
    }

    @Test
    void anUnknownFormatNamesTheWayOut() {
        assertThatThrownBy(() -> serde.deserializer().deserialize("facts", new byte[]{9, 1}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("upgrade the streams application");
    }
}
