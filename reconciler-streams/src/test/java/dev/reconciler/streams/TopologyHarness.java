package dev.reconciler.streams;

import dev.reconciler.app.normalize.RecordNormalizer;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.testing.ManualClock;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

/**
 * Runs the distributed topology in {@link TopologyTestDriver}s: stage 1 in one driver, stage 2 in one driver per
 * partition of the facts topic (a test driver has one partition per topic, so partitions are modelled by routing
 * stage 1's output with the application's own partitioner). All drivers share one wall clock, moved to each change's
 * arrival time. And the embedded mode's reference: the same change records, normalized by the same code, applied to
 * one engine with the embedded mode's watermark rule.
 */
final class TopologyHarness implements AutoCloseable {
    static final Duration ARRIVAL_DELAY = Duration.ofMillis(300);

    private final EngineConfig config;
    private final ReconcilerTopology.Settings settings;
    private final TopologyTestDriver stage1;
    private final Map<String, TestInputTopic<byte[], byte[]>> changeTopics = new HashMap<>();
    private final TestOutputTopic<String, FactsRecord> facts;
    private final List<TopologyTestDriver> stage2 = new ArrayList<>();
    private final List<TestInputTopic<String, FactsRecord>> factsIn = new ArrayList<>();
    private final List<TestOutputTopic<String, byte[]>> outcomes = new ArrayList<>();
    private final List<OutcomeRecord> received = new ArrayList<>();
    private Instant now;

    /** @param persistentStores RocksDB stores as in production, or in-memory ones (faster; same contract) */
    TopologyHarness(EngineConfig config, ReconcilerTopology.Settings settings, int partitions, Instant start,
                    Path stateDir, boolean persistentStores) {
        this.config = config;
        this.settings = settings;
        this.now = start;
        Topology t1 = new Topology();
        ReconcilerTopology.addNormalize(t1, config, settings);
        stage1 = new TopologyTestDriver(t1, props(stateDir.resolve("stage1")), start);
        settings.changeTopics().forEach((source, topic) -> changeTopics.put(topic,
                stage1.createInputTopic(topic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer())));
        facts = stage1.createOutputTopic(settings.factsTopic(), Serdes.String().deserializer(),
                FactsRecord.serde().deserializer());
        for (int p = 0; p < partitions; p++) {
            Topology t2 = new Topology();
            ReconcilerTopology.addMatch(t2, config, settings, persistentStores);
            TopologyTestDriver d = new TopologyTestDriver(t2, props(stateDir.resolve("stage2-" + p)), start);
            stage2.add(d);
            factsIn.add(d.createInputTopic(settings.factsTopic(), Serdes.String().serializer(),
                    FactsRecord.serde().serializer()));
            outcomes.add(d.createOutputTopic(settings.outcomesTopic(), Serdes.String().deserializer(),
                    Serdes.ByteArray().deserializer()));
        }
    }

    static Properties props(Path dir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reconciler-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        return p;
    }

    /** Delivers a change at its commit time plus a small delay (moving every driver's wall clock there first). */
    void deliver(ChangeRecords.Change c) {
        Instant arrival = Instant.ofEpochMilli(((org.apache.kafka.connect.data.Struct) c.record().value())
                .getStruct("source").getInt64("ts_ms")).plus(ARRIVAL_DELAY);
        advanceTo(arrival);
        changeTopics.get(c.topic()).pipeInput(c.key(), c.value(), arrival);
        route();
    }

    /** Moves the shared wall clock (punctuators fire: markers, engine ticks). */
    void advanceTo(Instant t) {
        while (now.isBefore(t)) {
            Instant next = now.plusMillis(Math.min(1000, Duration.between(now, t).toMillis()));
            Duration step = Duration.between(now, next);
            now = next;
            stage1.advanceWallClockTime(step);
            route();
            for (TopologyTestDriver d : stage2) d.advanceWallClockTime(step);
        }
        drain();
    }

    /** Stage 1's output to the stage-2 driver of each partition it belongs to. */
    private void route() {
        ReconcilerTopology.FactsPartitioner partitioner = new ReconcilerTopology.FactsPartitioner();
        for (TestRecord<String, FactsRecord> r : facts.readRecordsToList()) {
            Set<Integer> to = partitioner.partitions(settings.factsTopic(), r.key(), r.value(), stage2.size())
                    .orElseThrow();
            for (int p : to) factsIn.get(p).pipeInput(r.key(), r.value(), now);
        }
        drain();
    }

    private void drain() {
        for (TestOutputTopic<String, byte[]> o : outcomes) {
            for (TestRecord<String, byte[]> r : o.readRecordsToList()) received.add(OutcomeRecord.read(r.key(), r.value()));
        }
    }

    List<OutcomeRecord> outcomes() {
        drain();
        return received;
    }

    @Override
    public void close() {
        stage1.close();
        stage2.forEach(TopologyTestDriver::close);
    }

    // ------------------------------------------------------------------ the embedded mode as reference

    /**
     * The embedded mode on the same changes: each change normalized by {@link RecordNormalizer} and applied on its
     * arrival; the source's watermark moves to its newest commit minus one second (DebeziumSource.handleBatch), and
     * the engine's clock ticks as the wall clock moves.
     */
    static List<OutcomeRecord> embedded(EngineConfig config, List<ChangeRecords.Change> history,
                                        Map<String, String> sourceByTopic, Instant start, Instant end) {
        ManualClock clock = new ManualClock(start);
        ReconciliationEngine engine = new ReconciliationEngine(config, new InMemoryStateStore(), clock);
        Map<String, RecordNormalizer> normalizers = new TreeMap<>();
        List<Outcome> out = new ArrayList<>();
        for (ChangeRecords.Change c : history) {
            String source = sourceByTopic.get(c.topic());
            RecordNormalizer n = normalizers.computeIfAbsent(source,
                    s -> new RecordNormalizer(s, ChangeRecords.HEARTBEAT_TABLE));
            Instant commit = Instant.ofEpochMilli(((org.apache.kafka.connect.data.Struct) c.record().value())
                    .getStruct("source").getInt64("ts_ms"));
            Instant arrival = commit.plus(ARRIVAL_DELAY);
            tickTo(engine, clock, arrival, out);
            RecordNormalizer.Normalized r = n.normalize(c.record());
            Instant newest = null;
            if (r instanceof RecordNormalizer.AFact f) {
                Fact fact = f.fact();
                out.addAll(engine.apply(fact));
                if (fact.operation() != Operation.READ) newest = fact.eventTime();
            } else if (r instanceof RecordNormalizer.Heartbeat h) {
                newest = h.commitTime();
            }
            if (newest != null) out.addAll(engine.advanceWatermark(source, newest.minusSeconds(1)));
        }
        tickTo(engine, clock, end, out);
        return out.stream().map(OutcomeRecord::of).toList();
    }

    private static void tickTo(ReconciliationEngine engine, ManualClock clock, Instant t, List<Outcome> out) {
        while (clock.instant().isBefore(t)) {
            Instant next = clock.instant().plusSeconds(1);
            clock.set(next.isAfter(t) ? t : next);
            out.addAll(engine.tick());
        }
    }

    /**
     * The outcomes folded to what they leave behind: each discrepancy's last state ({@code type status}), and
     * every pair that matched.
     */
    static Map<String, String> folded(List<OutcomeRecord> outcomes) {
        Map<String, String> out = new TreeMap<>();
        for (OutcomeRecord r : outcomes) {
            switch (r.type()) {
                case "DiscrepancyOpened", "DiscrepancyResolved" -> {
                    var d = r.outcome().path("discrepancy");
                    out.put(r.key(), d.path("type").asText() + " " + d.path("status").asText());
                }
                case "PairMatched" -> out.put(r.key(), "matched");
                default -> {
                }
            }
        }
        return out;
    }
}
