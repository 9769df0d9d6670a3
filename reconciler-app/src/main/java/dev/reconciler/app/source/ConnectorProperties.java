package dev.reconciler.app.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * The Debezium connector properties of one source that say what is read and how: the same for the embedded engine
 * ({@link DebeziumSource}, which adds file offsets and schema history) and for Kafka Connect
 * ({@link ConnectConnectorConfig}, which adds converters, topic creation and Kafka schema history). One function, so
 * the two modes cannot drift apart: a property added here reaches both.
 */
public final class ConnectorProperties {
    private ConnectorProperties() {
    }

    /**
     * @param resyncing       a resync re-reads its rows whatever the configured first-start snapshot is
     * @param snapshotSelects snapshot SELECT per captured table ({@code db.table}) for a look-back or a resync; empty
     *                        reads every row
     */
    static Properties capture(SourceConfig config, boolean resyncing, Map<String, String> snapshotSelects) {
        Properties p = new Properties();
        p.setProperty("name", "reconciler-" + config.name());
        p.setProperty("connector.class", config.flavour().connectorClass);
        p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        p.setProperty("database.password", config.password() == null ? "" : config.password());
        p.setProperty("database.server.id", Long.toString(config.serverId()));
        config.tls().putDebeziumProperties(config.flavour(), p);
        p.setProperty("topic.prefix", config.name());
        p.setProperty("database.include.list", String.join(",", config.databases()));
        List<String> tables = new ArrayList<>(config.tables());
        if (config.heartbeatTable() != null) tables.add(config.heartbeatTable().replace(".", "\\."));
        p.setProperty("table.include.list", String.join(",", tables));
        p.setProperty("snapshot.mode", config.snapshot() == SourceConfig.Snapshot.INITIAL || resyncing
                ? "initial" : "no_data");
        p.setProperty("snapshot.locking.mode", "none");
        if (!snapshotSelects.isEmpty()) {
            p.setProperty("snapshot.select.statement.overrides", String.join(",", snapshotSelects.keySet()));
            snapshotSelects.forEach((table, select) -> p.setProperty("snapshot.select.statement.overrides." + table, select));
        }
        p.setProperty("include.schema.changes", "false");
        p.setProperty("tombstones.on.delete", "false");
        p.setProperty("decimal.handling.mode", "string");
        p.setProperty("max.batch.size", "2048");
        p.setProperty("max.queue.size", "8192");
        p.setProperty("poll.interval.ms", "50");
        p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeatInterval().toMillis()));
        // The binlog client notices a dropped connection and reconnects on this period (default 60 s); outages
        // that Debezium does not escalate to a failure are retried here, failures by launch()'s backoff.
        p.setProperty("connect.keep.alive.interval.ms", "5000");
        return p;
    }
}
