package dev.reconciler.app.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.source.SourceConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code reconciler run --config deploy/config/order-inventory.yml} against two local MariaDB servers with the
 * docs/domain.md schema: the file as shipped, only its environment variables set; a confirmed order without its
 * deduction shows up in the HTTP API.
 */
class ExampleConfigEndToEndTest {

    @Test
    void theShippedConfigurationReconcilesTwoDatabasesAndTheApiShowsTheDiscrepancy(@TempDir Path tmp) throws Exception {
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 21);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 22)) {
            DemoSchema.create(orders, inventory);
            // a capture user with exactly the documented privileges, password from the environment
            createCaptureUser(List.of(orders, inventory), "pa#ss: w0rd");
            Map<String, String> env = Map.of(
                    "ORDER_DB_PORT", Integer.toString(orders.port()), "ORDER_DB_PASSWORD", "pa#ss: w0rd",
                    "INVENTORY_DB_PORT", Integer.toString(inventory.port()), "INVENTORY_DB_PASSWORD", "pa#ss: w0rd",
                    "RECONCILER_STATE_DIR", tmp.resolve("state").toString(), "RECONCILER_HTTP_PORT", "0",
                    "RECONCILER_GRACE", "2s");
            ReconcilerConfig config = new ConfigLoader(env::get).load(Path.of("..", "deploy", "config", "order-inventory.yml"));

            orders.execute("orders", List.of(order(0, "E1", 1, "CREATE_AND_CONFIRM", "CONFIRM")));   // snapshot
            inventory.execute("inventory", List.of(deduction("E1", 1, "TRY_SALE")));
            try (ReconcilerRuntime r = ReconcilerRuntime.start(config, null)) {
                assertThat(r.statuses()).extracting(st -> st.flavour()).containsOnly(SourceConfig.Flavour.MARIADB);
                orders.execute("orders", List.of(order(1, "E2", 2, "CREATE_AND_CONFIRM", "CONFIRM"),
                        order(2, "E3", 1, "CREATE_AND_CONFIRM", "CONFIRM"), order(3, "E3", 1, "CANCEL", "CLOSED")));
                inventory.execute("inventory", List.of(deduction("E3", 1, "TRY_SALE"), deduction("E3", 1, "CANCEL_SALE"),
                        deduction("E4", 1, "TRY_SALE")));
                HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
                String base = r.api().url();
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    JsonNode items = json(http, base + "/api/discrepancies").get("items");
                    List<String> found = new ArrayList<>();
                    items.forEach(i -> found.add(i.get("rule").asText() + " " + i.get("type").asText() + " "
                            + i.get("key").get("order_id").asText()));
                    assertThat(found).containsExactlyInAnyOrder("sale MISSING_RIGHT E2", "sale MISSING_LEFT E4");
                });
                assertThat(get(http, base + "/health/ready").statusCode()).isEqualTo(200);
                String metrics = get(http, base + "/metrics").body();
                assertThat(metrics).contains("reconciler_discrepancies_open{rule=\"sale\",type=\"MISSING_RIGHT\"} 1.0");
                // verified before they alerted, on by default, with the capture user's SELECT
                json(http, base + "/api/discrepancies").get("items").forEach(i ->
                        assertThat(i.get("verification").get("summary").asText()).startsWith("verified absent at "));
                assertThat(metrics).contains("reconciler_verify_lookups_total{result=\"absent\",rule=\"sale\"} 2.0");
                String status = get(http, base + "/api/status").body();
                assertThat(status).doesNotContain("pa#ss");
            }
            assertThat(Files.exists(tmp.resolve("state").resolve("rocksdb"))).isTrue();
        }
    }

    /**
     * The least-privilege capture user README.md documents, on every server: replication globally (it cannot be
     * narrower), SELECT on the flow's database only, the heartbeat table; no RELOAD, no SHOW DATABASES.
     */
    static void createCaptureUser(List<LocalMariaDbServer> servers, String password) throws Exception {
        List<String> schemas = List.of(DemoSchema.ORDERS_DB, DemoSchema.INVENTORY_DB);
        for (int i = 0; i < servers.size(); i++) {
            String db = schemas.get(i);
            servers.get(i).execute(null, List.of("CREATE USER 'reconciler'@'%' IDENTIFIED BY '" + password + "'",
                    "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'reconciler'@'%'",
                    "GRANT SELECT ON " + db + ".* TO 'reconciler'@'%'",
                    "GRANT CREATE, INSERT, UPDATE ON " + db + ".reconciler_heartbeat TO 'reconciler'@'%'"));
        }
    }

    static String order(int shard, String id, int count, String streamType, String state) {
        return String.format("INSERT INTO trade_order_stream_%04d (order_id, buyer_id, seller_id, identifier, goods_id,"
                + " goods_type, order_amount, item_price, item_count, order_state, stream_identifier, stream_type)"
                + " VALUES ('%s', 'B1', 'S1', 'req-%s', '7', 'COLLECTION', 9.9, 9.9, %d, '%s', '%s-%s', '%s')",
                shard, id, id, count, state, streamType, id, streamType);
    }

    static String deduction(String id, int quantity, String streamType) {
        return String.format("INSERT INTO collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                + " identifier) VALUES (7, %d, '%s', '%s')", quantity, streamType, id);
    }

    private static JsonNode json(HttpClient http, String url) throws Exception {
        return new ObjectMapper().readTree(get(http, url).body());
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
