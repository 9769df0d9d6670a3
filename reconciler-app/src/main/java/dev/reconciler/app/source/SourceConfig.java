package dev.reconciler.app.source;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * One database instance to tail.
 *
 * @param name              unique; facts and metrics carry it
 * @param flavour           which Debezium connector reads it
 * @param databases         the databases (schemas) whose tables the streams use
 * @param tables            table regexes (database-qualified, e.g. {@code orders\.trade_order_stream_\d+})
 * @param serverId          the replication client id Debezium presents; unique among the server's replicas
 * @param snapshot          what to do on the very first start
 * @param heartbeatTable    a table ({@code db.table}) the reconciler may write a heartbeat row into, so that an idle
 *                          database still moves the watermark with a real binlog event; null to not write
 * @param heartbeatInterval how often to heartbeat
 */
public record SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                           List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                           String heartbeatTable, Duration heartbeatInterval) {

    public enum Flavour {
        MYSQL("io.debezium.connector.mysql.MySqlConnector"),
        MARIADB("io.debezium.connector.mariadb.MariaDbConnector");

        final String connectorClass;

        Flavour(String connectorClass) {
            this.connectorClass = connectorClass;
        }
    }

    public enum Snapshot {
        /** Read the existing rows first, then stream. */
        INITIAL,
        /** Stream from the current binlog position; no rows are read. */
        FROM_NOW
    }

    public SourceConfig {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(flavour, "flavour");
        Objects.requireNonNull(host, "host");
        databases = List.copyOf(databases);
        tables = List.copyOf(tables);
        snapshot = snapshot == null ? Snapshot.INITIAL : snapshot;
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(1) : heartbeatInterval;
    }

    /** The JDBC URL of the server (no database), for the driver that matches the flavour. */
    public String jdbcUrl() {
        return (flavour == Flavour.MARIADB ? "jdbc:mariadb://" : "jdbc:mysql://") + host + ":" + port + "/";
    }

    /** Password masked, for logs. */
    @Override
    public String toString() {
        return "source " + name + " (" + flavour.name().toLowerCase() + " " + user + "@" + host + ":" + port + ")";
    }
}
