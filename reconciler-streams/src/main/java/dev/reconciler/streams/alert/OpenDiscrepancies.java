package dev.reconciler.streams.alert;

import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.streams.OutcomeRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The open discrepancies as the active alerter has journaled them, in a compacted one-partition topic
 * ({@code <application.id>-alerts-open}: key the discrepancy id, value the opening as the outcomes topic writes it,
 * a tombstone when it is resolved or waived). Only kept when an Alertmanager sink is configured.
 *
 * <p>Why: Alertmanager keeps no alerts of its own across time — a firing alert not re-sent before its {@code endsAt}
 * is resolved, and the on-call engineer is told "resolved" for a discrepancy that is still open. The embedded mode
 * seeds its re-send set from the store's open discrepancies. A successor alerter has no store; without this topic it
 * would know only the discrepancies opened after the group's committed offsets, and Alertmanager would resolve the
 * older ones a few minutes after a failover. With it, the successor reads the topic before its sinks start, and the
 * Alertmanager sink re-sends the whole firing set first thing, as after an embedded restart.
 *
 * <p>Written before the batch's offsets can be committed (flushed per batch, acks=all, idempotent producer).
 * Owned by the alerter's consumer thread.
 */
final class OpenDiscrepancies implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(OpenDiscrepancies.class);
    private static final Duration LOAD_LIMIT = Duration.ofMinutes(2);

    private final String topic;
    private final Properties connection;
    private final KafkaProducer<String, byte[]> producer;
    private final List<Future<RecordMetadata>> inFlight = new ArrayList<>();

    OpenDiscrepancies(String topic, Properties connection) {
        this.topic = topic;
        this.connection = connection;
        createIfMissing();
        Properties p = new Properties();
        p.putAll(connection);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    }

    /** Compacted, one partition, the broker's default replication. */
    private void createIfMissing() {
        try (Admin admin = Admin.create(connection)) {
            NewTopic t = new NewTopic(topic, Optional.of(1), Optional.empty())
                    .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
            admin.createTopics(List.of(t)).all().get();
            log.info("alerts: created topic {} (the open discrepancies, for Alertmanager's firing set)", topic);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw new IllegalStateException("alerts: cannot create topic " + topic + " (the open discrepancies"
                        + " an Alertmanager sink re-sends after a failover): " + e.getCause().getMessage()
                        + "; create it (compacted, 1 partition) or grant the create right", e.getCause());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("alerts: interrupted while creating topic " + topic, e);
        }
    }

    /** Notes an opening or an end (resolution, waiver) journaled by this alerter. */
    void record(Outcome o) {
        if (o instanceof Outcome.DiscrepancyOpened d) {
            OutcomeRecord r = OutcomeRecord.of(o);
            inFlight.add(producer.send(new ProducerRecord<>(topic, d.discrepancy().id(),
                    OutcomeRecord.serializer().serialize(topic, r))));
        } else if (o instanceof Outcome.DiscrepancyResolved d) {
            inFlight.add(producer.send(new ProducerRecord<>(topic, d.discrepancy().id(), null)));
        }
    }

    /**
     * Waits until what was recorded is written. A failure is logged, not thrown: the alerts themselves do not
     * depend on it, only a successor's Alertmanager firing set does.
     */
    void flush() {
        if (inFlight.isEmpty()) return;
        producer.flush();
        int failed = 0;
        String why = null;
        for (Future<RecordMetadata> f : inFlight) {
            try {
                f.get();
            } catch (ExecutionException e) {
                failed++;
                why = e.getCause().toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        inFlight.clear();
        if (failed > 0) {
            log.error("alerts: {} open-discrepancy record(s) could not be written to {} ({}); the alerts are sent,"
                    + " but after a failover Alertmanager may not be re-sent those discrepancies", failed, topic, why);
        }
    }

    /** Puts every open discrepancy of the topic into the (fresh) outbox, before its sinks start. */
    void loadInto(InMemoryStateStore outbox) {
        Properties p = new Properties();
        p.putAll(connection);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, Outcome.DiscrepancyOpened> openNow = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p, new StringDeserializer(),
                new ByteArrayDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            long deadline = System.nanoTime() + LOAD_LIMIT.toNanos();
            while (c.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    log.error("alerts: reading {} took more than {} s; Alertmanager is re-sent the {} open"
                            + " discrepancies read so far", topic, LOAD_LIMIT.toSeconds(), openNow.size());
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        openNow.remove(r.key());
                        continue;
                    }
                    try {
                        if (OutcomeReader.read(OutcomeRecord.read(r.key(), r.value())) instanceof Outcome.DiscrepancyOpened d) {
                            openNow.put(r.key(), d);
                        }
                    } catch (RuntimeException e) {
                        log.warn("alerts: skipping unreadable record {} of {}: {}", r.key(), topic, e.getMessage());
                    }
                }
            }
        }
        StateWrite w = new StateWrite();
        for (Outcome.DiscrepancyOpened d : openNow.values()) w.putDiscrepancy(d.discrepancy());
        if (!w.isEmpty()) outbox.write(w);
        log.info("alerts: {} open discrepancies read from {} in {} ms", openNow.size(), topic,
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** @param abandon as a killed process: what is not written yet is lost */
    void close(boolean abandon) {
        producer.close(abandon ? Duration.ZERO : Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        close(false);
    }
}
