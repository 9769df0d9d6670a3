package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.metrics.MetricsConfig;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.testing.OrderInventory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The Streams application's HTTP endpoint against a real application on the shared in-process broker: two
 * instances in one JVM, two facts partitions (one each). Either instance answers for both partitions: a listing
 * merges them page by page, and a discrepancy whose partition runs on the other instance is found through it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StreamsApiTest {
    static final Duration GRACE = Duration.ofSeconds(30);
    static final int ORDERS_WITHOUT_DEDUCTION = 12;
    static final EngineConfig CONFIG = OrderInventory.config(GRACE);
    static final Instant BASE = Instant.now().minusSeconds(100).truncatedTo(ChronoUnit.SECONDS);
    /** Reads need the token: the instances' calls to each other must carry it too. */
    static final String TOKEN = "0123456789abcdef0123456789abcdef";

    @TempDir
    static Path dir;
    static StreamsMain.Instance a;
    static StreamsMain.Instance b;
    /** Both instances' webhook: one of them is the active alerter (docs/scale-out.md, alerts). */
    static final Receiver hook = new Receiver();
    static final HttpClient client = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.get();
        String orders = KafkaTestCluster.unique("orders.changes");
        String inventory = KafkaTestCluster.unique("inventory.changes");
        kafka.createTopic(orders, 1);
        kafka.createTopic(inventory, 1);
        ReconcilerTopology.Settings settings = new ReconcilerTopology.Settings(Map.of(ORDERS, orders, INVENTORY,
                inventory), Map.of(ORDERS, ChangeRecords.HEARTBEAT_TABLE, INVENTORY, ChangeRecords.HEARTBEAT_TABLE),
                KafkaTestCluster.unique("facts"), KafkaTestCluster.unique("outcomes"), Duration.ofSeconds(1),
                Duration.ofSeconds(1));
        String application = KafkaTestCluster.unique("api");
        a = instance(settings, application, "a");
        b = instance(settings, application, "b");

        // Orders whose stock deduction never comes, then both sources' heartbeats past the grace.
        ChangeRecords changes = new ChangeRecords();
        List<ChangeRecords.Change> history = new ArrayList<>();
        for (int i = 1; i <= ORDERS_WITHOUT_DEDUCTION; i++) {
            history.add(changes.insert(orders, shard(1), orderRow(i, "O" + i, "42", "CONFIRM", "CONFIRM", 1, 0),
                    at(i)));
        }
        for (int s = 0; s <= 95; s += 5) {
            history.add(changes.heartbeat(orders, at(s + 0.5)));
            history.add(changes.heartbeat(inventory, at(s + 0.6)));
        }
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (ChangeRecords.Change c : history) producer.send(new ProducerRecord<>(c.topic(), c.key(), c.value()));
        }
    }

    static StreamsMain.Instance instance(ReconcilerTopology.Settings settings, String application, String name)
            throws InterruptedException {
        Properties props = new Properties();
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, KafkaTestCluster.get().bootstrapServers());
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, application);
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.resolve(name).toString());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put("reconciler.facts.partitions", "2");
        props.put("reconciler.replication.factor", "1");
        ApiConfig http = new ApiConfig("127.0.0.1", 0, TOKEN, true, ApiConfig.defaults().limits());
        AlertsConfig alerts = AlertsConfig.of(null, List.of(SinkConfig.of("hook", SinkType.WEBHOOK, hook.url())
                .withStormThreshold(1000)));
        return StreamsMain.Instance.start(CONFIG, http, MetricsConfig.defaults(), dir.resolve(name), settings, props,
                alerts);
    }

    static Instant at(double seconds) {
        return BASE.plusMillis((long) (seconds * 1000));
    }

    @AfterAll
    static void stop() {
        if (a != null) a.close();
        if (b != null) b.close();   // idempotent
        hook.close();
    }

    record Reply(int status, JsonNode json, String text) {
    }

    static Reply get(StreamsMain.Instance i, String path) throws IOException, InterruptedException {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create(i.api().url() + path))
                .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = r.headers().firstValue("Content-Type").orElse("").startsWith("application/json")
                ? Json.MAPPER.readTree(r.body()) : null;
        return new Reply(r.statusCode(), json, r.body());
    }

    /** Both instances running, each with one of the two partitions, and every discrepancy opened. */
    static void settled() {
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            for (StreamsMain.Instance i : List.of(a, b)) {
                assertThat(i.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(get(i, "/health/ready").status()).isEqualTo(200);
                assertThat(get(i, "/api/status").json().get("partitions")).hasSize(1);
                Reply list = get(i, "/api/discrepancies?limit=1000");
                assertThat(list.status()).as(list.text()).isEqualTo(200);
                assertThat(list.json().get("items")).hasSize(ORDERS_WITHOUT_DEDUCTION);
            }
        });
    }

    @Test
    @Order(1)
    void eitherInstanceAnswersForEveryPartition() throws Exception {
        settled();
        Reply fromA = get(a, "/api/discrepancies?limit=1000");
        Reply fromB = get(b, "/api/discrepancies?limit=1000");
        assertThat(fromA.json()).isEqualTo(fromB.json());
        List<String> ids = new ArrayList<>();
        for (JsonNode item : fromA.json().get("items")) {
            assertThat(item.get("type").asText()).isEqualTo("MISSING_RIGHT");
            assertThat(item.get("rule").asText()).isEqualTo("sale");
            ids.add(item.get("id").asText());
        }
        assertThat(ids).isSorted().doesNotHaveDuplicates();

        // Each instance's own partition holds some of them: the orders are spread by key.
        int partitionOfA = get(a, "/api/status").json().get("partitions").get(0).asInt();
        int partitionOfB = get(b, "/api/status").json().get("partitions").get(0).asInt();
        assertThat(Set.of(partitionOfA, partitionOfB)).containsExactlyInAnyOrder(0, 1);
        List<String> onA = ids(get(a, "/api/discrepancies?limit=1000&partitions=" + partitionOfA));
        List<String> onB = ids(get(b, "/api/discrepancies?limit=1000&partitions=" + partitionOfB));
        assertThat(onA).isNotEmpty();
        assertThat(onB).isNotEmpty();
        Set<String> union = new HashSet<>(onA);
        union.addAll(onB);
        assertThat(union).containsExactlyInAnyOrderElementsOf(ids);
        // An instance does not answer for a partition it does not run.
        assertThat(get(a, "/api/discrepancies?partitions=" + partitionOfB).status()).isEqualTo(503);

        // A discrepancy stored on the other instance, by id, from either.
        String elsewhere = onB.get(0);
        Reply one = get(a, "/api/discrepancies/" + elsewhere);
        assertThat(one.status()).as(one.text()).isEqualTo(200);
        assertThat(one.json().get("id").asText()).isEqualTo(elsewhere);
        assertThat(get(b, "/api/discrepancies/" + elsewhere).json()).isEqualTo(one.json());
        assertThat(get(a, "/api/discrepancies/0123456789abcdef").status()).isEqualTo(404);

        // Pages of 5 through one instance give the same list, in the same order, as the one page.
        List<String> paged = new ArrayList<>();
        String next = null;
        do {
            Reply page = get(b, "/api/discrepancies?limit=5" + (next == null ? "" : "&cursor=" + next));
            assertThat(page.status()).isEqualTo(200);
            assertThat(page.json().get("items").size()).isLessThanOrEqualTo(5);
            paged.addAll(ids(page));
            next = page.json().get("next").isNull() ? null : page.json().get("next").asText();
        } while (next != null);
        assertThat(paged).isEqualTo(ids);
    }

    @Test
    @Order(2)
    void statusAndMetricsShowThisInstancesTasksAndTheSourcesAsItsEnginesSeeThem() throws Exception {
        settled();
        JsonNode status = get(a, "/api/status").json();
        assertThat(status.get("mode").asText()).isEqualTo("distributed");
        assertThat(status.get("state").asText()).isEqualTo("RUNNING");
        assertThat(status.get("stateOpen").asBoolean()).isTrue();
        assertThat(status.get("instances")).hasSize(2);
        assertThat(status.get("endpoint").asText()).isEqualTo("127.0.0.1:" + a.api().port());
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> {
            JsonNode s = get(a, "/api/status").json();
            for (JsonNode source : s.get("sources")) {
                assertThat(source.get("watermark").isNull()).as(source.toString()).isFalse();
                assertThat(Instant.parse(source.get("watermark").asText())).isAfter(at(90));
            }
        });

        Reply metrics = get(a, "/metrics");
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.text()).contains("reconciler_discrepancies_open{rule=\"sale\",type=\"MISSING_RIGHT\"}")
                .contains("reconciler_source_watermark_timestamp_seconds{source=\"orders\"}")
                .contains("reconciler_streams_state{state=\"RUNNING\"} 1.0")
                .contains("reconciler_streams_partitions 1.0")
                .contains("kafka_stream_");
        // The two instances' open counts add up to every discrepancy (each counts its own partition). The engines
        // publish their numbers once per tick, so a gauge may be a second behind the stores the listing reads.
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() -> assertThat(openGauge(get(a, "/metrics").text())
                + openGauge(get(b, "/metrics").text())).isEqualTo(ORDERS_WITHOUT_DEDUCTION));
        // Valid Prometheus text exposition (promtool parses it).
        Process promtool = new ProcessBuilder("promtool", "check", "metrics").redirectErrorStream(true).start();
        promtool.getOutputStream().write(metrics.text().getBytes(StandardCharsets.UTF_8));
        promtool.getOutputStream().close();
        String out = new String(promtool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(promtool.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(out).doesNotContain("error while linting").doesNotContain("text format parsing error");

        assertThat(get(a, "/health/live").status()).isEqualTo(200);
        // Without the token: refused (protectReads); probes stay open.
        HttpResponse<String> anonymous = client.send(HttpRequest.newBuilder(URI.create(a.api().url()
                + "/api/discrepancies")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(get(a, "/api/discrepancies/x/ack").status()).isEqualTo(405);   // POST only (501 in this mode)
    }

    /**
     * The instance wiring starts an alerter on each instance: exactly one of them is active, it alerts every
     * discrepancy of both partitions once, and its metrics are on that instance's /metrics.
     */
    @Test
    @Order(3)
    void oneOfTheInstancesAlertsEveryDiscrepancyOfBothPartitions() throws Exception {
        settled();
        Set<String> ids = new HashSet<>(ids(get(a, "/api/discrepancies?limit=1000")));
        await().atMost(60, TimeUnit.SECONDS).untilAsserted(() -> {
            Set<String> alerted = new HashSet<>();
            for (Receiver.Request r : hook.accepted()) {
                JsonNode body = r.json();
                if (body.path("event").asText().equals("discrepancy.opened")) {
                    alerted.add(body.path("discrepancy").path("id").asText());
                }
            }
            assertThat(alerted).isEqualTo(ids);
        });
        assertThat(alertsActive(get(a, "/metrics").text()) + alertsActive(get(b, "/metrics").text()))
                .as("exactly one active alerter over the instances").isEqualTo(1.0);
    }

    static double alertsActive(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("reconciler_alerts_active"))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /**
     * When an instance leaves, the other takes its partition over (restoring its stores from the changelog), is not
     * ready meanwhile, and then answers for both partitions alone. Last: it stops instance b.
     */
    @Test
    @Order(4)
    void whenAnInstanceLeavesTheOtherIsNotReadyUntilItRunsBothPartitions() throws Exception {
        settled();
        List<String> before = ids(get(a, "/api/discrepancies?limit=1000"));
        List<Integer> readiness = new ArrayList<>();
        Thread closing = new Thread(b::close);
        closing.start();
        await().atMost(120, TimeUnit.SECONDS).pollInterval(Duration.ofMillis(20)).untilAsserted(() -> {
            Reply ready = get(a, "/health/ready");
            readiness.add(ready.status());
            assertThat(readiness).contains(503);
            assertThat(ready.status()).isEqualTo(200);
            assertThat(get(a, "/api/status").json().get("partitions")).hasSize(2);
        });
        closing.join();
        Reply alone = get(a, "/api/discrepancies?limit=1000");
        assertThat(alone.status()).as(alone.text()).isEqualTo(200);
        assertThat(ids(alone)).isEqualTo(before);
        assertThat(get(a, "/metrics").text()).contains("reconciler_streams_partitions 2.0");
        // The moved task's engine publishes its numbers at its first tick (1 s).
        await().atMost(30, TimeUnit.SECONDS).untilAsserted(() ->
                assertThat(openGauge(get(a, "/metrics").text())).isEqualTo(ORDERS_WITHOUT_DEDUCTION));
    }

    private static double openGauge(String text) {
        String prefix = "reconciler_discrepancies_open{rule=\"sale\",type=\"MISSING_RIGHT\"} ";
        for (String line : text.split("\n")) {
            if (line.startsWith(prefix)) return Double.parseDouble(line.substring(prefix.length()).trim());
        }
        throw new AssertionError("no " + prefix + " in the metrics");
    }

    private static List<String> ids(Reply page) {
        List<String> ids = new ArrayList<>();
        for (JsonNode item : page.json().get("items")) ids.add(item.get("id").asText());
        return ids;
    }
}
