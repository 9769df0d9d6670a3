package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.metrics.Scrape;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/** What the API shows survives a restart of the process on the same RocksDB state directory. */
class HttpApiRestartTest {

    @Test
    void anAcknowledgementAndTheOpenGaugesSurviveAStoreReopen(@TempDir Path dir) throws Exception {
        String id;
        try (ApiHarness h = new ApiHarness(RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB), ApiConfig.defaults().withToken(ApiHarness.TOKEN))) {
            h.submit(ORDERS, null, h.fact(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0));
            h.watermarks(T0.plusSeconds(40));
            JsonNode items = h.get("/api/discrepancies").json().get("items");
            assertThat(items).hasSize(1);
            id = items.get(0).get("id").asText();
            h.clock.set(T0.plusSeconds(41));
            assertThat(h.post("/api/discrepancies/" + id + "/ack", "{\"note\":\"ticket INV-7\"}",
                    "Bearer " + ApiHarness.TOKEN).status()).isEqualTo(200);
        }
        try (ApiHarness h = new ApiHarness(RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB), ApiConfig.defaults())) {
            JsonNode d = h.get("/api/discrepancies/" + id).json();
            assertThat(d.get("status").asText()).isEqualTo("OPEN");
            assertThat(d.get("acknowledged").get("note").asText()).isEqualTo("ticket INV-7");
            assertThat(d.get("acknowledged").get("at").asText()).isEqualTo(T0.plusSeconds(41).toString());
            assertThat(h.get("/api/pairs/sale?key.order_id=O1&key.goods_id=42").json().get("open").get(0).asText())
                    .isEqualTo("MISSING_RIGHT");

            Scrape s = new Scrape(h.get("/metrics").body());
            assertThat(s.value("reconciler_discrepancies_open", "rule", "sale", "type", "MISSING_RIGHT"))
                    .as("persisted with the state").isEqualTo(1);
            assertThat(s.value("reconciler_discrepancies_total", "rule", "sale", "type", "MISSING_RIGHT"))
                    .as("a counter of this process").isZero();
            assertThat(s.value("reconciler_source_watermark_timestamp_seconds", "source", ORDERS))
                    .isEqualTo(T0.plusSeconds(40).getEpochSecond());
            assertThat(s.value("reconciler_state_size_bytes")).isPositive();
        }
    }
}
