package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.ManualClock;
import dev.reconciler.core.testing.OrderInventory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

/**
 * A reconciler process without databases for the API tests: a store, the engine on its pipeline thread, metrics and
 * the HTTP API on a free loopback port. Facts go in through {@link Pipeline#submit} as a source would hand them; the
 * two sources' statuses are set by the test.
 */
public final class ApiHarness implements AutoCloseable {
    public static final String TOKEN = "test-token-0123456789abcdef";
    static final ObjectMapper JSON = Json.MAPPER;

    /** A clock the test sets. */
    public final ManualClock clock = new ManualClock(OrderInventory.T0);
    public final StateStore store;
    public final Pipeline pipeline;
    public final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    public final ReconcilerMetrics metrics;
    public final HttpApi api;
    public final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    public final Map<String, AtomicReference<SourceStatus>> statuses = new TreeMap<>();
    private final Map<String, Long> positions = new HashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public ApiHarness(StateStore store, ApiConfig config) {
        this(store, config, OrderInventory.config(Duration.ofSeconds(30)));
    }

    public ApiHarness(StateStore store, ApiConfig config, EngineConfig engineConfig) {
        this.store = store;
        pipeline = new Pipeline(new ReconciliationEngine(engineConfig, store, clock), outcomes::addAll,
                Duration.ofMillis(200));
        List<Supplier<SourceStatus>> sources = new ArrayList<>();
        for (String s : engineConfig.sources()) {
            AtomicReference<SourceStatus> ref = new AtomicReference<>(status(s, SourceStatus.Phase.STREAMING, null,
                    Map.of()));
            statuses.put(s, ref);
            sources.add(ref::get);
        }
        // RocksDB knows its size; the in-memory store has none, so a fixed number stands in.
        java.util.function.LongSupplier size = store instanceof RocksDbStateStore r ? r::approximateSizeBytes : () -> 12345L;
        metrics = new ReconcilerMetrics(registry, engineConfig, pipeline::snapshot, sources, size, clock);
        ReconcilerMetrics.stateWritable(registry, pipeline);
        pipeline.addListener(metrics);
        api = new HttpApi(config.withPort(0), pipeline, store, sources, metrics).start();
    }

    public static SourceStatus status(String name, SourceStatus.Phase phase, Instant lastCommit, Map<String, Long> events) {
        return SourceStatus.of(name, SourceConfig.Flavour.MARIADB, phase, lastCommit, lastCommit, events);
    }

    // ---------------------------------------------------------------- feeding the engine

    /** Hands facts of one source to the engine and moves that source's watermark; waits for the commit. */
    public void submit(String source, Instant watermark, Fact... facts) throws Exception {
        if (watermark != null && clock.instant().isBefore(watermark)) clock.set(watermark);
        pipeline.submit(source, List.of(facts), watermark).get();
    }

    public Fact fact(String source, String table, Map<String, Object> row, Instant at) {
        long pos = positions.merge(source, 1L, Long::sum);
        return OrderInventory.fact(source, table, Operation.INSERT, row, null, at, pos * 100);
    }

    /** Moves both watermarks (and the clock, so nothing looks stalled). */
    public void watermarks(Instant at) throws Exception {
        submit(OrderInventory.ORDERS, at);
        submit(OrderInventory.INVENTORY, at);
    }

    // ---------------------------------------------------------------- HTTP

    public record Reply(int status, String body, HttpResponse<String> raw) {
        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        public String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    public Reply get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    public Reply get(String path, String token) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).header("Authorization", "Bearer " + token).GET());
    }

    public Reply post(String path, String body, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) b.header("Authorization", authorization);
        return send(b);
    }

    public Reply method(String method, String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    private URI uri(String path) {
        return URI.create(api.url() + path);
    }

    private Reply send(HttpRequest.Builder b) throws Exception {
        HttpResponse<String> r = http.send(b.timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r);
    }

    @Override
    public void close() {
        api.close();
        metrics.close();
        pipeline.close();
        store.close();
        registry.close();
    }

    /**
     * Writes {@code n} open sale {@code MISSING_RIGHT} discrepancies (keys {@code K0}, {@code K1}, ... with goods 42)
     * to {@code store}, 10,000 to a batch: a large state for the paging and console tests.
     */
    static void putOpenDiscrepancies(StateStore store, int n) {
        StateWrite w = new StateWrite();
        for (int i = 0; i < n; i++) {
            List<String> key = List.of("K" + i, "42");
            Map<String, String> keyMap = new java.util.LinkedHashMap<>();
            keyMap.put("order_id", key.get(0));
            keyMap.put("goods_id", key.get(1));
            w.putDiscrepancy(new Discrepancy(Discrepancy.idOf("sale", key, DiscrepancyType.MISSING_RIGHT, 1), "sale",
                    DiscrepancyType.MISSING_RIGHT, keyMap, 1, dev.reconciler.core.discrepancy.Status.OPEN, OrderInventory.T0, null, null,
                    null, List.of(), List.of()));
            if (w.ops().size() == 10_000) {
                store.write(w);
                w = new StateWrite();
            }
        }
        if (!w.ops().isEmpty()) store.write(w);
    }
}
