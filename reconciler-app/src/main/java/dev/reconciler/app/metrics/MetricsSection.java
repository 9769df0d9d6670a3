package dev.reconciler.app.metrics;

import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;

import java.util.List;

/** The {@code metrics} section ({@link MetricsConfig}), declared once like every other section. */
public final class MetricsSection {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("metrics",
            ConfigKey.of("perTable", Kind.BOOLEAN, "boolean", "`false`", "`true`",
                "The `table` label of `reconciler_events_total` and `reconciler_facts_quarantined_total` holds each"
                + " table's own name, one series per shard, instead of the configured table entry that captures it"
                + " (`trade_order_stream_\\d{4}`). Turn it on to find a hot or broken shard; 1,000 shards make 1,000"
                + " series per source ([metrics.md](metrics.md)).")));

    /** The {@code metrics} section. */
    public static MetricsConfig bind(Section s) {
        return new MetricsConfig(s.bool("perTable", MetricsConfig.defaults().perTable()));
    }

    private MetricsSection() {
    }
}
