package dev.reconciler.app.runtime;

import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.source.SourceStatus;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static dev.reconciler.app.runtime.ExampleConfigEndToEndTest.deduction;
import static dev.reconciler.app.runtime.ExampleConfigEndToEndTest.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Writes the source part of a state directory — Debezium's binlog offsets and schema history of the source
 * {@code orders} — from a short real run of the shipped configuration against two local MariaDB servers. Not a
 * test: it runs only when the system property {@code state.fixture.out} names the output folder, and writes
 * {@code sources/orders/offsets.dat} and {@code schema-history.dat} there.
 *
 * <p>The fixture {@code src/test/resources/state-fixtures/format-3-app} was made with it, run against the release
 * at 4f2a18f in a temporary worktree (as {@code StateFixtureGenerator} in core describes; copy this file there too):
 * <pre>
 * (cd /tmp/fixture-gen &amp;&amp; mvn -B -o -q -pl reconciler-app -am verify -Dtest=SourceOffsetsFixtureGenerator \
 *     -Dsurefire.failIfNoSpecifiedTests=false -Dstate.fixture.out=/tmp/format-3-app)
 * rm -r reconciler-app/src/test/resources/state-fixtures/format-3-app
 * cp -r /tmp/format-3-app reconciler-app/src/test/resources/state-fixtures/format-3-app
 * </pre>
 * These files are Debezium's (Kafka's file offset store, Debezium's file schema history), not the reconciler's
 * state format: no release of the reconciler rewrites them on upgrade.
 */
@EnabledIfSystemProperty(named = "state.fixture.out", matches = ".+")
class SourceOffsetsFixtureGenerator {

    @Test
    void writeFixture(@TempDir Path tmp) throws Exception {
        Path out = Path.of(System.getProperty("state.fixture.out")).toAbsolutePath();
        if (Files.exists(out)) throw new IllegalStateException(out + " exists: give a new folder");
        Path state = tmp.resolve("state");
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 41);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 42)) {
            DemoSchema.create(orders, inventory);
            ExampleConfigEndToEndTest.createCaptureUser(List.of(orders, inventory), "fixture");
            Map<String, String> env = Map.of(
                    "ORDER_DB_PORT", Integer.toString(orders.port()), "ORDER_DB_PASSWORD", "fixture",
                    "INVENTORY_DB_PORT", Integer.toString(inventory.port()), "INVENTORY_DB_PASSWORD", "fixture",
                    "RECONCILER_STATE_DIR", state.toString(), "RECONCILER_HTTP_PORT", "0",
                    "RECONCILER_GRACE", "5s");
            ReconcilerConfig config = new ConfigLoader(env::get)
                    .load(Path.of("..", "deploy", "config", "order-inventory.yml"));
            Path offsets = state.resolve("sources").resolve("orders").resolve("offsets.dat");
            try (ReconcilerRuntime r = ReconcilerRuntime.start(config, null)) {
                await().atMost(Duration.ofSeconds(90)).until(() -> r.statuses().stream()
                        .allMatch(s -> s.phase() == SourceStatus.Phase.STREAMING));
                orders.execute("orders", List.of(order(1, "F1", 1, "CREATE_AND_CONFIRM", "CONFIRM")));
                inventory.execute("inventory", List.of(deduction("F1", 1, "TRY_SALE")));
                // Offsets are flushed every second once a binlog event has been handled (heartbeats included).
                await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(offsets) && Files.size(offsets) > 0
                        && r.statuses().stream().allMatch(s -> s.lastCommit() != null));
                Thread.sleep(2_000);   // one more flush after the rows above (a generator, not a test)
            }
        }
        Path dest = out.resolve("sources").resolve("orders");
        Files.createDirectories(dest);
        for (String f : List.of("offsets.dat", "schema-history.dat")) {
            Files.copy(state.resolve("sources").resolve("orders").resolve(f), dest.resolve(f));
        }
        assertThat(Files.size(dest.resolve("offsets.dat"))).isPositive();
    }
}
