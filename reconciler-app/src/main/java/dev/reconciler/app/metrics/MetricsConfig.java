package dev.reconciler.app.metrics;

/**
 * The {@code metrics:} section of the configuration.
 *
 * @param perTable one series per table in the {@code table} label of {@code reconciler_events_total} and
 *                 {@code reconciler_facts_quarantined_total} (a sharded stream of 1,000 tables makes 1,000 series
 *                 per source); by default the label holds the configured table entry ({@code streams[].tables[].table})
 *                 that captures the table, so a sharded stream makes one
 */
public record MetricsConfig(boolean perTable) {
    public static MetricsConfig defaults() {
        return new MetricsConfig(false);
    }
}
