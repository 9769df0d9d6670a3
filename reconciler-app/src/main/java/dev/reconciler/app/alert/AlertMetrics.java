package dev.reconciler.app.alert;

import dev.reconciler.app.metrics.ReconcilerMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.DoubleSupplier;

/**
 * The alert metrics (docs/metrics.md): {@code reconciler_alerts_sent_total{sink,outcome}},
 * {@code reconciler_alert_outbox_entries{sink}} (also as {@code reconciler_alert_outbox_size}, its name until this
 * release) and {@code reconciler_alert_outbox_oldest_age_seconds{sink}}. Every
 * outcome of every sink is registered up front, so a dashboard sees zeros rather than gaps.
 */
public final class AlertMetrics implements AutoCloseable {

    /** The {@code outcome} label. */
    public enum Outcome {
        /** A request the receiver accepted (Alertmanager re-sends included). */
        SUCCESS,
        /** A request that failed and will be retried (down, timeout, 5xx, 429, 401/403/404, a robot's error code). */
        FAILURE,
        /** A request the receiver refused as malformed (400, 413, 422): not retried, the alert is skipped. */
        REJECTED,
        /** A journal entry folded into an aggregated storm alert instead of being sent on its own. */
        AGGREGATED,
        /** A journal entry dropped before this sink delivered it (outbox bound by age or size exceeded). */
        DROPPED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final MeterRegistry registry;
    private final Map<String, Map<Outcome, Counter>> counters = new ConcurrentHashMap<>();
    private final List<Gauge> gauges = new CopyOnWriteArrayList<>();

    public AlertMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Registers one sink's meters.
     *
     * @param outbox the entries the sink has not delivered yet (read at scrape time; NaN if unknown)
     */
    public void register(String sink, DoubleSupplier outbox) {
        register(sink, outbox, () -> 0);
    }

    /**
     * Registers one sink's meters.
     *
     * @param outbox    the entries the sink has not delivered yet (read at scrape time; NaN if unknown)
     * @param oldestAge the age in seconds of the oldest of them (0 when there is none; NaN if unknown)
     */
    public void register(String sink, DoubleSupplier outbox, DoubleSupplier oldestAge) {
        Map<Outcome, Counter> byOutcome = new EnumMap<>(Outcome.class);
        for (Outcome o : Outcome.values()) {
            byOutcome.put(o, Counter.builder("reconciler.alerts.sent")
                    .description("Alert deliveries per sink by outcome: requests (success, failure, rejected) and"
                            + " journal entries not sent on their own (aggregated, dropped)")
                    .tags("sink", sink, "outcome", o.label()).register(registry));
        }
        counters.put(sink, byOutcome);
        String entries = "Journal entries (discrepancies, stalls, their ends) the sink has not delivered yet";
        gauges.add(Gauge.builder("reconciler.alert.outbox.entries", outbox, DoubleSupplier::getAsDouble)
                .description(entries).tag("sink", sink).strongReference(true).register(registry));
        gauges.add(Gauge.builder("reconciler.alert.outbox.size", outbox, DoubleSupplier::getAsDouble)
                .description(ReconcilerMetrics.deprecated("reconciler.alert.outbox.entries", entries))
                .tag("sink", sink).strongReference(true).register(registry));
        gauges.add(Gauge.builder("reconciler.alert.outbox.oldest.age.seconds", oldestAge, DoubleSupplier::getAsDouble)
                .description("Age of the oldest journal entry the sink has not delivered yet (0 when none); entries"
                        + " older than alerts.journalMaxAge are dropped")
                .tag("sink", sink).strongReference(true).register(registry));
    }

    /**
     * Removes the outbox gauges (they read the service's sinks); the counters stay, as counters do. A service started
     * later on the same registry registers its own.
     */
    @Override
    public void close() {
        for (Gauge g : gauges) registry.remove(g);
        gauges.clear();
    }

    void count(String sink, Outcome outcome, long n) {
        if (n <= 0) return;
        Map<Outcome, Counter> byOutcome = counters.get(sink);
        if (byOutcome != null) byOutcome.get(outcome).increment(n);
    }
}
