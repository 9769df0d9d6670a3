package dev.reconciler.streams.alert;

import dev.reconciler.app.alert.AlertService;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.streams.OutcomeRecord;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Alerts in the distributed mode: reads the outcomes topic and delivers it through the embedded mode's own alert
 * stack ({@link AlertService}: the same sinks, payloads, labels, idempotency keys, storm control, retries and
 * Alertmanager re-sends). docs/scale-out.md, "Alerts in the distributed mode", is the user's description.
 *
 * <ul>
 *   <li><b>One active alerter.</b> Every Streams instance runs one, in the consumer group
 *       {@code <application.id>-alerts}; {@link SingleActiveAssignor} gives all outcome partitions to one member
 *       (storm control counts per rule across partitions). The others wait in the group and take over at the next
 *       rebalance: at once when the active one stops cleanly, within the session timeout when it dies.</li>
 *   <li><b>No lost alert.</b> {@code read_committed}, no auto-commit. The outcomes enter a fresh in-memory journal
 *       (the service's outbox) on becoming active; the group's offsets advance only past records whose journal
 *       entries every sink has passed ({@link AlertService#deliveredUpTo()}). An alerter that dies loses its
 *       outbox, and its successor reads again from the committed offsets: alerts may be sent twice, with the same
 *       idempotency keys and Alertmanager labels. The durable outbox is the topic.</li>
 *   <li><b>Like one engine.</b> {@link PartitionMerge} turns the per-partition stall and pause reports into one
 *       alert each, as the embedded mode's single engine reports them.</li>
 *   <li><b>Bounded.</b> The consumer pauses while {@link #maxOutbox} entries wait for delivery (a receiver that is
 *       down holds the backlog in the topic, not on the heap) and resumes at half.</li>
 * </ul>
 * One thread owns the consumer, the journal writes and the commits; the sinks have their own threads.
 */
public final class StreamsAlerter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamsAlerter.class);
    /** Our settings in the Streams properties; {@code reconciler.alerts.consumer.*} go to the consumer as they are. */
    public static final String PREFIX = "reconciler.alerts.";
    public static final String CONSUMER_PREFIX = PREFIX + "consumer.";
    public static final String GROUP = PREFIX + "group";
    public static final String MAX_OUTBOX = PREFIX + "max.outbox.entries";
    public static final String OPEN_TOPIC = PREFIX + "open.topic";
    static final int DEFAULT_MAX_OUTBOX = 100_000;
    /** Faster than the consumer default (45 s): a dead alerter is replaced within this. */
    static final int DEFAULT_SESSION_TIMEOUT_MS = 10_000;
    private static final Duration POLL = Duration.ofMillis(200);
    /** On a clean stop, how long the sinks get to deliver the outbox before the offsets are committed. */
    private static final Duration DRAIN = Duration.ofSeconds(5);
    /** After a consumer failure, the wait before rejoining the group. */
    private static final Duration RESTART_PAUSE = Duration.ofSeconds(5);

    private final AlertsConfig config;
    private final String topic;
    private final MeterRegistry registry;
    private final InstantSource clock;
    private final int maxOutbox;
    private final Properties consumerProps;
    /** Replaced after a failure; only the consumer thread uses it (and {@link #stop} wakes it). */
    private volatile KafkaConsumer<String, byte[]> consumer;
    private final CountDownLatch stopping = new CountDownLatch(1);
    /** With an Alertmanager sink: the open discrepancies, for a successor's firing set (see {@link OpenDiscrepancies}). */
    private final OpenDiscrepancies open;
    private final Thread thread;
    private final List<Meter> meters = new ArrayList<>();
    private final Counter unreadable;
    private volatile boolean running = true;
    private volatile boolean crashed;
    /** The current activation; null while another member is the active alerter. Consumer thread only. */
    private Activation active;
    private volatile boolean isActive;
    private volatile double lag = Double.NaN;

    /** What exists only while this instance is the active alerter. */
    private final class Activation {
        final InMemoryStateStore outbox = new InMemoryStateStore();
        final AlertService service;
        final PartitionMerge merge = new PartitionMerge();
        /** The next offset to read per partition, as this activation has journaled them. */
        final Map<TopicPartition, Long> read = new HashMap<>();
        /** Offsets to commit once the journal is delivered up to {@code seq}, oldest first. */
        final Deque<Pending> pending = new ArrayDeque<>();
        boolean paused;

        Activation() {
            // Before the sinks start: an Alertmanager sink seeds its firing set from the outbox's open discrepancies.
            if (open != null) open.loadInto(outbox);
            service = new AlertService(config, outbox, registry, clock).start();
        }

        void close() {
            service.close();
            outbox.close();
        }
    }

    private record Pending(long seq, Map<TopicPartition, Long> offsets) {
    }

    private StreamsAlerter(AlertsConfig config, String topic, Properties consumerProps, MeterRegistry registry,
                           InstantSource clock, int maxOutbox, String openTopic, Properties connection) {
        this.config = config;
        this.topic = topic;
        this.registry = registry;
        this.clock = clock;
        this.maxOutbox = maxOutbox;
        this.open = openTopic == null ? null : new OpenDiscrepancies(openTopic, connection);
        this.consumerProps = consumerProps;
        // Created here, so that a wrong consumer setting fails the start rather than the thread.
        this.consumer = newConsumer();
        meters.add(Gauge.builder("reconciler_alerts_active", () -> isActive ? 1 : 0)
                .description("1 while this instance is the distributed mode's active alerter").register(registry));
        meters.add(Gauge.builder("reconciler_alerts_outcomes_lag_records", () -> lag)
                .description("Outcome records the active alerter has not read yet (NaN when not active)")
                .register(registry));
        unreadable = Counter.builder("reconciler_alerts_unreadable_records_total")
                .description("Outcome records the alerter could not read and skipped").register(registry);
        meters.add(unreadable);
        thread = new Thread(this::run, "reconciler-alerts-consumer");
        thread.setDaemon(true);
    }

    /**
     * Joins the alerts group and starts the consumer thread.
     *
     * @param streamsProps the Streams application's properties: {@code bootstrap.servers}, {@code application.id}
     *                     and the security settings are used; {@code reconciler.alerts.*} are ours (see
     *                     docs/scale-out.md)
     */
    public static StreamsAlerter start(AlertsConfig config, String outcomesTopic, Properties streamsProps,
                                       MeterRegistry registry) {
        return start(config, outcomesTopic, streamsProps, registry, InstantSource.system());
    }

    /**
     * The Streams application's wiring, step 1, before Kafka Streams starts: takes our {@code reconciler.alerts.*}
     * settings out of {@code streamsProps} (Kafka Streams would warn about them) and checks them.
     *
     * @return the properties for {@link #startIfConfigured}: the Streams properties with ours
     */
    public static Properties takeSettings(Properties streamsProps) {
        Properties mine = new Properties();
        mine.putAll(streamsProps);
        streamsProps.keySet().removeIf(k -> k.toString().startsWith(PREFIX));
        maxOutbox(mine);
        return mine;
    }

    /**
     * Step 2, once the outcomes topic exists: starts the alerter, or — with no sink configured — says that this
     * application sends no alerts and returns null.
     */
    public static StreamsAlerter startIfConfigured(AlertsConfig config, String outcomesTopic, Properties settings,
                                                   MeterRegistry registry) {
        if (config.sinks().isEmpty()) {
            log.warn("alerts: no sink configured (alerts.sinks in the YAML): the distributed mode sends no alerts;"
                    + " outcomes are only in topic {}", outcomesTopic);
            return null;
        }
        return start(config, outcomesTopic, settings, registry);
    }

    private static int maxOutbox(Properties p) {
        String v = p.getProperty(MAX_OUTBOX, String.valueOf(DEFAULT_MAX_OUTBOX));
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            n = 0;
        }
        if (n < 1) throw new IllegalArgumentException(MAX_OUTBOX + ": must be a whole number, at least 1, got '" + v
                + "' (default " + DEFAULT_MAX_OUTBOX + ")");
        return n;
    }

    static StreamsAlerter start(AlertsConfig config, String outcomesTopic, Properties streamsProps,
                                MeterRegistry registry, InstantSource clock) {
        int maxOutbox = maxOutbox(streamsProps);
        boolean alertmanager = config.sinks().stream().anyMatch(k -> k.kind() == SinkType.ALERTMANAGER);
        String openTopic = !alertmanager ? null : streamsProps.getProperty(OPEN_TOPIC,
                streamsProps.getProperty("application.id", "reconciler") + "-alerts-open");
        StreamsAlerter a = new StreamsAlerter(config, outcomesTopic, consumerProperties(streamsProps), registry, clock,
                maxOutbox, openTopic, connection(streamsProps));
        a.thread.start();
        return a;
    }

    /** The consumer's settings: connection and security from the Streams properties, the group's own fixed ones. */
    static Properties consumerProperties(Properties streams) {
        Properties p = connection(streams);
        String app = streams.getProperty("application.id", "reconciler");
        p.put(ConsumerConfig.GROUP_ID_CONFIG, streams.getProperty(GROUP, app + "-alerts"));
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, app + "-alerts");
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(DEFAULT_SESSION_TIMEOUT_MS));
        p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, String.valueOf(DEFAULT_SESSION_TIMEOUT_MS / 3));
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        for (String k : streams.stringPropertyNames()) {
            if (k.startsWith(CONSUMER_PREFIX)) p.put(k.substring(CONSUMER_PREFIX.length()), streams.getProperty(k));
        }
        // Fixed: what the guarantees above rest on.
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");   // client-side assignors need the classic protocol
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, SingleActiveAssignor.class.getName());
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    /** Where the cluster is and how to log in: from the Streams properties. */
    static Properties connection(Properties streams) {
        Properties p = new Properties();
        for (String k : streams.stringPropertyNames()) {
            String lower = k.toLowerCase(Locale.ROOT);
            if (k.equals("bootstrap.servers") || k.equals("client.dns.lookup") || lower.startsWith("security.")
                    || lower.startsWith("ssl.") || lower.startsWith("sasl.")) {
                p.put(k, streams.getProperty(k));
            }
        }
        return p;
    }

    /** True while this instance is the active alerter. */
    public boolean active() {
        return isActive;
    }

    // ---------------------------------------------------------------- the consumer thread

    private KafkaConsumer<String, byte[]> newConsumer() {
        return new KafkaConsumer<>(consumerProps, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /**
     * Consumes until closed. A failure of the consumer (or of a rebalance step) ends this instance's role — a standby
     * takes over — and a new consumer rejoins the group {@link #RESTART_PAUSE} later: the alerter never stays down
     * while the process runs.
     */
    private void run() {
        while (true) {
            try {
                consume();
            } catch (WakeupException | InterruptException e) {
                // closing
            } catch (RuntimeException e) {
                if (running) {
                    log.error("alerts: the outcomes consumer failed; this instance leaves the alerter role (a standby"
                            + " takes over) and rejoins in {} s: {}", RESTART_PAUSE.toSeconds(), e.toString(), e);
                }
            } finally {
                leave();
            }
            try {
                if (!running || stopping.await(RESTART_PAUSE.toMillis(), TimeUnit.MILLISECONDS)) break;
                consumer = newConsumer();
            } catch (InterruptedException | RuntimeException e) {
                if (running) log.error("alerts: cannot create the outcomes consumer; this instance sends no alerts", e);
                break;
            }
        }
        if (open != null) open.close(crashed);
    }

    private void consume() {
        consumer.subscribe(List.of(topic), new Rebalance());
        while (running) {
            ConsumerRecords<String, byte[]> records = consumer.poll(POLL);
            if (active == null) continue;
            if (!records.isEmpty()) journal(records);
            commitDelivered(false);
            pace();
            measureLag();
        }
    }

    /** Ends the role (committing what was delivered, unless crashing) and closes the consumer. */
    private void leave() {
        if (!crashed && active != null) {
            // What the sinks deliver now, the successor need not send again.
            active.service.drain(DRAIN);
        }
        deactivate(!crashed);
        try {
            if (crashed) {
                // As a killed process: no goodbye to the group, which notices after the session timeout.
                consumer.close(CloseOptions.groupMembershipOperation(
                        CloseOptions.GroupMembershipOperation.REMAIN_IN_GROUP).withTimeout(Duration.ZERO));
            } else {
                consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
            }
        } catch (RuntimeException e) {
            log.warn("alerts: closing the outcomes consumer failed: {}", e.toString());
        }
    }

    private void journal(ConsumerRecords<String, byte[]> records) {
        Activation a = active;
        StateWrite w = new StateWrite();
        List<Outcome> journaled = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            a.read.put(tp, r.offset() + 1);
            if (r.value() == null) continue;   // a tombstone (compaction): nothing to say
            // Matches are the bulk of the topic and never alerted: skipped by their key, unparsed.
            if (r.key() != null && r.key().startsWith("match/")) continue;
            Outcome o;
            try {
                o = OutcomeReader.read(OutcomeRecord.read(r.key(), r.value()));
            } catch (RuntimeException e) {
                unreadable.increment();
                log.error("alerts: skipping outcome record {} at {}-{} offset {}: {}", r.key(), r.topic(),
                        r.partition(), r.offset(), e.getMessage());
                continue;
            }
            if (o == null || !a.merge.pass(r.partition(), r.key(), o)) continue;
            w.appendJournal(o);
            // The open discrepancies: an Alertmanager sink rebuilds its firing set from them after dropped entries.
            if (o instanceof Outcome.DiscrepancyOpened d) w.putDiscrepancy(d.discrepancy());
            if (o instanceof Outcome.DiscrepancyResolved d) w.deleteDiscrepancy(d.discrepancy().id());
            if (open != null) open.record(o);
            journaled.add(o);
        }
        // Durable before any offset of this batch can be committed (commits follow deliveries, which follow this).
        if (open != null) open.flush();
        if (!w.isEmpty()) a.outbox.write(w);
        a.pending.add(new Pending(a.outbox.journalSeq(), Map.copyOf(a.read)));
        a.service.accept(journaled);
    }

    /** Commits the offsets of every batch whose journal entries all sinks have passed. */
    private void commitDelivered(boolean sync) {
        Activation a = active;
        if (a == null) return;
        long delivered = a.service.deliveredUpTo();
        Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
        while (!a.pending.isEmpty() && a.pending.peek().seq() <= delivered) {
            a.pending.poll().offsets().forEach((tp, off) -> commit.put(tp, new OffsetAndMetadata(off)));
        }
        if (commit.isEmpty()) return;
        try {
            if (sync) {
                consumer.commitSync(commit);
            } else {
                consumer.commitAsync(commit, (offsets, e) -> {
                    if (e != null) log.warn("alerts: committing the delivered offsets failed ({}); a successor"
                            + " alerter sends those alerts again, with the same idempotency keys", e.toString());
                });
            }
        } catch (KafkaException e) {
            log.warn("alerts: committing the delivered offsets failed ({}); a successor alerter sends those alerts"
                    + " again, with the same idempotency keys", e.toString());
        }
    }

    /** Stops reading while the outbox is full; reads again at half. */
    private void pace() {
        Activation a = active;
        long waiting = a.outbox.journalSeq() - a.service.deliveredUpTo();
        if (!a.paused && waiting >= maxOutbox) {
            a.paused = true;
            consumer.pause(consumer.assignment());
            log.warn("alerts: {} alerts wait for delivery (the bound, {}); reading the outcomes topic is paused until"
                    + " the sinks catch up (reconciler_alerts_outcomes_lag_records grows meanwhile)", waiting, MAX_OUTBOX);
        } else if (a.paused && waiting < maxOutbox / 2) {
            a.paused = false;
            consumer.resume(consumer.assignment());
            log.info("alerts: the sinks caught up ({} waiting); reading the outcomes topic again", waiting);
        }
    }

    private void measureLag() {
        long sum = 0;
        for (TopicPartition tp : consumer.assignment()) {
            OptionalLong l = consumer.currentLag(tp);
            if (l.isEmpty()) return;   // not known yet: keep the last figure
            sum += l.getAsLong();
        }
        lag = sum;
    }

    private void activate(Collection<TopicPartition> partitions) {
        active = new Activation();
        isActive = true;
        lag = Double.NaN;
        log.info("alerts: this instance is now the active alerter ({} partitions of {}); delivering from the"
                + " group's committed offsets", partitions.size(), topic);
    }

    private void deactivate(boolean commitFirst) {
        if (active == null) return;
        if (commitFirst) commitDelivered(true);
        active.close();
        active = null;
        isActive = false;
        lag = Double.NaN;
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            // Eager protocol: revoked at every rebalance, also when they come straight back; keep the outbox and
            // the storm windows until the assignment says whether they do.
            commitDelivered(true);
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            if (partitions.isEmpty()) {
                if (active != null) {
                    deactivate(true);
                    log.info("alerts: another instance is now the active alerter; this one stands by");
                } else {
                    log.info("alerts: standing by (another instance is the active alerter)");
                }
                return;
            }
            if (active == null) {
                activate(partitions);
                return;
            }
            // Still ours: go on from what this activation journaled, not from the committed offsets (which
            // would put the undelivered part in the outbox twice).
            // (A partition not read yet starts from the committed offset, as at activation.)
            for (TopicPartition tp : partitions) {
                Long next = active.read.get(tp);
                if (next != null) consumer.seek(tp, next);
            }
            if (active.paused) consumer.pause(partitions);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // Another member may already deliver them: stop at once; commits would be refused anyway.
            log.warn("alerts: this instance lost the alerter role (it missed the group's session timeout); its"
                    + " undelivered alerts are sent by the new active alerter");
            deactivate(false);
        }
    }

    // ---------------------------------------------------------------- stopping

    /**
     * Stops cleanly: commits what was delivered and leaves the group, so another instance takes over at once (and
     * sends again what this one had not delivered yet). Idempotent.
     */
    @Override
    public void close() {
        stop(false);
    }

    /** Tests: stops as a killed process would — no commit, no leaving the group, the sinks' threads abandoned. */
    void crash() {
        stop(true);
    }

    private void stop(boolean crash) {
        if (!running) return;
        crashed = crash;
        running = false;
        stopping.countDown();
        try {
            consumer.wakeup();
        } catch (RuntimeException e) {
            // between two consumers (after a failure): the thread sees the stop before creating the next
        }
        try {
            thread.join(Duration.ofSeconds(30).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Meter m : meters) registry.remove(m);
    }
}
