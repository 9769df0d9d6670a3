package dev.reconciler.core.discrepancy;

import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.state.NameTable;
import dev.reconciler.core.state.StateCodec;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AcknowledgementTest {
    private static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");

    private static Discrepancy open() {
        RowImage left = new RowImage(new RowId("orders", "trade_order_stream_0001", "7"), Map.of("item_count", "2"),
                T0, new SourcePosition("bin.000001", 100, 0));
        return new Discrepancy("0123456789abcdef", "sale", DiscrepancyType.QUANTITY_MISMATCH,
                Map.of("order_id", "O1"), 1, Status.OPEN, T0, null, null, new BigDecimal("-1"), List.of(left),
                List.of());
    }

    @Test
    void theAcknowledgementSurvivesChangesAndResolution() {
        NameTable names = new NameTable();
        Discrepancy acked = open().acknowledge(T0.plusSeconds(5), "checking with the inventory team");
        assertThat(StateCodec.decodeDiscrepancy(StateCodec.encode(acked, names), names)).isEqualTo(acked);
        Discrepancy changed = acked.withDetails(new BigDecimal("-2"), acked.left(), List.of());
        Discrepancy resolved = changed.resolve(T0.plusSeconds(9), Resolution.CORRECTED, List.of(), List.of());
        assertThat(changed.acknowledgement()).isEqualTo(acked.acknowledgement());
        assertThat(resolved.acknowledgement()).isEqualTo(acked.acknowledgement());
        assertThat(acked.acknowledge(T0.plusSeconds(6), null).acknowledgement())
                .as("a second acknowledgement replaces the first; a null note is empty")
                .isEqualTo(new Acknowledgement(T0.plusSeconds(6), ""));
    }
}
