package dev.reconciler.app.runtime;

import dev.reconciler.app.alert.AlertService;
import dev.reconciler.app.alert.DailyReportSender;
import dev.reconciler.app.api.HttpApi;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.source.DebeziumSource;
import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.app.source.ResyncRequest;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceStateFiles;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.app.verify.FindingSink;
import dev.reconciler.app.verify.WindowVerifier;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.verify.CounterpartVerifier;
import dev.reconciler.app.verify.LookupMetrics;
import dev.reconciler.app.verify.VerifyConfig;
import dev.reconciler.core.match.CounterpartLookup;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * A running reconciler, wired from a configuration: the RocksDB store at {@code state.dir}, the engine in its
 * {@link Pipeline}, metrics, the HTTP API and one {@link DebeziumSource} per source. What {@code reconciler run} and
 * {@code reconciler demo} start.
 *
 * <p>Logs one line per lifecycle step (state opened, each source's server, snapshot progress, streaming, ready),
 * then only problems. {@link #close()} stops in the reverse order: API, sources, alert delivery, pipeline, store.
 */
public final class ReconcilerRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReconcilerRuntime.class);
    /**
     * How long a clean stop waits for the sinks to deliver the outbox (docs/alerts.md). Short against the 30 s a
     * supervisor such as Kubernetes grants after SIGTERM, long enough for a few hundred alerts to a receiver that
     * answers; what is left is sent after the next start.
     */
    static final java.time.Duration ALERT_DRAIN_ON_STOP = java.time.Duration.ofSeconds(5);
    static final Duration PROGRESS_EVERY = Duration.ofSeconds(10);
    /** How long a verification's engine call may wait behind the sources' batches. */
    static final Duration VERIFY_ENGINE_WAIT = Duration.ofSeconds(60);

    private final ReconcilerConfig config;
    private RocksDbStateStore store;
    private Pipeline pipeline;
    private PrometheusMeterRegistry registry;
    private ReconcilerMetrics metrics;
    private HttpApi api;
    private AlertService alerts;
    private CounterpartVerifier counterparts;
    private DailyReportSender dailyReport;
    private final List<DebeziumSource> sources = new ArrayList<>();
    private final ScheduledExecutorService monitor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reconciler-lifecycle");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, SourceStatus.Phase> phases = new HashMap<>();
    private final Map<String, Long> snapshotEstimates = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, String> serverVersions = new java.util.concurrent.ConcurrentHashMap<>();
    private long lastProgressLog;
    private boolean readyLogged;
    private volatile boolean closed;

    private ReconcilerRuntime(ReconcilerConfig config) {
        this.config = config;
    }

    /**
     * Starts everything; on a failure, stops what was started and rethrows.
     *
     * @param outcomes an extra listener (the demo's live view); may be null
     * @throws StartupException naming what failed and the fix
     */
    public static ReconcilerRuntime start(ReconcilerConfig config, Consumer<List<Outcome>> outcomes) {
        ReconcilerRuntime r = new ReconcilerRuntime(config);
        try {
            r.startAll(outcomes);
            return r;
        } catch (RuntimeException e) {
            r.close();
            throw e;
        }
    }

    /** A start-up failure with a message that names the problem and the fix. */
    public static final class StartupException extends RuntimeException {
        public StartupException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private void startAll(Consumer<List<Outcome>> outcomes) {
        log.info("starting: {}", config.summary());
        try {
            Files.createDirectories(config.state().dir());
        } catch (IOException e) {
            throw new StartupException("state.dir " + config.state().dir() + ": cannot create it (" + e.getMessage()
                    + "); choose a directory the reconciler may write", e);
        }
        try {
            // Format steps (a new store, or each step of migrating an older one, with counts) go to the log.
            store = RocksDbStateStore.open(config.state().storeDir(), config.state().storeOptions(),
                    line -> log.info("state: {}", line));
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            throw new StartupException("state.dir " + config.state().dir() + ": cannot open the state store ("
                    + msg + ")" + (msg.toLowerCase().contains("lock") ? "; another reconciler uses this directory:"
                    + " stop it or give this one its own state.dir" : ""), e);
        }
        log.info("state: RocksDB open at {} (format {})", config.state().storeDir(), store.format());
        // A torn offsets file or schema history would make a source fail at every attempt or resume from a wrong
        // place: refuse the start, naming the file and the ways out.
        List<String> broken = new ArrayList<>();
        for (SourceSpec spec : config.sources()) {
            String problem = SourceStateFiles.problem(spec.name(),
                    config.state().dir().resolve("sources").resolve(spec.name()),
                    ReconciliationEngine.storedWatermark(store, spec.name()).orElse(null));
            if (problem != null) broken.add(problem);
        }
        if (!broken.isEmpty()) {
            throw new StartupException("state.dir " + config.state().dir() + ": " + String.join("\n", broken), null);
        }

        Consumer<List<Outcome>> listener = batch -> {
            logPauses(batch);
            if (outcomes != null) outcomes.accept(batch);
        };
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        // Verify before alert: the engine hands due MISSING_* to the lookup and gets the answers back as inputs on
        // its own thread; it never waits for a database.
        VerifyConfig verify = config.verify();
        CounterpartLookup lookup = CounterpartLookup.NONE;
        if (!verify.rules().isEmpty()) {
            Map<String, SourceConfig> byName = new HashMap<>();
            for (SourceSpec spec : config.sources()) byName.put(spec.name(), spec.config());
            counterparts = new CounterpartVerifier(config.engine(), byName, verify, Clock.systemUTC(),
                    new LookupMetrics(registry, config.engine(), () -> pipeline.snapshot()));
            lookup = counterparts;
            log.info("verify before alert: rules {} look a missing counterpart up on the other database ({} threads,"
                    + " timeout {} ms, {} lookups/s, waiting up to {} s for a counterpart found there)",
                    verify.rules(), verify.threads(), verify.timeout().toMillis(), verify.ratePerSecond(),
                    verify.maxWait().toSeconds());
        }
        pipeline = new Pipeline(new ReconciliationEngine(config.engine(), store, Clock.systemUTC(), lookup,
                verify.rules().isEmpty() ? CounterpartLookup.Policy.NONE : verify.policy()), listener,
                Duration.ofSeconds(1));
        if (counterparts != null) counterparts.answerTo(a -> pipeline.command(e -> e.recordLookup(a)));
        for (SourceSpec spec : config.sources()) {
            // The flavour is settled against the server at every connection attempt: a database that is down at
            // start is detected once it answers.
            sources.add(new DebeziumSource(spec.config(), c -> settle(spec), config.engine(), config.state().dir(),
                    pipeline, InstantSource.system()));
        }
        List<Supplier<SourceStatus>> statuses = new ArrayList<>();
        for (DebeziumSource s : sources) statuses.add(s::status);
        metrics = ReconcilerMetrics.attach(registry, pipeline, statuses, store::approximateSizeBytes, config.metrics());
        // Before the sources: the outbox is delivered (and trimmed) from the first outcome on, sinks or not.
        alerts = AlertService.attach(config.alerts(), pipeline, store, registry);
        if (config.dailyReport() != null) {
            dailyReport = new DailyReportSender(config.dailyReport(), config.alerts(), store, config.engine(),
                    java.time.Clock.systemUTC()).start();
        }
        try {
            WindowVerifier verifier = new WindowVerifier(config.engine(),
                    config.sources().stream().map(SourceSpec::config).toList(), store,
                    FindingSink.through(pipeline, VERIFY_ENGINE_WAIT), WindowVerifier.Options.defaults());
            api = new HttpApi(config.http(), pipeline, store, statuses, metrics, this::resync)
                    .withVerification((rule, since, until) -> verifier.verify(rule, since, until,
                            reconciledUntil(verifier, rule)))
                    .start();
        } catch (RuntimeException e) {
            throw new StartupException(e.getMessage(), e);
        }

        // Sources connect in the background: one whose database is down, refuses the login or is not ready waits
        // and retries (see its status) while the API, the metrics and the other sources run.
        List<String> problems = new ArrayList<>();
        for (DebeziumSource s : sources) {
            try {
                s.start();
            } catch (IllegalArgumentException e) {
                problems.add(e.getMessage());
            }
        }
        if (!problems.isEmpty()) throw new ConfigurationException(String.join("\n", problems));
        monitor.scheduleWithFixedDelay(this::watch, 1, 1, TimeUnit.SECONDS);
    }

    /** The rule's reconciled-until as the engine thread sees it now (null until both sides reported). */
    private Instant reconciledUntil(WindowVerifier verifier, String rule) {
        verifier.rule(rule);   // an unknown rule is the caller's mistake, not the engine's
        try {
            return pipeline.call(e -> e.reconciledUntil(rule).orElse(null))
                    .get(VERIFY_ENGINE_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while asking the engine for the rule's progress", e);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the engine did not answer within " + VERIFY_ENGINE_WAIT.toSeconds()
                    + " s (it is working through a backlog); verify again later", e);
        }
    }

    /** A configuration that cannot run (exit code 1, like the loader's problems), as opposed to a start-up failure. */
    public static final class ConfigurationException extends RuntimeException {
        public ConfigurationException(String message) {
            super(message);
        }
    }

    /**
     * The source as it is to be read: the flavour detected from the server (for {@code auto}); logs the server's
     * version and a flavour mismatch once each. Called by the source before each connection attempt.
     */
    private SourceConfig settle(SourceSpec spec) {
        ServerVersion.Resolved r = ServerVersion.resolve(spec);
        if (r.version() != null && serverVersions.put(spec.name(), r.version().version()) == null) {
            log.info("source {}: {} at {}:{}, read with the {} connector", spec.name(), r.version().describe(),
                    spec.config().host(), spec.config().port(), r.config().flavour().name().toLowerCase());
            if (r.mismatch() != null) log.warn("source {}: {}", spec.name(), r.mismatch());
            snapshotEstimates.put(spec.name(), SnapshotEstimate.rows(r.config()));
        }
        return r.config();
    }

    /** A paused rule is in the log too (names of tables and columns, never row values); alerts carry the rest. */
    private static void logPauses(List<Outcome> batch) {
        for (Outcome o : batch) {
            if (o instanceof Outcome.RulePaused p) {
                log.atWarn().addKeyValue("rule", p.rule()).addKeyValue("source", p.source())
                        .log("rule {} paused: rows of {}.{} ({} side) lack column {}, first at binlog position {}; its"
                        + " pairs are held and rows of that table are not judged until the column is back or the"
                        + " configuration no longer reads it (docs/runbook.md#reconcilerrulepaused)", p.rule(),
                        p.source(), p.table(), p.side().label(), p.column(), p.position());
            } else if (o instanceof Outcome.FactQuarantined q && q.alert()) {
                // Once per (source, reason), then at most once a day (when it alerts): no row values, no key.
                var f = q.fact();
                var line = log.atInfo().addKeyValue("source", f.source());
                if (f.rule() != null) line = line.addKeyValue("rule", f.rule());
                line.log("source {}: {} fact(s) quarantined as {} since the last report, the latest of table {}{}{}; they"
                        + " take part in no pair and the source goes on; GET /api/quarantine lists them"
                        + " (docs/runbook.md#reconcilerfactsquarantined)", f.source(), q.since(), f.reason(), f.table(),
                        f.rule() == null ? "" : " (rule " + f.rule() + ", " + f.side().label() + " side, " + f.detail() + ")",
                        f.position() == null ? "" : " at binlog position " + f.position());
            } else if (o instanceof Outcome.RuleResumed r) {
                log.atInfo().addKeyValue("rule", r.rule()).addKeyValue("source", r.source())
                        .log("rule {} resumed on {}.{} ({}); {} rows of that table were held since the last start,"
                        + " paused since {}", r.rule(), r.source(), r.table(), r.why(), r.held(), r.pausedAt());
            }
        }
    }

    /** Logs snapshot progress every {@link #PROGRESS_EVERY}, and "every source streams" once. */
    private void watch() {
        try {
            boolean allStreaming = true;
            boolean progressDue = System.nanoTime() - lastProgressLog > PROGRESS_EVERY.toNanos();
            for (DebeziumSource s : sources) {
                SourceStatus st = s.status();
                SourceStatus.Phase before = phases.put(st.name(), st.phase());
                if (st.phase() != SourceStatus.Phase.STREAMING) allStreaming = false;
                // Phase changes are logged by the source itself (once per change); here only the snapshot's progress.
                // The JSON log's source field, as on the source's own threads; this thread serves every source.
                try (org.slf4j.MDC.MDCCloseable ignored = org.slf4j.MDC.putCloseable("source", st.name())) {
                    if (st.phase() == SourceStatus.Phase.SNAPSHOT && (before != SourceStatus.Phase.SNAPSHOT || progressDue)) {
                        log.info("source {}: snapshot {}", st.name(), progress(st));
                    } else if (before == SourceStatus.Phase.SNAPSHOT && st.phase() == SourceStatus.Phase.STREAMING) {
                        log.info("source {}: snapshot done, {} rows", st.name(), String.format("%,d", st.snapshotRows()));
                    }
                }
            }
            if (progressDue) lastProgressLog = System.nanoTime();
            if (allStreaming && !readyLogged) {
                readyLogged = true;
                log.info("every source streams; API at {} (metrics at {}/metrics)", api.url(), api.url());
            } else if (!allStreaming && readyLogged) {
                readyLogged = false;
            }
        } catch (RuntimeException e) {
            log.debug("lifecycle watch failed", e);
        }
    }

    private String progress(SourceStatus st) {
        long estimate = snapshotEstimates.getOrDefault(st.name(), -1L);
        String rows = String.format("%,d rows read", st.snapshotRows());
        if (estimate <= 0) return rows;
        long pct = Math.min(99, st.snapshotRows() * 100 / estimate);
        return rows + String.format(" of about %,d (%d%%)", estimate, pct);
    }

    /**
     * Asks a running source to re-read its rows changed since {@code since} (the API's resync); null when there is
     * no such source. The coverage gap is the window from the source's engine watermark to {@code since}, if later.
     */
    ResyncRequest resync(String source, Instant since) throws IOException {
        for (DebeziumSource s : sources) {
            if (!s.name().equals(source)) continue;
            EngineSnapshot.SourceNumbers n = pipeline.snapshot().sources().get(source);
            return s.resync(since, "api", n == null ? null : n.watermark());
        }
        return null;
    }

    public Pipeline pipeline() {
        return pipeline;
    }

    public HttpApi api() {
        return api;
    }

    public List<SourceStatus> statuses() {
        return sources.stream().map(DebeziumSource::status).toList();
    }

    /** {@code sale left 118 right 117; cancel left 3 right 2}: facts that matched each rule side since the start. */
    static String factsSinceStart(dev.reconciler.app.pipeline.EngineSnapshot snapshot) {
        List<String> parts = new ArrayList<>();
        snapshot.rules().forEach((rule, n) -> parts.add(rule + " left " + n.facts().getOrDefault(
                dev.reconciler.core.rule.Side.LEFT, 0L) + " right " + n.facts().getOrDefault(
                dev.reconciler.core.rule.Side.RIGHT, 0L)));
        return parts.isEmpty() ? "none" : String.join("; ", parts);
    }

    /** Idempotent: API, sources, alert delivery, pipeline, store — each step logged. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        monitor.shutdownNow();
        if (api != null) {
            api.close();
            log.info("stopped: HTTP API");
        }
        for (DebeziumSource s : sources) s.close();
        if (!sources.isEmpty()) log.info("stopped: sources");
        if (counterparts != null) counterparts.close();   // held MISSING_* are looked up again at the next start
        if (dailyReport != null) dailyReport.close();
        if (alerts != null) {
            // The sources are stopped, so nothing more is journaled: deliver what is there, within a bound.
            alerts.drain(ALERT_DRAIN_ON_STOP);
            alerts.close();   // undelivered alerts stay in the outbox for the next start
            log.info("stopped: alert delivery");
        }
        if (pipeline != null) {
            pipeline.close();
            // What this process took in, e.g. to compare with the database's row counts after a rolling restart.
            log.info("stopped: engine; facts since start: {}", factsSinceStart(pipeline.snapshot()));
        }
        if (metrics != null) metrics.close();
        if (registry != null) registry.close();
        if (store != null) {
            store.close();
            log.info("stopped: state store closed");
        }
    }
}
