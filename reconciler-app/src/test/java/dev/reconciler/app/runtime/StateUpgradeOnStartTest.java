package dev.reconciler.app.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.state.FormatVersion;
import dev.reconciler.core.state.fixture.StateFixtureGenerator;
import dev.reconciler.core.state.fixture.StateFixtures;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Upgrading keeps the state directory: the reconciler started on a directory written by the release of format 3
 * (the store of {@code state-fixtures/format-3} plus the Debezium offsets and schema history of source
 * {@code orders} in {@code state-fixtures/format-3-app}) migrates the store, shows the open discrepancies it held,
 * and leaves the sources' offsets and schema history byte for byte as they were.
 *
 * <p>The sources are two fresh local MariaDB servers; the offsets of {@code orders} name the binlog of the server
 * the fixture was made with, so that source cannot resume from them: it reports a binlog gap, and nothing rewrites
 * or removes its files.
 */
class StateUpgradeOnStartTest {

    @Test
    void startingOnAFormat3StateDirectoryMigratesTheStoreAndLeavesTheSourceOffsetsAsTheyWere(@TempDir Path tmp)
            throws Exception {
        Path state = tmp.resolve("state");
        StateFixtures.copy("format-3", state);       // rocksdb/ and what the old release read from it
        StateFixtures.copy("format-3-app", state);   // sources/orders/offsets.dat and schema-history.dat
        Path source = state.resolve("sources").resolve("orders");
        byte[] offsets = Files.readAllBytes(source.resolve("offsets.dat"));
        byte[] history = Files.readAllBytes(source.resolve("schema-history.dat"));
        String expected = Files.readString(state.resolve(StateFixtures.EXPECTED), StandardCharsets.UTF_8);

        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 51);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 52)) {
            DemoSchema.create(orders, inventory);
            ExampleConfigEndToEndTest.createCaptureUser(List.of(orders, inventory), "upgrade");
            Map<String, String> env = Map.of(
                    "ORDER_DB_PORT", Integer.toString(orders.port()), "ORDER_DB_PASSWORD", "upgrade",
                    "INVENTORY_DB_PORT", Integer.toString(inventory.port()), "INVENTORY_DB_PASSWORD", "upgrade",
                    "RECONCILER_STATE_DIR", state.toString(), "RECONCILER_HTTP_PORT", "0", "RECONCILER_GRACE", "5s");
            ReconcilerConfig config = new ConfigLoader(env::get)
                    .load(Path.of("..", "deploy", "config", "order-inventory.yml"));
            runOnce(config, source);
        }
        assertThat(Files.readAllBytes(source.resolve("offsets.dat"))).isEqualTo(offsets);
        assertThat(Files.readAllBytes(source.resolve("schema-history.dat"))).isEqualTo(history);
        try (RocksDbStateStore store = RocksDbStateStore.open(state.resolve(StateFixtures.STORE),
                EngineTestDriver.SMALL_ROCKSDB, line -> { })) {
            assertThat(store.format()).isEqualTo(FormatVersion.CURRENT);
            // Every discrepancy and journal entry as the old release read them (the runtime may have journaled
            // more since: both sources are stalled, their watermarks are a week old).
            List<String> now = Arrays.asList(
                    StateFixtures.describe(store, StateFixtureGenerator.CONFIG.rules()).split("\n"));
            for (String line : expected.split("\n")) {
                if (line.startsWith("discrepancy ") || line.startsWith("journal ")) assertThat(now).contains(line);
            }
        }
    }

    private static void runOnce(ReconcilerConfig config, Path source) throws Exception {
        try (ReconcilerRuntime r = ReconcilerRuntime.start(config, null)) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                            URI.create(r.api().url() + "/api/discrepancies")).timeout(Duration.ofSeconds(15)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode items = new ObjectMapper().readTree(response.body()).get("items");
            List<String> open = new ArrayList<>();
            items.forEach(i -> open.add(i.get("type").asText() + " " + i.get("key").get("order_id").asText()
                    + (i.get("acknowledged").isNull() ? "" : " acknowledged")));
            assertThat(open).containsExactlyInAnyOrder("QUANTITY_MISMATCH o-2", "MISSING_RIGHT o-3 acknowledged",
                    "MISSING_LEFT o-4", "DUPLICATE_RIGHT o-6");

            // The offsets name another server's binlog (the fixture's run): orders cannot resume from them and
            // reports a binlog gap, which waits for a person (no automatic resync by default) and leaves the
            // offsets alone; inventory, without offsets, snapshots and streams.
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(status(r, "inventory").phase()).isEqualTo(SourceStatus.Phase.STREAMING);
                assertThat(status(r, "orders").phase()).isEqualTo(SourceStatus.Phase.BINLOG_GAP);
            });
        }
    }

    private static SourceStatus status(ReconcilerRuntime r, String name) {
        return r.statuses().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
