package dev.reconciler.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;
import org.apache.kafka.connect.util.clusters.WorkerHandle;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * The module's one in-process Kafka for tests: a KRaft broker and one Kafka Connect worker (distributed mode),
 * Kafka's own test kit ({@link EmbeddedConnectCluster}), started on first use and shared by every test class of the
 * JVM, stopped when the test run ends. The broker is the broker of every Kafka test here — Streams applications (in this
 * JVM or in processes of their own, by {@link #bootstrapServers()}), consumers and the Connect worker.
 *
 * <p>Sharing rules, so that test classes do not disturb each other and the suite passes twice in a row:
 * <ul>
 *   <li>every topic, connector, source name and Streams {@code application.id} a test creates comes from
 *       {@link #unique(String)};</li>
 *   <li>a test that stops or restarts the worker ({@link #restartWorker()}) leaves it running; connectors it created
 *       it deletes (JUnit runs the classes of a JVM one after another by default).</li>
 * </ul>
 * Starting takes 5–10 s on a loaded 2-core machine (broker, then the worker and its three internal topics).
 */
public final class KafkaTestCluster {
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final String RUN = Long.toString(System.currentTimeMillis() % 1_000_000, 36);
    private static volatile KafkaTestCluster instance;

    private final EmbeddedConnectCluster connect;
    private final Duration startTime;
    private final AtomicBoolean stopped = new AtomicBoolean();

    private KafkaTestCluster() {
        Properties broker = new Properties();
        // One broker: every internal topic with one replica, transactions (Streams' exactly-once) included.
        broker.put("offsets.topic.replication.factor", "1");
        broker.put("transaction.state.log.replication.factor", "1");
        broker.put("transaction.state.log.min.isr", "1");
        broker.put("group.initial.rebalance.delay.ms", "0");
        broker.put("auto.create.topics.enable", "false");
        Map<String, String> worker = new HashMap<>();
        // Source offsets are committed every second, not every minute: a worker that stops between commits re-reads
        // less (at-least-once either way; the engine absorbs a re-read row, see the end-to-end test).
        worker.put("offset.flush.interval.ms", "1000");
        // The plugins are found by their ServiceLoader manifests (Debezium's have them) instead of by scanning this
        // module's whole class path, which took most of the worker's 30-60 s start on a loaded machine.
        worker.put("plugin.discovery", "service_load");
        // As docs/scale-out.md's workers: generated connector configurations name their secrets by reference.
        worker.put("config.providers", "file,env");
        worker.put("config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider");
        worker.put("config.providers.env.class", "org.apache.kafka.common.config.provider.EnvVarConfigProvider");
        // A connector that fails to start is reported at once rather than retried for minutes.
        worker.put("scheduled.rebalance.max.delay.ms", "0");
        connect = new EmbeddedConnectCluster.Builder()
                .name("reconciler-test-connect")
                .numWorkers(1)
                .numBrokers(1)
                .brokerProps(broker)
                .workerProps(worker)
                .maskExitProcedures(true)
                .build();
        long t0 = System.nanoTime();
        connect.start();
        startTime = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf(Locale.ROOT, "in-process Kafka: broker %s, Connect %s, started in %.1f s%n",
                bootstrapServers(), connectUrl(), startTime.toMillis() / 1000.0);
    }

    /**
     * The shared cluster, started on the first call (by any test class), stopped when the test run ends
     * ({@link StopWhenTheRunEnds}) or, failing that, at JVM exit.
     */
    public static KafkaTestCluster get() {
        KafkaTestCluster c = instance;
        if (c != null) return c;
        synchronized (KafkaTestCluster.class) {
            if (instance == null) {
                KafkaTestCluster started = new KafkaTestCluster();
                Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "kafka-test-cluster-stop"));
                instance = started;
            }
            return instance;
        }
    }

    /** Stops the shared cluster if one was started; a later {@link #get()} starts a new one. */
    static void stopShared() {
        KafkaTestCluster c;
        synchronized (KafkaTestCluster.class) {
            c = instance;
            instance = null;
        }
        if (c != null) c.stop();
    }

    private void stop() {
        if (stopped.compareAndSet(false, true)) connect.stop();
    }

    /**
     * Stops the shared cluster when JUnit's launcher session closes (registered in
     * META-INF/services/org.junit.platform.launcher.LauncherSessionListener), before the JVM exits. At JVM exit each
     * Connect worker's own shutdown hook stops its REST server, and with the Jetty 12.1 of this class path that stop
     * never returns when it races the JVM's other hooks: Surefire then waits 30 s and kills the fork. Stopped
     * earlier, the workers' hooks find them stopped and return at once.
     */
    public static final class StopWhenTheRunEnds implements LauncherSessionListener {
        @Override
        public void launcherSessionClosed(LauncherSession session) {
            stopShared();
        }
    }

    /** How long the first {@link #get()} took to start the broker and the worker. */
    public Duration startTime() {
        return startTime;
    }

    public String bootstrapServers() {
        return connect.kafka().bootstrapServers();
    }

    /** Connect's REST API, e.g. {@code http://localhost:34567/} (the worker running now; it changes on restart). */
    public String connectUrl() {
        return connect.endpointForResource("");
    }

    /** Kafka's test kit itself: connectors, their status and offsets, REST calls. */
    public EmbeddedConnectCluster connect() {
        return connect;
    }

    /**
     * A name no other test of this JVM (nor an earlier run on a kept broker) uses: {@code prefix-RUN-N}, of
     * letters, digits, dots and hyphens only, so it is valid as a topic, connector, source or application id.
     */
    public static String unique(String prefix) {
        return prefix + "-" + RUN + "-" + NAMES.incrementAndGet();
    }

    public void createTopic(String name, int partitions) {
        connect.kafka().createTopic(name, partitions);
    }

    /**
     * Stops the Connect worker (gracefully: its tasks stop and commit their offsets) and starts a new one in the
     * same group, which takes the connectors over from the config topic and resumes them from the offsets topic.
     */
    public void restartWorker() {
        stopWorker();
        startWorker();
    }

    /** Stops the only worker; the connectors' configurations and offsets stay in their topics. */
    public void stopWorker() {
        for (WorkerHandle w : List.copyOf(connect.workers())) connect.removeWorker(w);
    }

    /** Starts a worker if none runs. */
    public void startWorker() {
        if (connect.workers().isEmpty()) connect.addWorker();
    }

    /**
     * Reads a topic from its beginning with {@code read_committed} (transactional writers' aborted records are never
     * seen) until {@code until} holds for everything read so far; then returns it. Fails after {@code atMost}.
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntil(String topic,
                                                         Predicate<List<ConsumerRecord<byte[], byte[]>>> until,
                                                         Duration atMost) {
        return read(topic, until, null, atMost);
    }

    /**
     * Reads a topic from its beginning with {@code read_committed} until nothing new came for {@code quiet};
     * fails after {@code atMost}.
     */
    public List<ConsumerRecord<byte[], byte[]>> readUntilQuiet(String topic, Duration quiet, Duration atMost) {
        return read(topic, records -> false, quiet, atMost);
    }

    /**
     * Reads a topic from its beginning with {@code read_committed} up to its end as of this call (the last stable
     * offset of each partition); for topics that are never quiet, such as change topics with heartbeats.
     */
    public List<ConsumerRecord<byte[], byte[]>> readToEnd(String topic, Duration atMost) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + atMost.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = fromTheBeginning(consumer, topic);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (true) {
                boolean done = true;
                for (TopicPartition p : partitions) done &= consumer.position(p) >= end.get(p);
                if (done) return out;
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("topic " + topic + ": not read to its end " + end + " in "
                            + atMost.toSeconds() + " s (" + out.size() + " records)");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
    }

    /** Assigns every partition of {@code topic} to {@code consumer}, each at its beginning. */
    private static List<TopicPartition> fromTheBeginning(KafkaConsumer<byte[], byte[]> consumer, String topic) {
        List<TopicPartition> partitions = new ArrayList<>();
        for (PartitionInfo p : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
            partitions.add(new TopicPartition(topic, p.partition()));
        }
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        return partitions;
    }

    private List<ConsumerRecord<byte[], byte[]>> read(String topic,
                                                      Predicate<List<ConsumerRecord<byte[], byte[]>>> until,
                                                      Duration quiet, Duration atMost) {
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        long deadline = System.nanoTime() + atMost.toNanos();
        try (KafkaConsumer<byte[], byte[]> consumer = consumer()) {
            List<TopicPartition> partitions = fromTheBeginning(consumer, topic);
            long lastNew = System.nanoTime();
            while (true) {
                int before = out.size();
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
                long now = System.nanoTime();
                if (out.size() > before) lastNew = now;
                if (until.test(out)) return out;
                if (quiet != null && now - lastNew >= quiet.toNanos()) return out;
                if (now > deadline) {
                    throw new AssertionError("topic " + topic + ": " + out.size() + " records read in "
                            + atMost.toSeconds() + " s, " + (quiet == null ? "the condition never held"
                            : "never quiet for " + quiet.toMillis() + " ms"));
                }
            }
        }
    }

    /** A consumer of raw records with {@code read_committed}, no group (assign it partitions). */
    public KafkaConsumer<byte[], byte[]> consumer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }
}
