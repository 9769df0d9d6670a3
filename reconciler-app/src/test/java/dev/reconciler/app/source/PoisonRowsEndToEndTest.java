package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.app.api.Json;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.outcome.Outcome;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.app.source.EndToEndScenarios.inventorySourceOf;
import static dev.reconciler.app.source.EndToEndScenarios.open;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static dev.reconciler.app.source.EndToEndScenarios.orderSourceOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Poison rows on real servers (issue 12, section 5): an inventory flow whose {@code changed_quantity} is a VARCHAR
 * column holding {@code 1e999999999}, {@code NaN}, {@code abc} and a 101-digit number. Before the quarantine the first
 * of them made the engine's batch throw forever (a poison pill: nothing after it was reconciled); now each is
 * quarantined once with its reason, the normal pair after them matches, and the source stays STREAMING.
 */
class PoisonRowsEndToEndTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 71, 72);

    private static String deduction(String orderId, String quantity) {
        return String.format("INSERT INTO inventory.collection_inventory_stream (collection_id, changed_quantity,"
                + " price, stream_type, identifier) VALUES (7, %s, 9.900000, 'TRY_SALE', '%s')",
                quantity == null ? "NULL" : "'" + quantity + "'", orderId);
    }

    @Test
    void badQuantitiesAreQuarantinedOnceEachAndTheNextPairMatches(@TempDir Path state) throws Exception {
        DATABASES.inventory().execute("ALTER TABLE inventory.collection_inventory_stream"
                + " MODIFY changed_quantity VARCHAR(128) NULL");
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        Map<String, QuarantineReason> bad = new java.util.LinkedHashMap<>();
        bad.put("1e999999999", QuarantineReason.QUANTITY_OUT_OF_RANGE);
        bad.put("NaN", QuarantineReason.QUANTITY_NOT_A_NUMBER);
        bad.put("abc", QuarantineReason.QUANTITY_NOT_A_NUMBER);
        bad.put("1" + "0".repeat(100), QuarantineReason.QUANTITY_OUT_OF_RANGE);
        try (Receiver webhook = new Receiver();
             EndToEndScenarios.Session s = new EndToEndScenarios.Session(EndToEndScenarios.saleRule(Duration.ofSeconds(30)),
                     state, outcomes::addAll, orderSourceOf(DATABASES.orders()), inventorySourceOf(DATABASES.inventory()),
                     AlertsConfig.of("https://reconciler.example.test",
                             List.of(SinkConfig.of("e2e", SinkType.WEBHOOK, webhook.url()))));
             SchemaChangesEndToEndTest.Wired api = new SchemaChangesEndToEndTest.Wired(s)) {
            // Streaming from the binlog, where the poison pill struck (rows read by the snapshot would do too).
            await().atMost(Duration.ofSeconds(60)).until(() ->
                    s.inventorySource.status().phase() == SourceStatus.Phase.STREAMING
                            && s.orderSource.status().phase() == SourceStatus.Phase.STREAMING);
            long started = System.nanoTime();
            List<String> inserts = new ArrayList<>();
            int n = 0;
            for (String q : bad.keySet()) inserts.add(deduction("Q" + n++, q));
            inserts.add(deduction("Q9", "1"));
            DATABASES.inventory().execute(inserts.toArray(String[]::new));
            DATABASES.orders().execute(order(0, "Q9", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));

            await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(o ->
                    o instanceof Outcome.PairMatched m && m.key().get("order_id").equals("Q9")));
            System.out.printf("poison rows: the pair after them matched %.1f s after the inserts%n",
                    (System.nanoTime() - started) / 1e9);
            List<Outcome.FactQuarantined> quarantined = outcomes.stream()
                    .filter(o -> o instanceof Outcome.FactQuarantined).map(o -> (Outcome.FactQuarantined) o).toList();
            assertThat(quarantined).extracting(q -> q.fact().reason()).containsExactlyElementsOf(bad.values());
            assertThat(quarantined).allSatisfy(q -> {
                assertThat(q.fact().source()).isEqualTo("inventory");
                assertThat(q.fact().table()).isEqualTo("collection_inventory_stream");
                assertThat(q.fact().detail()).isEqualTo("changed_quantity");
                assertThat(q.fact().position()).isNotNull();
            });
            assertThat(s.inventorySource.status().phase()).isEqualTo(SourceStatus.Phase.STREAMING);

            // Visible: the API lists them (newest first) with table, primary key and binlog position; the metric
            // counts them by reason; one alert per (source, reason).
            JsonNode view = Json.MAPPER.readTree(api.get("/api/quarantine"));
            assertThat(view.get("total").asLong()).isEqualTo(bad.size());
            assertThat(view.get("items")).hasSize(bad.size());
            JsonNode latest = view.get("items").get(0);
            assertThat(latest.get("reason").asText()).isEqualTo("QUANTITY_OUT_OF_RANGE");
            assertThat(latest.get("primaryKey").asText()).matches("\\d+");
            assertThat(latest.get("binlogPosition").asText()).matches(".+\\.\\d+:\\d+:\\d+");
            assertThat(latest.toString()).doesNotContain("0".repeat(100));   // never the row's values
            assertThat(api.scrape().value("reconciler_facts_quarantined_total", "source", "inventory",
                    "table", "collection_inventory_stream", "reason", "QUANTITY_NOT_A_NUMBER")).isEqualTo(2);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(webhook.accepted().stream()
                    .map(Receiver.Request::json).filter(j -> j.get("event").asText().equals("facts.quarantined"))
                    .map(j -> j.get("labels").get("reason").asText()).toList())
                    .containsExactly("QUANTITY_OUT_OF_RANGE", "QUANTITY_NOT_A_NUMBER"));

            // Never a wrong match, never a MISSING from them: several graces pass, nothing opens.
            Thread.sleep(6000);
            assertThat(open(s.store, "Q")).isEmpty();
            assertThat(s.inventorySource.status().phase()).isEqualTo(SourceStatus.Phase.STREAMING);

            // The row fixed in the database joins its pair like any change.
            DATABASES.orders().execute(order(0, "Q2", 7, 3, "CREATE_AND_CONFIRM", "CONFIRM"));
            DATABASES.inventory().execute("UPDATE inventory.collection_inventory_stream SET changed_quantity = '3'"
                    + " WHERE identifier = 'Q2'");
            await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(o ->
                    o instanceof Outcome.PairMatched m && m.key().get("order_id").equals("Q2")));
            assertThat(outcomes).filteredOn(o -> o instanceof Outcome.FactQuarantined).hasSize(bad.size());
        } finally {
            DATABASES.inventory().execute("DELETE FROM inventory.collection_inventory_stream WHERE identifier LIKE 'Q%'");
        }
    }
}
