package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What verify before alert found travels with the alert: webhook document, Alertmanager annotations, chat text. */
class VerificationInAlertsTest {
    static final Instant T0 = Instant.parse("2026-12-03T03:00:00Z");

    static Alert alert(Verification v) {
        Discrepancy d = new Discrepancy("abc", "sale", DiscrepancyType.MISSING_RIGHT, Map.of("order_id", "O1"), 1,
                Status.OPEN, T0, null, null, null, List.of(), List.of(), null, List.of(), v);
        return new Alert.DiscrepancyAlert(1, d, true);
    }

    @Test
    void aVerifiedAbsenceIsInEveryPayload() throws Exception {
        Alert a = alert(new Verification(Verification.Result.ABSENT, T0, "inventory.collection_inventory_stream", null));
        String summary = "verified absent at 2026-12-03T03:00:00Z (inventory.collection_inventory_stream)";
        assertThat(AlertFormat.summary(a)).endsWith("; " + summary);
        JsonNode doc = Json.MAPPER.readTree(AlertFormat.webhookBody(a, "https://x.test"));
        assertThat(doc.toString()).contains("\"verification\":{\"result\":\"ABSENT\"")
                .contains("\"summary\":\"" + summary + "\"");
        @SuppressWarnings("unchecked")
        Map<String, String> ann = (Map<String, String>) AlertFormat.alertmanager(a, "https://x.test", T0).get("annotations");
        assertThat(ann).containsEntry("verification", "ABSENT").containsEntry("verification_summary", summary);
        assertThat(AlertFormat.chat(a, "https://x.test", ChatSink.SLACK).text())
                .contains("Checked on the other database: " + summary);
    }

    @Test
    void notVerifiedAndPresentButNotInTheBinlogSayWhy() {
        assertThat(AlertFormat.summary(alert(new Verification(Verification.Result.NOT_VERIFIED, T0,
                "source inventory: timeout (max_statement_time exceeded)", null))))
                .endsWith("; not verified: source inventory: timeout (max_statement_time exceeded)");
        assertThat(AlertFormat.summary(alert(new Verification(Verification.Result.PRESENT_NOT_IN_BINLOG, T0,
                "source inventory, table inventory.collection_inventory_stream", Duration.ofMinutes(2)))))
                .endsWith("; present in the database (source inventory, table inventory.collection_inventory_stream,"
                        + " found at 2026-12-03T03:00:00Z) but not seen in the binlog after 120 s");
        assertThat(AlertFormat.summary(alert(null))).doesNotContain("verif");
    }
}
