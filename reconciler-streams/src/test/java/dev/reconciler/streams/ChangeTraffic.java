package dev.reconciler.streams;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a {@link FlashSaleHistory} into the change topics as the Debezium connectors in Kafka Connect write them
 * (JSON with schemas, keyed by the row's primary key, one partition per source): either in real time on a thread of
 * its own (each change when the wall clock reaches its commit time), or all at once (a backlog). One request in
 * flight, so each source's binlog order is kept.
 */
final class ChangeTraffic implements AutoCloseable {
    private final FlashSaleHistory history;
    private final KafkaProducer<byte[], byte[]> producer;
    private final ChangeRecords changes = new ChangeRecords();
    private final AtomicLong written = new AtomicLong();
    private Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;
    private volatile Instant finished;

    ChangeTraffic(String bootstrap, FlashSaleHistory history) {
        this.history = history;
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        // One request in flight keeps each source's order across retries. Not idempotent: on the in-process
        // broker, an idempotent producer's first batch to a topic created a moment before could be refused
        // forever (NOT_LEADER, then OUT_OF_ORDER_SEQUENCE on every retry). A retried batch may be written twice,
        // which Debezium's at-least-once delivery does too; the engine absorbs a re-read row.
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        // No compression, as a Connect worker's producer by default.
        producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
        // The change topics were just created: wait until each has a leader before the first write.
        for (String topic : java.util.List.of(history.ordersTopic(), history.inventoryTopic())) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (producer.partitionsFor(topic).stream().anyMatch(i -> i.leader() == null || i.leader().isEmpty())) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("topic " + topic + ": no leader");
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    /**
     * Starts writing in real time: each change at {@code base + offset}, with that commit time, until the history
     * is {@linkplain FlashSaleHistory#done() done} (stop the sale with {@link FlashSaleHistory#stop()}).
     */
    ChangeTraffic startLive(Instant base) {
        thread = new Thread(() -> {
            try {
                while (running && !history.done()) {
                    for (FlashSaleHistory.Event e : history.until(System.currentTimeMillis() - base.toEpochMilli())) {
                        send(history.render(changes, e, base));
                    }
                    Thread.sleep(10);
                }
                producer.flush();
                finished = Instant.now();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure = t;
            }
        }, "change-traffic");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /**
     * Writes the whole history now (its end set by {@link FlashSaleHistory#stopAfter}), with commit times from
     * {@code base}; returns when every change is acked.
     */
    void writeAll(Instant base) {
        while (!history.done()) {
            for (FlashSaleHistory.Event e : history.until(Long.MAX_VALUE)) send(history.render(changes, e, base));
        }
        producer.flush();
        finished = Instant.now();
    }

    private void send(ChangeRecords.Change c) {
        producer.send(new ProducerRecord<>(c.topic(), 0, c.key(), c.value()), (m, e) -> {
            if (e != null) failure = e;
        });
        written.incrementAndGet();
    }

    long written() {
        check();
        return written.get();
    }

    /** When the last change was acknowledged; null while writing. */
    Instant finished() {
        check();
        return finished;
    }

    private void check() {
        if (failure != null) throw new IllegalStateException("writing the change topics failed", failure);
    }

    @Override
    public void close() {
        running = false;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        producer.close(Duration.ofSeconds(5));
    }
}
