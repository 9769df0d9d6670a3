package dev.reconciler.streams;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.cli.Main;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.source.HeartbeatWriter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
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
import java.util.Locale;
import java.util.Properties;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The distributed mode's own heartbeats ({@link StreamsHeartbeats}), with no embedded reconciler beside it: the
 * shipped configuration, the real MariaDB connector in the shared Connect worker (configured by {@code reconciler
 * connect-config}), the Streams application and its heartbeat writer. One sale whose deduction never comes and one
 * matched sale, then no traffic at all: the MISSING discrepancy is opened within grace + clock skew + a few seconds,
 * the matched pair is decided, and the idle sources are not reported stalled (stallAfter shortened to 10 s).
 */
class DistributedHeartbeatsTest {
    private static final String PASSWORD = "heartbeat capture pw";
    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final Duration CLOCK_SKEW = Duration.ofSeconds(5);   // the shipped file's
    private static final Duration STALL_AFTER = Duration.ofSeconds(10);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @TempDir
    Path tmp;

    @Test
    void withNoTrafficAfterASaleTheMissingDeductionIsOpenedAndTheIdleSourcesAreNotStalled() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.get();
        String run = KafkaTestCluster.unique("hb").replace('-', '_');
        String ordersSource = "orders_" + run;
        String inventorySource = "inventory_" + run;
        List<String> connectors = new ArrayList<>();
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 73);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 74)) {
            DemoSchema.create(orders, inventory);
            ShippedSetup.createCaptureUser(orders, DemoSchema.ORDERS_DB, PASSWORD);
            ShippedSetup.createCaptureUser(inventory, DemoSchema.INVENTORY_DB, PASSWORD);

            String yaml = ShippedSetup.shippedYaml(orders, inventory, PASSWORD, GRACE, tmp.resolve("state"));
            yaml = ShippedSetup.fill(yaml, "clockSkew: 5s", "clockSkew: " + CLOCK_SKEW.toSeconds() + "s");
            yaml = ShippedSetup.fill(yaml, "stallAfter: 2m", "stallAfter: " + STALL_AFTER.toSeconds() + "s");
            yaml = ShippedSetup.renameSources(yaml, ordersSource, inventorySource);
            Path file = tmp.resolve("reconciler.yml");
            Files.writeString(file, yaml);
            ReconcilerConfig config = new ConfigLoader(name -> null).load(file);

            // ---- capture: `reconciler connect-config`, posted to the shared worker
            Path credentials = tmp.resolve("credentials.properties");
            Files.writeString(credentials, ordersSource + ".database.password=" + PASSWORD + "\n"
                    + inventorySource + ".database.password=" + PASSWORD + "\n");
            Path generated = tmp.resolve("connectors");
            assertThat(Main.execute("connect-config", "-c", file.toString(), "--bootstrap-servers",
                    kafka.bootstrapServers(), "--replication-factor", "1", "--secrets-file", credentials.toString(),
                    "--output-dir", generated.toString())).as("reconciler connect-config").isZero();
            try (Stream<Path> s = Files.list(generated)) {
                for (Path f : s.sorted().toList()) {
                    String body = Files.readString(f);
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(kafka.connectUrl()
                                    + "connectors")).timeout(Duration.ofSeconds(60))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    connectors.add(JSON.readTree(body).get("name").asText());
                }
            }
            try (StreamsHeartbeats heartbeats = StreamsHeartbeats.start(config)) {
                // ---- the heartbeat writer first: its rows, captured by the connectors, create the change topics
                // (a real deployment has them before the application starts)
                for (String source : List.of(ordersSource, inventorySource)) {
                    await("a heartbeat row of " + source + " in its change topic").atMost(Duration.ofSeconds(120))
                            .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                            .until(() -> kafka.readToEnd(ReconcilerTopology.Settings.changeTopic(source),
                                    Duration.ofSeconds(5)).stream().anyMatch(DistributedHeartbeatsTest::heartbeatRow));
                }
                // ---- the Streams application, as StreamsMain starts it
                ReconcilerTopology.Settings defaults = StreamsMain.settings(config);
                ReconcilerTopology.Settings settings = new ReconcilerTopology.Settings(defaults.changeTopics(),
                        defaults.heartbeatTables(), KafkaTestCluster.unique("facts"),
                        KafkaTestCluster.unique("outcomes"), defaults.markerInterval(), defaults.tickInterval());
                Properties props = new Properties();
                props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
                props.put(StreamsConfig.APPLICATION_ID_CONFIG, KafkaTestCluster.unique("reconciler"));
                props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("streams-state").toString());
                KafkaStreams streams = StreamsMain.start(config, settings, props, 2, (short) 1);
                try {
                    // ---- one matched sale and one whose deduction never comes; then no traffic at all
                    orders.execute(DemoSchema.ORDERS_DB, List.of(ShippedSetup.order(0, "HB-MATCHED", 1),
                            ShippedSetup.order(1, "HB-MISSING", 2)));
                    inventory.execute(DemoSchema.INVENTORY_DB, List.of(ShippedSetup.deduction("HB-MATCHED", 1)));
                    long written = System.nanoTime();
                    List<ConsumerRecord<byte[], byte[]>> outcomes = kafka.readUntil(settings.outcomesTopic(),
                            r -> DistributedEndToEndTest.open(r).stream().anyMatch(d -> d.contains("HB-MISSING"))
                                    && DistributedEndToEndTest.matched(r).contains("HB-MATCHED"),
                            Duration.ofSeconds(60));
                    double opened = (System.nanoTime() - written) / 1e9;
                    assertThat(DistributedEndToEndTest.matched(outcomes)).as("decided without later traffic")
                            .contains("HB-MATCHED");
                    assertThat(DistributedEndToEndTest.open(outcomes)).hasSize(1)
                            .allMatch(d -> d.contains("MISSING") && d.contains("HB-MISSING"));
                    // the deadline is the commit time + grace + clock skew, seen once a later heartbeat's binlog
                    // event moved the watermark past it (1 s beats, 1 s commit-time resolution)
                    assertThat(opened).as("seconds from the writes to the MISSING discrepancy")
                            .isLessThan(GRACE.plus(CLOCK_SKEW).toSeconds() + 10.0);

                    // ---- idle past stallAfter: no source reported stalled. (Only what comes after this point: the
                    // application started with the heartbeats of the connectors' start behind it, possibly more than
                    // stallAfter on a loaded machine, which it rightly reports until it has caught up.)
                    Map<Integer, Long> seen = new HashMap<>();
                    for (ConsumerRecord<byte[], byte[]> r : outcomes) seen.merge(r.partition(), r.offset(), Math::max);
                    Thread.sleep(STALL_AFTER.plusSeconds(5).toMillis());
                    List<ConsumerRecord<byte[], byte[]>> idle = new ArrayList<>();
                    for (ConsumerRecord<byte[], byte[]> r : kafka.readToEnd(settings.outcomesTopic(),
                            Duration.ofSeconds(60))) {
                        if (r.offset() > seen.getOrDefault(r.partition(), -1L)) idle.add(r);
                    }
                    assertThat(DistributedEndToEndTest.types(idle)).as("outcomes while idle, with heartbeats")
                            .doesNotContain("SourceStalled");
                    for (HeartbeatWriter.State s : heartbeats.states()) {
                        assertThat(s.failing()).as(s.toString()).isFalse();
                        assertThat(s.beats()).as(s.toString()).isGreaterThan(STALL_AFTER.toSeconds());
                    }
                    System.out.printf(Locale.ROOT, "%nDISTRIBUTED HEARTBEATS: MISSING opened %.1f s after the"
                                    + " writes with no later traffic (grace %d s + clock skew %d s); no stall in %d s"
                                    + " idle; writers %s%n%n", opened, GRACE.toSeconds(), CLOCK_SKEW.toSeconds(),
                            STALL_AFTER.plusSeconds(5).toSeconds(), heartbeats.states());
                } finally {
                    streams.close(Duration.ofSeconds(30));
                }
            } finally {
                for (String c : connectors) {
                    try {
                        kafka.connect().deleteConnector(c);
                    } catch (RuntimeException e) {
                        System.out.println("could not delete connector " + c + ": " + e.getMessage());
                    }
                }
            }
        }
    }

    /** A change record of the heartbeat table (JSON with schema, as the connectors write it). */
    private static boolean heartbeatRow(ConsumerRecord<byte[], byte[]> r) {
        try {
            return r.value() != null && JSON.readTree(r.value()).path("payload").path("source").path("table").asText()
                    .equals("reconciler_heartbeat");
        } catch (java.io.IOException e) {
            return false;
        }
    }




}
