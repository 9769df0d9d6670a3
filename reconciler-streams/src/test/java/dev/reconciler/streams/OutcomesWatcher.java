package dev.reconciler.streams;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Reads the outcomes topic as a consumer would ({@code read_committed}, from the beginning, every partition) on a
 * thread of its own, and keeps every record with the instant it was read: the tests check every outcome ever
 * committed, not only the final state. Idempotent close.
 */
final class OutcomesWatcher implements AutoCloseable {
    /** An outcome and when this consumer saw it. */
    record Seen(OutcomeRecord outcome, Instant readAt, int partition, long offset) {
    }

    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread thread;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private final Map<String, java.util.concurrent.atomic.AtomicLong> counts = new java.util.concurrent.ConcurrentHashMap<>();
    private final boolean lean;
    private volatile Instant lastReadAt;
    private volatile boolean running = true;
    private volatile Throwable failure;

    OutcomesWatcher(String bootstrap, String topic, int partitions) {
        this(bootstrap, topic, partitions, false);
    }

    /** @param lean keep matches as counts only (a benchmark's hundreds of thousands of them) */
    OutcomesWatcher(String bootstrap, String topic, int partitions, boolean lean) {
        this.lean = lean;
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumer = new KafkaConsumer<>(p, new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> all = new ArrayList<>();
        for (int i = 0; i < partitions; i++) all.add(new TopicPartition(topic, i));
        consumer.assign(all);
        consumer.seekToBeginning(all);
        thread = new Thread(this::run, "outcomes-watcher");
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    Instant now = Instant.now();
                    OutcomeRecord o = OutcomeRecord.read(r.key(), r.value());
                    if (!(lean && o.type().equals("PairMatched"))) seen.add(new Seen(o, now, r.partition(), r.offset()));
                    counts.computeIfAbsent(o.type(), k -> new java.util.concurrent.atomic.AtomicLong()).incrementAndGet();
                    lastReadAt = now;
                }
            }
        } catch (org.apache.kafka.common.errors.WakeupException e) {
            // closing
        } catch (Throwable t) {
            failure = t;
        } finally {
            consumer.close(Duration.ofSeconds(2));
        }
    }

    List<Seen> seen() {
        if (failure != null) throw new IllegalStateException("outcomes consumer failed", failure);
        return List.copyOf(seen);
    }

    /** Each discrepancy's latest record (by discrepancy id): id → record. */
    Map<String, OutcomeRecord> discrepancies() {
        Map<String, OutcomeRecord> m = new TreeMap<>();
        for (Seen s : seen()) {
            if (s.outcome().type().startsWith("Discrepancy")) m.put(s.outcome().key(), s.outcome());
        }
        return m;
    }

    /** Open at this moment: order id → discrepancy type. */
    Map<String, String> open() {
        Map<String, String> m = new TreeMap<>();
        for (OutcomeRecord r : discrepancies().values()) {
            if (r.type().equals("DiscrepancyOpened")) {
                m.put(FlashSaleHistory.orderOf(r), r.outcome().path("discrepancy").path("type").asText());
            }
        }
        return m;
    }

    long count(String type) {
        if (failure != null) throw new IllegalStateException("outcomes consumer failed", failure);
        var n = counts.get(type);
        return n == null ? 0 : n.get();
    }

    /** When the newest record was read. */
    Instant lastReadAt() {
        return lastReadAt;
    }

    /** CPU time of the consumer's thread (to subtract it from its JVM's). */
    long threadCpuNanos() {
        return java.lang.management.ManagementFactory.getThreadMXBean().getThreadCpuTime(thread.getId());
    }

    @Override
    public void close() {
        if (!running) return;
        running = false;
        consumer.wakeup();
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
