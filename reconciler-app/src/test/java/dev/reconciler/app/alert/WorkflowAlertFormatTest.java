package dev.reconciler.app.alert;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.TimelineEntry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What the sinks say when a person ends a discrepancy's alert, and where they link. */
class WorkflowAlertFormatTest {
    static final Instant T = Instant.parse("2026-11-26T08:00:00Z");
    static final Discrepancy OPEN = new Discrepancy("0123456789abcdef", "sale", DiscrepancyType.MISSING_RIGHT,
            Map.of("order_id", "O1"), 1, Status.OPEN, T, null, null, null, List.of(), List.of());

    @Test
    void aWaiveOrAHandResolutionSaysWhoAndWhyAndLinksToTheConsolePage() {
        Discrepancy waived = OPEN.step(new TimelineEntry(T.plusSeconds(60), TimelineEntry.Action.WAIVED, "alice",
                "OPS-1: known"));
        Alert.DiscrepancyAlert a = new Alert.DiscrepancyAlert(7, waived, false);
        assertThat(AlertFormat.summary(a)).startsWith("waived by alice (OPS-1: known): sale: MISSING_RIGHT");
        assertThat(AlertFormat.link(a, "https://rec.example.test"))
                .isEqualTo("https://rec.example.test/#/discrepancies/0123456789abcdef");
        Discrepancy manual = OPEN.step(new TimelineEntry(T.plusSeconds(60), TimelineEntry.Action.RESOLVED, "bob",
                "fixed in the shop"));
        assertThat(AlertFormat.summary(new Alert.DiscrepancyAlert(8, manual, false)))
                .startsWith("resolved by hand by bob (fixed in the shop): sale: MISSING_RIGHT");
        assertThat(AlertFormat.link(a, null)).as("no public URL, no link").isNull();
    }
}
