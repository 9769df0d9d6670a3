package dev.reconciler.app.api;

import dev.reconciler.app.Version;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.config.Durations;
import dev.reconciler.app.source.ResyncRequest;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.discrepancy.TransitionRefused;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import dev.reconciler.app.verify.VerifySummary;
import dev.reconciler.app.verify.WindowBounds;
import dev.reconciler.app.verify.WindowVerifier;
import java.util.function.Supplier;

/**
 * The reconciler's HTTP API: Prometheus metrics, discrepancies (list, one, acknowledge), everything about one pair,
 * status and health checks. docs/api.md documents every endpoint.
 *
 * <p>Server: these routes on the hardened {@link ApiServer} (limits, bounded worker pool, token, JSON errors; see
 * there), which the distributed mode's Streams application serves its own routes on too.
 *
 * <p>Threads: reads go straight to the {@link StateStore}, which serves reads from any thread while the engine
 * writes (each read sees the last committed batch); the engine's numbers come from the pipeline's published
 * {@link EngineSnapshot}. The one write, an acknowledgement, runs on the engine thread through
 * {@link Pipeline#call}, waiting at most {@link #ENGINE_WAIT}.
 *
 * <p>Close it before the pipeline and the store (a RocksDB store's close waits for reads in flight).
 */
public final class HttpApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(HttpApi.class);
    static final Duration ENGINE_WAIT = Duration.ofSeconds(10);
    static final int MAX_NOTE = 2000;
    private static final String KEY_PREFIX = "key.";

    private final ApiConfig config;
    private final Pipeline pipeline;
    private final StateStore store;
    private final EngineConfig engineConfig;
    private final List<Supplier<SourceStatus>> sources;
    private final ReconcilerMetrics metrics;
    private final Resync resync;

    private final Router router = new Router();
    private final ApiServer server;
    private final ConsoleFiles console = new ConsoleFiles();
    private final RecentMatches recentMatches;
    private final OpenAges openAges;
    /** What {@code POST /api/rules/{rule}/verify} runs; null when this process cannot verify. */
    private volatile Verification verification;
    private final AtomicBoolean verifying = new AtomicBoolean();

    /**
     * @param sources each source's status ({@code DebeziumSource::status}); readiness needs every one streaming
     * @param metrics served at {@code /metrics}; null to serve none
     */
    public HttpApi(ApiConfig config, Pipeline pipeline, StateStore store, List<Supplier<SourceStatus>> sources,
                   ReconcilerMetrics metrics) {
        this(config, pipeline, store, sources, metrics, null);
    }

    /** Asks a running source for a bounded re-read (see {@code DebeziumSource#resync}). */
    @FunctionalInterface
    public interface Resync {
        /** @return the request, or null when there is no such source */
        ResyncRequest resync(String source, Instant since) throws IOException;
    }

    /** @param resync serves {@code POST /api/sources/{name}/resync}; null to refuse it */
    public HttpApi(ApiConfig config, Pipeline pipeline, StateStore store, List<Supplier<SourceStatus>> sources,
                   ReconcilerMetrics metrics, Resync resync) {
        this.resync = resync;
        this.config = config;
        this.pipeline = pipeline;
        this.store = store;
        this.engineConfig = pipeline.config();
        this.sources = List.copyOf(sources);
        this.metrics = metrics;
        this.recentMatches = new RecentMatches(java.time.Clock.systemUTC());
        pipeline.addListener(recentMatches::record);
        this.openAges = new OpenAges(store, engineConfig.rules().stream().map(Rule::name).toList(),
                java.time.Clock.systemUTC());
        // The console's files hold no data (the page reads it through the API, with the API's access rules): open.
        router.add("GET", "/", Router.Access.OPEN, req -> console.index())
                .add("GET", "/console/([a-z]+\\.[a-z]+)", Router.Access.OPEN,
                        req -> console.asset(req.params().get(0), req.query("h")))
                .add("GET", "/metrics", Router.Access.READ, Router.Lane.PROBE, this::metrics)
                .add("GET", "/api/discrepancies", Router.Access.READ, this::discrepancies)
                .add("GET", "/api/discrepancies/ages", Router.Access.READ, this::openAges)
                .add("GET", "/api/discrepancies/([^/]+)", Router.Access.READ, this::discrepancy)
                .add("POST", "/api/discrepancies/([^/]+)/ack", Router.Access.WRITE,
                        req -> act(req, TimelineEntry.Action.ACKNOWLEDGED))
                .add("POST", "/api/discrepancies/([^/]+)/waive", Router.Access.WRITE,
                        req -> act(req, TimelineEntry.Action.WAIVED))
                .add("POST", "/api/discrepancies/([^/]+)/resolve", Router.Access.WRITE,
                        req -> act(req, TimelineEntry.Action.RESOLVED))
                .add("POST", "/api/discrepancies/([^/]+)/reopen", Router.Access.WRITE,
                        req -> act(req, TimelineEntry.Action.REOPENED))
                .add("GET", "/api/audit", Router.Access.READ, this::audit)
                .add("GET", "/api/reports/daily", Router.Access.READ, this::dailyReport)
                .add("GET", "/api/pairs/([^/]+)", Router.Access.READ, this::pair)
                .add("POST", "/api/rules/([^/]+)/verify", Router.Access.WRITE, this::verify)
                .add("GET", "/api/status", Router.Access.READ, this::status)
                .add("GET", "/api/quarantine", Router.Access.READ, this::quarantine)
                .add("POST", "/api/sources/([^/]+)/resync", Router.Access.WRITE, this::resync)
                .add("GET", "/health/live", Router.Access.OPEN, Router.Lane.PROBE, this::live)
                .add("GET", "/health/ready", Router.Access.OPEN, Router.Lane.PROBE, this::ready);
        this.server = new ApiServer(config, router);
    }

    /** A window verification of a running reconciler ({@code dev.reconciler.app.verify.WindowVerifier}). */
    @FunctionalInterface
    public interface Verification {
        VerifySummary run(String rule, Instant since, Instant until) throws InterruptedException;
    }

    /** Enables {@code POST /api/rules/{rule}/verify}; call before {@link #start()}. */
    public HttpApi withVerification(Verification verification) {
        this.verification = verification;
        return this;
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException if the address cannot be bound, naming it and the fix
     */
    public HttpApi start() {
        server.start();
        return this;
    }

    /** The port listened on (the chosen one when configured as 0). */
    public int port() {
        return server.port();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:8080}. */
    public String url() {
        return server.url();
    }

    /** Stops listening and ends the worker threads. Idempotent. */
    @Override
    public void close() {
        server.close();
    }

    // ------------------------------------------------------------------------------------------------ endpoints

    private static void noQuery(Router.Request req) {
        for (String name : req.query().keySet()) {
            throw ApiException.badParameter(ApiException.shown(name), "unknown", "this endpoint takes no query parameters");
        }
    }

    private Router.Reply metrics(Router.Request req) {
        noQuery(req);
        if (metrics == null) throw ApiException.notFound("metrics are not enabled in this process", null);
        return Router.Reply.text(200, metrics.scrape(), "text/plain; version=0.0.4; charset=utf-8");
    }

    private Router.Reply discrepancies(Router.Request req) {
        DiscrepancyQuery q = DiscrepancyQuery.parse(req, engineConfig, Instant.now());
        return Router.Reply.json(200, q.run(store));
    }

    private Router.Reply openAges(Router.Request req) {
        noQuery(req);
        return Router.Reply.json(200, openAges.get());
    }

    private Router.Reply discrepancy(Router.Request req) {
        noQuery(req);
        String id = req.params().get(0);
        return Router.Reply.json(200, Views.DiscrepancyView.of(store.discrepancy(id).orElseThrow(() -> unknownId(id))));
    }

    private static ApiException unknownId(String id) {
        return ApiException.notFound("no discrepancy with id '" + ApiException.shown(id) + "'",
                "take ids from GET /api/discrepancies?status=all; a resolved discrepancy is dropped with its pair"
                        + " after the retention period");
    }

    /**
     * {@code POST /api/discrepancies/{id}/ack|waive|resolve|reopen}: a person's step, on the engine thread, with its
     * audit entry in the same batch. 200 with the discrepancy after the step; 409 when its state does not allow it.
     */
    private Router.Reply act(Router.Request req, TimelineEntry.Action action) throws InterruptedException {
        noQuery(req);
        String id = req.params().get(0);
        Step step = Step.parse(req.body(), action);
        Discrepancy done;
        try {
            // Reporting: the outcomes (a waive, a resolution, a re-opening) reach the metrics like the engine's own.
            done = pipeline.callReporting(engine -> engine.act(id, action, step.by(), step.reason()),
                            r -> r.map(ReconciliationEngine.StepResult::outcomes).orElse(List.of()))
                    .get(ENGINE_WAIT.toMillis(), TimeUnit.MILLISECONDS)
                    .map(ReconciliationEngine.StepResult::discrepancy).orElseThrow(() -> unknownId(id));
        } catch (TimeoutException e) {
            throw new ApiException(503, "the engine did not take the " + Step.verb(action) + " within "
                    + ENGINE_WAIT.toSeconds() + " s (it is working through a backlog)", "retry in a minute");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof TransitionRefused r) {
                throw new ApiException(409, r.getMessage(), "GET /api/discrepancies/" + ApiException.shown(id)
                        + " shows its status and timeline; see docs/workflow.md for the steps each status allows");
            }
            if (cause instanceof RuntimeException r) throw r;
            throw new IllegalStateException(Step.verb(action) + " failed: " + cause, cause);
        }
        log.info("discrepancy {} ({} {}) {} through the API by {}", done.id(), done.rule(), done.type(),
                action.name().toLowerCase(Locale.ROOT), step.by().isEmpty() ? "(nobody named)" : step.by());
        return Router.Reply.json(200, Views.DiscrepancyView.of(done));
    }

    /** {@code GET /api/audit?since=&limit=&cursor=}: the audit trail, newest first. */
    private Router.Reply audit(Router.Request req) {
        for (String name : req.query().keySet()) {
            if (!Set.of("since", "limit", "cursor").contains(name)) {
                throw ApiException.badParameter(ApiException.shown(name), "unknown", "use since, limit and cursor");
            }
        }
        Instant since = req.query("since") == null ? null : DiscrepancyQuery.instant("since", req.query("since"));
        int limit = DiscrepancyQuery.limit(req.query("limit"));
        Long before = null;
        String c = req.query("cursor");
        if (c != null) {
            try {
                before = Long.parseLong(c);
            } catch (NumberFormatException e) {
                before = -1L;
            }
            if (before < 1) {
                throw ApiException.badParameter("cursor", "'" + ApiException.shown(c)
                        + "' is not a cursor this API gave out", "pass the 'next' value of the previous page unchanged");
            }
        }
        List<Views.AuditView> items = new ArrayList<>();
        for (var e : ReconciliationEngine.audit(store, before, since, limit)) items.add(Views.AuditView.of(e));
        String next = items.size() == limit && items.get(items.size() - 1).seq() > 1
                ? Long.toString(items.get(items.size() - 1).seq()) : null;
        return Router.Reply.json(200, new Views.Page<>(items, next));
    }

    /** {@code GET /api/reports/daily?date=YYYY-MM-DD&rule=}: one UTC day's figures (yesterday by default). */
    private Router.Reply dailyReport(Router.Request req) {
        for (String name : req.query().keySet()) {
            if (!name.equals("date") && !name.equals("rule")) {
                throw ApiException.badParameter(ApiException.shown(name), "unknown", "use date and rule");
            }
        }
        String rule = req.query("rule");
        if (rule != null && engineConfig.rule(rule).isEmpty()) {
            throw ApiException.badParameter("rule", "no rule '" + ApiException.shown(rule) + "'",
                    "use one of " + engineConfig.rules().stream().map(Rule::name).toList());
        }
        java.time.LocalDate date;
        String d = req.query("date");
        try {
            date = d == null ? java.time.LocalDate.now(java.time.ZoneOffset.UTC).minusDays(1)
                    : java.time.LocalDate.parse(d.trim());
        } catch (java.time.format.DateTimeParseException e) {
            throw ApiException.badParameter("date", "'" + ApiException.shown(d) + "' is not a date",
                    "write it as YYYY-MM-DD (a UTC day), e.g. 2026-12-02");
        }
        return Router.Reply.json(200, DailyReport.of(ReconciliationEngine.daily(store, engineConfig, date), rule));
    }

    /**
     * Verifies a rule's window straight from the databases and answers the summary (docs/api.md). Synchronous: the
     * answer comes when the verification is done (minutes for millions of rows); one at a time.
     */
    private Router.Reply verify(Router.Request req) throws InterruptedException {
        String rule = req.params().get(0);
        for (String name : req.query().keySet()) {
            if (!name.equals("since") && !name.equals("until")) {
                throw ApiException.badParameter(ApiException.shown(name), "unknown", "this endpoint takes since and until");
            }
        }
        Verification v = verification;
        if (v == null) {
            throw new ApiException(503, "this process cannot verify windows",
                    "run `reconciler verify` with the reconciler's configuration");
        }
        Instant now = Instant.now();
        String sinceText = req.query("since");
        if (sinceText == null) {
            throw ApiException.badParameter("since", "missing", "give the window's start, e.g. since=6h or"
                    + " since=2026-12-01T22:00:00Z");
        }
        Instant since;
        Instant until;
        try {
            since = WindowBounds.parse("since", sinceText, now);
            String u = req.query("until");
            until = u == null ? now : WindowBounds.parse("until", u, now);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, e.getMessage(), "see docs/api.md");
        }
        if (!verifying.compareAndSet(false, true)) {
            throw new ApiException(409, "a verification is already running in this process",
                    "wait for it to finish, then ask again");
        }
        try {
            VerifySummary summary = v.run(rule, since, until);
            log.info("rule {} verified through the API: {} findings", rule, summary.totalFindings());
            return Router.Reply.json(200, summary);
        } catch (WindowVerifier.BadRequest e) {
            if (e.getMessage().startsWith("no rule")) throw ApiException.notFound(e.getMessage(), "see GET /api/status");
            throw new ApiException(400, e.getMessage(), "see docs/api.md");
        } catch (IllegalStateException e) {
            throw new ApiException(503, e.getMessage(), "fix what the message names, then verify again");
        } finally {
            verifying.set(false);
        }
    }

    /**
     * {@code POST /api/sources/{name}/resync?since=T}: re-read the source's rows changed since {@code T} (an ISO-8601
     * instant or a duration back from now) and stream on from the binlog's end; answers 202 with the request.
     */
    private Router.Reply resync(Router.Request req) throws IOException {
        String source = req.params().get(0);
        String since = req.query("since");
        String fix = "give since as an ISO-8601 instant or a duration back from now, e.g. ?since=6h";
        if (since == null || since.isBlank()) throw ApiException.badParameter("since", "missing", fix);
        for (String p : req.query().keySet()) {
            if (!p.equals("since")) throw ApiException.badParameter(ApiException.shown(p), "unknown", fix);
        }
        Instant at;
        try {
            at = Durations.instantOrAgo(since, Instant.now());
        } catch (IllegalArgumentException e) {
            throw ApiException.badParameter("since", e.getMessage(), fix);
        }
        if (at.isAfter(Instant.now())) throw ApiException.badParameter("since", "is in the future", fix);
        if (resync == null) throw new ApiException(404, "this process has no sources to resync", "run it with sources");
        ResyncRequest r = resync.resync(source, at);
        if (r == null) {
            throw ApiException.notFound("no source named '" + ApiException.shown(source) + "'",
                    "see /api/status for the sources");
        }
        log.warn("source {}: resync since {} requested through the API", source, at);
        return Router.Reply.json(202, r);
    }

    /**
     * The body of a person's step: {@code {"by": "alice", "reason": "..."}}. {@code by} is mandatory for waive,
     * resolve and re-open (an acknowledgement without it is kept, by nobody named, as before); {@code reason} for
     * waive and resolve. {@code note} is the older name of {@code reason} (acknowledgements before the workflow).
     */
    record Step(String by, String reason) {
        static final int MAX_BY = 200;

        static String verb(TimelineEntry.Action a) {
            return switch (a) {
                case ACKNOWLEDGED -> "acknowledgement";
                case WAIVED -> "waiver";
                case RESOLVED -> "resolution";
                case REOPENED -> "re-opening";
                default -> a.name().toLowerCase(Locale.ROOT);
            };
        }

        static Step parse(byte[] body, TimelineEntry.Action action) {
            boolean needsBy = action != TimelineEntry.Action.ACKNOWLEDGED;
            boolean needsReason = action == TimelineEntry.Action.WAIVED || action == TimelineEntry.Action.RESOLVED;
            String fix = "send a JSON object such as {\"by\": \"alice\", \"reason\": \"ticket OPS-1234: known"
                    + " double deduction, refunded\"}" + (needsReason ? "; a " + verb(action) + " needs both" : "");
            if (body.length == 0 || new String(body, StandardCharsets.UTF_8).isBlank()) {
                if (needsBy) throw new ApiException(400, "the body is empty", fix);
                return new Step("", "");
            }
            JsonNode json;
            try {
                json = Json.MAPPER.readTree(body);
            } catch (JsonProcessingException e) {
                throw new ApiException(400, "the body is not JSON: " + e.getOriginalMessage(), fix);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (json == null || !json.isObject()) throw new ApiException(400, "the body is not a JSON object", fix);
            List<String> unknown = new ArrayList<>();
            json.fieldNames().forEachRemaining(f -> {
                if (!f.equals("by") && !f.equals("reason") && !f.equals("note")) unknown.add(f);
            });
            if (!unknown.isEmpty()) throw new ApiException(400, "the body has unknown fields " + unknown, fix);
            String by = text(json, "by", MAX_BY, fix).strip();
            String reason = text(json, "reason", MAX_NOTE, fix);
            if (reason.isEmpty()) reason = text(json, "note", MAX_NOTE, fix);
            if (needsBy && by.isEmpty()) {
                throw new ApiException(400, "'by' is missing: a " + verb(action) + " records who made it", fix);
            }
            for (int i = 0; i < by.length(); i++) {
                if (Character.isISOControl(by.charAt(i))) {
                    throw new ApiException(400, "'by' has a control character", "send a name or login, e.g. alice");
                }
            }
            if (needsReason && reason.isBlank()) {
                throw new ApiException(400, "'reason' is missing: a " + verb(action) + " records why", fix);
            }
            return new Step(by, reason);
        }

        private static String text(JsonNode json, String field, int max, String fix) {
            JsonNode v = json.get(field);
            if (v == null || v.isNull()) return "";
            if (!v.isTextual()) throw new ApiException(400, "'" + field + "' is not a string", fix);
            if (v.textValue().length() > max) {
                throw new ApiException(400, "'" + field + "' is longer than " + max + " characters",
                        "shorten it; link to a ticket for the details");
            }
            return v.textValue();
        }
    }

    private Router.Reply pair(Router.Request req) {
        String ruleName = req.params().get(0);
        Rule rule = engineConfig.rule(ruleName).orElseThrow(() -> ApiException.notFound("no rule '"
                + ApiException.shown(ruleName) + "'",
                "use one of " + engineConfig.rules().stream().map(Rule::name).toList()));
        List<String> names = rule.key().names();
        String example = example(names);
        Map<String, String> key = new LinkedHashMap<>();
        for (String param : req.query().keySet()) {
            String name = param.startsWith(KEY_PREFIX) ? param.substring(KEY_PREFIX.length()) : null;
            if (name == null || !names.contains(name)) {
                throw ApiException.badParameter(ApiException.shown(param), name == null ? "unknown"
                                : "not a key of rule " + ruleName,
                        "pass the key as " + example);
            }
        }
        for (String name : names) {
            String v = req.query(KEY_PREFIX + name);
            if (v == null || v.isBlank()) {
                throw ApiException.badParameter(KEY_PREFIX + name, "missing", "pass the key as " + example);
            }
            key.put(name, Values.canonical(v));   // compared as trimmed text, as the engine does
        }
        PairKey pk = new PairKey(rule.name(), List.copyOf(key.values()));
        PairState state = store.pair(pk).orElseThrow(() -> ApiException.notFound(
                "nothing is known about rule " + rule.name() + " key " + ApiException.shown(key.toString()),
                "check the key values (compared as trimmed text); a finished pair is dropped after the retention"
                        + " period, and rows that match neither side's filter are not kept"));
        List<Views.DiscrepancyView> found = new ArrayList<>();
        for (Map.Entry<DiscrepancyType, Integer> e : state.occurrences().entrySet()) {
            for (int n = 1; n <= e.getValue(); n++) {
                store.discrepancy(Discrepancy.idOf(rule.name(), pk.values(), e.getKey(), n))
                        .map(Views.DiscrepancyView::of).ifPresent(found::add);
            }
        }
        EngineSnapshot.RuleNumbers numbers = pipeline.snapshot().rules().get(rule.name());
        return Router.Reply.json(200, Views.PairView.of(key, state, numbers, found));
    }

    private static String example(List<String> names) {
        StringBuilder b = new StringBuilder();
        for (String n : names) b.append(b.length() == 0 ? "?" : "&").append(KEY_PREFIX).append(n).append("=…");
        return b.toString();
    }

    /** {@code GET /api/quarantine?limit=&before=}: facts that could not be processed (see {@link QuarantineView}). */
    private Router.Reply quarantine(Router.Request req) {
        String fix = "limit is 1.." + QuarantineView.MAX_LIMIT + " (default " + QuarantineView.DEFAULT_LIMIT
                + "); before is the next value of a previous page";
        for (String p : req.query().keySet()) {
            if (!p.equals("limit") && !p.equals("before")) throw ApiException.badParameter(p, "unknown", fix);
        }
        Long limitParam = wholeNumber(req, "limit", fix);
        Long before = wholeNumber(req, "before", fix);
        long limit = limitParam == null ? QuarantineView.DEFAULT_LIMIT : limitParam;
        if (limit < 1 || limit > QuarantineView.MAX_LIMIT) throw ApiException.badParameter("limit", "out of range", fix);
        if (before != null && before < 1) throw ApiException.badParameter("before", "out of range", fix);
        return Router.Reply.json(200, QuarantineView.read(store, before, (int) limit));
    }

    private static Long wholeNumber(Router.Request req, String name, String fix) {
        String v = req.query(name);
        if (v == null) return null;
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw ApiException.badParameter(name, "not a whole number", fix);
        }
    }

    private Router.Reply status(Router.Request req) {
        noQuery(req);
        EngineSnapshot snap = pipeline.snapshot();
        Instant now = Instant.now();
        Map<String, SourceStatus> byName = new LinkedHashMap<>();
        for (Supplier<SourceStatus> s : sources) {
            SourceStatus st = s.get();
            byName.put(st.name(), st);
        }
        List<Views.SourceView> sourceViews = new ArrayList<>();
        for (Map.Entry<String, SourceStatus> e : byName.entrySet()) {
            sourceViews.add(Views.SourceView.of(e.getKey(), e.getValue(), snap.sources().get(e.getKey()), now));
        }
        for (Map.Entry<String, EngineSnapshot.SourceNumbers> e : snap.sources().entrySet()) {
            if (!byName.containsKey(e.getKey())) sourceViews.add(Views.SourceView.of(e.getKey(), null, e.getValue(), now));
        }
        List<Views.RuleView> rules = new ArrayList<>();
        long counted = recentMatches.coveredSeconds();
        snap.rules().forEach((name, n) -> rules.add(Views.RuleView.of(name, n, recentMatches.lastMinute(name), counted,
                engineConfig.rule(name).map(r -> Views.RuleDefinition.of(r, engineConfig.clockSkew())).orElse(null))));
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
        Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        Pipeline.Unwritable unwritable = pipeline.unwritable();
        return Router.Reply.json(200, new Views.StatusView(VERSION, started, uptime, stateProblem() == null,
                unwritable == null ? null : new Views.StateUnwritableView(unwritable.reason(), unwritable.message(),
                        unwritable.since(), unwritable.waitingBatches()),
                snap.takenAt(), sourceViews, rules));
    }

    /**
     * Liveness: only a wedged process fails it (restarting it helps): the pipeline closed, or the engine thread inside
     * one task for more than {@link #WEDGED_AFTER}. A database outage never fails it.
     */
    private Router.Reply live(Router.Request req) {
        noQuery(req);
        if (!pipeline.isRunning()) {
            return Router.Reply.json(503, new Views.Health("DOWN", List.of("the engine pipeline is closed")));
        }
        Duration busy = pipeline.busyFor();
        if (busy.compareTo(WEDGED_AFTER) > 0) {
            return Router.Reply.json(503, new Views.Health("DOWN", List.of("the engine thread has been inside one"
                    + " task for " + busy.toSeconds() + " s (wedged)")));
        }
        return Router.Reply.json(200, new Views.Health("UP", List.of()));
    }

    /**
     * Readiness: this process serves its API from an open state store. Not whether every source streams: source
     * health has its own signals (status, metrics, alerts), and an API that disappears during a database incident is
     * what on-call needs least.
     */
    private Router.Reply ready(Router.Request req) {
        noQuery(req);
        List<String> reasons = new ArrayList<>();
        if (!pipeline.isRunning()) reasons.add("the engine pipeline is closed");
        String state = stateProblem();
        if (state != null) reasons.add(state);
        Pipeline.Unwritable unwritable = pipeline.unwritable();
        // The cause only: this endpoint is open, the full message (with the directory) is in /api/status.
        if (unwritable != null) reasons.add("the state store takes no writes (" + unwritable.reason() + ") since "
                + unwritable.since() + "; ingestion waits (details in /api/status)");
        return reasons.isEmpty() ? Router.Reply.json(200, new Views.Health("READY", List.of()))
                : Router.Reply.json(503, new Views.Health("NOT_READY", reasons));
    }

    /** Null when the state store answers a read; else why not. */
    private String stateProblem() {
        try {
            store.meta("health-probe");
            return null;
        } catch (RuntimeException e) {
            return "the state store is not open: " + e.getMessage();
        }
    }

    static final String VERSION = Version.get();
    /** An engine task (a batch of at most a few thousand facts) takes milliseconds; this long means wedged. */
    static final Duration WEDGED_AFTER = Duration.ofMinutes(5);
}
