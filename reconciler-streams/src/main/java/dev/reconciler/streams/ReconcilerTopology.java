package dev.reconciler.streams;

import dev.reconciler.core.rule.EngineConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.StreamPartitioner;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * The distributed mode's topology (docs/scale-out.md):
 * <pre>
 *   change topic of source A ─ normalize(A) ─┐                       ┌─ match (engine, stores) ─ outcomes topic
 *   change topic of source B ─ normalize(B) ─┴─ facts topic (N parts) ┤   one task per partition
 *                                               facts by pair key,    └─ ...
 *                                               markers to every partition
 * </pre>
 * Stage 1 is one sub-topology per source (its change topic, one partition, keeps the binlog's order); stage 2 is
 * one sub-topology over the facts topic, whose partition count sets the parallelism.
 */
public final class ReconcilerTopology {

    /**
     * @param changeTopics    source name → the topic its connector writes every captured table to (one topic per
     *                        source, in binlog order: the connector routes its tables into it)
     * @param heartbeatTables source name → its heartbeat table {@code db.table}, for sources that have one
     * @param markerInterval  how often a source's progress is sent to every partition when it changes
     * @param tickInterval    how often each engine runs its clock (grace deadlines, stalls)
     */
    public record Settings(Map<String, String> changeTopics, Map<String, String> heartbeatTables, String factsTopic,
                           String outcomesTopic, Duration markerInterval, Duration tickInterval) {
        public Settings {
            changeTopics = Map.copyOf(new TreeMap<>(changeTopics));
            heartbeatTables = Map.copyOf(heartbeatTables);
            Objects.requireNonNull(factsTopic, "factsTopic");
            Objects.requireNonNull(outcomesTopic, "outcomesTopic");
        }

        /** The topic names the generated connector configurations use: {@code <source>.changes}. */
        public static Settings defaults(Map<String, String> heartbeatTables, Iterable<String> sources) {
            Map<String, String> topics = new TreeMap<>();
            for (String s : sources) topics.put(s, changeTopic(s));
            return new Settings(topics, heartbeatTables, "reconciler.facts", "reconciler.outcomes",
                    Duration.ofSeconds(1), Duration.ofSeconds(1));
        }

        public static String changeTopic(String source) {
            return source + ".changes";
        }
    }

    private ReconcilerTopology() {
    }

    public static Topology build(EngineConfig config, Settings settings) {
        return build(config, settings, new EngineTasks(config));
    }

    /** @param tasks where the match tasks publish their engines' numbers and outcomes (the HTTP endpoint's view) */
    public static Topology build(EngineConfig config, Settings settings, EngineTasks tasks) {
        for (String source : config.sources()) {
            if (!settings.changeTopics().containsKey(source)) {
                throw new IllegalArgumentException("source " + source + " is read by a rule but has no change topic;"
                        + " add it to the streams settings (and a connector writing it)");
            }
        }
        Topology t = new Topology();
        addNormalize(t, config, settings);
        addMatch(t, config, settings, true, tasks);
        return t;
    }

    /** Stage 1 alone (tests run each partition's stage 2 separately to model several partitions). */
    static void addNormalize(Topology t, EngineConfig config, Settings settings) {
        String[] normalizers = new String[settings.changeTopics().size()];
        int i = 0;
        for (Map.Entry<String, String> e : settings.changeTopics().entrySet()) {
            String source = e.getKey();
            String in = "changes-" + source;
            String normalize = "normalize-" + source;
            t.addSource(in, Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer(), e.getValue());
            t.addProcessor(normalize, () -> new NormalizeProcessor(source, settings.heartbeatTables().get(source),
                    config, settings.markerInterval()), in);
            normalizers[i++] = normalize;
        }
        t.addSink("facts-out", settings.factsTopic(), Serdes.String().serializer(), FactsRecord.serde().serializer(),
                new FactsPartitioner(), normalizers);
    }

    /** Stage 2 alone. */
    static void addMatch(Topology t, EngineConfig config, Settings settings, boolean persistentStores) {
        addMatch(t, config, settings, persistentStores, new EngineTasks(config));
    }

    static void addMatch(Topology t, EngineConfig config, Settings settings, boolean persistentStores,
                         EngineTasks tasks) {
        t.addSource("facts-in", Serdes.String().deserializer(), FactsRecord.serde().deserializer(),
                settings.factsTopic());
        t.addProcessor("match", () -> new MatchProcessor(config, settings.tickInterval(), tasks), "facts-in");
        StreamsStateStore.storeBuilders(persistentStores).forEach(b -> t.addStateStore(b, "match"));
        t.addSink("outcomes-out", settings.outcomesTopic(), Serdes.String().serializer(), OutcomeRecord.serializer(),
                "match");
    }

    /**
     * Facts to the partition of their key (the producer's default hash, so a topic written by other means agrees);
     * markers to every partition (KIP-837), so each engine learns each source's progress.
     */
    static final class FactsPartitioner implements StreamPartitioner<String, FactsRecord> {
        @Override
        public Optional<Set<Integer>> partitions(String topic, String key, FactsRecord value, int numPartitions) {
            if (value instanceof FactsRecord.Marker) {
                Set<Integer> all = new HashSet<>();
                for (int p = 0; p < numPartitions; p++) all.add(p);
                return Optional.of(all);
            }
            return Optional.of(Set.of(partitionOf(key, numPartitions)));
        }

    }

    static int partitionOf(String key, int numPartitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % numPartitions;
    }
}
