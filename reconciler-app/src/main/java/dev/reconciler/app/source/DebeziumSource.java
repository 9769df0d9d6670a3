package dev.reconciler.app.source;

import dev.reconciler.app.Threads;
import dev.reconciler.app.normalize.RecordNormalizer;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.source.SourceStatus.Phase;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.rule.EngineConfig;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;

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
/**
 * Tails one database's binlog with an embedded Debezium engine and hands each batch to the {@link Pipeline}:
 * facts, then the source's watermark. Offsets and schema history live under the state directory, so a restart
 * resumes where it stopped.
 *
 * <p>Never fatal, never silent: whatever the database does, the source keeps trying and says what it is doing in
 * one lifecycle state ({@link SourceLifecycle}) that status, metrics, health and logs read.
 * <ul>
 *   <li>Unreachable, login refused, a privilege or column missing, binlog off: {@code WAITING} with the reason and
 *       the next attempt, retried with capped exponential backoff (1 s doubling to 30 s), checks first.</li>
 *   <li>A connection lost while streaming, including one the binlog client's keep-alive thread re-establishes by
 *       itself (Debezium does not tell): {@code RECONNECTING}, seen through the binlog client's connection state in
 *       Debezium's streaming metrics, polled every second.</li>
 *   <li>The stored binlog position purged from the server: {@code BINLOG_GAP}, with the stored position, the oldest
 *       one the server has and the recovery command; not retried (it cannot succeed), unless the source resyncs
 *       by itself ({@code autoResync}).</li>
 * </ul>
 *
 * <p>Watermark: binlog commit times have one-second resolution, so after a batch whose newest commit time is
 * {@code T} the source promises only {@code T - 1 s}. With a heartbeat table, the source commits a heartbeat row
 * every interval; it reaches the engine through the binlog like any change, so an idle database still moves the
 * watermark while a lagging or disconnected reader holds it back. Snapshot reads and Debezium's own heartbeat
 * records never move it (neither carries a binlog commit time).
 */
public final class DebeziumSource implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DebeziumSource.class);
    static final long FIRST_BACKOFF_MILLIS = 1000;
    static final long MAX_BACKOFF_MILLIS = 30_000;
    private static final Set<Phase> RUNNING = EnumSet.of(Phase.STARTING, Phase.WAITING, Phase.SNAPSHOT,
            Phase.STREAMING, Phase.RECONNECTING);

    private final SourceConfig configured;
    private final UnaryOperator<SourceConfig> settle;
    private final EngineConfig engineConfig;
    private final Path sourceDir;
    private final Pipeline pipeline;
    private final RecordNormalizer normalizer;
    private final InstantSource clock;
    private final SourceLifecycle lifecycle;
    /** Runs the Debezium engine (one at a time). */
    private final ExecutorService runner;
    /** Connection attempts, relaunches and the connection watch: one thread, so they never overlap. */
    private final ScheduledExecutorService control;
    private final ScheduledExecutorService heartbeats;
    private final AtomicBoolean heartbeatScheduled = new AtomicBoolean();
    /** Null without a heartbeat table; used by the heartbeat thread only, closed after it stopped. */
    private final HeartbeatWriter heartbeatWriter;
    /** The configuration the last attempt settled on (the detected flavour for {@code auto}). */
    private volatile SourceConfig config;
    private DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    /** Incremented by every launch: a completion callback of an older engine (stopped on purpose) is ignored. */
    private final AtomicLong generation = new AtomicLong();
    private volatile boolean closed;
    /** Delay before the next attempt after a failure; reset once connected. Owned by the control thread. */
    private long backoffMillis = FIRST_BACKOFF_MILLIS;
    private volatile ResyncRequest resync;
    /** Columns the last attempt found missing (logged when they change). Owned by the control thread. */
    private List<String> columnWarnings = List.of();
    /** Captured tables without a primary key, as found by the last start-up check: Debezium reads them whole. */
    private volatile List<String> withoutPrimaryKey = List.of();
    // Numbers for status(), written by the source's threads.
    private volatile Instant lastCommit;
    private volatile Instant lastBatchAt;
    private volatile String lastError;
    private final LongAdder snapshotRows = new LongAdder();
    private final LongAdder disconnects = new LongAdder();
    private final ConcurrentHashMap<String, LongAdder> eventsByTable = new ConcurrentHashMap<>();
    /** Snapshot SELECTs per captured table ({@code db.table}) for a look-back or a resync; set before a launch. */
    private volatile Map<String, String> snapshotSelects = Map.of();

    /**
     * @param engineConfig the streams and rules: the source checks before it connects that its tables have every
     *                     column they read or keep
     */
    public DebeziumSource(SourceConfig config, EngineConfig engineConfig, Path stateDir, Pipeline pipeline) {
        this(config, UnaryOperator.identity(), engineConfig, stateDir, pipeline, InstantSource.system());
    }

    /**
     * @param settle called before every connection attempt with the configured source, returns the source as it
     *               is to be read (e.g. with the flavour detected from the server's version, once reachable)
     */
    public DebeziumSource(SourceConfig config, UnaryOperator<SourceConfig> settle, EngineConfig engineConfig,
                          Path stateDir, Pipeline pipeline, InstantSource clock) {
        this.configured = config;
        this.config = config;
        this.settle = settle;
        this.engineConfig = engineConfig;
        this.sourceDir = stateDir.resolve("sources").resolve(config.name());
        this.pipeline = pipeline;
        this.clock = clock;
        this.lifecycle = new SourceLifecycle(config.name(), clock);
        this.normalizer = new RecordNormalizer(config.name(), config.heartbeatTable());
        this.runner = Executors.newSingleThreadExecutor(daemon("source-" + config.name(), config.name()));
        this.control = Executors.newSingleThreadScheduledExecutor(daemon("source-" + config.name() + "-control", config.name()));
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(daemon("heartbeat-" + config.name(), config.name()));
        // Writes with the settled configuration (the detected flavour); failures are logged at DEBUG: the source's
        // own state already says when its database is unreachable.
        this.heartbeatWriter = config.heartbeatTable() == null ? null
                : new HeartbeatWriter(config, () -> this.config, clock, false, false);
    }

    /** The source's own threads carry its name in the MDC: the JSON log's {@code source} field. */
    private static ThreadFactory daemon(String name, String source) {
        return r -> {
            Thread t = new Thread(() -> {
                org.slf4j.MDC.put("source", source);
                r.run();
            }, name);
            t.setDaemon(true);
            return t;
        };
    }

    public String name() {
        return configured.name();
    }

    /**
     * Starts connecting in the background and returns at once: a database that is down, refuses the login or is
     * not ready yet makes the source wait and retry (see {@link #status()}), never fail the process.
     *
     * @throws IllegalArgumentException when no stream reads this source (a configuration error)
     */
    public void start() {
        if (!engineConfig.sources().contains(configured.name())) {
            throw new IllegalArgumentException("source " + configured.name() + ": no stream reads it (streams read "
                    + engineConfig.sources() + "); name it in a stream's tables, or remove the source");
        }
        control.execute(this::attempt);
        control.scheduleWithFixedDelay(this::watch, 1, 1, TimeUnit.SECONDS);
        log.info("{} started", configured);
        if (!config.debezium().isEmpty()) {
            log.info("source {}: connector properties from the configuration: {}", configured.name(),
                    config.debezium().keySet());
        }
    }

    /**
     * One connection attempt: settle the flavour, check the database (see {@link SourceValidator}), prepare a
     * pending resync or look-back, and launch Debezium. Any problem: {@code WAITING} and another attempt after the
     * backoff. On the control thread.
     */
    private void attempt() {
        if (closed) return;
        synchronized (this) {
            if (engine != null) return;   // a scheduled retry after a resync or a watch already launched one
        }
        String hostPort = configured.host() + ":" + configured.port();
        try {
            SourceConfig c = settle.apply(configured);
            config = c;
            SourceValidator.Checked checked = SourceValidator.check(c, RequiredColumns.of(engineConfig, c.name()));
            if (!checked.problems().isEmpty()) {
                retryLater(checked.problems().stream().map(this::withoutSourcePrefix).collect(Collectors.joining("; ")));
                return;
            }
            // A missing column stops no source: a rule that reads it pauses when its rows arrive (RulePaused), the
            // other rules run. Said once per start, and again whenever the set changes.
            withoutPrimaryKey = checked.withoutPrimaryKey();
            if (!checked.missingColumns().equals(columnWarnings)) {
                columnWarnings = checked.missingColumns();
                for (String w : columnWarnings) log.warn("{}", w);
            }
            prepareSnapshot(c);
            // Scheduled once the table exists: a failed creation (a missing grant) is retried by the next attempt
            // rather than leaving the source without heartbeats. Only the control thread gets here.
            if (c.heartbeatTable() != null && !heartbeatScheduled.get()) {
                HeartbeatWriter.createTable(c);
                heartbeatScheduled.set(true);
                // Our own heartbeat writer, not Debezium's heartbeat.action.query; each beat just after a second
                // starts on the database's clock: see HeartbeatWriter.
                heartbeatWriter.scheduleOn(heartbeats, c.heartbeatInterval());
            }
        } catch (SQLException e) {
            retryLater(Failure.of(e, hostPort, configured.tls()).reason());
            return;
        } catch (IOException | RuntimeException e) {
            retryLater(hostPort + ": " + Failure.firstLine(String.valueOf(e.getMessage())));
            return;
        }
        launch();
    }

    private String withoutSourcePrefix(String problem) {
        String prefix = "source " + configured.name() + ": ";
        return problem.startsWith(prefix) ? problem.substring(prefix.length()) : problem;
    }

    /** WAITING with the reason; the next attempt after the backoff (1 s doubling to 30 s). On the control thread. */
    private void retryLater(String reason) {
        if (closed) return;
        lastError = reason;
        long delay = backoffMillis;
        backoffMillis = Math.min(MAX_BACKOFF_MILLIS, backoffMillis * 2);
        lifecycle.move(RUNNING, Phase.WAITING, reason, clock.instant().plusMillis(delay));
        control.schedule(this::attempt, delay, TimeUnit.MILLISECONDS);
    }

    /**
     * The snapshot's row selection for the next launch: a pending resync's (offsets set aside, rows changed since
     * its instant), else the configured look-back of a first start (Debezium ignores it once offsets exist).
     */
    private void prepareSnapshot(SourceConfig c) throws IOException, SQLException {
        ResyncRequest request = ResyncRequest.read(sourceDir).orElse(null);
        resync = request;
        if (request != null) {
            setOffsetsAside(request);
            snapshotSelects = sinceSelects(c, "FROM_UNIXTIME(" + request.since().getEpochSecond() + ")",
                    "resync since " + request.since());
            reportGap(request);
        } else if (c.snapshot() == SourceConfig.Snapshot.INITIAL && c.snapshotLookback() != null
                && !streamsFromStoredOffset()) {
            snapshotSelects = lookbackSelects(c);
        } else {
            snapshotSelects = Map.of();
        }
    }

    /**
     * A stored offset of a finished snapshot: Debezium streams on from it and takes no snapshot, so no look-back
     * selection is prepared (and none is logged, which would tell the operator a snapshot is coming). An unfinished
     * snapshot's offset is restarted by Debezium from the beginning, so it still gets its selection; an unreadable
     * offset file is judged at launch, as before.
     */
    private boolean streamsFromStoredOffset() {
        try {
            return StoredOffset.read(sourceDir.resolve("offsets.dat")).map(o -> !o.snapshot()).orElse(false);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * A resync starts Debezium afresh: its offsets and schema history are renamed (kept for forensics, with the time
     * of the resync), so the next launch snapshots the selected rows and then streams from the binlog's end.
     */
    private void setOffsetsAside(ResyncRequest request) throws IOException {
        String suffix = ".before-resync-" + request.requestedAt().getEpochSecond();
        for (String f : List.of("offsets.dat", "schema-history.dat")) {
            Path file = sourceDir.resolve(f);
            Path aside = sourceDir.resolve(f + suffix);
            if (Files.exists(file)) {
                if (Files.exists(aside)) Files.delete(file);   // a resync restarted after a crash: keep the first
                else Files.move(file, aside);
            }
        }
    }

    /** Hands a resync's coverage gap to the engine once (it journals and alerts it, and holds pairs in it). */
    private void reportGap(ResyncRequest request) throws IOException {
        if (!request.hasGap() || request.gapReported()) return;
        try {
            pipeline.command(e -> e.recordCoverageGap(configured.name(), request.gapFrom(), request.gapTo(),
                    "binlog not read (" + request.requestedBy() + " resync since " + request.since() + ")"))
                    .get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reporting the coverage gap", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IOException("the engine did not take the coverage gap: " + e, e);
        }
        request.withGapReported().write(sourceDir);
    }

    /**
     * Asks this running source to re-read its rows changed since {@code since} and then stream from the binlog's
     * current end (see {@link ResyncRequest}). The Debezium engine is stopped and launched again; safe from any
     * thread. The coverage gap is the window from the source's watermark to {@code since}, if later.
     */
    public ResyncRequest resync(Instant since, String by, Instant watermark) throws IOException {
        ResyncRequest request = ResyncRequest.of(since, clock.instant(), by, lastObserved(sourceDir, watermark));
        request.write(sourceDir);
        log.warn("source {}: resync requested by {}: re-reading rows changed since {}{}", configured.name(), by, since,
                request.hasGap() ? "; not observed and reported as a coverage gap: " + request.gapFrom() + " to "
                        + request.gapTo() : "");
        control.execute(() -> {
            stopEngine();
            backoffMillis = FIRST_BACKOFF_MILLIS;
            lifecycle.move(EnumSet.allOf(Phase.class), Phase.STARTING, "resync since " + since, null);
            attempt();
        });
        return request;
    }

    /**
     * Up to when a source's history was observed: its engine watermark, or, before the engine has one (a source that
     * read events but no commit moved its watermark yet), the commit time its stored offset stands after.
     */
    public static Instant lastObserved(Path sourceDir, Instant watermark) {
        if (watermark != null) return watermark;
        try {
            return StoredOffset.read(sourceDir.resolve("offsets.dat")).map(StoredOffset::eventTime).orElse(null);
        } catch (IOException e) {
            return null;
        }
    }

    /** Stops the running Debezium engine (if any) and waits until it has returned. On the control thread. */
    private void stopEngine() {
        generation.incrementAndGet();   // its completion callback is now stale
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e;
        synchronized (this) {
            e = engine;
            engine = null;
        }
        if (e == null) return;
        try {
            e.close();
        } catch (IOException | RuntimeException ex) {
            log.debug("source {}: engine already stopped", configured.name(), ex);
        }
        try {
            runner.submit(() -> { }).get(60, TimeUnit.SECONDS);   // the runner is free once the engine returned
        } catch (Exception ex) {
            log.warn("source {}: the Debezium engine did not stop within 60 s", configured.name());
        }
    }

    /**
     * Builds and runs a Debezium engine. When it stops on an error it is classified ({@link Failure}): a purged
     * binlog is a {@code BINLOG_GAP}; anything else makes the source wait and try again from its last committed
     * offset. A dropped source is reported, never fatal.
     */
    private void launch() {
        if (closed) return;
        long gen = generation.incrementAndGet();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties())
                .notifying(this::handleBatch)
                .using((success, message, error) -> {
                    if (closed) return;   // stopping: the control thread is gone, and there is nothing to retry
                    try {
                        control.execute(() -> stopped(gen, success, message, error));
                    } catch (java.util.concurrent.RejectedExecutionException closing) {
                        log.debug("source {}: engine stopped while the source closes", configured.name());
                    }
                })
                .build();
        synchronized (this) {
            engine = e;
        }
        runner.execute(e);
    }

    /** The engine of generation {@code gen} returned. On the control thread. */
    private void stopped(long gen, boolean success, String message, Throwable error) {
        if (closed || gen != generation.get()) return;   // closed, or stopped on purpose (resync)
        synchronized (this) {
            engine = null;
        }
        String hostPort = config.host() + ":" + config.port();
        Failure f = error != null ? Failure.of(error, hostPort, config.tls())
                : new Failure(Failure.Kind.OTHER, hostPort + ": the connector stopped (" + message + ")");
        if (lifecycle.get().phase() == Phase.STREAMING || lifecycle.get().phase() == Phase.SNAPSHOT) disconnects.increment();
        lastError = f.reason();
        log.debug("source {}: the Debezium engine stopped ({})", configured.name(), f.reason(), error);
        if (f.kind() == Failure.Kind.BINLOG_GAP) {
            binlogGap(f);
        } else {
            retryLater(f.reason());
        }
    }

    /**
     * The stored position is gone from the server. Says what is known (stored position, oldest position the
     * server has, the recovery command) and waits for a resync; with {@code autoResync} asks for one itself.
     */
    private void binlogGap(Failure f) {
        StoredOffset stored = null;
        try {
            stored = StoredOffset.read(sourceDir.resolve("offsets.dat")).orElse(null);
        } catch (IOException e) {
            log.debug("source {}: cannot read the stored offset", configured.name(), e);
        }
        String oldest = ServerBinlog.oldest(config);
        Instant since = stored != null && stored.eventTime() != null
                ? stored.eventTime().minus(java.time.Duration.ofMinutes(5)) : null;
        String sinceText = since == null ? "<ISO-8601 instant or duration such as 6h>" : since.toString();
        String reason = f.reason()
                + (stored == null ? "" : "; stored position " + stored.describe()
                + (stored.eventTime() == null ? "" : ", last event committed " + stored.eventTime()))
                + (oldest == null ? "" : "; its oldest binlog is " + oldest)
                + "; to re-read the rows changed since then and stream on, stop the reconciler and run"
                + " `reconciler resync --config <config file> --source " + configured.name() + " --since " + sinceText
                + "` (or POST /api/sources/" + configured.name() + "/resync?since=" + sinceText + ")";
        lifecycle.move(RUNNING, Phase.BINLOG_GAP, reason, null);
        if (config.autoResync() != null) {
            Instant autoSince = clock.instant().minus(config.autoResync());
            Instant watermark = pipeline.snapshot().sources().containsKey(configured.name())
                    ? pipeline.snapshot().sources().get(configured.name()).watermark() : null;
            try {
                resync(autoSince, "auto", watermark);
            } catch (IOException e) {
                log.error("source {}: automatic resync failed to start: {}", configured.name(), e.getMessage());
            }
        }
    }

    /**
     * Every second: the binlog client's own connection state (Debezium's streaming metrics), so that a connection
     * lost while streaming shows at once, also while the client's keep-alive thread is re-establishing it; and the
     * end of a resync. On the control thread.
     */
    private void watch() {
        try {
            Phase phase = lifecycle.get().phase();
            Boolean connected = BinlogConnection.connected(configured.name());
            if (connected != null) {
                if (!connected && phase == Phase.STREAMING) {
                    disconnects.increment();
                    lifecycle.move(EnumSet.of(Phase.STREAMING), Phase.RECONNECTING, "binlog connection to "
                            + config.host() + ":" + config.port() + " lost; the binlog client reconnects by itself", null);
                } else if (connected && (phase == Phase.RECONNECTING || phase == Phase.STARTING)) {
                    backoffMillis = FIRST_BACKOFF_MILLIS;
                    lifecycle.move(EnumSet.of(Phase.RECONNECTING, Phase.STARTING), Phase.STREAMING, null, null);
                }
            }
            finishResync();
        } catch (RuntimeException e) {
            log.debug("source {}: connection watch failed", configured.name(), e);
        }
    }

    /** A resync is over once Debezium's stored offset is a binlog position again (no snapshot in progress). */
    private void finishResync() {
        ResyncRequest r = resync;
        if (r == null || lifecycle.get().phase() != Phase.STREAMING) return;
        try {
            StoredOffset stored = StoredOffset.read(sourceDir.resolve("offsets.dat")).orElse(null);
            if (stored == null || stored.snapshot()) return;
            ResyncRequest.delete(sourceDir);
            resync = null;
            log.info("source {}: resync done ({} rows re-read since {}); streaming from {}", configured.name(),
                    String.format("%,d", snapshotRows.sum()), r.since(), stored.describe());
        } catch (IOException e) {
            log.debug("source {}: cannot check the resync's end", configured.name(), e);
        }
    }

    private void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<Fact> facts = new ArrayList<>(records.size());
        List<Quarantined> bad = new ArrayList<>();
        Instant newest = null;
        boolean snapshot = false;
        for (RecordChangeEvent<SourceRecord> r : records) {
            RecordNormalizer.Normalized n = normalizer.normalize(r.record());
            Instant commit = null;
            if (n instanceof RecordNormalizer.Bad b) {
                bad.add(new Quarantined(configured.name(), b.table(), b.primaryKey(), b.position(), b.reason(), null,
                        null, b.detail(), clock.instant()));
            } else if (n instanceof RecordNormalizer.AFact f) {
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
            // Records that cannot become facts are quarantined (stored, counted, alerted), not a reason to fail.
            if (!bad.isEmpty()) pipeline.command(e -> e.quarantine(bad)).get();
            pipeline.submit(configured.name(), facts, newest == null ? null : newest.minusSeconds(1)).get();
        } catch (ExecutionException e) {
            // Not acknowledged: Debezium stops and, on restart, delivers the batch again.
            throw new IllegalStateException("source " + configured.name() + ": the engine failed to apply a batch",
                    e.getCause());
        }
        for (RecordChangeEvent<SourceRecord> r : records) committer.markProcessed(r);
        committer.markBatchFinished();
        if (newest != null && (lastCommit == null || newest.isAfter(lastCommit))) lastCommit = newest;
        lastBatchAt = clock.instant();
        ResyncRequest r = resync;
        String reason = snapshot && r != null ? "resync: re-reading rows changed since " + r.since() : null;
        lifecycle.move(EnumSet.of(Phase.STARTING, Phase.WAITING, Phase.SNAPSHOT, Phase.STREAMING, Phase.RECONNECTING),
                snapshot ? Phase.SNAPSHOT : Phase.STREAMING, reason, null);
    }

    /** A snapshot of what this source is doing; safe to call from any thread. */
    public SourceStatus status() {
        Map<String, Long> events = new TreeMap<>();
        eventsByTable.forEach((t, n) -> events.put(t, n.sum()));
        SourceLifecycle.State s = lifecycle.get();
        return new SourceStatus(configured.name(), config.flavour(), s.phase(), s.reason(), s.since(),
                s.nextAttemptAt(), lastCommit, lastBatchAt, snapshotRows.sum(), events, lastError, disconnects.sum());
    }

    Properties properties() {
        SourceConfig config = this.config;
        Path dir = sourceDir;
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot create " + dir + " for the offsets of source "
                    + config.name(), e);
        }
        Properties p = ConnectorProperties.capture(config, resync != null, snapshotSelects,
                RequiredColumns.columnIncludeList(engineConfig, config, withoutPrimaryKey));
        // Embedded only: offsets and schema history in files under state.dir (Kafka Connect keeps them in topics).
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.FileOffsetBackingStore");
        p.setProperty("offset.storage.file.filename", dir.resolve("offsets.dat").toString());
        p.setProperty("offset.flush.interval.ms", "1000");
        p.setProperty("schema.history.internal", "io.debezium.storage.file.history.FileSchemaHistory");
        p.setProperty("schema.history.internal.file.filename", dir.resolve("schema-history.dat").toString());
        return p;
    }

    /** The snapshot SELECTs of a first start with the source's configured look-back (it must have one). */
    static Map<String, String> lookbackSelects(SourceConfig c) throws SQLException {
        return sinceSelects(c, "NOW(3) - INTERVAL " + c.snapshotLookback().toSeconds() + " SECOND",
                "look-back " + c.snapshotLookback());
    }

    /**
     * One snapshot SELECT per captured table for the rows whose look-back column is at or after {@code cutoffSql}
     * (evaluated by the server). Debezium takes overrides per table, not per regex, so the tables are listed now; a
     * table created later is not snapshotted anyway (it is streamed from its creation). The cut-off is computed once,
     * by the server in its own time zone (the one the application's {@code NOW()} wrote the column in), and compared
     * as a literal, so neither the JVM's clock and zone nor the time zone of Debezium's session can shift it; a
     * snapshot restarted after an outage uses the same cut-off.
     */
    private static Map<String, String> sinceSelects(SourceConfig c, String cutoffSql, String why) throws SQLException {
        String column = "`" + c.snapshotLookbackColumn() + "`";
        try (Connection conn = SourceConnections.open(c);
             Statement s = conn.createStatement()) {
            String cutoff;
            try (ResultSet r = s.executeQuery("SELECT CAST(" + cutoffSql + " AS CHAR)")) {
                r.next();
                cutoff = r.getString(1);
            }
            Map<String, String> selects = new TreeMap<>();
            for (String table : SourceValidator.capturedTables(c, conn)) {
                String[] part = table.split("\\.", 2);
                selects.put(table, "SELECT * FROM " + quote(part[0]) + "." + quote(part[1]) + " WHERE " + column
                        + " >= '" + cutoff + "'");
            }
            log.info("source {}: the snapshot reads rows with {} >= {} ({}); captured tables: {}", c.name(),
                    c.snapshotLookbackColumn(), cutoff, why, selects.size());
            return selects;
        }
    }

    private static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    /** Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        lifecycle.stop();
        control.shutdownNow();
        heartbeats.shutdownNow();
        try {
            if (!heartbeats.awaitTermination(5, TimeUnit.SECONDS)) log.warn("source {}: heartbeat still running", name());
            if (!control.awaitTermination(10, TimeUnit.SECONDS)) log.warn("source {}: a connection attempt still running", name());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (heartbeatWriter != null) heartbeatWriter.close();
        DebeziumEngine<RecordChangeEvent<SourceRecord>> e;
        synchronized (this) {
            e = engine;
            engine = null;
        }
        try {
            if (e != null) e.close();
        } catch (IOException | RuntimeException ex) {
            log.debug("source {}: engine already stopped", name(), ex);
        }
        Threads.stop(runner, Duration.ofSeconds(30));
    }
}
