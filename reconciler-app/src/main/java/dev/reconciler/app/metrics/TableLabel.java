package dev.reconciler.app.metrics;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.StreamDef;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The value of a metric's {@code table} label. By default the configured table entry that captures the table (the
 * {@code streams[].tables[].table} regex as written, e.g. {@code trade_order_stream_\d{4}}; a plain table name for
 * an unsharded table): the number of series is bounded by the configuration, not by the number of shards. With
 * {@code metrics.perTable} the table's own name.
 */
final class TableLabel {
    private final EngineConfig config;
    private final boolean perTable;
    private final Map<String, String> labels = new ConcurrentHashMap<>();

    TableLabel(EngineConfig config, boolean perTable) {
        this.config = config;
        this.perTable = perTable;
    }

    String of(String source, String table) {
        if (perTable) return table;
        return labels.computeIfAbsent(source + "\u0000" + table, k -> {
            for (StreamDef stream : config.streams()) {
                for (StreamDef.TableSelector t : stream.tables()) {
                    if (t.matches(source, table)) return t.table().pattern();
                }
            }
            return table;   // a table no stream reads (sources capture only those that are): itself
        });
    }
}
