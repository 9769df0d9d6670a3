package dev.reconciler.streams;

import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

/**
 * Runs the distributed mode: {@code java dev.reconciler.streams.StreamsMain reconciler.yaml streams.properties}.
 * The YAML is the embedded mode's (its rules, streams, engine bounds and the sources' heartbeat tables are used;
 * the sources' connections only to write heartbeat rows, {@link StreamsHeartbeats}; reading them belongs to the Kafka
 * Connect connectors). The properties are Kafka Streams' own, plus
 * {@code reconciler.facts.partitions} (the facts topic's partition count, the parallelism; default 4) and
 * {@code reconciler.replication.factor} (default 3). See docs/scale-out.md.
 */
public final class StreamsMain {
    private static final Logger log = LoggerFactory.getLogger(StreamsMain.class);

    private StreamsMain() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: StreamsMain <reconciler.yaml> <streams.properties>");
            System.exit(2);
        }
        ReconcilerConfig config = ConfigLoader.fromEnvironment().load(Path.of(args[0]));
        Properties props = load(Path.of(args[1]));
        int partitions = Integer.parseInt(props.getProperty("reconciler.facts.partitions", "4"));
        short replication = Short.parseShort(props.getProperty("reconciler.replication.factor", "3"));
        props.remove("reconciler.facts.partitions");
        props.remove("reconciler.replication.factor");
        KafkaStreams streams = start(config, settings(config), props, partitions, replication);
        StreamsHeartbeats heartbeats = StreamsHeartbeats.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            heartbeats.close();
            streams.close();
            stopped.countDown();
        }, "reconciler-streams-shutdown"));
        stopped.await();
    }

    /** The topics the generated connector configurations write ({@code <source>.changes}). */
    public static ReconcilerTopology.Settings settings(ReconcilerConfig config) {
        Map<String, String> heartbeats = new TreeMap<>();
        List<String> sources = new ArrayList<>();
        for (SourceSpec s : config.sources()) {
            sources.add(s.config().name());
            if (s.config().heartbeatTable() != null) heartbeats.put(s.config().name(), s.config().heartbeatTable());
        }
        return ReconcilerTopology.Settings.defaults(heartbeats, sources);
    }

    /**
     * Creates the facts and outcomes topics if missing and starts the application with exactly-once v2 (unless the
     * properties say otherwise).
     */
    public static KafkaStreams start(ReconcilerConfig config, ReconcilerTopology.Settings settings, Properties props,
                                     int partitions, short replication) throws InterruptedException {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reconciler");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replication);
        p.putAll(props);
        createTopics(p, settings, partitions, replication);
        Topology topology = ReconcilerTopology.build(config.engine(), settings);
        log.info("distributed mode: {} sources, facts topic {} with {} partitions\n{}", settings.changeTopics().size(),
                settings.factsTopic(), partitions, topology.describe());
        KafkaStreams streams = new KafkaStreams(topology, p);
        streams.setStateListener((now, before) -> log.info("streams state {} -> {}", before, now));
        streams.start();
        return streams;
    }

    static void createTopics(Properties p, ReconcilerTopology.Settings settings, int partitions, short replication)
            throws InterruptedException {
        Properties admin = new Properties();
        admin.put("bootstrap.servers", p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG));
        try (Admin a = Admin.create(admin)) {
            for (NewTopic t : List.of(new NewTopic(settings.factsTopic(), partitions, replication),
                    new NewTopic(settings.outcomesTopic(), partitions, replication))) {
                try {
                    a.createTopics(List.of(t)).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause()
                                .getMessage(), e.getCause());
                    }
                    int existing = a.describeTopics(List.of(t.name())).allTopicNames().get().get(t.name())
                            .partitions().size();
                    if (t.name().equals(settings.factsTopic()) && existing != partitions) {
                        // Facts are placed by key: with another partition count, pairs would meet other state.
                        throw new IllegalStateException("facts topic " + t.name() + " has " + existing
                                + " partitions, the configuration says " + partitions + "; changing the count needs"
                                + " a new application id (docs/scale-out.md, \"Changing the partition count\")");
                    }
                }
            }
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe topic: " + e.getCause().getMessage(), e.getCause());
        }
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }
}
