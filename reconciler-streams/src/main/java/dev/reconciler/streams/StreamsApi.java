package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reconciler.app.Version;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.ApiException;
import dev.reconciler.app.api.ApiServer;
import dev.reconciler.app.api.DiscrepancyQuery;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.api.Router;
import dev.reconciler.app.api.Views;
import dev.reconciler.app.source.HeartbeatWriter;
import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.rule.EngineConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.ThreadMetadata;
import org.apache.kafka.streams.TaskMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * The distributed mode's HTTP endpoint, on the embedded mode's hardened server ({@link ApiServer}: the same
 * {@code http} section, limits and token): {@code /metrics}, {@code /health/live}, {@code /health/ready},
 * {@code /api/status}, {@code /api/discrepancies} and {@code /api/discrepancies/{id}} (docs/scale-out.md,
 * "Operating it").
 *
 * <p>Discrepancies live in the match tasks' stores, one per facts partition, spread over the instances. Any
 * instance answers for all: it reads the partitions it runs itself ({@link StoreReads}) and asks each other
 * instance, at the endpoint that instance advertises as {@code application.server}, for exactly the partitions it
 * runs ({@code ?partitions=1,3}, an internal parameter), then merges the pages in id order. An answer never leaves
 * a partition out silently: a partition without an active owner (a rebalance), or an instance that does not
 * answer, makes the request a 503 naming them.
 */
public final class StreamsApi implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(StreamsApi.class);
    static final String PARTITIONS = "partitions";
    /** How long an instance waits for another's part of an answer. */
    static final Duration PEER_TIMEOUT = Duration.ofSeconds(5);

    private final ApiConfig http;
    private final EngineConfig engine;
    private final EngineTasks tasks;
    private final Supplier<String> metrics;
    private final String factsTopic;
    private final int partitions;
    private final Router router = new Router();
    private final ApiServer server;
    private final HttpClient peers = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile KafkaStreams streams;
    private volatile HostInfo self;
    private volatile String applicationId;
    /** This instance's heartbeat writers (one per source with a heartbeat table), for status. */
    private volatile Supplier<List<HeartbeatWriter.State>> heartbeats = List::of;

    /**
     * @param metrics the Prometheus text of this instance's meters ({@link StreamsMetrics#scrape()})
     */
    public StreamsApi(ApiConfig http, EngineConfig engine, EngineTasks tasks, Supplier<String> metrics,
                      String factsTopic, int partitions) {
        this.http = http;
        this.engine = engine;
        this.tasks = tasks;
        this.metrics = metrics;
        this.factsTopic = factsTopic;
        this.partitions = partitions;
        router.add("GET", "/metrics", Router.Access.READ, Router.Lane.PROBE, this::metrics)
                .add("GET", "/health/live", Router.Access.OPEN, Router.Lane.PROBE, this::live)
                .add("GET", "/health/ready", Router.Access.OPEN, Router.Lane.PROBE, this::ready)
                .add("GET", "/api/status", Router.Access.READ, this::status)
                .add("GET", "/api/discrepancies", Router.Access.READ, this::discrepancies)
                .add("GET", "/api/discrepancies/([^/]+)", Router.Access.READ, this::discrepancy)
                .add("POST", "/api/discrepancies/([^/]+)/(ack|waive|resolve|reopen)", Router.Access.WRITE,
                        req -> {
                            throw new ApiException(501, "the distributed mode takes no person's steps yet"
                                    + " (acknowledge, waive, resolve, reopen)", "see docs/scale-out.md, \"Operating"
                                    + " it\"; the embedded mode has them");
                        });
        this.server = new ApiServer(http, router);
    }

    /** Shows these heartbeat writers' states in {@code /api/status} (a failing one holds its source's watermark). */
    public void heartbeats(Supplier<List<HeartbeatWriter.State>> states) {
        this.heartbeats = states;
    }

    /** Listens; the endpoints answer 503 (not ready) until {@link #serve} hands them the application. */
    public StreamsApi start() {
        server.start();
        return this;
    }

    /** @param self the endpoint this instance advertises ({@code application.server}) */
    public void serve(KafkaStreams streams, HostInfo self, String applicationId) {
        this.self = self;
        this.applicationId = applicationId;
        this.streams = streams;
    }

    public int port() {
        return server.port();
    }

    public String url() {
        return server.url();
    }

    @Override
    public void close() {
        server.close();
    }

    // ---------------------------------------------------------------------------------------------- probes

    private Router.Reply metrics(Router.Request req) {
        noQuery(req);
        return Router.Reply.text(200, metrics.get(), "text/plain; version=0.0.4; charset=utf-8");
    }

    /**
     * Liveness: only what a restart cures fails it: the Streams client is in ERROR (every stream thread died) or was
     * shut down. A rebalance, a restore or an unreachable broker does not: the client recovers by itself, and
     * restarting would only throw its local state away.
     */
    private Router.Reply live(Router.Request req) {
        noQuery(req);
        KafkaStreams s = streams;
        if (s == null) return Router.Reply.json(200, new Views.Health("UP", List.of()));   // still starting
        KafkaStreams.State state = s.state();
        if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
            return Router.Reply.json(503, new Views.Health("DOWN", List.of("the Kafka Streams client is " + state
                    + (state == KafkaStreams.State.ERROR ? ": every stream thread failed (see the log)" : ""))));
        }
        return Router.Reply.json(200, new Views.Health("UP", List.of()));
    }

    /**
     * Readiness: the Streams client is RUNNING and the stores of every facts partition it runs answer a read. Not
     * ready while it starts, rebalances or restores a task from its changelog: its answers would be missing those
     * partitions. Other instances' health is not part of it (each has its own probe).
     */
    private Router.Reply ready(Router.Request req) {
        noQuery(req);
        List<String> reasons = readiness();
        return reasons.isEmpty() ? Router.Reply.json(200, new Views.Health("READY", List.of()))
                : Router.Reply.json(503, new Views.Health("NOT_READY", reasons));
    }

    private List<String> readiness() {
        KafkaStreams s = streams;
        if (s == null) return List.of("the Kafka Streams application is starting");
        List<String> reasons = new ArrayList<>();
        KafkaStreams.State state = s.state();
        if (state != KafkaStreams.State.RUNNING) {
            reasons.add("the Kafka Streams client is " + state + (state == KafkaStreams.State.REBALANCING
                    ? " (tasks are being assigned or restored from their changelogs)" : ""));
            return reasons;
        }
        StoreReads reads = new StoreReads(s, factsTopic);
        for (int p : localPartitions(s)) {
            try {
                reads.probe(p);
            } catch (StoreReads.NotQueryable e) {
                reasons.add(e.getMessage());
            }
        }
        return reasons;
    }

    // ---------------------------------------------------------------------------------------------- status

    /** Tasks whose input is a facts partition (the match tasks), active here. */
    private Set<Integer> localPartitions(KafkaStreams s) {
        Set<Integer> out = new TreeSet<>();
        for (ThreadMetadata t : s.metadataForLocalThreads()) {
            for (TaskMetadata task : t.activeTasks()) {
                for (TopicPartition tp : task.topicPartitions()) if (tp.topic().equals(factsTopic)) out.add(tp.partition());
            }
        }
        return out;
    }

    record TaskView(String task, String kind, List<String> inputs, String thread) {
    }

    record InstanceView(String endpoint, boolean self, List<Integer> partitions, List<Integer> standbyPartitions) {
    }

    record SourceView(String name, Instant watermark, Double watermarkAgeSeconds, boolean stalled) {
    }

    /**
     * @param partitions     the facts partitions whose match task is active here
     * @param engineNumbersAt the oldest of this instance's task snapshots (each task publishes every tick)
     * @param sources        per source as this instance's match tasks see it: the lowest watermark over its tasks,
     *                       stalled when one of them says so
     * @param rules          this instance's share (its partitions) of the rules' numbers
     * @param heartbeats     this instance's heartbeat writers: a failing one cannot move its source's watermark
     */
    record StatusView(String version, String mode, Instant startedAt, long uptimeSeconds, String applicationId,
                      String state, String endpoint, boolean stateOpen, List<String> notReady, int factsPartitions,
                      List<Integer> partitions, List<TaskView> tasks, List<InstanceView> instances,
                      Instant engineNumbersAt, List<SourceView> sources, List<Views.RuleView> rules,
                      List<HeartbeatWriter.State> heartbeats) {
    }

    private Router.Reply status(Router.Request req) {
        noQuery(req);
        KafkaStreams s = running();
        Instant now = Instant.now();
        List<TaskView> taskViews = new ArrayList<>();
        for (ThreadMetadata t : s.metadataForLocalThreads()) {
            for (TaskMetadata task : t.activeTasks()) taskViews.add(task(task, "active", t.threadName()));
            for (TaskMetadata task : t.standbyTasks()) taskViews.add(task(task, "standby", t.threadName()));
        }
        taskViews.sort((a, b) -> a.task().compareTo(b.task()));
        List<InstanceView> instances = new ArrayList<>();
        try {
            for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
                instances.add(new InstanceView(endpoint(m.hostInfo()), m.hostInfo().equals(self),
                        facts(m.topicPartitions()), facts(m.standbyTopicPartitions())));
            }
        } catch (RuntimeException e) {
            // Not running (ERROR, shut down): the group is unknown from here; the state says why.
            log.debug("no group metadata: {}", e.toString());
        }
        instances.sort((a, b) -> a.endpoint().compareTo(b.endpoint()));
        EngineSnapshot merged = tasks.merged(now);
        Instant numbersAt = tasks.tasks().values().stream().map(EngineSnapshot::takenAt).min(Instant::compareTo)
                .orElse(null);
        List<SourceView> sources = new ArrayList<>();
        merged.sources().forEach((name, n) -> sources.add(new SourceView(name, n.watermark(),
                n.watermark() == null ? null : Duration.between(n.watermark(), now).toMillis() / 1000.0, n.stalled())));
        List<Views.RuleView> rules = new ArrayList<>();
        merged.rules().forEach((name, n) -> rules.add(Views.RuleView.of(name, n, 0, 0,
                engine.rule(name).map(r -> Views.RuleDefinition.of(r, engine.clockSkew())).orElse(null))));
        List<String> notReady = readiness();
        long uptime = ManagementFactory.getRuntimeMXBean().getUptime() / 1000;
        Instant started = Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime());
        return Router.Reply.json(200, new StatusView(Version.get(), "distributed", started, uptime,
                applicationId, s.state().name(), endpoint(self), notReady.isEmpty(), notReady, partitions,
                List.copyOf(localPartitions(s)), taskViews, instances, numbersAt, sources, rules, heartbeats.get()));
    }

    private static TaskView task(TaskMetadata task, String kind, String thread) {
        List<String> inputs = new ArrayList<>();
        for (TopicPartition tp : task.topicPartitions()) inputs.add(tp.topic() + "-" + tp.partition());
        inputs.sort(null);
        return new TaskView(task.taskId().toString(), kind, inputs, thread);
    }

    private List<Integer> facts(Set<TopicPartition> tps) {
        List<Integer> out = new ArrayList<>();
        for (TopicPartition tp : tps) if (tp.topic().equals(factsTopic)) out.add(tp.partition());
        out.sort(null);
        return out;
    }

    // ---------------------------------------------------------------------------------------------- discrepancies

    /**
     * {@code GET /api/discrepancies}: the embedded mode's parameters, pages and cursor. With {@code partitions} (sent
     * by another instance) only those partitions, which must be active here.
     */
    private Router.Reply discrepancies(Router.Request req) throws InterruptedException {
        DiscrepancyQuery q = DiscrepancyQuery.parse(req, engine, Instant.now(), Set.of(PARTITIONS));
        KafkaStreams s = queryable();
        String asked = req.query(PARTITIONS);
        if (asked != null) return Router.Reply.json(200, localPage(s, q, own(s, asked)));
        Map<HostInfo, List<Integer>> owners = owners(s);
        Map<HostInfo, CompletableFuture<JsonNode>> pages = new LinkedHashMap<>();
        for (Map.Entry<HostInfo, List<Integer>> e : owners.entrySet()) {
            if (e.getKey().equals(self)) {
                pages.put(e.getKey(), CompletableFuture.completedFuture(Json.MAPPER.valueToTree(localPage(s, q,
                        e.getValue()))));
            } else {
                pages.put(e.getKey(), ask(e.getKey(), "/api/discrepancies", query(req, e.getValue())));
            }
        }
        List<JsonNode> answered = new ArrayList<>();
        for (Map.Entry<HostInfo, CompletableFuture<JsonNode>> e : pages.entrySet()) {
            answered.add(await(e.getKey(), owners.get(e.getKey()), e.getValue()));
        }
        return Router.Reply.json(200, merge(answered, q.limit()));
    }

    /**
     * Merges pages of the same query from instances that each read their own partitions, all in id order. Only ids
     * up to the smallest {@code next} of any page are certain (beyond it, that instance has not looked yet); of
     * those the first {@code limit} are the page, and the next cursor is the last id taken, or that smallest
     * {@code next} when fewer were certain.
     */
    static ObjectNode merge(List<JsonNode> pages, int limit) {
        String bound = null;
        TreeMap<String, JsonNode> items = new TreeMap<>();
        for (JsonNode page : pages) {
            JsonNode next = page.get("next");
            if (next != null && !next.isNull() && (bound == null || next.asText().compareTo(bound) < 0)) {
                bound = next.asText();
            }
            for (JsonNode item : page.get("items")) items.put(item.get("id").asText(), item);
        }
        ArrayNode out = Json.MAPPER.createArrayNode();
        String last = null;
        boolean more = bound != null;
        for (Map.Entry<String, JsonNode> e : items.entrySet()) {
            if (bound != null && e.getKey().compareTo(bound) > 0) break;
            if (out.size() == limit) {
                more = true;
                break;
            }
            out.add(e.getValue());
            last = e.getKey();
        }
        ObjectNode page = Json.MAPPER.createObjectNode();
        page.set("items", out);
        String next = !more ? null : out.size() == limit ? last : bound;
        page.put("next", next);
        return page;
    }

    private Views.Page<Views.DiscrepancyView> localPage(KafkaStreams s, DiscrepancyQuery q, List<Integer> parts) {
        StoreReads reads = new StoreReads(s, factsTopic);
        try {
            return q.run((after, visitor) -> reads.forEachDiscrepancyAfter(parts, after, visitor));
        } catch (StoreReads.NotQueryable e) {
            throw notQueryable(e);
        }
    }

    /** {@code GET /api/discrepancies/{id}}: from the partition that has it, here or on another instance. */
    private Router.Reply discrepancy(Router.Request req) throws InterruptedException {
        for (String name : req.query().keySet()) {
            if (!name.equals(PARTITIONS)) {
                throw ApiException.badParameter(ApiException.shown(name), "unknown", "this endpoint takes no query"
                        + " parameters");
            }
        }
        String id = req.params().get(0);
        KafkaStreams s = queryable();
        String asked = req.query(PARTITIONS);
        StoreReads reads = new StoreReads(s, factsTopic);
        if (asked != null) {
            return Router.Reply.json(200, Views.DiscrepancyView.of(local(reads, id, own(s, asked))
                    .orElseThrow(() -> unknownId(id))));
        }
        Map<HostInfo, List<Integer>> owners = owners(s);
        List<Integer> mine = owners.getOrDefault(self, List.of());
        Optional<Discrepancy> here = local(reads, id, mine);
        if (here.isPresent()) return Router.Reply.json(200, Views.DiscrepancyView.of(here.get()));
        Map<HostInfo, CompletableFuture<JsonNode>> asks = new LinkedHashMap<>();
        for (Map.Entry<HostInfo, List<Integer>> e : owners.entrySet()) {
            if (e.getKey().equals(self)) continue;
            asks.put(e.getKey(), ask(e.getKey(), "/api/discrepancies/" + URLEncoder.encode(id, StandardCharsets.UTF_8),
                    PARTITIONS + "=" + join(e.getValue())));
        }
        ApiException failed = null;
        for (Map.Entry<HostInfo, CompletableFuture<JsonNode>> e : asks.entrySet()) {
            try {
                return Router.Reply.json(200, await(e.getKey(), owners.get(e.getKey()), e.getValue()));
            } catch (ApiException x) {
                if (x.status() != 404) failed = x;
            }
        }
        if (failed != null) throw failed;   // not found where we could look, but some partitions were not read
        throw unknownId(id);
    }

    private Optional<Discrepancy> local(StoreReads reads, String id, List<Integer> parts) {
        try {
            return reads.discrepancy(id, parts);
        } catch (StoreReads.NotQueryable e) {
            throw notQueryable(e);
        }
    }

    private static ApiException unknownId(String id) {
        return ApiException.notFound("no discrepancy with id '" + ApiException.shown(id) + "'",
                "take ids from GET /api/discrepancies?status=all; a resolved discrepancy is dropped with its pair"
                        + " after the retention period");
    }

    // ---------------------------------------------------------------------------------------------- plumbing

    private KafkaStreams running() {
        KafkaStreams s = streams;
        if (s == null || s.state() == KafkaStreams.State.CREATED) {
            throw new ApiException(503, "the Kafka Streams application is starting", "retry in a few seconds");
        }
        return s;
    }

    /** The application for reads of the group's stores: 503 unless it is running or rebalancing. */
    private KafkaStreams queryable() {
        KafkaStreams s = running();
        if (!s.state().isRunningOrRebalancing()) {
            throw new ApiException(503, "the Kafka Streams client is " + s.state() + ": this instance reads no stores",
                    "ask another instance; GET /api/status and the log say why this one stopped");
        }
        return s;
    }

    /**
     * Each instance's active facts partitions, every partition exactly once; 503 naming the partitions that have no
     * active owner (a rebalance, or no instance running them).
     */
    private Map<HostInfo, List<Integer>> owners(KafkaStreams s) {
        Map<HostInfo, List<Integer>> owners = new LinkedHashMap<>();
        Set<Integer> seen = new TreeSet<>();
        for (StreamsMetadata m : s.metadataForAllStreamsClients()) {
            List<Integer> parts = new ArrayList<>();
            for (int p : facts(m.topicPartitions())) if (seen.add(p)) parts.add(p);
            if (!parts.isEmpty()) owners.put(m.hostInfo(), parts);
        }
        List<Integer> missing = new ArrayList<>();
        for (int p = 0; p < partitions; p++) if (!seen.contains(p)) missing.add(p);
        if (!missing.isEmpty()) {
            throw unavailable("partitions " + missing + " of " + factsTopic + " have no active instance right now"
                    + " (Kafka Streams is " + s.state() + ")", "retry in a few seconds (a rebalance); if it persists,"
                    + " check that instances are running: GET /api/status lists them");
        }
        return owners;
    }

    /** The asked partitions ({@code 1,3}), each of which must be active here. */
    private List<Integer> own(KafkaStreams s, String asked) {
        List<Integer> parts = new ArrayList<>();
        Set<Integer> local = localPartitions(s);
        for (String p : asked.split(",")) {
            int n;
            try {
                n = Integer.parseInt(p.trim());
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 0 || n >= partitions) {
                throw ApiException.badParameter(PARTITIONS, "'" + ApiException.shown(asked) + "' is not a list of"
                        + " partitions of " + factsTopic, "an internal parameter between instances: omit it");
            }
            if (!local.contains(n)) {
                throw unavailable("partition " + n + " of " + factsTopic + " is not active on " + endpoint(self)
                        + " (any more)", "retry in a few seconds (a rebalance moved it)");
            }
            parts.add(n);
        }
        return parts;
    }

    private ApiException notQueryable(StoreReads.NotQueryable e) {
        return unavailable(e.getMessage(), "retry in a few seconds (the task is moving or restoring from its"
                + " changelog); GET /api/status shows the state");
    }

    private static ApiException unavailable(String error, String fix) {
        return new ApiException(503, error, fix);
    }

    private CompletableFuture<JsonNode> ask(HostInfo peer, String path, String query) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://" + endpoint(peer) + path
                        + (query.isEmpty() ? "" : "?" + query)))
                .timeout(PEER_TIMEOUT).GET();
        // Every instance has the same configuration, so the same token.
        if (http.token() != null) r.header("Authorization", "Bearer " + http.token());
        return peers.sendAsync(r.build(), HttpResponse.BodyHandlers.ofByteArray()).thenApply(resp -> {
            JsonNode body;
            try {
                body = Json.MAPPER.readTree(resp.body());
            } catch (java.io.IOException e) {
                throw new ApiException(502, "instance " + endpoint(peer) + " answered " + resp.statusCode()
                        + " with no JSON", "check that " + endpoint(peer) + " is a reconciler streams instance");
            }
            if (resp.statusCode() == 200) return body;
            String error = body.path("error").asText("HTTP " + resp.statusCode());
            throw new ApiException(resp.statusCode() == 404 ? 404 : 503, "instance " + endpoint(peer) + ": " + error,
                    body.path("fix").asText("retry in a few seconds"));
        });
    }

    private JsonNode await(HostInfo peer, List<Integer> parts, CompletableFuture<JsonNode> answer)
            throws InterruptedException {
        try {
            return answer.get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof ApiException a) throw a;
            log.warn("instance {} did not answer for partitions {}: {}", endpoint(peer), parts, e.getCause().toString());
            throw unavailable("instance " + endpoint(peer) + " (partitions " + parts + " of " + factsTopic
                    + ") did not answer: " + e.getCause().getMessage(), "retry; if it persists that instance is down"
                    + " or unreachable from this one, and its partitions move to other instances once the group"
                    + " notices (session.timeout.ms)");
        }
    }

    /** The request's own query, without {@code partitions}, plus the partitions asked of a peer. */
    private static String query(Router.Request req, List<Integer> parts) {
        StringBuilder b = new StringBuilder();
        req.query().forEach((name, values) -> {
            if (name.equals(PARTITIONS)) return;
            for (String v : values) {
                b.append(URLEncoder.encode(name, StandardCharsets.UTF_8)).append('=')
                        .append(URLEncoder.encode(v, StandardCharsets.UTF_8)).append('&');
            }
        });
        return b.append(PARTITIONS).append('=').append(join(parts)).toString();
    }

    private static String join(List<Integer> parts) {
        StringBuilder b = new StringBuilder();
        for (int p : parts) b.append(b.length() == 0 ? "" : ",").append(p);
        return b.toString();
    }

    private static String endpoint(HostInfo h) {
        if (h == null) return null;
        return (h.host().contains(":") ? "[" + h.host() + "]" : h.host()) + ":" + h.port();
    }

    private static void noQuery(Router.Request req) {
        for (String name : req.query().keySet()) {
            throw ApiException.badParameter(ApiException.shown(name), "unknown", "this endpoint takes no query parameters");
        }
    }
}
