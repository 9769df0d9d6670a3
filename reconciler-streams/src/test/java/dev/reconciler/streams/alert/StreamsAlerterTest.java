package dev.reconciler.streams.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reconciler.app.alert.AlertService;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.ManualClock;
import dev.reconciler.core.testing.OrderInventory;
import dev.reconciler.streams.KafkaTestCluster;
import dev.reconciler.streams.OutcomeRecord;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The distributed mode's alerter against the shared in-process broker: outcome records written (transactionally,
 * as the Streams application writes them) to a 3-partition outcomes topic reach a real webhook receiver and an
 * Alertmanager-API receiver as the embedded mode sends them; a storm collapses; a killed alerter's successor sends
 * every transition it had not delivered.
 */
class StreamsAlerterTest {
    private static final Duration GRACE = Duration.ofSeconds(30);
    private static final int PARTITIONS = 3;
    private static final Duration WAIT = Duration.ofSeconds(60);

    private final KafkaTestCluster kafka = KafkaTestCluster.get();
    private final String topic = KafkaTestCluster.unique("outcomes");
    private final String app = KafkaTestCluster.unique("alerts-app");
    private final Receiver hook = new Receiver();
    private final Receiver alertmanager = new Receiver();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private EngineTestDriver engine;
    private KafkaProducer<String, byte[]> producer;
    /** The next offset after the last committed record, per partition. */
    private final Map<TopicPartition, Long> written = new HashMap<>();
    private long rowId;
    private Instant time = T0;

    @BeforeEach
    void start() {
        kafka.createTopic(topic, PARTITIONS);
        engine = new EngineTestDriver(OrderInventory.config(GRACE));
        engine.clock().set(T0);
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, KafkaTestCluster.unique("outcomes-writer"));
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        producer.initTransactions();
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) closing.get(i).close();
        producer.close();
        engine.close();
        hook.close();
        alertmanager.close();
    }

    // ---------------------------------------------------------------- the tests

    @Test
    void outcomesReachTheWebhookAndAlertmanagerAsTheEmbeddedModeSendsThem() throws Exception {
        ManualClock clock = new ManualClock(T0.plus(Duration.ofHours(1)));
        AlertsConfig config = AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("hook", SinkType.WEBHOOK, hook.url()),
                SinkConfig.of("am", SinkType.ALERTMANAGER, alertmanager.url())));
        StreamsAlerter alerter = alerter(config, clock);
        await().atMost(WAIT).until(alerter::active);

        List<Outcome> journal = new ArrayList<>();   // what the embedded engine would have journaled, in order
        List<Discrepancy> opened = openMissing("O1", "O2", "O3");
        for (Discrepancy d : opened) journal.add(new Outcome.DiscrepancyOpened(d));
        Outcome resolved = deduct("O2");
        journal.add(resolved);
        List<ProducerRecord<String, byte[]>> first = new ArrayList<>(journal.stream()
                .map(o -> new ProducerRecord<>(topic, OutcomeRecord.of(o).key(), bytes(o))).toList());
        // A match: the bulk of the topic, never alerted.
        first.add(record(new Outcome.PairMatched("sale", Map.of("order_id", "O2", "goods_id", "42"), List.of(),
                List.of(), time, time)));
        commit(first);

        // A transaction the writer aborted (a Streams task that failed before committing): never alerted.
        Outcome aborted = new Outcome.DiscrepancyOpened(openMissing("O9").get(0));
        producer.beginTransaction();
        producer.send(record(0, aborted));
        producer.flush();
        producer.abortTransaction();

        // Every engine task reports a stall of the same source, then its recovery: one alert each, as embedded.
        Outcome stalled = new Outcome.SourceStalled(INVENTORY, time, Duration.ofMinutes(5), time.plusSeconds(300));
        Outcome recovered = new Outcome.SourceRecovered(INVENTORY, time.plusSeconds(301), time.plusSeconds(302));
        List<ProducerRecord<String, byte[]>> source = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) source.add(record(p, stalled));
        for (int p = 0; p < PARTITIONS; p++) source.add(record(p, recovered));
        commit(source);
        journal.add(stalled);
        journal.add(recovered);

        List<String> keys = List.of(opened.get(0).id() + ":opened", opened.get(1).id() + ":opened",
                opened.get(2).id() + ":opened", opened.get(1).id() + ":resolved",
                "stalled:" + INVENTORY + ":" + time.plusSeconds(300), "recovered:" + INVENTORY + ":" + time.plusSeconds(302));
        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.acceptedKeys()).containsExactlyInAnyOrderElementsOf(keys));
        assertThat(hook.requests()).as("each sent once: a stall reported by 3 partitions is one alert")
                .hasSameSizeAs(keys);
        await().atMost(WAIT).untilAsserted(() -> assertThat(committed()).isEqualTo(written));

        // The embedded mode's alert service on a journal of the same outcomes, same clock: the same documents.
        Receiver embeddedHook = new Receiver();
        Receiver embeddedAm = new Receiver();
        closing.add(embeddedHook);
        closing.add(embeddedAm);
        InMemoryStateStore store = new InMemoryStateStore();
        AlertService embedded = new AlertService(AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("hook", SinkType.WEBHOOK, embeddedHook.url()),
                SinkConfig.of("am", SinkType.ALERTMANAGER, embeddedAm.url()))), store, new SimpleMeterRegistry(), clock);
        closing.add(embedded);
        embedded.start();
        StateWrite w = new StateWrite();
        journal.forEach(w::appendJournal);
        store.write(w);
        embedded.accept(journal);
        await().atMost(WAIT).untilAsserted(() -> assertThat(embeddedHook.acceptedKeys()).hasSameSizeAs(keys));
        assertThat(bodiesByKey(hook)).isEqualTo(bodiesByKey(embeddedHook));
        await().atMost(WAIT).untilAsserted(() -> assertThat(alertsPosted(alertmanager)).isEqualTo(alertsPosted(embeddedAm)));
        assertThat(alertsPosted(alertmanager)).extracting(a -> a.path("labels").path("alertname").asText())
                .containsOnly("ReconcilerDiscrepancy").hasSize(4);   // 3 opened, 1 resolved; stalls are Prometheus'
    }

    @Test
    void aStormCollapsesAsInTheEmbeddedModeAndItsEntriesHoldTheOffsetsUntilTheAggregateIsSent() throws Exception {
        ManualClock clock = new ManualClock(T0.plus(GRACE).plusSeconds(10));
        AlertsConfig config = AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("hook", SinkType.WEBHOOK, hook.url()).withStormThreshold(3))).withStorm(null, 2);
        StreamsAlerter alerter = alerter(config, clock);
        await().atMost(WAIT).until(alerter::active);

        List<String> orders = new ArrayList<>();
        for (int i = 1; i <= 10; i++) orders.add("S" + i);
        List<Discrepancy> opened = openMissing(orders.toArray(String[]::new));
        List<ProducerRecord<String, byte[]>> records = new ArrayList<>();
        for (Discrepancy d : opened) {   // spread over the partitions, as keyed by the Streams application
            Outcome o = new Outcome.DiscrepancyOpened(d);
            records.add(new ProducerRecord<>(topic, OutcomeRecord.of(o).key(), bytes(o)));
        }
        commit(records);

        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.accepted()).hasSize(3));
        assertThat(committed()).as("the folded entries hold the offsets: an alerter dying now loses no alert")
                .isNotEqualTo(written);

        clock.set(opened.get(0).detectedAt().plus(Duration.ofMinutes(2)));   // the minute is over
        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.accepted()).hasSize(4));
        Receiver.Request storm = hook.accepted().get(3);
        assertThat(storm.header("Idempotency-Key")).isEqualTo("storm:sale:opened:4");
        assertThat(storm.json().path("storm").path("count").asInt()).isEqualTo(7);
        await().atMost(WAIT).untilAsserted(() -> assertThat(committed()).isEqualTo(written));
    }

    @Test
    void whenTheActiveAlerterDiesTheStandbyTakesOverAndSendsEveryTransitionItHadNotDelivered() throws Exception {
        AlertsConfig config = AlertsConfig.of(null, List.of(SinkConfig.of("hook", SinkType.WEBHOOK, hook.url())
                .withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))));
        StreamsAlerter first = alerter(config, nearT0());
        await().atMost(WAIT).until(first::active);
        StreamsAlerter second = alerter(config, nearT0());
        await().atMost(WAIT).until(() -> members() == 2);
        assertThat(first.active()).as("a joining instance does not move the alerter").isTrue();
        assertThat(second.active()).isFalse();

        List<String> expected = new ArrayList<>();
        for (Discrepancy d : openMissing("F1", "F2", "F3")) {
            commit(List.of(record(new Outcome.DiscrepancyOpened(d))));
            expected.add(d.id() + ":opened");
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.acceptedKeys()).containsExactlyInAnyOrderElementsOf(expected));
        await().atMost(WAIT).untilAsserted(() -> assertThat(committed()).isEqualTo(written));

        // The receiver fails: the next transitions wait in the active alerter's outbox, offsets stay.
        hook.answer(r -> new Receiver.Response(503, "{}"));
        int before = hook.requests().size();
        List<Discrepancy> more = openMissing("F4", "F5");
        for (Discrepancy d : more) {
            commit(List.of(record(new Outcome.DiscrepancyOpened(d))));
            expected.add(d.id() + ":opened");
        }
        Outcome resolved = deduct("F1");
        commit(List.of(record(resolved)));
        expected.add(((Outcome.DiscrepancyResolved) resolved).discrepancy().id() + ":resolved");
        await().atMost(WAIT).until(() -> hook.requests().size() > before + 2);   // it is trying

        first.crash();   // as kill -9: no commit, no goodbye to the group
        hook.answer(r -> new Receiver.Response(200, "{}"));
        long t0 = System.nanoTime();
        await().atMost(WAIT).until(second::active);
        long takeover = (System.nanoTime() - t0) / 1_000_000;
        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.acceptedKeys()).containsExactlyInAnyOrderElementsOf(expected));
        long delivered = (System.nanoTime() - t0) / 1_000_000;
        await().atMost(WAIT).untilAsserted(() -> assertThat(committed()).isEqualTo(written));
        System.out.printf("alerter failover: standby active %d ms after the kill, backlog delivered after %d ms%n",
                takeover, delivered);

        // A clean stop hands over at once (no session timeout to wait out).
        StreamsAlerter third = alerter(config, nearT0());
        await().atMost(WAIT).until(() -> members() == 2);
        t0 = System.nanoTime();
        second.close();
        await().atMost(WAIT).until(third::active);
        System.out.printf("alerter handover on a clean stop: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        Discrepancy last = openMissing("F6").get(0);
        commit(List.of(record(new Outcome.DiscrepancyOpened(last))));
        expected.add(last.id() + ":opened");
        await().atMost(WAIT).untilAsserted(() -> assertThat(hook.acceptedKeys()).containsExactlyInAnyOrderElementsOf(expected));
    }

    @Test
    void afterAFailoverAlertmanagerIsSentAgainEveryDiscrepancyStillOpenNotOnlyTheUndeliveredOnes() throws Exception {
        // Alertmanager resolves a firing alert not re-sent before its endsAt: a successor that knew only what it
        // re-read from the committed offsets would have the older open discrepancies resolved minutes later.
        AlertsConfig config = AlertsConfig.of(null, List.of(SinkConfig.of("am", SinkType.ALERTMANAGER,
                alertmanager.url())));
        StreamsAlerter first = alerter(config, nearT0());
        await().atMost(WAIT).until(first::active);
        List<Discrepancy> opened = openMissing("A1", "A2", "A3");
        for (Discrepancy d : opened) commit(List.of(record(new Outcome.DiscrepancyOpened(d))));
        commit(List.of(record(deduct("A2"))));
        await().atMost(WAIT).untilAsserted(() -> assertThat(committed()).isEqualTo(written));

        first.crash();
        int from = alertmanager.requests().size();
        StreamsAlerter second = alerter(config, nearT0());
        await().atMost(WAIT).until(second::active);
        await().atMost(WAIT).untilAsserted(() -> {
            Set<String> keys = new HashSet<>();
            for (Receiver.Request r : alertmanager.answeredOk().subList(Math.min(from, alertmanager.answeredOk().size()),
                    alertmanager.answeredOk().size())) {
                r.json().forEach(a -> keys.add(a.path("labels").path("key").asText()));
            }
            assertThat(keys).containsExactlyInAnyOrder("order_id=A1,goods_id=42", "order_id=A3,goods_id=42");
        });
    }

    // ---------------------------------------------------------------- helpers

    /**
     * A running clock an hour after the engine's fixtures' T0: the outbox drops entries older than
     * {@code alerts.journalMaxAge} (7 days) by its clock, and T0 may be further in the past than that.
     */
    private static java.time.InstantSource nearT0() {
        return java.time.Clock.offset(java.time.Clock.systemUTC(),
                Duration.between(Instant.now(), T0.plus(Duration.ofHours(1))));
    }

    private StreamsAlerter alerter(AlertsConfig config, java.time.InstantSource clock) {
        Properties p = new Properties();
        p.put("bootstrap.servers", kafka.bootstrapServers());
        p.put("application.id", app);
        // The broker's minimum: a killed alerter is replaced within 6 s.
        p.put(StreamsAlerter.CONSUMER_PREFIX + "session.timeout.ms", "6000");
        p.put(StreamsAlerter.CONSUMER_PREFIX + "heartbeat.interval.ms", "1000");
        StreamsAlerter a = StreamsAlerter.start(config, topic, p, new SimpleMeterRegistry(), clock);
        closing.add(a);
        return a;
    }

    /** Orders without their deduction, reported missing by the engine; returns the discrepancies opened. */
    private List<Discrepancy> openMissing(String... orders) {
        List<Fact> facts = new ArrayList<>();
        for (String o : orders) {
            facts.add(engine.fact(ORDERS, shard(0), Operation.INSERT,
                    orderRow(++rowId, o, "42", "CONFIRM", "CONFIRM", 1, 0), null, time));
        }
        engine.pipe(facts);
        time = time.plus(GRACE).plusSeconds(10);
        List<Discrepancy> opened = new ArrayList<>();
        for (Outcome x : engine.watermarkAll(time)) if (x instanceof Outcome.DiscrepancyOpened d) opened.add(d.discrepancy());
        return opened;
    }

    /** The late deduction of an order: the resolution of its MISSING_RIGHT. */
    private Outcome deduct(String order) {
        time = time.plusSeconds(1);
        for (Outcome o : engine.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(++rowId, order, 42, "TRY_SALE", 1, 0), time)) {
            if (o instanceof Outcome.DiscrepancyResolved) return o;
        }
        throw new AssertionError("the deduction of " + order + " resolved nothing");
    }

    private static byte[] bytes(Outcome o) {
        return OutcomeRecord.serializer().serialize("outcomes", OutcomeRecord.of(o));
    }

    private ProducerRecord<String, byte[]> record(Outcome o) {
        return new ProducerRecord<>(topic, OutcomeRecord.of(o).key(), bytes(o));
    }

    private ProducerRecord<String, byte[]> record(int partition, Outcome o) {
        return new ProducerRecord<>(topic, partition, OutcomeRecord.of(o).key(), bytes(o));
    }

    /** Writes the records in one committed transaction, as a Streams task commits its outcomes. */
    private void commit(List<ProducerRecord<String, byte[]>> records) throws Exception {
        producer.beginTransaction();
        List<java.util.concurrent.Future<RecordMetadata>> sent = new ArrayList<>();
        for (ProducerRecord<String, byte[]> r : records) sent.add(producer.send(r));
        producer.commitTransaction();
        for (var f : sent) {
            RecordMetadata m = f.get();
            written.merge(new TopicPartition(m.topic(), m.partition()), m.offset() + 1, Math::max);
        }
    }

    /** The alerts group's committed offsets, for the partitions written to. */
    private Map<TopicPartition, Long> committed() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> all = admin.listConsumerGroupOffsets(app + "-alerts")
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, Long> out = new HashMap<>();
            for (TopicPartition tp : written.keySet()) {
                OffsetAndMetadata m = all.get(tp);
                out.put(tp, m == null ? -1 : m.offset());
            }
            return out;
        }
    }

    private int members() throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            ConsumerGroupDescription g = admin.describeConsumerGroups(List.of(app + "-alerts")).all().get()
                    .get(app + "-alerts");
            return g.members().size();
        }
    }

    /** Webhook documents by idempotency key, without the journal sequence number (each outbox numbers its own). */
    private static Map<String, JsonNode> bodiesByKey(Receiver r) {
        Map<String, JsonNode> out = new HashMap<>();
        for (Receiver.Request q : r.accepted()) {
            ObjectNode j = (ObjectNode) q.json();
            j.remove("sequence");
            out.put(q.header("Idempotency-Key"), j);
        }
        return out;
    }

    /** Every distinct alert Alertmanager was given. */
    private static Set<JsonNode> alertsPosted(Receiver r) {
        Set<JsonNode> out = new HashSet<>();
        for (Receiver.Request q : r.answeredOk()) q.json().forEach(out::add);
        return out;
    }
}
