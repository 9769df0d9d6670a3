package dev.reconciler.streams;

import dev.reconciler.app.metrics.MetricsConfig;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.ThreadMetadata;

import java.time.Instant;
import java.time.InstantSource;
import java.util.List;

/**
 * The Streams application's Prometheus meters (docs/metrics.md, "Distributed mode"): the embedded mode's engine
 * meters under the same names and labels, over the match tasks this instance runs ({@link EngineTasks#merged}),
 * counted from the outcomes its tasks forward; Micrometer's Kafka Streams binder ({@code kafka_stream_*},
 * {@code kafka_consumer_*}, {@code kafka_producer_*}, {@code kafka_admin_*}: every Kafka client metric of the
 * application, RocksDB and restore metrics included); and two of the distributed mode's own:
 * {@code reconciler_streams_state} and {@code reconciler_streams_partitions}.
 *
 * <p>The capture meters of the embedded mode ({@code reconciler_source_connected}, {@code _state},
 * {@code _lag_seconds}, {@code _events}, {@code _disconnects}, {@code reconciler_debezium_*}) are not here: capture
 * runs in Kafka Connect, whose Debezium and Connect metrics its JMX exporter serves. Nor is
 * {@code reconciler_state_size_bytes} or {@code reconciler_state_writable}: the stores are Kafka Streams' (their
 * sizes are in {@code kafka_stream_state_*} with {@code metrics.recording.level=DEBUG}), and a store write that fails
 * fails the stream thread, which shows in {@code reconciler_streams_state}.
 */
public final class StreamsMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final ReconcilerMetrics reconciler;
    private final String factsTopic;
    private volatile KafkaStreams streams;
    private KafkaStreamsMetrics kafka;
    private boolean closed;

    public StreamsMetrics(EngineConfig engine, MetricsConfig options, EngineTasks tasks, String factsTopic) {
        this.factsTopic = factsTopic;
        this.reconciler = new ReconcilerMetrics(registry, engine, options,
                () -> tasks.merged(Instant.now()), List.of(), null, InstantSource.system());
        // Outcomes come from several stream threads; the counters' bookkeeping is single-threaded.
        tasks.addListener(outcomes -> {
            synchronized (reconciler) {
                reconciler.accept(outcomes);
            }
        });
        for (KafkaStreams.State state : KafkaStreams.State.values()) {
            Gauge.builder("reconciler.streams.state", this, m -> m.streams != null && m.streams.state() == state ? 1 : 0)
                    .description("1 for the state the Kafka Streams client is in (RUNNING, REBALANCING, ERROR, ...),"
                            + " 0 for the others")
                    .tag("state", state.name()).strongReference(true).register(registry);
        }
        Gauge.builder("reconciler.streams.partitions", this, StreamsMetrics::activePartitions)
                .description("Facts partitions whose match task is active on this instance")
                .strongReference(true).register(registry);
    }

    /** Adds the Kafka Streams binder for the application, once it exists. */
    public synchronized void bind(KafkaStreams streams) {
        this.streams = streams;
        kafka = new KafkaStreamsMetrics(streams);
        kafka.bindTo(registry);
    }

    /** The registry {@code /metrics} serves, for the instance's other parts (the alerter). */
    public MeterRegistry registry() {
        return registry;
    }

    public String scrape() {
        return reconciler.scrape();
    }

    private double activePartitions() {
        KafkaStreams s = streams;
        if (s == null) return 0;
        int n = 0;
        try {
            for (ThreadMetadata t : s.metadataForLocalThreads()) {
                for (TaskMetadata task : t.activeTasks()) {
                    for (TopicPartition tp : task.topicPartitions()) if (tp.topic().equals(factsTopic)) n++;
                }
            }
        } catch (RuntimeException e) {
            return Double.NaN;   // not running
        }
        return n;
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        if (kafka != null) kafka.close();
        reconciler.close();
        registry.close();
    }
}
