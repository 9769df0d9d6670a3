package dev.reconciler.app.metrics;

import dev.reconciler.app.source.DebeziumMBeans;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Debezium's own streaming metrics of each source (its JMX MBeans, see {@link DebeziumMBeans}) under Prometheus
 * names with a {@code source} label, so that one scrape shows them without a JMX exporter. They describe the
 * connector from its side (its queue, its binlog client); the reconciler's view of the same source is
 * {@code reconciler_source_*}. Read at scrape time. Before the connector streams (waiting, snapshot) and after it
 * stopped, the MBeans do not exist: {@code reconciler_debezium_connected} is then 0 and the other gauges NaN — the
 * gap is visible, never a stale value.
 */
final class DebeziumMetrics {
    private DebeziumMetrics() {
    }

    /** @param owner held strongly by the caller for the registry's life (the counter keeps only a weak reference) */
    static void register(MeterRegistry registry, String source, Object owner) {
        Gauge.builder("reconciler.debezium.connected", () -> Boolean.TRUE.equals(attr(source, "Connected")) ? 1 : 0)
                .description("Debezium's binlog client: 1 while connected, 0 while not or while the connector does"
                        + " not stream")
                .tag("source", source).strongReference(true).register(registry);
        Gauge.builder("reconciler.debezium.behind.source.seconds",
                        () -> nonNegative(attr(source, "MilliSecondsBehindSource"), 1000))
                .description("Debezium: processing time minus commit time of the last event it read from the binlog;"
                        + " NaN before the first event")
                .tag("source", source).strongReference(true).register(registry);
        Gauge.builder("reconciler.debezium.since.last.event.seconds",
                        () -> nonNegative(attr(source, "MilliSecondsSinceLastEvent"), 1000))
                .description("Debezium: time since it read the last event from the binlog; NaN before the first")
                .tag("source", source).strongReference(true).register(registry);
        Gauge.builder("reconciler.debezium.queue.remaining.events",
                        () -> nonNegative(attr(source, "QueueRemainingCapacity"), 1))
                .description("Debezium: free places in its queue between the binlog reader and the reconciler; 0"
                        + " means the reconciler is the bottleneck")
                .tag("source", source).strongReference(true).register(registry);
        Gauge.builder("reconciler.debezium.queue.capacity.events",
                        () -> nonNegative(attr(source, "QueueTotalCapacity"), 1))
                .description("Debezium: the size of that queue (max.queue.size)")
                .tag("source", source).strongReference(true).register(registry);
        FunctionCounter.builder("reconciler.debezium.events.seen", owner,
                        o -> nonNegativeOrZero(attr(source, "TotalNumberOfEventsSeen")))
                .description("Debezium: binlog events it read since the connector started streaming (all captured"
                        + " tables, before the reconciler's filters)")
                .tag("source", source).register(registry);
    }

    private static Object attr(String source, String attribute) {
        return DebeziumMBeans.streaming(source, attribute);
    }

    /** Debezium reports -1 for "no event yet". */
    private static double nonNegative(Object value, double divisor) {
        return value instanceof Number n && n.doubleValue() >= 0 ? n.doubleValue() / divisor : Double.NaN;
    }

    private static double nonNegativeOrZero(Object value) {
        return value instanceof Number n && n.doubleValue() >= 0 ? n.doubleValue() : 0;
    }
}
