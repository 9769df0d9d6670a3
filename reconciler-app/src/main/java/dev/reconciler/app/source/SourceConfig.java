package dev.reconciler.app.source;

import java.time.Duration;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.regex.Pattern;

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
 * @param snapshotLookback  with {@link Snapshot#INITIAL}: read only rows whose {@code snapshotLookbackColumn} is
 *                          within this look-back of the server's clock when the source starts, so that years of
 *                          history are not re-read; null reads every row. A counterpart older than the look-back is
 *                          not read and its pair can show up as MISSING: choose a look-back well beyond the grace.
 * @param snapshotLookbackColumn the column holding each row's last change time (a DATETIME or TIMESTAMP in the
 *                          server's time zone), {@value #DEFAULT_LOOKBACK_COLUMN} when null
 * @param autoResync        when the server no longer has the binlog at the stored position: re-read by itself the
 *                          rows changed within this look-back (by {@code snapshotLookbackColumn}) and stream on, the
 *                          unread window reported as a coverage gap; null waits for an operator's resync
 * @param tls               encryption and trust of every connection to the server; null: {@link Tls#DEFAULT}
 * @param debezium          connector properties passed through as they are ({@code sources[].debezium}); never one
 *                          the reconciler owns ({@link DebeziumProperties#refusal})
 */
public record SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                           List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                           String heartbeatTable, Duration heartbeatInterval, Duration snapshotLookback,
                           String snapshotLookbackColumn, Duration autoResync, Tls tls,
                           Map<String, String> debezium) {

    public static final String DEFAULT_LOOKBACK_COLUMN = "gmt_modified";
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9_$]+");

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
        tls = tls == null ? Tls.DEFAULT : tls;
        debezium = debezium == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(debezium));
        for (String key : debezium.keySet()) {
            String why = DebeziumProperties.refusal(key);
            if (why != null) throw new IllegalArgumentException("source " + name + ": debezium." + key + " " + why);
        }
        heartbeatInterval = heartbeatInterval == null ? Duration.ofSeconds(1) : heartbeatInterval;
        snapshotLookbackColumn = snapshotLookbackColumn == null ? DEFAULT_LOOKBACK_COLUMN : snapshotLookbackColumn;
        if (snapshotLookback != null) {
            if (snapshotLookback.isNegative() || snapshotLookback.isZero()) {
                throw new IllegalArgumentException("source " + name + ": snapshotLookback must be positive, was "
                        + snapshotLookback + "; remove it to read every row");
            }
            if (snapshot != Snapshot.INITIAL) {
                throw new IllegalArgumentException("source " + name + ": snapshotLookback only applies to the initial"
                        + " snapshot, but snapshot is " + snapshot + "; remove snapshotLookback or use snapshot initial");
            }
        }
        if (autoResync != null && (autoResync.isNegative() || autoResync.isZero())) {
            throw new IllegalArgumentException("source " + name + ": autoResync must be positive, was " + autoResync
                    + "; remove it to wait for an operator's resync");
        }
        // It goes into the snapshot's SQL: a plain column name only.
        if (!IDENTIFIER.matcher(snapshotLookbackColumn).matches()) {
            throw new IllegalArgumentException("source " + name + ": snapshotLookbackColumn '" + snapshotLookbackColumn
                    + "' is not a plain column name (letters, digits, _ and $)");
        }
    }

    /** Without connector properties of its own. */
    public SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                        List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                        String heartbeatTable, Duration heartbeatInterval, Duration snapshotLookback,
                        String snapshotLookbackColumn, Duration autoResync, Tls tls) {
        this(name, flavour, host, port, user, password, databases, tables, serverId, snapshot, heartbeatTable,
                heartbeatInterval, snapshotLookback, snapshotLookbackColumn, autoResync, tls, Map.of());
    }

    /** With the drivers' default TLS. */
    public SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                        List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                        String heartbeatTable, Duration heartbeatInterval, Duration snapshotLookback,
                        String snapshotLookbackColumn, Duration autoResync) {
        this(name, flavour, host, port, user, password, databases, tables, serverId, snapshot, heartbeatTable,
                heartbeatInterval, snapshotLookback, snapshotLookbackColumn, autoResync, Tls.DEFAULT);
    }

    /** Without an automatic resync. */
    public SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                        List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                        String heartbeatTable, Duration heartbeatInterval, Duration snapshotLookback,
                        String snapshotLookbackColumn) {
        this(name, flavour, host, port, user, password, databases, tables, serverId, snapshot, heartbeatTable,
                heartbeatInterval, snapshotLookback, snapshotLookbackColumn, null);
    }

    /** Without a snapshot look-back: the initial snapshot (if any) reads every row. */
    public SourceConfig(String name, Flavour flavour, String host, int port, String user, String password,
                        List<String> databases, List<String> tables, long serverId, Snapshot snapshot,
                        String heartbeatTable, Duration heartbeatInterval) {
        this(name, flavour, host, port, user, password, databases, tables, serverId, snapshot, heartbeatTable,
                heartbeatInterval, null, null);
    }

    /** This source with an initial snapshot of only the rows whose {@code column} is within {@code lookback}. */
    public SourceConfig withSnapshotLookback(Duration lookback, String column) {
        return new SourceConfig(name, flavour, host, port, user, password, databases, tables, serverId, snapshot,
                heartbeatTable, heartbeatInterval, lookback, column, autoResync, tls, debezium);
    }

    /** This source read with another connector. */
    public SourceConfig withFlavour(Flavour other) {
        if (other == flavour) return this;
        return new SourceConfig(name, other, host, port, user, password, databases, tables, serverId, snapshot,
                heartbeatTable, heartbeatInterval, snapshotLookback, snapshotLookbackColumn, autoResync, tls, debezium);
    }

    /** This source capturing {@code other} tables (database-qualified regexes). */
    public SourceConfig withTables(List<String> other) {
        return new SourceConfig(name, flavour, host, port, user, password, databases, other, serverId, snapshot,
                heartbeatTable, heartbeatInterval, snapshotLookback, snapshotLookbackColumn, autoResync, tls, debezium);
    }

    /** This source resyncing by itself over {@code lookback} when its binlog position is purged; null: never. */
    public SourceConfig withAutoResync(Duration lookback) {
        return new SourceConfig(name, flavour, host, port, user, password, databases, tables, serverId, snapshot,
                heartbeatTable, heartbeatInterval, snapshotLookback, snapshotLookbackColumn, lookback, tls, debezium);
    }

    /** This source connecting with {@code other} TLS settings. */
    public SourceConfig withTls(Tls other) {
        return new SourceConfig(name, flavour, host, port, user, password, databases, tables, serverId, snapshot,
                heartbeatTable, heartbeatInterval, snapshotLookback, snapshotLookbackColumn, autoResync, other, debezium);
    }

    /** Whether the source captures a table ({@code db.table}): one of its table regexes matches it (compiled once). */
    public Predicate<String> capturedTable() {
        List<Pattern> patterns = tables.stream().map(Pattern::compile).toList();
        return t -> patterns.stream().anyMatch(p -> p.matcher(t).matches());
    }

    /** No password (nor the stores' passwords), for logs. */
    @Override
    public String toString() {
        return "source " + name + " (" + flavour.name().toLowerCase() + " " + user + "@" + host + ":" + port + ")";
    }
}
