package dev.reconciler.streams;

import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.config.ConfigException;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.metrics.MetricsConfig;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.streams.alert.StreamsAlerter;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;

/**
 * Runs the distributed mode: {@code reconciler streams --config reconciler.yaml [--properties streams.properties]}
 * (or {@code java dev.reconciler.streams.StreamsMain reconciler.yaml [streams.properties]}).
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
        Path[] files = arguments(args);
        if (files == null) {
            System.err.println("usage: reconciler streams --config <reconciler.yaml> [--properties <streams.properties>]"
                    + "\n   or: StreamsMain <reconciler.yaml> [<streams.properties>]   (docs/scale-out.md)");
            System.exit(2);
        }
        ReconcilerConfig config;
        Properties props;
        try {
            config = ConfigLoader.fromEnvironment().load(files[0]);
            props = files[1] == null ? new Properties() : load(files[1]);
        } catch (ConfigException e) {
            System.err.println(e.getMessage());   // every problem, each with its path and fix
            System.exit(2);
            return;
        } catch (IOException e) {
            System.err.println("cannot read the Kafka Streams properties " + files[1] + ": " + e
                    + "; pass an existing file with --properties, or none to use the defaults (docs/scale-out.md)");
            System.exit(2);
            return;
        }
        Instance instance = Instance.start(config, props);
        StreamsHeartbeats heartbeats = StreamsHeartbeats.start(config);
        heartbeats.bindTo(instance.metrics().registry());
        instance.api().heartbeats(heartbeats::states);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            heartbeats.close();
            instance.close();
            stopped.countDown();
        }, "reconciler-streams-shutdown"));
        stopped.await();
    }

    /** {@code --config F [--properties P]} or {@code F [P]}: the two files, the second null; null when wrong. */
    static Path[] arguments(String[] args) {
        Path[] files = new Path[2];
        List<String> positional = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--config") || a.equals("-c")) && i + 1 < args.length) files[0] = Path.of(args[++i]);
            else if (a.equals("--properties") && i + 1 < args.length) files[1] = Path.of(args[++i]);
            else if (a.startsWith("-")) return null;
            else positional.add(a);
        }
        if (!positional.isEmpty() && files[0] != null || positional.size() > 2) return null;
        if (!positional.isEmpty()) {
            files[0] = Path.of(positional.get(0));
            if (positional.size() == 2) files[1] = Path.of(positional.get(1));
        }
        return files[0] == null ? null : files;
    }

    /**
     * One running instance: the HTTP endpoint ({@link StreamsApi}: metrics, health, status, discrepancies across
     * instances), the metrics, and the Kafka Streams application. Closing stops them in reverse order.
     */
    public record Instance(KafkaStreams streams, StreamsApi api, StreamsMetrics metrics, StreamsAlerter alerts)
            implements AutoCloseable {
        /**
         * Kafka Streams' consumers do not leave the group when closed (so that a restarted instance gets its tasks
         * back without a rebalance); the group then notices a stopped instance only after
         * {@code session.timeout.ms} (45 s), and meanwhile nobody checks its partitions. On Kubernetes a replaced
         * pod is a new member anyway, so an instance leaves on close: its partitions move at once. Set it to false
         * in the properties to get Streams' behaviour back.
         */
        static final String LEAVE_ON_CLOSE = StreamsConfig.mainConsumerPrefix("internal.leave.group.on.close");

        /**
         * Starts the HTTP endpoint first (its port, when {@code http.port} is 0, goes into
         * {@code application.server}), then the application. {@code props} as for {@link #start(ReconcilerConfig,
         * ReconcilerTopology.Settings, Properties, int, short)}, plus {@code reconciler.facts.partitions} and
         * {@code reconciler.replication.factor}; defaults taken from the environment: {@code bootstrap.servers}
         * from {@code RECONCILER_KAFKA_BOOTSTRAP_SERVERS}, {@code state.dir} under the YAML's state directory,
         * {@code application.server} from {@code RECONCILER_ADVERTISED_HOST} (or the bind address) and the HTTP
         * port.
         */
        public static Instance start(ReconcilerConfig config, Properties properties) throws InterruptedException {
            return start(config.engine(), config.http(), config.metrics(), config.state().dir(), settings(config),
                    properties, config.alerts());
        }

        /**
         * As above, from the parts of the configuration it uses; {@code alertsConfig} null (or without sinks) runs
         * no alerter.
         */
        public static Instance start(EngineConfig engine, ApiConfig http, MetricsConfig metricsConfig, Path stateDir,
                                     ReconcilerTopology.Settings settings, Properties properties,
                                     AlertsConfig alertsConfig) throws InterruptedException {
            Properties props = new Properties();
            props.putAll(properties);
            int partitions = Integer.parseInt(props.getProperty("reconciler.facts.partitions", "4").trim());
            short replication = Short.parseShort(props.getProperty("reconciler.replication.factor", "3").trim());
            props.remove("reconciler.facts.partitions");
            props.remove("reconciler.replication.factor");
            EngineTasks tasks = new EngineTasks(engine);
            StreamsMetrics metrics = new StreamsMetrics(engine, metricsConfig, tasks, settings.factsTopic());
            StreamsApi api = new StreamsApi(http, engine, tasks, metrics::scrape, settings.factsTopic(), partitions)
                    .start();
            try {
                HostInfo self = Endpoint.advertised(props, http, api.port());
                props.put(StreamsConfig.APPLICATION_SERVER_CONFIG, self.host() + ":" + self.port());
                Endpoint.defaults(props, stateDir);
                props.putIfAbsent(LEAVE_ON_CLOSE, "true");
                // After the defaults: the alerter needs the same bootstrap servers (possibly from the environment).
                Properties alertSettings = StreamsAlerter.takeSettings(props);
                KafkaStreams streams = StreamsMain.start(engine, settings, props, partitions, replication, tasks);
                metrics.bind(streams);
                // Alerts from the outcomes topic, one active alerter across the instances (docs/scale-out.md).
                StreamsAlerter alerts;
                try {
                    alerts = alertsConfig == null ? null : StreamsAlerter.startIfConfigured(alertsConfig,
                            settings.outcomesTopic(), alertSettings, metrics.registry());
                } catch (RuntimeException e) {
                    streams.close();   // never run without the alerts the configuration asks for
                    throw e;
                }
                api.serve(streams, self, props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG, "reconciler"));
                log.info("distributed mode: HTTP endpoint {} (advertised to the other instances as {}:{})", api.url(),
                        self.host(), self.port());
                return new Instance(streams, api, metrics, alerts);
            } catch (RuntimeException | InterruptedException e) {
                api.close();
                metrics.close();
                throw e;
            }
        }

        /**
         * Stops the alerter first (it hands the alerter role over at once), then the application (committing, and
         * leaving the group: {@link #LEAVE_ON_CLOSE}), then the endpoint.
         */
        @Override
        public void close() {
            if (alerts != null) alerts.close();
            streams.close(Duration.ofSeconds(30));
            api.close();
            metrics.close();
        }
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
        return start(config.engine(), settings, props, partitions, replication, new EngineTasks(config.engine()));
    }

    /** As above; the match tasks publish their engines' numbers and outcomes to {@code tasks}. */
    static KafkaStreams start(EngineConfig engine, ReconcilerTopology.Settings settings, Properties props,
                              int partitions, short replication, EngineTasks tasks) throws InterruptedException {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "reconciler");
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replication);
        p.putAll(props);
        createTopics(p, settings, partitions, replication);
        Topology topology = ReconcilerTopology.build(engine, settings, tasks);
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
