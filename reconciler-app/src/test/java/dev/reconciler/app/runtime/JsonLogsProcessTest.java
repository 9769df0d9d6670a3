package dev.reconciler.app.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.reconciler.app.runtime.ExampleConfigEndToEndTest.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code RECONCILER_LOG_FORMAT=json}: {@code reconciler run} (shipped config and logback.xml) in a JVM of its own,
 * started, fed an order that never gets its deduction, and stopped with SIGTERM. Every line it wrote (stdout and
 * stderr) is one JSON object with the documented fields; the source's lines carry {@code source}; neither the
 * database password nor a row value (the order id) appears.
 */
class JsonLogsProcessTest {
    private static final String DB_PASSWORD = "capture pa#ss json";
    private static final String ORDER_ID = "JSONLOG-ROW-VALUE-7731";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR");

    @Test
    void everyLineIsAJsonObjectWithTimeLevelLoggerThreadMessageAndSource(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("run.log");
        ReconcilerProcess process = null;
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 51);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 52)) {
            DemoSchema.create(orders, inventory);
            ExampleConfigEndToEndTest.createCaptureUser(List.of(orders, inventory), DB_PASSWORD);
            Path config = tmp.resolve("reconciler.yml");
            Files.writeString(config, Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml")));
            Map<String, String> env = ReconcilerProcess.exampleEnvironment(orders, inventory, DB_PASSWORD,
                    tmp.resolve("state"));
            env.put("RECONCILER_LOG_FORMAT", "json");

            process = ReconcilerProcess.start(config, env, log);
            String api = process.awaitReady();
            orders.execute(DemoSchema.ORDERS_DB, List.of(order(1, ORDER_ID, 1, "CREATE_AND_CONFIRM", "CONFIRM")));
            // grace 2 s: the order is reported missing its deduction (a discrepancy: alerts and API, not the log)
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            await("the missing deduction reported").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                    .until(() -> http.send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create(api + "/api/discrepancies")).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString()).body().contains(ORDER_ID));
            assertThat(process.terminate()).as("stopped by SIGTERM (the JVM's exit code for it is 143)").isIn(0, 143);
        } catch (Throwable t) {
            if (process != null) {
                process.terminate();
                System.err.println("---- " + log + "\n" + process.log());
            }
            throw t;
        }

        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        assertThat(lines).as("the process logged its start and stop").hasSizeGreaterThan(5);
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            JsonNode e;
            try {
                e = json.readTree(line);
            } catch (Exception x) {
                throw new AssertionError("not a JSON line: " + line, x);
            }
            assertThat(e.isObject()).as(line).isTrue();
            assertThat(e.path("time").asText()).as(line).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
            assertThat(Instant.parse(e.get("time").asText())).as(line).isBefore(Instant.now().plusSeconds(1));
            assertThat(e.path("level").asText()).as(line).isIn(LEVELS);
            assertThat(e.path("logger").asText()).as(line).isNotBlank();
            assertThat(e.path("thread").asText()).as(line).isNotBlank();
            assertThat(e.has("message")).as(line).isTrue();
            assertThat(line).as("no secret in the log").doesNotContain(DB_PASSWORD);
            assertThat(line).as("no row value in the log").doesNotContain(ORDER_ID);
            events.add(e);
        }
        assertThat(events).as("the source's own lines name it in the source field")
                .anySatisfy(e -> {
                    assertThat(e.path("source").asText()).isEqualTo("orders");
                    assertThat(e.path("message").asText()).startsWith("source orders:");
                })
                .anySatisfy(e -> assertThat(e.path("source").asText()).isEqualTo("inventory"));
        assertThat(events).as("every line about a source carries its name")
                .filteredOn(e -> e.path("message").asText().startsWith("source orders:"))
                .allSatisfy(e -> assertThat(e.path("source").asText()).isEqualTo("orders"));
        assertThat(events).extracting(e -> e.path("message").asText())
                .anyMatch(m -> m.startsWith("every source streams"))
                .anyMatch(m -> m.startsWith("stopped:"));
    }
}
