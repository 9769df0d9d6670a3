package dev.reconciler.app.metrics;

import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.ApiHarness;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.state.InMemoryStateStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Metric values from real scrapes of {@code /metrics} along one scripted history on the article's rules (grace
 * 30 s, clock skew 2 s, stall bound 1 min): an order waits, is reported MISSING_RIGHT, its deduction arrives late
 * and resolves it and the pair matches; the inventory source then stalls.
 */
class ReconcilerMetricsTest {

    static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    static Scrape scrape(ApiHarness h) throws Exception {
        ApiHarness.Reply r = h.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        return new Scrape(r.body());
    }

    @Test
    void aDiscrepancyOpenedAndResolvedShowsInCountersAndGauges() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            Scrape s = scrape(h);
            for (DiscrepancyType t : DiscrepancyType.values()) {
                assertThat(s.value("reconciler_discrepancies_total", "rule", "sale", "type", t.name())).isZero();
                assertThat(s.value("reconciler_discrepancies_open", "rule", "cancel", "type", t.name())).isZero();
                for (Resolution r : Resolution.values()) {
                    assertThat(s.value("reconciler_discrepancies_resolved_total", "rule", "sale", "type", t.name(),
                            "reason", r.name())).as("every series exists from the start").isZero();
                }
            }
            assertThat(s.value("reconciler_reconciled_until_timestamp_seconds", "rule", "sale")).isNaN();
            assertThat(s.value("reconciler_source_watermark_timestamp_seconds", "source", ORDERS)).isNaN();

            // 1. an order, and one whose order_id is blank: it matches the filter but can pair with nothing
            h.submit(ORDERS, at(1), h.fact(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), at(0)),
                    h.fact(ORDERS, shard(1), orderRow(2, " ", "42", "CONFIRM", "CONFIRM", 1, 0), at(0)));
            s = scrape(h);
            assertThat(s.value("reconciler_facts_total", "rule", "sale", "side", "left")).as("the keyed one").isEqualTo(1);
            assertThat(s.value("reconciler_facts_without_key_total", "rule", "sale", "side", "left")).isEqualTo(1);
            assertThat(s.value("reconciler_pending_pairs", "rule", "sale", "side", "left")).isEqualTo(1);
            assertThat(s.value("reconciler_pending_pairs", "rule", "sale", "side", "right")).isZero();

            // 2. both watermarks pass 0 + grace 30 s + skew 2 s: MISSING_RIGHT opens
            h.watermarks(at(40));
            s = scrape(h);
            assertThat(s.value("reconciler_discrepancies_total", "rule", "sale", "type", "MISSING_RIGHT")).isEqualTo(1);
            assertThat(s.value("reconciler_discrepancies_open", "rule", "sale", "type", "MISSING_RIGHT")).isEqualTo(1);
            assertThat(s.value("reconciler_pending_pairs", "rule", "sale", "side", "left")).isZero();
            assertThat(s.value("reconciler_source_watermark_timestamp_seconds", "source", ORDERS)).isEqualTo(at(40).getEpochSecond());
            assertThat(s.value("reconciler_reconciled_until_timestamp_seconds", "rule", "sale"))
                    .isEqualTo(at(40 - 32).getEpochSecond());

            // 3. the deduction arrives late (committed at 45 s, decided at 47 s): resolved, and the pair matches
            h.clock.set(at(47));
            h.submit(INVENTORY, at(46), h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), at(45)));
            s = scrape(h);
            assertThat(s.value("reconciler_discrepancies_resolved_total", "rule", "sale", "type", "MISSING_RIGHT",
                    "reason", "COUNTERPART_ARRIVED")).isEqualTo(1);
            assertThat(s.value("reconciler_discrepancies_open", "rule", "sale", "type", "MISSING_RIGHT")).isZero();
            assertThat(s.value("reconciler_discrepancies_total", "rule", "sale", "type", "MISSING_RIGHT"))
                    .as("a counter: still 1 after the resolution").isEqualTo(1);
            assertThat(s.value("reconciler_matches_total", "rule", "sale")).isEqualTo(1);
            assertThat(s.value("reconciler_matches_total", "rule", "cancel")).isZero();
            assertThat(s.value("reconciler_facts_total", "rule", "sale", "side", "right")).isEqualTo(1);
            assertThat(s.value("reconciler_match_latency_seconds_count", "rule", "sale")).isEqualTo(1);
            assertThat(s.value("reconciler_match_latency_seconds_sum", "rule", "sale")).isEqualTo(2.0);
            assertThat(s.value("reconciler_match_latency_seconds_bucket", "rule", "sale", "le", "1.0")).isZero();
            assertThat(s.value("reconciler_match_latency_seconds_bucket", "rule", "sale", "le", "2.5")).isEqualTo(1);
            assertThat(s.value("reconciler_source_watermark_timestamp_seconds", "source", INVENTORY)).isEqualTo(at(46).getEpochSecond());
            assertThat(s.value("reconciler_state_size_bytes")).isEqualTo(12345);
            assertThat(s.value("reconciler_source_stalled", "source", INVENTORY)).isZero();

            // 4. sources as their status says: events per table, connected, lag from the newest commit
            h.statuses.get(ORDERS).set(ApiHarness.status(ORDERS, SourceStatus.Phase.STREAMING, at(42),
                    Map.of("trade_order_stream_0000", 1L, "trade_order_stream_0001", 1L)));
            h.statuses.get(INVENTORY).set(ApiHarness.status(INVENTORY, SourceStatus.Phase.RECONNECTING, at(45),
                    Map.of(INVENTORY_TABLE, 1L)));
            s = scrape(h);
            assertThat(s.value("reconciler_events_total", "source", ORDERS, "table", "trade_order_stream_\\d{4}"))
                    .as("one series for the sharded stream: the configured table entry, summed over its shards")
                    .isEqualTo(2);
            assertThat(s.find("reconciler_events_total", "source", ORDERS)).hasSize(1);
            assertThat(s.value("reconciler_events_total", "source", INVENTORY, "table", INVENTORY_TABLE)).isEqualTo(1);
            assertThat(s.value("reconciler_source_connected", "source", ORDERS)).isEqualTo(1);
            assertThat(s.value("reconciler_source_connected", "source", INVENTORY)).isZero();
            assertThat(s.value("reconciler_source_lag_seconds", "source", ORDERS)).isEqualTo(5.0);
            assertThat(s.value("reconciler_source_lag_seconds", "source", INVENTORY)).isEqualTo(2.0);

            // 5. the wall clock runs on while the inventory watermark stands: the next tick reports it stalled
            h.clock.set(at(46).plus(Duration.ofMinutes(2)));
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(scrape(h).value("reconciler_source_stalled", "source", INVENTORY)).isEqualTo(1));
        }
    }

    /** The names before the Prometheus naming pass stay for one release, with the same value (CHANGELOG.md). */
    @Test
    void renamedMetricsAreStillExportedUnderTheirOldNamesForOneRelease() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            h.submit(ORDERS, at(1), h.fact(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), at(0)));
            h.watermarks(at(20));
            Scrape s = scrape(h);
            assertThat(s.value("reconciler_pending", "rule", "sale", "side", "left"))
                    .isEqualTo(s.value("reconciler_pending_pairs", "rule", "sale", "side", "left")).isEqualTo(1);
            assertThat(s.value("reconciler_watermark_seconds", "source", ORDERS))
                    .isEqualTo(s.value("reconciler_source_watermark_timestamp_seconds", "source", ORDERS))
                    .isEqualTo(at(20).getEpochSecond());
            assertThat(s.value("reconciler_reconciled_until_seconds", "rule", "sale"))
                    .isEqualTo(s.value("reconciler_reconciled_until_timestamp_seconds", "rule", "sale"))
                    .isEqualTo(at(20 - 32).getEpochSecond());
        }
    }

    /** metrics.perTable: one series per shard, for finding a hot or broken one. */
    @Test
    void perTableGivesOneEventsSeriesPerShard() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            List<Supplier<SourceStatus>> sources = List.of(() -> h.statuses.get(ORDERS).get());
            try (ReconcilerMetrics detail = new ReconcilerMetrics(registry, h.pipeline.config(), new MetricsConfig(true),
                    h.pipeline::snapshot, sources, () -> 0, h.clock)) {
                h.statuses.get(ORDERS).set(ApiHarness.status(ORDERS, SourceStatus.Phase.STREAMING, at(1),
                        Map.of("trade_order_stream_0000", 3L, "trade_order_stream_0001", 4L)));
                Scrape s = new Scrape(detail.scrape());
                assertThat(s.value("reconciler_events_total", "source", ORDERS, "table", "trade_order_stream_0000"))
                        .isEqualTo(3);
                assertThat(s.value("reconciler_events_total", "source", ORDERS, "table", "trade_order_stream_0001"))
                        .isEqualTo(4);
            } finally {
                registry.close();
            }
        }
    }

    /** reconciler_build_info: 1, with the version the build stamped and the runtime's. */
    @Test
    void buildInfoNamesTheRunningBuild() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            Scrape s = scrape(h);
            assertThat(s.value("reconciler_build_info", "version", dev.reconciler.app.Version.get(),
                    "java_version", System.getProperty("java.version"))).isEqualTo(1);
            assertThat(s.find("reconciler_build_info")).singleElement().satisfies(x -> {
                assertThat(x.labels()).containsKeys("revision", "debezium_version");
                assertThat(x.labels().get("version")).isNotEqualTo("unknown");
                assertThat(x.labels().get("debezium_version")).startsWith("3.");
            });
        }
    }
}
