package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code reconciler status} and {@code reconciler discrepancies ...} against a running reconciler (in-process
 * runtime, the shipped configuration plus an API token) on two local MariaDB servers with real discrepancies: E2
 * confirmed and never deducted (sale MISSING_RIGHT), E4 deducted without an order (sale MISSING_LEFT).
 */
class ClientCommandsEndToEndTest {
    static final String TOKEN = "cli-test-token-0123456789abcdef";
    final Map<String, String> env = new HashMap<>();

    record Run(int code, String out, String err) {
        JsonNode json() throws Exception {
            return Json.MAPPER.readTree(out);
        }
    }

    Run run(String... args) {
        ServerClient.env = env::get;
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = Main.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @AfterEach
    void resetEnv() {
        ServerClient.env = System::getenv;
    }

    @Test
    void onCallStepsFromTheCommandLineAgainstARunningReconciler(@TempDir Path tmp) throws Exception {
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 23);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 24)) {
            DemoSchema.create(orders, inventory);
            Map<String, String> vars = Map.of(
                    "ORDER_DB_PORT", Integer.toString(orders.port()), "ORDER_DB_USER", "root",
                    "INVENTORY_DB_PORT", Integer.toString(inventory.port()), "INVENTORY_DB_USER", "root",
                    "RECONCILER_STATE_DIR", tmp.resolve("state").toString(), "RECONCILER_HTTP_PORT", "0",
                    "RECONCILER_GRACE", "2s");
            String yaml = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"))
                    .replace("http:\n", "http:\n  token: " + TOKEN + "\n");
            Path file = tmp.resolve("reconciler.yml");
            Files.writeString(file, yaml);
            ReconcilerConfig config = new ConfigLoader(vars::get).load(file);
            try (ReconcilerRuntime r = ReconcilerRuntime.start(config, null)) {
                String server = r.api().url();
                orders.execute("orders", List.of(order(1, "E2", 2)));
                inventory.execute("inventory", List.of(deduction("E4", 1)));
                await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                    Run list = run("discrepancies", "list", "--server", server);
                    assertThat(list.code()).isZero();
                    assertThat(list.out()).contains("MISSING_RIGHT").contains("order_id=E2")
                            .contains("MISSING_LEFT").contains("order_id=E4");
                });
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    Run status = run("status", "--server", server);
                    assertThat(status.code()).as(status.out() + status.err()).isZero();
                    assertThat(status.out()).contains("orders").contains("inventory").contains("sale")
                            .contains("everything is being checked");
                });

                JsonNode page = run("discrepancies", "list", "--server", server, "--type", "MISSING_RIGHT", "--json")
                        .json();
                String e2 = page.get("items").get(0).get("id").asText();
                Run show = run("discrepancies", "show", e2, "--server", server);
                assertThat(show.code()).isZero();
                assertThat(show.out()).contains("sale MISSING_RIGHT  OPEN").contains("trade_order_stream_0001")
                        .contains("item_count=2").contains("OPENED").contains("engine");

                // Steps need the token.
                Run noToken = run("discrepancies", "waive", e2, "--reason", "known", "--server", server);
                assertThat(noToken.code()).isEqualTo(ServerClient.UNAUTHORIZED);
                assertThat(noToken.err()).contains("RECONCILER_API_TOKEN");
                assertThat(run("discrepancies", "waive", e2, "--server", server).code())
                        .as("--reason is mandatory").isEqualTo(Main.USAGE);

                env.put("RECONCILER_API_TOKEN", TOKEN);
                Run waived = run("discrepancies", "waive", e2, "--reason", "OPS-1: known", "--by", "alice",
                        "--server", server);
                assertThat(waived.code()).as(waived.err()).isZero();
                assertThat(waived.out()).contains("WAIVED").contains("alice").contains("OPS-1: known");
                Run again = run("discrepancies", "waive", e2, "--reason", "x", "--server", server);
                assertThat(again.code()).isEqualTo(ServerClient.REFUSED);
                assertThat(again.err()).contains("waived already");
                assertThat(run("discrepancies", "list", "--server", server, "--status", "waived").out())
                        .contains(e2);
                assertThat(run("discrepancies", "list", "--server", server).out()).doesNotContain(e2);
                Run st = run("status", "--server", server, "--json");
                assertThat(st.json().get("rules").get(0).get("waived").get("MISSING_RIGHT").asLong()).isEqualTo(1);
                assertThat(st.json().get("rules").get(0).get("open").get("MISSING_RIGHT").asLong()).isZero();

                // A token from a file works as well.
                Path tokenFile = tmp.resolve("token");
                Files.writeString(tokenFile, TOKEN + "\n");
                env.remove("RECONCILER_API_TOKEN");
                assertThat(run("discrepancies", "reopen", e2, "--by", "bob", "--token-file", tokenFile.toString(),
                        "--server", server).code()).isZero();
                env.put("RECONCILER_API_TOKEN", TOKEN);
                assertThat(run("discrepancies", "ack", e2, "--note", "looking", "--server", server).code()).isZero();
                Run resolved = run("discrepancies", "resolve", e2, "--reason", "fixed by hand", "--server", server,
                        "--json");
                assertThat(resolved.code()).isZero();
                assertThat(resolved.json().get("resolution").asText()).isEqualTo("MANUAL");
                assertThat(resolved.json().get("timeline")).hasSize(5);

                Run audit = run("discrepancies", "audit", "--server", server);
                assertThat(audit.code()).isZero();
                assertThat(audit.out().lines().skip(1).map(l -> l.split("\\s+")[1]).toList())
                        .containsExactly("RESOLVED", "ACKNOWLEDGED", "REOPENED", "WAIVED");
                assertThat(audit.out()).contains("alice").contains("bob").contains("OPS-1: known");

                assertThat(run("discrepancies", "show", "0123456789abcdef", "--server", server).code())
                        .isEqualTo(ServerClient.NOT_FOUND);
            }
            Run down = run("status", "--server", "http://127.0.0.1:1");
            assertThat(down.code()).isEqualTo(Main.FAILED);
            assertThat(down.err()).contains("cannot connect");
        }
    }

    static String order(int shard, String id, int count) {
        return String.format("INSERT INTO trade_order_stream_%04d (order_id, buyer_id, seller_id, identifier, goods_id,"
                + " goods_type, order_amount, item_price, item_count, order_state, stream_identifier, stream_type)"
                + " VALUES ('%s', 'B1', 'S1', 'req-%s', '7', 'COLLECTION', 9.9, 9.9, %d, 'CONFIRM', '%s-C',"
                + " 'CREATE_AND_CONFIRM')", shard, id, id, count, id);
    }

    static String deduction(String id, int quantity) {
        return String.format("INSERT INTO collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                + " identifier) VALUES (7, %d, 'TRY_SALE', '%s')", quantity, id);
    }
}
