package dev.reconciler.app.source;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Commits one heartbeat row into a source's {@code heartbeatTable} per call of {@link #beat()}, on a JDBC connection of
 * its own (kept open between beats, opened again when it broke). The row's binlog event reaches the reconciler like
 * any change and moves the source's watermark, so an idle database still moves time forward while a lagging or
 * disconnected reader holds it back.
 *
 * <p>Our own writer, not Debezium's {@code heartbeat.action.query}: Debezium only runs that query while binlog events
 * arrive, and an idle server sends none for 30 s (its replication heartbeat). Used by the embedded mode's
 * {@link DebeziumSource} and by the distributed mode's Streams application.
 *
 * <p>A failed beat is never fatal: no heartbeat, so the watermark holds, which is what we want. It is counted and
 * kept ({@link #state()}), and said in the log once when an outage starts (at the level the caller chose) and once
 * when it ends. Not thread-safe: one thread calls {@link #beat()} (the caller's scheduler); {@link #state()} may be
 * read from any thread; {@link #close()} after that thread stopped.
 */
public final class HeartbeatWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HeartbeatWriter.class);

    /** What the writer last did, for status and metrics. */
    public record State(String source, String table, Instant lastBeatAt, long beats, long failures,
                        Instant failingSince, String lastError) {
        /** True while the last attempt failed. */
        public boolean failing() {
            return failingSince != null;
        }
    }

    private final Supplier<SourceConfig> config;
    private final InstantSource clock;
    private final boolean warn;
    private final boolean createTable;
    private Connection connection;
    /** The table was created (or found) on the current connection's server; only with {@code createTable}. */
    private boolean tableReady;
    /** How far the database's clock is ahead of ours, as the last beat measured it; the beating thread's. */
    private long dbClockAheadMillis;
    private volatile State state;
    private boolean closed;

    /**
     * @param source the source as configured (its name and heartbeat table, which must be set)
     * @param config the source as it is to be written to (read at every beat: the embedded mode settles the flavour
     *               on each connection attempt); must have a heartbeat table
     * @param warn   an outage's start and end at WARN/INFO (the distributed mode, where nothing else says that the
     *               database is unreachable) rather than DEBUG (the embedded mode, whose source says it already)
     * @param createTable create the table if missing on every new connection before the first write (the
     *                    distributed mode; the embedded mode's source creates it in its start-up checks)
     */
    public HeartbeatWriter(SourceConfig source, Supplier<SourceConfig> config, InstantSource clock, boolean warn,
                           boolean createTable) {
        this.config = config;
        this.clock = clock;
        this.warn = warn;
        this.createTable = createTable;
        SourceConfig c = source;
        if (c.heartbeatTable() == null) {
            throw new IllegalArgumentException("source " + c.name() + ": no heartbeat table configured");
        }
        this.state = new State(c.name(), c.heartbeatTable(), null, 0, 0, null, null);
    }

    public State state() {
        return state;
    }

    /**
     * Creates the heartbeat table if it is missing, on a connection of its own.
     *
     * @throws IllegalStateException naming the table and the fix (the grants) when it cannot
     */
    public static void createTable(SourceConfig config) {
        try (Connection c = SourceConnections.open(config);
             Statement s = c.createStatement()) {
            s.execute(createTableSql(config));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create the heartbeat table " + config.heartbeatTable() + " ("
                    + Failure.firstLine(String.valueOf(e.getMessage())) + "); grant CREATE, INSERT and UPDATE on it,"
                    + " or configure no heartbeat table", e);
        }
    }

    private static String createTableSql(SourceConfig config) {
        return "CREATE TABLE IF NOT EXISTS " + config.heartbeatTable()
                + " (id INT PRIMARY KEY, beat DATETIME(3) NOT NULL)";
    }

    /**
     * Commits a heartbeat row (one row, upserted: any number of writers may share the table).
     *
     * @return whether it was committed
     */
    public boolean beat() {
        if (closed) return false;
        SourceConfig c = config.get();
        State before = state;
        try {
            if (connection == null || !connection.isValid(1)) {
                closeConnection();
                connection = SourceConnections.open(c);
            }
            try (Statement s = connection.createStatement()) {
                if (createTable && !tableReady) {
                    s.execute(createTableSql(c));
                    tableReady = true;
                }
                s.executeUpdate("INSERT INTO " + c.heartbeatTable()
                        + " (id, beat) VALUES (1, NOW(3)) ON DUPLICATE KEY UPDATE beat = NOW(3)");
                // the database's clock, which places the next beat (HeartbeatTiming)
                long asked = clock.millis();
                try (ResultSet r = s.executeQuery("SELECT UNIX_TIMESTAMP(NOW(3))")) {
                    long answered = clock.millis();
                    if (r.next() && r.getBigDecimal(1) != null) {
                        dbClockAheadMillis = r.getBigDecimal(1).movePointRight(3).longValue() - (asked + answered) / 2;
                    }
                }
            }
            Instant now = clock.instant();
            if (before.failing()) {
                log(false, "source {}: heartbeat written to {} again (it failed since {}, {} failed attempts)",
                        c.name(), c.heartbeatTable(), before.failingSince(), before.failures());
            }
            state = new State(before.source(), before.table(), now, before.beats() + 1, before.failures(), null,
                    before.lastError());
            return true;
        } catch (SQLException | RuntimeException e) {
            // RuntimeException too: the caller's scheduler would silently stop calling us after one.
            closeConnection();
            String reason = Failure.of(e, c.host() + ":" + c.port(), c.tls()).reason();
            if (e instanceof SQLException sql && (sql.getErrorCode() == 1142 || sql.getErrorCode() == 1146)) {
                // table access denied, or no such table
                reason += "; grant CREATE, INSERT and UPDATE on " + c.heartbeatTable() + " to " + c.user()
                        + ", or configure no heartbeat table";
            }
            if (!before.failing()) {
                log(true, "source {}: cannot write the heartbeat to {} ({}); its watermark holds until a heartbeat"
                        + " or a change comes through; retried every interval", c.name(), c.heartbeatTable(), reason);
            }
            state = new State(before.source(), before.table(), before.lastBeatAt(), before.beats(),
                    before.failures() + 1, before.failing() ? before.failingSince() : clock.instant(), reason);
            return false;
        }
    }

    /**
     * Beats on {@code executor} at once and then just after each second starts on the database's clock, never
     * further apart than {@code interval} ({@link HeartbeatTiming}: only the first event of a new second moves a
     * watermark). Stops when the executor shuts down. Beats never overlap: each is scheduled when the previous one ended.
     */
    public void scheduleOn(ScheduledExecutorService executor, Duration interval) {
        long intervalMillis = interval.toMillis();
        executor.schedule(() -> beatAndScheduleNext(executor, intervalMillis), 0, TimeUnit.MILLISECONDS);
    }

    private void beatAndScheduleNext(ScheduledExecutorService executor, long intervalMillis) {
        try {
            beat();
        } finally {
            try {
                executor.schedule(() -> beatAndScheduleNext(executor, intervalMillis),
                        HeartbeatTiming.delayMillis(clock.millis(), dbClockAheadMillis, intervalMillis),
                        TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closing) {
                // the owner is closing
            }
        }
    }

    private void log(boolean problem, String format, Object... args) {
        if (!warn) {
            log.debug(format, args);
        } else if (problem) {
            log.warn(format, args);
        } else {
            log.info(format, args);
        }
    }

    private void closeConnection() {
        if (connection == null) return;
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a broken connection
        }
        connection = null;
        tableReady = false;
    }

    /** Closes the connection. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeConnection();
    }
}
