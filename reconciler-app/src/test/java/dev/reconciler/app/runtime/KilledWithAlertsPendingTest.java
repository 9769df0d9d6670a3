package dev.reconciler.app.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.metrics.Scrape;
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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.reconciler.app.runtime.ExampleConfigEndToEndTest.deduction;
import static dev.reconciler.app.runtime.ExampleConfigEndToEndTest.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * docs/alerts.md's promise with a real process kill: {@code reconciler run} in a JVM of its own, with the shipped
 * deploy/config/order-inventory.yml plus a webhook sink, against two local MariaDB servers. The receiver is down
 * (503) while two discrepancies open, so their alerts wait in the outbox; the process is killed with SIGKILL (no
 * shutdown hook, no clean close of the state store). Started again on the same state with the receiver back, it
 * delivers both alerts (each idempotency key at least once, signed); then a late deduction resolves one discrepancy
 * and the resolution shows in the alerts (after the opening), the API and the metrics.
 */
class KilledWithAlertsPendingTest {
    private static final String SINK = "ops-webhook";
    private static final String SECRET = "webhook-secret-never-logged";
    private static final String DB_PASSWORD = "capture pa#ss";
    private static final Duration START = Duration.ofSeconds(90);
    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void killingTheProcessWithAlertsPendingLosesNoneAndAResolutionShowsEverywhere(@TempDir Path tmp) throws Exception {
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 31);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 32);
             Receiver receiver = new Receiver()) {
            ReconcilerProcess.supervise(processes -> scenario(tmp, orders, inventory, receiver, processes));
        }
    }

    private void scenario(Path tmp, LocalMariaDbServer orders, LocalMariaDbServer inventory, Receiver receiver,
                          List<ReconcilerProcess> processes) throws Exception {
        DemoSchema.create(orders, inventory);
        ExampleConfigEndToEndTest.createCaptureUser(List.of(orders, inventory), DB_PASSWORD);
        receiver.answer(r -> new Receiver.Response(503, "down for maintenance"));

        // The shipped file as is, plus an alerts section; everything else from the environment.
        Path config = tmp.resolve("reconciler.yml");
        Files.writeString(config, Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"))
                + "\nalerts:\n"
                + "  publicUrl: https://reconciler.example.test\n"
                + "  sinks:\n"
                + "    - name: " + SINK + "\n"
                + "      type: webhook\n"
                + "      url: " + receiver.url() + "/hooks/reconciler\n"
                + "      secret: ${RECONCILER_WEBHOOK_SECRET}\n"
                + "      timeout: 5s\n"
                + "      minBackoff: 200ms\n"
                + "      maxBackoff: 1s\n");
        Map<String, String> env = ReconcilerProcess.exampleEnvironment(orders, inventory, DB_PASSWORD,
                tmp.resolve("state"));
        env.put("RECONCILER_WEBHOOK_SECRET", SECRET);

        // ---- 1st process: two discrepancies open while the receiver is down
        ReconcilerProcess first = ReconcilerProcess.start(config, env, tmp.resolve("run-1.log"));
        processes.add(first);
        String api = first.awaitReady();
        orders.execute(DemoSchema.ORDERS_DB, List.of(
                order(1, "K1", 1, "CREATE_AND_CONFIRM", "CONFIRM"),    // its deduction comes only at the end
                order(2, "K2", 2, "CREATE_AND_CONFIRM", "CONFIRM")));  // deducted short
        inventory.execute(DemoSchema.INVENTORY_DB, List.of(deduction("K2", 1, "TRY_SALE")));

        Map<String, String> ids = new HashMap<>();   // "MISSING_RIGHT K1" -> discrepancy id
        await("both discrepancies listed by the API").atMost(START).pollInterval(Duration.ofMillis(500))
                .failFast("the reconciler exited", () -> !first.process.isAlive())
                .untilAsserted(() -> {
                    ids.clear();
                    for (JsonNode d : json(api + "/api/discrepancies").get("items")) {
                        ids.put(d.get("type").asText() + " " + d.get("key").get("order_id").asText(),
                                d.get("id").asText());
                    }
                    assertThat(ids).containsOnlyKeys("MISSING_RIGHT K1", "QUANTITY_MISMATCH K2");
                });
        String missing = ids.get("MISSING_RIGHT K1");
        String mismatch = ids.get("QUANTITY_MISMATCH K2");
        List<String> opened = List.of(missing + ":opened", mismatch + ":opened");
        await("both alerts pending in the outbox, the receiver refusing them").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(300))
                .failFast("the reconciler exited", () -> !first.process.isAlive())
                .untilAsserted(() -> {
                    assertThat(metrics(api).value("reconciler_alert_outbox_entries", "sink", SINK)).isEqualTo(2);
                    assertThat(metrics(api).value("reconciler_alerts_sent_total", "sink", SINK, "outcome",
                            "failure")).isGreaterThanOrEqualTo(1);
                });
        assertThat(receiver.answeredOk()).as("nothing was taken before the kill").isEmpty();
        assertThat(receiver.requests()).extracting(r -> r.header("Idempotency-Key"))
                .as("the first alert was tried, again and again").isNotEmpty().isSubsetOf(opened);
        assertThat(first.log()).as("the failure streak is logged").contains("failed (HTTP 503)");

        // ---- SIGKILL: no shutdown hook, no flush, no clean close of RocksDB or the Debezium offsets
        int exit = first.kill();
        assertThat(exit).as("killed by SIGKILL (128 + 9)").isEqualTo(137);
        assertThat(ProcessHandle.of(first.process.pid()).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(first.log()).doesNotContain("stopping (signal)").doesNotContain("stopped: state store closed");

        // ---- 2nd process on the same state, the receiver back
        receiver.answer(r -> new Receiver.Response(200, "{}"));
        ReconcilerProcess second = ReconcilerProcess.start(config, env, tmp.resolve("run-2.log"));
        processes.add(second);
        String api2 = second.awaitReady();
        await("every pending alert delivered after the restart").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(300))
                .failFast("the reconciler exited", () -> !second.process.isAlive())
                .untilAsserted(() -> assertThat(receiver.acceptedKeys()).containsAll(opened));
        assertThat(receiver.acceptedKeys()).as("each key at least once; nothing else happened")
                .containsExactlyInAnyOrderElementsOf(opened);
        for (Receiver.Request r : receiver.answeredOk()) {
            assertThat(r.path()).isEqualTo("/hooks/reconciler");
            assertThat(r.header("X-Reconciler-Signature")).as("HMAC-SHA256 of the raw body with the secret")
                    .isEqualTo(Receiver.signature(SECRET, r.body()));
            assertThat(r.header("X-Reconciler-Event")).isEqualTo("discrepancy.opened");
            JsonNode body = r.json();
            assertThat(body.get("idempotencyKey").asText()).isEqualTo(r.header("Idempotency-Key"));
            assertThat(body.get("status").asText()).isEqualTo("firing");
        }
        Map<String, JsonNode> delivered = receiver.accepted().stream()
                .collect(Collectors.toMap(r -> r.header("Idempotency-Key"), Receiver.Request::json));
        JsonNode missingOpened = delivered.get(missing + ":opened");
        JsonNode mismatchOpened = delivered.get(mismatch + ":opened");
        assertThat(missingOpened.get("labels").toString()).isEqualTo("{\"alertname\":\"ReconcilerDiscrepancy\","
                + "\"rule\":\"sale\",\"type\":\"MISSING_RIGHT\",\"key\":\"order_id=K1,goods_id=7\",\"severity\":\"warning\"}");
        assertThat(mismatchOpened.get("labels").get("type").asText()).isEqualTo("QUANTITY_MISMATCH");
        assertThat(mismatchOpened.get("discrepancy").get("difference").asText()).isEqualTo("-1");
        assertThat(missingOpened.get("link").asText())
                .isEqualTo("https://reconciler.example.test/#/discrepancies/" + missing);
        await("the outbox drained").atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> assertThat(metrics(api2).value("reconciler_alert_outbox_entries", "sink", SINK))
                        .isZero());
        assertThat(ids(api2, "open")).as("the discrepancies survived the kill, none twice")
                .containsExactlyInAnyOrder(missing, mismatch);
        assertThat(metrics(api2).value("reconciler_facts_total", "rule", "sale", "side", "left"))
                .as("K1 and K2 were not read again (their offsets were committed before the kill): the alerts"
                        + " came out of the durable outbox, not from a replay of the binlog").isZero();

        // ---- the late deduction resolves K1: alert, API and metrics
        String resolvedTotal = "reconciler_discrepancies_resolved_total";
        String[] lateDeduction = {"rule", "sale", "type", "MISSING_RIGHT", "reason", "COUNTERPART_ARRIVED"};
        double resolvedBefore = metrics(api2).value(resolvedTotal, lateDeduction);
        inventory.execute(DemoSchema.INVENTORY_DB, List.of(deduction("K1", 1, "TRY_SALE")));
        await("the resolution everywhere").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500))
                .failFast("the reconciler exited", () -> !second.process.isAlive())
                .untilAsserted(() -> {
                    assertThat(receiver.acceptedKeys()).contains(missing + ":resolved");
                    assertThat(ids(api2, "resolved")).containsExactly(missing);
                    assertThat(metrics(api2).value(resolvedTotal, lateDeduction))
                            .isEqualTo(resolvedBefore + 1);
                });
        List<String> keys = receiver.acceptedKeys();
        assertThat(keys.indexOf(missing + ":resolved")).as("resolved after its opening: " + keys)
                .isGreaterThan(keys.indexOf(missing + ":opened"));
        Receiver.Request resolved = receiver.accepted().get(keys.indexOf(missing + ":resolved"));
        assertThat(resolved.header("X-Reconciler-Signature")).isEqualTo(Receiver.signature(SECRET, resolved.body()));
        assertThat(resolved.header("X-Reconciler-Event")).isEqualTo("discrepancy.resolved");
        assertThat(resolved.json().get("status").asText()).isEqualTo("resolved");
        assertThat(resolved.json().get("discrepancy").get("resolution").asText()).isEqualTo("COUNTERPART_ARRIVED");
        assertThat(resolved.json().get("fingerprint").asText())
                .isEqualTo(missingOpened.get("fingerprint").asText());
        JsonNode listed = json(api2 + "/api/discrepancies?status=resolved").get("items").get(0);
        assertThat(listed.get("resolution").asText()).isEqualTo("COUNTERPART_ARRIVED");
        assertThat(listed.get("resolvedAt").isNull()).isFalse();
        assertThat(ids(api2, "open")).containsExactly(mismatch);
        assertThat(metrics(api2).value("reconciler_discrepancies_open", "rule", "sale", "type", "MISSING_RIGHT"))
                .isZero();

        // ---- SIGTERM stops it cleanly (docs/cli.md: 143 after the clean shutdown); no secret in any log
        assertThat(second.terminate()).as("exit code after SIGTERM").isEqualTo(143);
        assertThat(second.log()).contains("stopped: state store closed");
        for (ReconcilerProcess p : processes) {
            assertThat(p.log()).doesNotContain(SECRET).doesNotContain(DB_PASSWORD);
        }
    }

    // ---------------------------------------------------------------- helpers

    private List<String> ids(String api, String status) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode d : json(api + "/api/discrepancies?status=" + status).get("items")) out.add(d.get("id").asText());
        return out;
    }

    private Scrape metrics(String api) throws Exception {
        return new Scrape(get(api + "/metrics"));
    }

    private JsonNode json(String url) throws Exception {
        return mapper.readTree(get(url));
    }

    private String get(String url) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build();
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("GET " + url + ": " + r.body()).isEqualTo(200);
        return r.body();
    }
}
