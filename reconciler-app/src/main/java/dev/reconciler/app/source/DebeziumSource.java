package dev.reconciler.app.source;

import dev.reconciler.app.Threads;
import dev.reconciler.app.normalize.RecordNormalizer;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.rule.EngineConfig;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Tails one database's binlog with an embedded Debezium engine and hands each batch to the {@link Pipeline}:
 * facts, then the source's watermark. Offsets and schema history live under the state directory, so a restart
 * resumes where it stopped.
 *
 * <p>Watermark: binlog commit times have one-second resolution, so after a batch whose newest commit time is
 * {@code T} the source promises only {@code T - 1 s}. With a heartbeat table, the source commits a heartbeat row
 * every interval; it reaches the engine through the binlog like any change, so an idle database still moves the
 * watermark while a lagging or disconnected reader holds it back. Snapshot reads and Debezium's own heartbeat
 * records never move it (neither carries a binlog commit time).
 */
public final class DebeziumSource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DebeziumSource.class);
    private final SourceConfig config;
    private final EngineConfig engineConfig;
    private final Path stateDir;
    private final Pipeline pipeline;
    private final RecordNormalizer normalizer;
    private final ExecutorService runner;
    private final ScheduledExecutorService heartbeats;
    private Connection heartbeatConnection;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile boolean closed;
    /** Delay before the next restart after a failure; reset once a batch got through. */
    private volatile long backoffMillis = 1000;
    // Status, written by the source's threads and read by anyone through status().
    private volatile SourceStatus.Phase phase = SourceStatus.Phase.STARTING;
    private volatile Instant lastCommit;
    private volatile Instant lastBatchAt;
    private volatile String lastError;
    private final LongAdder snapshotRows = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> eventsByTable = new ConcurrentHashMap<>();
    /** Snapshot SELECTs per captured table ({@code db.table}) when a look-back applies; set by start(). */
    private volatile Map<String, String> snapshotSelects = Map.of();

    /**
     * @param engineConfig the streams and rules: the source checks at start that its tables have every column they
     *                     read or keep
     */
    public DebeziumSource(SourceConfig config, EngineConfig engineConfig, Path stateDir, Pipeline pipeline) {
        this.config = config;
        this.engineConfig = engineConfig;
        this.stateDir = stateDir;
        this.pipeline = pipeline;
        this.normalizer = new RecordNormalizer(config.name(), config.heartbeatTable());
        this.runner = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "source-" + config.name());
            t.setDaemon(true);
            return t;
        });
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "heartbeat-" + config.name());
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Checks the database (see {@link SourceValidator}): connection, binlog, privileges, and that every table the
     * source captures has the columns the streams and rules need. Then starts tailing it.
     *
     * @throws IllegalStateException listing every problem found, each naming this source and the fix
     */
    public void start() {
        List<String> problems = new ArrayList<>();
        if (!engineConfig.sources().contains(config.name())) {
            problems.add("source " + config.name() + ": no stream reads it (streams read " + engineConfig.sources()
                    + "); name it in a stream's tables, or remove the source");
        }
        problems.addAll(SourceValidator.validate(config, RequiredColumns.of(engineConfig, config.name())));
        if (!problems.isEmpty()) {
            throw new IllegalStateException("source " + config.name() + " is not ready:\n  - "
                    + String.join("\n  - ", problems));
        }
        if (config.snapshot() == SourceConfig.Snapshot.INITIAL && config.snapshotLookback() != null) {
            snapshotSelects = lookbackSelects();
        }
        if (config.heartbeatTable() != null) {
            createHeartbeatTable();
            // Our own heartbeat writer, not Debezium's heartbeat.action.query: Debezium only runs that query while
            // binlog events arrive, and an idle server sends none for 30 s (its replication heartbeat period).
            heartbeats.scheduleWithFixedDelay(this::beat, 0, config.heartbeatInterval().toMillis(), TimeUnit.MILLISECONDS);
        }
        launch();
        log.info("{} started", config);
    }

    /**
     * Builds and runs a Debezium engine. When it stops on an error (the database went away, a network cut), it is
     * started again after a backoff (1 s doubling to 30 s) from its last committed offset: a dropped source is
     * reported (its watermark stalls) but never fatal.
     */
    private synchronized void launch() {
        if (closed) return;
        engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties())
                .notifying(this::handleBatch)
                .using((success, message, error) -> {
                    if (closed) return;
                    long delay = backoffMillis;
                    backoffMillis = Math.min(30_000, backoffMillis * 2);
                    phase = SourceStatus.Phase.RECONNECTING;
                    lastError = error != null ? error.getMessage() : message;
                    log.warn("source {} stopped ({}); reconnecting in {} ms", config.name(),
                            error != null ? error.getMessage() : message, delay);
                    heartbeats.schedule(this::launch, delay, TimeUnit.MILLISECONDS);
                })
                .build();
        runner.execute(engine);
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<Fact> facts = new ArrayList<>(records.size());
        Instant newest = null;
        boolean snapshot = false;
        for (RecordChangeEvent<SourceRecord> r : records) {
            RecordNormalizer.Normalized n = normalizer.normalize(r.record());
            Instant commit = null;
            if (n instanceof RecordNormalizer.AFact f) {
                facts.add(f.fact());
                eventsByTable.computeIfAbsent(f.fact().row().table(), t -> new LongAdder()).increment();
                if (f.fact().operation() == Operation.READ) {
                    // A snapshot read is stamped with the time it was read, but the snapshot is not over: rows
                    // committed long before are still to come (all of them again, if the snapshot is restarted
                    // after an outage). So snapshot reads never move the watermark; the first binlog event after
                    // the snapshot (a heartbeat row at the latest) does.
                    snapshotRows.increment();
                    snapshot = true;
                } else {
                    commit = f.fact().eventTime();
                }
            } else if (n instanceof RecordNormalizer.Heartbeat h) {
                commit = h.commitTime();
            }
            if (commit != null && (newest == null || commit.isAfter(newest))) newest = commit;
        }
        try {
            pipeline.submit(config.name(), facts, newest == null ? null : newest.minusSeconds(1)).get();
        } catch (ExecutionException e) {
            // Not acknowledged: Debezium stops and, on restart, delivers the batch again.
            throw new IllegalStateException("source " + config.name() + ": the engine failed to apply a batch", e.getCause());
        }
        for (RecordChangeEvent<SourceRecord> r : records) committer.markProcessed(r);
        committer.markBatchFinished();
        backoffMillis = 1000;
        if (newest != null && (lastCommit == null || newest.isAfter(lastCommit))) lastCommit = newest;
        lastBatchAt = Instant.now();
        if (!closed) phase = snapshot ? SourceStatus.Phase.SNAPSHOT : SourceStatus.Phase.STREAMING;
    }

    /** A snapshot of what this source is doing; safe to call from any thread. */
    public SourceStatus status() {
        Map<String, Long> events = new TreeMap<>();
        eventsByTable.forEach((t, n) -> events.put(t, n.sum()));
        return new SourceStatus(config.name(), config.flavour(), phase, lastCommit, lastBatchAt, snapshotRows.sum(),
                events, lastError);
    }

    Properties properties() {
        Path dir = stateDir.resolve("sources").resolve(config.name());
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + " for the offsets of source " + config.name(), e);
        }
        Properties p = new Properties();
        p.setProperty("name", "reconciler-" + config.name());
        p.setProperty("connector.class", config.flavour().connectorClass);
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", dir.resolve("offsets.dat").toString());
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
        p.setProperty("schema.history.internal.file.filename", dir.resolve("schema-history.dat").toString());
        p.setProperty("schema.history.internal.store.only.captured.tables.ddl", "true");
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        p.setProperty("database.password", config.password() == null ? "" : config.password());
        p.setProperty("database.server.id", Long.toString(config.serverId()));
        p.setProperty("topic.prefix", config.name());
        p.setProperty("database.include.list", String.join(",", config.databases()));
        List<String> tables = new ArrayList<>(config.tables());
        if (config.heartbeatTable() != null) tables.add(config.heartbeatTable().replace(".", "\\."));
        p.setProperty("table.include.list", String.join(",", tables));
        p.setProperty("snapshot.mode", config.snapshot() == SourceConfig.Snapshot.INITIAL ? "initial" : "no_data");
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

    /**
     * The snapshot look-back as one SELECT per captured table. Debezium takes overrides per table, not per regex,
     * so the tables are listed now; a table created later is not snapshotted anyway (it is streamed from its
     * creation). The cut-off is computed once, by the server in its own time zone (the one the application's
     * {@code NOW()} wrote the column in), and compared as a literal, so neither the JVM's clock and zone nor the
     * time zone of Debezium's session can shift it; a snapshot restarted after an outage uses the same cut-off.
     */
    private Map<String, String> lookbackSelects() {
        String column = "`" + config.snapshotLookbackColumn() + "`";
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             Statement s = c.createStatement()) {
            String cutoff;
            try (ResultSet r = s.executeQuery("SELECT CAST(NOW(3) - INTERVAL "
                    + config.snapshotLookback().toSeconds() + " SECOND AS CHAR)")) {
                r.next();
                cutoff = r.getString(1);
            }
            Map<String, String> selects = new TreeMap<>();
            for (String table : SourceValidator.capturedTables(config, c)) {
                String[] part = table.split("\\.", 2);
                selects.put(table, "SELECT * FROM " + quote(part[0]) + "." + quote(part[1]) + " WHERE " + column
                        + " >= '" + cutoff + "'");
            }
            log.info("source {}: the initial snapshot reads rows with {} >= {} (look-back {}); captured tables: {}",
                    config.name(), config.snapshotLookbackColumn(), cutoff, config.snapshotLookback(), selects.size());
            return selects;
        } catch (SQLException e) {
            throw new IllegalStateException("source " + config.name() + ": cannot list the tables for the snapshot"
                    + " look-back (" + e.getMessage() + "); check that the database is reachable", e);
        }
    }

    private static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    /** Commits a heartbeat row; its binlog event moves the watermark once Debezium has read up to it. */
    private void beat() {
        try {
            if (heartbeatConnection == null || !heartbeatConnection.isValid(1)) {
                closeHeartbeatConnection();
                heartbeatConnection = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
            }
            try (Statement s = heartbeatConnection.createStatement()) {
                s.executeUpdate("INSERT INTO " + config.heartbeatTable()
                        + " (id, beat) VALUES (1, NOW(3)) ON DUPLICATE KEY UPDATE beat = NOW(3)");
            }
        } catch (SQLException e) {
            // The database is unreachable: no heartbeat, so the watermark holds, which is what we want.
            closeHeartbeatConnection();
            log.debug("source {}: heartbeat failed: {}", config.name(), e.getMessage());
        }
    }

    private void closeHeartbeatConnection() {
        if (heartbeatConnection == null) return;
        try {
            heartbeatConnection.close();
        } catch (SQLException ignored) {
            // closing a broken connection
        }
        heartbeatConnection = null;
    }

    private void createHeartbeatTable() {
        try (Connection c = DriverManager.getConnection(config.jdbcUrl(), config.user(), config.password());
             Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + config.heartbeatTable()
                    + " (id INT PRIMARY KEY, beat DATETIME(3) NOT NULL)");
        } catch (SQLException e) {
            throw new IllegalStateException("source " + config.name() + ": cannot create the heartbeat table "
                    + config.heartbeatTable() + " (" + e.getMessage() + "); grant CREATE, INSERT and UPDATE on it,"
                    + " or configure no heartbeat table", e);
        }
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        phase = SourceStatus.Phase.STOPPED;
        heartbeats.shutdownNow();
        try {
            if (!heartbeats.awaitTermination(5, TimeUnit.SECONDS)) log.warn("source {}: heartbeat still running", config.name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        closeHeartbeatConnection();
        try {
            if (engine != null) engine.close();
        } catch (IOException | IllegalStateException e) {
            log.debug("source {}: engine already stopped", config.name(), e);
        }
        Threads.stop(runner, Duration.ofSeconds(30));
    }
}
