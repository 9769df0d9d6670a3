package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.HttpApi;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import dev.reconciler.app.metrics.Scrape;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/** Metrics and the HTTP API wired around a running end-to-end {@code Session}, as {@code reconciler run} will. */
final class ApiEndToEnd {
    private ApiEndToEnd() {
    }

    /** Scrapes /metrics and reads /api/discrepancies and /health/ready of a session whose sources both stream. */
    static void check(EndToEndScenarios.Session s, List<String> expectedOpenOrders) throws Exception {
        List<Supplier<SourceStatus>> sources = List.of(s.orderSource::status, s.inventorySource::status);
        RocksDbStateStore store = s.store;
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (ReconcilerMetrics metrics = ReconcilerMetrics.attach(registry, s.pipeline, sources, store::approximateSizeBytes);
             HttpApi api = new HttpApi(ApiConfig.defaults().withPort(0), s.pipeline, store, sources, metrics).start()) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            Scrape scrape = new Scrape(get(http, api.url() + "/metrics").body());
            for (String source : List.of("orders", "inventory")) {
                assertThat(scrape.value("reconciler_source_lag_seconds", "source", source)).as(source).isFinite()
                        .isLessThan(60);
                assertThat(scrape.value("reconciler_source_connected", "source", source)).as(source).isEqualTo(1);
                assertThat(scrape.value("reconciler_source_watermark_timestamp_seconds", "source", source)).as(source).isFinite();
                assertThat(scrape.find("reconciler_events_total", "source", source)).as(source).isNotEmpty()
                        .allMatch(x -> x.value() > 0);
            }
            // four shards, one series: the configured table entry, not one per shard (metrics.perTable is off)
            assertThat(scrape.find("reconciler_events_total", "source", "orders")).singleElement()
                    .satisfies(x -> assertThat(x.labels()).containsEntry("table", "trade_order_stream_\\d{4}"));
            // Debezium's own streaming metrics, read from its MBeans, per source
            for (String source : List.of("orders", "inventory")) {
                assertThat(scrape.value("reconciler_debezium_connected", "source", source)).as(source).isEqualTo(1);
                assertThat(scrape.value("reconciler_debezium_queue_capacity_events", "source", source)).as(source)
                        .isPositive();
                assertThat(scrape.value("reconciler_debezium_queue_remaining_events", "source", source)).as(source)
                        .isBetween(0.0, scrape.value("reconciler_debezium_queue_capacity_events", "source", source));
                assertThat(scrape.value("reconciler_debezium_events_seen_total", "source", source)).as(source)
                        .isPositive();
                assertThat(scrape.value("reconciler_debezium_behind_source_seconds", "source", source)).as(source)
                        .isFinite().isLessThan(60);
                assertThat(scrape.value("reconciler_debezium_since_last_event_seconds", "source", source)).as(source)
                        .isFinite().isLessThan(60);
            }
            assertThat(scrape.value("reconciler_state_size_bytes")).isPositive();

            assertThat(get(http, api.url() + "/health/ready").statusCode()).isEqualTo(200);
            JsonNode items = new ObjectMapper().readTree(get(http, api.url() + "/api/discrepancies?rule=sale").body())
                    .get("items");
            List<String> open = new java.util.ArrayList<>();
            items.forEach(i -> open.add(i.get("key").get("order_id").asText()));
            assertThat(open).containsAll(expectedOpenOrders);
        } finally {
            registry.close();
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
