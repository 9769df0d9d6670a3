package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.cli.Main;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.FlashSaleTraffic;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.runtime.FinalTablesOracle;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The distributed mode end to end, against the embedded mode and the oracle: two local MariaDB servers with the
 * shipped schema and configuration (deploy/config/order-inventory.yml), the real Debezium MariaDB connector in a
 * Kafka Connect worker configured by {@code reconciler connect-config} itself, and the Streams application started by
 * {@link StreamsMain#start} on the same in-process broker ({@link KafkaTestCluster}). The embedded reconciler
 * ({@link ReconcilerRuntime}, as {@code reconciler run}) reads the same two servers at the same time.
 *
 * <p>Flash-sale traffic with the article's faults injected ({@link FlashSaleTraffic}) runs for a while; in its middle
 * the Connect worker is stopped, the traffic goes on, and a new worker is started, which resumes the connectors from
 * the offsets in Kafka. Afterwards:
 * <ul>
 *   <li>the discrepancies open at the end, read from the outcomes topic, equal {@link FinalTablesOracle}'s (the
 *       article's SQL on the final tables) by rule, type, key and quantity difference — nothing lost, nothing false —
 *       and equal the embedded mode's open set;</li>
 *   <li>every order written while the worker was down reached the engine: it is matched, or it is one of the
 *       oracle's discrepancies (no MISSING for it, no DUPLICATE from rows read again);</li>
 *   <li>change records delivered a second time (Connect's at-least-once after an unclean stop, replayed here by
 *       appending copies to the change topic) change nothing: the engine recognises an image it already holds for
 *       that row at that binlog position ({@code PairDecider.upsert}: "exact replay").</li>
 * </ul>
 *
 * <p>Heartbeats: the distributed mode has no heartbeat writer yet (docs/scale-out.md, "Heartbeats"). Here the
 * embedded reconciler writes its heartbeat rows into the same tables every second; the connectors capture them, so
 * they move the distributed mode's watermarks too, as a writer would. Without them the last orders of the traffic
 * would wait for more traffic, and the sources would be reported stalled.
 */
class DistributedEndToEndTest {
    private static final String PASSWORD = "e2e capture pw";
    private static final Duration GRACE = Duration.ofSeconds(3);
    private static final int PARTITIONS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final long t0 = System.nanoTime();

    @TempDir
    Path tmp;

    @Test
    void aFlashSaleWithFaultsAndAConnectWorkerRestartGivesTheOraclesAndTheEmbeddedModesDiscrepancies() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.get();
        say("cluster ready (started in %.1f s by the first test that used it)", kafka.startTime().toMillis() / 1e3);
        String run = KafkaTestCluster.unique("e2e").replace('-', '_');
        String ordersSource = "orders_" + run;
        String inventorySource = "inventory_" + run;
        List<String> connectors = new ArrayList<>();
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 71);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 72)) {
            DemoSchema.create(orders, inventory);
            ShippedSetup.createCaptureUser(orders, DemoSchema.ORDERS_DB, PASSWORD);
            ShippedSetup.createCaptureUser(inventory, DemoSchema.INVENTORY_DB, PASSWORD);
            say("databases ready");

            // ---- the same shipped file for both modes; only its ${VAR:-default}s and, for the Connect side, the
            // source names (unique topics on the shared broker) and server ids (two binlog readers on one server).
            String embeddedYaml = ShippedSetup.shippedYaml(orders, inventory, PASSWORD, GRACE,
                    tmp.resolve("embedded-state"));
            embeddedYaml = ShippedSetup.fill(embeddedYaml, "${RECONCILER_HTTP_PORT:-8080}", "0");
            String connectYaml = ShippedSetup.renameSources(embeddedYaml, ordersSource, inventorySource);
            connectYaml = ShippedSetup.fill(connectYaml, "serverId: 5401", "serverId: 5411");
            connectYaml = ShippedSetup.fill(connectYaml, "serverId: 5402", "serverId: 5412");
            assertThat(connectYaml).contains("name: " + ordersSource, "source: " + ordersSource,
                    "name: " + inventorySource, "source: " + inventorySource);
            Path connectFile = tmp.resolve("reconciler-connect.yml");
            Files.writeString(connectFile, connectYaml);
            ReconcilerConfig embeddedConfig = new ConfigLoader(name -> null).load(embeddedYaml, "embedded.yml");
            ReconcilerConfig streamsConfig = new ConfigLoader(name -> null).load(connectFile);

            // a sale before anything runs: read by both modes' snapshots
            orders.execute(DemoSchema.ORDERS_DB, List.of(ShippedSetup.order(0, "SNAP-1", 1)));
            inventory.execute(DemoSchema.INVENTORY_DB, List.of(ShippedSetup.deduction("SNAP-1", 1)));

            try (ReconcilerRuntime embedded = ReconcilerRuntime.start(embeddedConfig, null)) {
                String api = embedded.api().url();
                say("embedded reconciler started");

                // ---- capture: `reconciler connect-config`, the connectors posted to Connect's REST API
                Path credentials = tmp.resolve("credentials.properties");
                Files.writeString(credentials, ordersSource + ".database.password=" + PASSWORD + "\n"
                        + inventorySource + ".database.password=" + PASSWORD + "\n");
                Path generated = tmp.resolve("connectors");
                int exit = Main.execute("connect-config", "-c", connectFile.toString(), "--bootstrap-servers",
                        kafka.bootstrapServers(), "--replication-factor", "1", "--secrets", "file",
                        "--secrets-file", credentials.toString(), "--output-dir", generated.toString());
                assertThat(exit).as("reconciler connect-config").isZero();
                List<Path> files;
                try (Stream<Path> s = Files.list(generated)) {
                    files = s.sorted().toList();
                }
                assertThat(files).hasSize(2);
                double posted = now();
                for (Path f : files) {
                    String body = Files.readString(f);
                    assertThat(body).as("no secret in a connector configuration").doesNotContain(PASSWORD);
                    HttpResponse<String> r = post(kafka.connectUrl() + "connectors", body);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
                    connectors.add(JSON.readTree(body).get("name").asText());
                }
                String ordersTopic = ReconcilerTopology.Settings.changeTopic(ordersSource);
                String inventoryTopic = ReconcilerTopology.Settings.changeTopic(inventorySource);
                for (String topic : List.of(ordersTopic, inventoryTopic)) {
                    await("the snapshot of " + topic).atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
                            .ignoreExceptions().until(() -> !kafka.readToEnd(topic, Duration.ofSeconds(5)).isEmpty());
                }
                double snapshotSeconds = now() - posted;
                say("connectors posted; first change records in both topics %.1f s later", snapshotSeconds);

                // ---- the Streams application, as StreamsMain runs it, with names of its own on the shared broker
                ReconcilerTopology.Settings defaults = StreamsMain.settings(streamsConfig);
                ReconcilerTopology.Settings settings = new ReconcilerTopology.Settings(defaults.changeTopics(),
                        defaults.heartbeatTables(), KafkaTestCluster.unique("facts"),
                        KafkaTestCluster.unique("outcomes"), defaults.markerInterval(), defaults.tickInterval());
                Properties props = new Properties();
                props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
                props.put(StreamsConfig.APPLICATION_ID_CONFIG, KafkaTestCluster.unique("reconciler"));
                props.put(StreamsConfig.STATE_DIR_CONFIG, tmp.resolve("streams-state").toString());
                double streamsFrom = now();
                KafkaStreams streams = StreamsMain.start(streamsConfig, settings, props, PARTITIONS, (short) 1);
                try {
                    // wait on data: the snapshot's sale decided in the outcomes topic
                    kafka.readUntil(settings.outcomesTopic(), r -> matched(r).contains("SNAP-1"),
                            Duration.ofSeconds(120));
                    say("Streams application started; first outcome %.1f s later", now() - streamsFrom);

                    // ---- traffic, with the Connect worker stopped in its middle
                    FlashSaleTraffic traffic = new FlashSaleTraffic(connections(orders, DemoSchema.ORDERS_DB),
                            connections(inventory, DemoSchema.INVENTORY_DB), 20, 0.1, 16);
                    traffic.start();
                    Thread.sleep(6_000);
                    Map<String, Long> beforeStop = maxIds(orders, inventory);
                    double stopFrom = now();
                    kafka.stopWorker();
                    double stopped = now();
                    say("Connect worker stopped (%.1f s); traffic goes on", stopped - stopFrom);
                    Thread.sleep(5_000);
                    Map<String, Long> whileDown = maxIds(orders, inventory);
                    long ordersWrittenWhileDown = rowsBetween(beforeStop, whileDown, "trade_order_stream");
                    long inventoryWrittenWhileDown = rowsBetween(beforeStop, whileDown, "collection_inventory_stream");
                    long endBeforeRestart = endOffset(kafka, ordersTopic);
                    long inventoryEndBeforeRestart = endOffset(kafka, inventoryTopic);
                    double startFrom = now();
                    kafka.startWorker();
                    double started = now();
                    kafka.readUntil(ordersTopic, r -> r.size() > endBeforeRestart, Duration.ofSeconds(120));
                    double resumed = now() - started;
                    say("Connect worker started (%.1f s; down %.1f s, %d order rows and %d inventory rows written"
                                    + " meanwhile); first new change record %.1f s after the start",
                            started - startFrom, started - stopped, ordersWrittenWhileDown,
                            inventoryWrittenWhileDown, resumed);
                    Thread.sleep(5_000);
                    traffic.stop();
                    Instant trafficStopped = Instant.now();
                    double stoppedAt = now();
                    Map<String, Long> afterRestart = maxIds(orders, inventory);
                    say("traffic stopped: %d orders, injected %s", traffic.orders(), traffic.injectedByRuleType());

                    // ---- the oracle, on the final tables
                    Set<String> expected = new TreeSet<>();
                    for (FinalTablesOracle.Expected e : FinalTablesOracle.judge(orders, inventory)) {
                        expected.add(e.toString());
                    }
                    assertThat(expected).as("faults were injected").isNotEmpty();

                    // ---- the distributed mode: wait on data (the open set from the outcomes topic)
                    List<ConsumerRecord<byte[], byte[]>> outcomes = kafka.readUntil(settings.outcomesTopic(),
                            r -> open(r).equals(expected), Duration.ofSeconds(120));
                    double caughtUp = now() - stoppedAt;
                    // and it stays so: nothing more comes once grace and clock skew are past
                    outcomes = kafka.readUntilQuiet(settings.outcomesTopic(), Duration.ofSeconds(5),
                            Duration.ofSeconds(60));
                    Set<String> distributed = open(outcomes);
                    say("distributed mode: %d open = the oracle's %d, %.1f s after the traffic stopped",
                            distributed.size(), expected.size(), caughtUp);

                    // ---- the embedded mode on the same databases
                    await("the embedded mode's quiescence").atMost(Duration.ofSeconds(120))
                            .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                            .until(() -> reconciledPast(api, trafficStopped.plusSeconds(1)));
                    Set<String> embeddedOpen = embeddedOpen(api);

                    assertThat(lostAndFalse(expected, distributed)).as("distributed vs the oracle").isEmpty();
                    assertThat(distributed).isEqualTo(expected);
                    assertThat(embeddedOpen).as("embedded vs the oracle").isEqualTo(expected);
                    assertThat(distributed).as("distributed vs embedded").isEqualTo(embeddedOpen);
                    assertThat(types(outcomes)).as("no source reported stalled, no fact quarantined")
                            .doesNotContain("SourceStalled", "FactQuarantined", "CoverageGap");

                    // ---- every order written while the worker was down reached the engine exactly once
                    Set<String> downKeys = orderKeys(orders, beforeStop, whileDown);
                    Set<String> matchedKeys = matched(outcomes);
                    Set<String> expectedKeys = new TreeSet<>();
                    for (String e : expected) expectedKeys.add(e.split(" ")[2]);
                    List<String> unaccounted = new ArrayList<>();
                    for (String k : downKeys) {
                        String orderId = k.substring("order_id=".length(), k.indexOf(','));
                        if (!matchedKeys.contains(orderId) && !expectedKeys.contains(k)) unaccounted.add(k);
                    }
                    assertThat(downKeys).as("orders were written while the worker was down").isNotEmpty();
                    assertThat(unaccounted).as("written while down, neither matched nor an expected discrepancy")
                            .isEmpty();
                    long redelivered = redelivered(kafka, ordersTopic) + redelivered(kafka, inventoryTopic);
                    // resumed from the stored offsets: the binlog from where it stopped, no snapshot taken again
                    assertThat(snapshotReadsFrom(kafka, ordersTopic, endBeforeRestart)
                            + snapshotReadsFrom(kafka, inventoryTopic, inventoryEndBeforeRestart))
                            .as("snapshot reads after the worker's restart").isZero();
                    say("%d order keys written while the worker was down: all matched or expected; change records"
                            + " delivered twice by the restart: %d", downKeys.size(), redelivered);

                    // ---- re-delivery: copies of the last order change records, appended as Connect would re-send
                    List<ConsumerRecord<byte[], byte[]>> changes = kafka.readToEnd(ordersTopic,
                            Duration.ofSeconds(60));
                    List<ConsumerRecord<byte[], byte[]>> again = new ArrayList<>();
                    for (ConsumerRecord<byte[], byte[]> r : changes) {
                        if (r.value() != null && table(r).startsWith("trade_order_stream")) again.add(r);
                    }
                    again = again.subList(Math.max(0, again.size() - 100), again.size());
                    // (the facts topic is never quiet: every heartbeat sends a marker to every partition)
                    long factsBefore = facts(kafka.readToEnd(settings.factsTopic(), Duration.ofSeconds(60)));
                    int outcomesBefore = outcomes.size();
                    resend(kafka, ordersTopic, again);
                    int copies = again.size();
                    kafka.readUntil(settings.factsTopic(), r -> facts(r) >= factsBefore + copies,
                            Duration.ofSeconds(60));
                    List<ConsumerRecord<byte[], byte[]>> afterReplay = kafka.readUntilQuiet(settings.outcomesTopic(),
                            Duration.ofSeconds(GRACE.toSeconds() + 5), Duration.ofSeconds(60));
                    List<String> newTypes = types(afterReplay.subList(outcomesBefore, afterReplay.size()));
                    assertThat(newTypes).as("outcomes of %d re-delivered change records", copies)
                            .doesNotContain("DiscrepancyOpened", "DiscrepancyResolved", "PairMatched");
                    assertThat(open(afterReplay)).isEqualTo(expected);
                    say("%d change records delivered again: %d outcomes", copies, newTypes.size());

                    System.out.printf(Locale.ROOT, "%nDISTRIBUTED END-TO-END: %d orders (%d order rows written while"
                                    + " the Connect worker was down %.1f s), injected %s; oracle %d open, distributed %d,"
                                    + " embedded %d; lost %d, false %d; snapshot in the change topics %.1f s after"
                                    + " posting the connectors; worker resumed %.1f s after its start; distributed"
                                    + " caught up %.1f s after the traffic stopped; re-delivered %d records: no"
                                    + " outcome%n%n",
                            traffic.orders(), rowsBetween(beforeStop, whileDown, "trade_order_stream"),
                            started - stopped, traffic.injectedByRuleType(), expected.size(), distributed.size(),
                            embeddedOpen.size(), 0, 0, snapshotSeconds, resumed, caughtUp, copies);
                    assertThat(afterRestart).isNotNull();
                } finally {
                    streams.close(Duration.ofSeconds(30));
                }
            } finally {
                // the shared worker is left running (a failure may come while it is stopped), without our connectors
                kafka.startWorker();
                for (String c : connectors) {
                    try {
                        kafka.connect().deleteConnector(c);
                    } catch (RuntimeException e) {
                        say("could not delete connector %s: %s", c, e.getMessage());
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- the outcomes topic

    /** The discrepancies whose last record is an opening, as {@link FinalTablesOracle.Expected#toString()} writes them. */
    static Set<String> open(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, JsonNode> last = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            OutcomeRecord o = OutcomeRecord.read(key(r), r.value());
            if (o.type().equals("DiscrepancyOpened") || o.type().equals("DiscrepancyResolved")) {
                last.put(o.key(), o.type().equals("DiscrepancyOpened") ? o.outcome().get("discrepancy") : null);
            }
        }
        Set<String> out = new TreeSet<>();
        for (JsonNode d : last.values()) {
            if (d != null) out.add(describe(d));
        }
        return out;
    }

    /** The order ids of every pair matched in these outcome records. */
    static Set<String> matched(List<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> out = new TreeSet<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            OutcomeRecord o = OutcomeRecord.read(key(r), r.value());
            if (o.type().equals("PairMatched")) out.add(o.outcome().get("key").get("order_id").asText());
        }
        return out;
    }

    static List<String> types(List<ConsumerRecord<byte[], byte[]>> records) {
        List<String> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records) out.add(OutcomeRecord.read(key(r), r.value()).type());
        return out;
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    /** A discrepancy (outcomes topic or HTTP API JSON) as {@link FinalTablesOracle.Expected#toString()} writes it. */
    static String describe(JsonNode d) {
        String type = d.get("type").asText();
        String difference = null;
        if (type.equals("QUANTITY_MISMATCH") && d.hasNonNull("difference")) {
            difference = FinalTablesOracle.plain(new BigDecimal(d.get("difference").asText()));
        }
        return new FinalTablesOracle.Expected(d.get("rule").asText(), type,
                FinalTablesOracle.key(d.get("key").get("order_id").asText(), d.get("key").get("goods_id").asText()),
                difference).toString();
    }

    private static List<String> lostAndFalse(Set<String> expected, Set<String> actual) {
        List<String> out = new ArrayList<>();
        for (String e : expected) if (!actual.contains(e)) out.add("lost: " + e);
        for (String a : actual) if (!expected.contains(a)) out.add("false: " + a);
        return out;
    }

    // ---------------------------------------------------------------- the change topics

    /** The table a Debezium change record (JSON with schema) comes from. */
    private static String table(ConsumerRecord<byte[], byte[]> r) {
        try {
            return JSON.readTree(r.value()).path("payload").path("source").path("table").asText();
        } catch (java.io.IOException e) {
            throw new AssertionError("unreadable change record at offset " + r.offset(), e);
        }
    }

    /** Change records that carry a (table, binlog position, row) already seen in the topic: re-deliveries. */
    private static long redelivered(KafkaTestCluster kafka, String topic) throws Exception {
        Set<String> seen = new java.util.HashSet<>();
        long twice = 0;
        for (ConsumerRecord<byte[], byte[]> r : kafka.readToEnd(topic, Duration.ofSeconds(60))) {
            if (r.value() == null) continue;
            JsonNode payload = JSON.readTree(r.value()).path("payload");
            JsonNode s = payload.path("source");
            if ("r".equals(payload.path("op").asText())) continue;   // snapshot reads carry no row position
            String id = s.path("table").asText() + "@" + s.path("file").asText() + ":" + s.path("pos").asLong()
                    + ":" + s.path("row").asLong() + ":" + new String(r.key() == null ? new byte[0] : r.key(),
                    StandardCharsets.UTF_8);
            if (!seen.add(id)) twice++;
        }
        return twice;
    }

    /** Snapshot reads ({@code op = r}) at or after {@code offset} of a one-partition change topic. */
    private static long snapshotReadsFrom(KafkaTestCluster kafka, String topic, long offset) throws Exception {
        long n = 0;
        for (ConsumerRecord<byte[], byte[]> r : kafka.readToEnd(topic, Duration.ofSeconds(60))) {
            if (r.offset() >= offset && r.value() != null
                    && "r".equals(JSON.readTree(r.value()).path("payload").path("op").asText())) {
                n++;
            }
        }
        return n;
    }

    private static void resend(KafkaTestCluster kafka, String topic, List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                producer.send(new ProducerRecord<>(topic, r.partition(), r.key(), r.value()));
            }
            producer.flush();
        }
    }

    /** How many records the topic holds (one partition; change topics are never quiet: heartbeats). */
    private static long endOffset(KafkaTestCluster kafka, String topic) {
        return kafka.readToEnd(topic, Duration.ofSeconds(60)).size();
    }

    /** How many of these facts-topic records are facts (not markers). */
    private static long facts(List<ConsumerRecord<byte[], byte[]>> records) {
        long n = 0;
        try (var de = FactsRecord.serde().deserializer()) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (de.deserialize(r.topic(), r.value()) instanceof FactsRecord.FactRecord) n++;
            }
        }
        return n;
    }


    // ---------------------------------------------------------------- the databases




    /** The highest row id of every flow table, by table name. */
    private static Map<String, Long> maxIds(LocalMariaDbServer orders, LocalMariaDbServer inventory) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (Connection o = orders.connect(DemoSchema.ORDERS_DB); Statement s = o.createStatement()) {
            for (int shard = 0; shard < DemoSchema.SHARDS; shard++) {
                String t = String.format("trade_order_stream_%04d", shard);
                out.put(t, single(s, "SELECT COALESCE(MAX(id), 0) FROM " + t));
            }
        }
        try (Connection i = inventory.connect(DemoSchema.INVENTORY_DB); Statement s = i.createStatement()) {
            out.put("collection_inventory_stream", single(s, "SELECT COALESCE(MAX(id), 0) FROM collection_inventory_stream"));
        }
        return out;
    }

    private static long single(Statement s, String sql) throws SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long rowsBetween(Map<String, Long> from, Map<String, Long> to, String tablePrefix) {
        long n = 0;
        for (Map.Entry<String, Long> e : to.entrySet()) {
            if (e.getKey().startsWith(tablePrefix)) n += e.getValue() - from.get(e.getKey());
        }
        return n;
    }

    /**
     * The keys ({@link FinalTablesOracle#key}) of the order rows inserted between two {@link #maxIds} readings that a
     * rule reads (sale: confirmed; cancel: cancelled or timed out; the shipped configuration's filters).
     */
    private static Set<String> orderKeys(LocalMariaDbServer orders, Map<String, Long> from, Map<String, Long> to)
            throws SQLException {
        Set<String> out = new TreeSet<>();
        try (Connection o = orders.connect(DemoSchema.ORDERS_DB); Statement s = o.createStatement()) {
            for (int shard = 0; shard < DemoSchema.SHARDS; shard++) {
                String t = String.format("trade_order_stream_%04d", shard);
                try (ResultSet rs = s.executeQuery("SELECT TRIM(order_id), TRIM(goods_id) FROM " + t + " WHERE id > "
                        + from.get(t) + " AND id <= " + to.get(t) + " AND goods_type = 'COLLECTION' AND deleted = 0"
                        + " AND (order_state = 'CONFIRM' OR stream_type IN ('CANCEL', 'TIME_OUT'))")) {
                    while (rs.next()) out.add(FinalTablesOracle.key(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    private static Supplier<Connection> connections(LocalMariaDbServer server, String database) {
        return () -> {
            try {
                return server.connect(database);
            } catch (SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    // ---------------------------------------------------------------- the embedded mode's HTTP API

    /** Every rule reconciled past {@code past} and every source streaming. */
    private boolean reconciledPast(String api, Instant past) throws Exception {
        JsonNode status = JSON.readTree(get(api + "/api/status"));
        for (JsonNode s : status.get("sources")) {
            if (!s.get("phase").asText().equals("STREAMING")) return false;
        }
        for (JsonNode r : status.get("rules")) {
            JsonNode until = r.get("reconciledUntil");
            if (until == null || until.isNull() || Instant.parse(until.asText()).isBefore(past)) return false;
        }
        return true;
    }

    private Set<String> embeddedOpen(String api) throws Exception {
        Set<String> out = new TreeSet<>();
        String cursor = null;
        do {
            JsonNode page = JSON.readTree(get(api + "/api/discrepancies?status=open&limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8))));
            page.get("items").forEach(d -> out.add(describe(d)));
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        return out;
    }

    private String get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException("GET " + url + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    private HttpResponse<String> post(String url, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private double now() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void say(String fmt, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = now();
        System.arraycopy(args, 0, all, 1, args.length);
        System.out.printf(Locale.ROOT, "[e2e %6.1f s] " + fmt + "%n", all);
    }
}
