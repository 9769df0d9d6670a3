package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.HttpApi;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.metrics.ReconcilerMetrics;
import dev.reconciler.app.metrics.Scrape;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

import static dev.reconciler.app.source.EndToEndScenarios.deduction;
import static dev.reconciler.app.source.EndToEndScenarios.inventorySourceOf;
import static dev.reconciler.app.source.EndToEndScenarios.open;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static dev.reconciler.app.source.EndToEndScenarios.orderSourceOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Schema changes on the flow tables while the reconciler runs, on two local MariaDB servers: harmless DDL changes
 * nothing, a new shard is picked up from its first row, and a dropped column a rule reads pauses that rule (held,
 * visible, alerted once) until the column is back.
 *
 * <p>The servers are this class's own (the DDL would disturb other classes' scenarios); each test uses its own
 * order ids and tables, and leaves the tables as the next test needs them.
 */
class SchemaChangesEndToEndTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 21, 22);

    private static final Duration GRACE = Duration.ofSeconds(2);

    static LocalMariaDb orders() {
        return DATABASES.orders();
    }

    static LocalMariaDb inventory() {
        return DATABASES.inventory();
    }

    /** sale, and cancel without a quantity check: it reads no item_count, so dropping that column leaves it running. */
    static EngineConfig config() {
        Rule cancel = ArticleRules.cancel(GRACE);
        Rule cancelByKey = new Rule(cancel.name(), cancel.left(), cancel.right(), cancel.key(), null,
                Multiplicity.ONE_TO_ONE, GRACE);
        return new EngineConfig(
                List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                List.of(ArticleRules.sale(GRACE, Multiplicity.ONE_TO_ONE), cancelByKey),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofDays(7));
    }

    static EndToEndScenarios.Session session(Path state, List<Outcome> outcomes, AlertsConfig alerts) {
        return new EndToEndScenarios.Session(config(), state, outcomes::addAll, orderSourceOf(orders()),
                inventorySourceOf(inventory()), alerts);
    }

    static long matched(List<Outcome> outcomes, String prefix) {
        return outcomes.stream().filter(o -> o instanceof Outcome.PairMatched m
                && m.key().get("order_id").startsWith(prefix)).count();
    }

    static boolean matched(List<Outcome> outcomes, String rule, String order) {
        return outcomes.stream().anyMatch(o -> o instanceof Outcome.PairMatched m && m.rule().equals(rule)
                && m.key().get("order_id").equals(order));
    }

    /** A confirmed order and its deduction, on one shard. */
    static void pair(String id, int shard) throws Exception {
        orders().execute(order(shard, id, 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        inventory().execute(deduction(id, 7, 1, "TRY_SALE"));
    }

    @Test
    void addColumnWideningAnIndexAndRenamingAnUnrelatedTableWhileTrafficFlowsChangeNothing(@TempDir Path state)
            throws Exception {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        List<String> ddl = List.of(
                "ALTER TABLE orders.trade_order_stream_0000 ADD COLUMN coupon_code VARCHAR(32) NULL",
                "ALTER TABLE orders.trade_order_stream_0001 MODIFY item_count BIGINT NOT NULL",
                "ALTER TABLE orders.trade_order_stream_0002 ADD INDEX idx_order (order_id)",
                "CREATE TABLE orders.unrelated (id INT PRIMARY KEY)",
                "RENAME TABLE orders.unrelated TO orders.unrelated_old");
        int pairs = 0;
        try (EndToEndScenarios.Session s = session(state, outcomes, null)) {
            for (int round = 0; round <= ddl.size(); round++) {
                for (int shard = 0; shard < 4; shard++) pair("A" + round + "x" + shard, shard);
                pairs += 4;
                if (round < ddl.size()) orders().execute(ddl.get(round));
            }
            inventory().execute("ALTER TABLE inventory.collection_inventory_stream MODIFY changed_quantity DECIMAL(20,0) NOT NULL");
            for (int shard = 0; shard < 4; shard++) pair("A9x" + shard, shard);
            pairs += 4;
            int expected = pairs;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(matched(outcomes, "A")).isEqualTo(expected));
            Thread.sleep(4000);   // twice grace + skew: anything that would go missing has gone by now
            assertThat(open(s.store, "A")).isEmpty();
            assertThat(outcomes).noneMatch(o -> o instanceof Outcome.RulePaused);
            assertThat(EndToEndScenarios.kinds(outcomes, "A")).as("matched, each once, and nothing else")
                    .allMatch(k -> k.startsWith("matched ")).doesNotHaveDuplicates().hasSize(expected);
        }
    }

    @Test
    void aNewShardCreatedWhileRunningIsPickedUpFromItsFirstRow(@TempDir Path state) throws Exception {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (EndToEndScenarios.Session s = session(state, outcomes, null)) {
            pair("N0", 0);
            await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "sale", "N0"));
            orders().execute("CREATE TABLE orders.trade_order_stream_0004 LIKE orders.trade_order_stream_0003");
            long started = System.nanoTime();
            pair("N1", 4);
            orders().execute(order(4, "N2", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));   // never deducted
            await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "sale", "N1"));
            System.out.printf("new shard: first pair matched %.1f s after its insert%n", (System.nanoTime() - started) / 1e9);
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(open(s.store, "N")).containsExactly("sale MISSING_RIGHT N2/7"));
            assertThat(s.orderSource.status().eventsByTable()).containsKey("trade_order_stream_0004");
        } finally {
            orders().execute("DROP TABLE IF EXISTS orders.trade_order_stream_0004");
        }
    }

    @Test
    void aDroppedQuantityColumnPausesTheRuleVisiblyUntilTheColumnIsBack(@TempDir Path state) throws Exception {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        String shard = "trade_order_stream_0003";
        try (Receiver webhook = new Receiver();
             EndToEndScenarios.Session s = session(state, outcomes, AlertsConfig.of("https://reconciler.example.test",
                     List.of(SinkConfig.of("e2e", SinkType.WEBHOOK, webhook.url()))));
             Wired api = new Wired(s)) {
            pair("P1", 3);
            await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "sale", "P1"));

            orders().execute("ALTER TABLE orders." + shard + " DROP COLUMN item_count");
            long dropped = System.nanoTime();
            // P2: an order written while the column is gone, with its deduction; P3: a deduction without order
            orders().execute(orderWithoutCount(3, "P2", "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory().execute(deduction("P2", 7, 1, "TRY_SALE"), deduction("P3", 7, 1, "TRY_SALE"));
            // cancel reads no item_count: it keeps matching, on the same shard too
            orders().execute(orderWithoutCount(3, "P4", "CANCEL", "CLOSED"));
            inventory().execute(deduction("P4", 7, 1, "CANCEL_SALE"));
            // sale pairs complete on both sides still match (on the unaffected shards)
            pair("P5", 1);

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(outcomes)
                    .filteredOn(o -> o instanceof Outcome.RulePaused).singleElement().satisfies(o -> {
                        Outcome.RulePaused p = (Outcome.RulePaused) o;
                        assertThat(p.rule()).isEqualTo("sale");
                        assertThat(p.side()).isEqualTo(Side.LEFT);
                        assertThat(p.table()).isEqualTo(shard);
                        assertThat(p.column()).isEqualTo("item_count");
                    }));
            System.out.printf("pause reported %.1f s after the DROP COLUMN%n", (System.nanoTime() - dropped) / 1e9);
            await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "cancel", "P4")
                    && matched(outcomes, "sale", "P5"));

            // visible: status, metric, one alert naming rule, table, column and binlog position
            JsonNode sale = api.rule("sale");
            assertThat(sale.get("state").asText()).isEqualTo("paused");
            JsonNode pause = sale.get("paused").get(0);
            assertThat(pause.get("table").asText()).isEqualTo(shard);
            assertThat(pause.get("column").asText()).isEqualTo("item_count");
            assertThat(pause.get("side").asText()).isEqualTo("left");
            assertThat(pause.get("position").asText()).matches(".+\\.\\d+:\\d+:\\d+");
            assertThat(pause.get("since").asText()).isNotEmpty();
            assertThat(api.rule("cancel").get("state").asText()).isEqualTo("running");
            Scrape scrape = api.scrape();
            assertThat(scrape.value("reconciler_rule_paused", "rule", "sale")).isEqualTo(1);
            assertThat(scrape.value("reconciler_rule_paused", "rule", "cancel")).isEqualTo(0);
            assertThat(scrape.value("reconciler_facts_held_total", "rule", "sale", "side", "left")).isPositive();
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ruleEvents(webhook))
                    .containsExactly("rule.paused sale " + shard + " item_count"));
            JsonNode alert = webhook.accepted().stream().map(Receiver.Request::json)
                    .filter(j -> j.get("event").asText().equals("rule.paused")).findFirst().orElseThrow();
            assertThat(alert.get("labels").get("alertname").asText()).isEqualTo("ReconcilerRulePaused");
            assertThat(alert.get("rule").get("position").asText()).isEqualTo(pause.get("position").asText());
            assertThat(alert.get("summary").asText()).contains("sale", shard, "item_count", pause.get("position").asText());

            // held, not reported: several graces pass (both watermarks move with heartbeats), nothing opens
            Thread.sleep(8000);
            assertThat(open(s.store, "P")).as("P2's and P3's deductions wait while sale is paused").isEmpty();
            assertThat(ruleEvents(webhook)).hasSize(1);

            // the column is back; the order service backfills P2's row (an UPDATE the binlog carries), which
            // resumes the rule and completes P2
            long back = System.nanoTime();
            orders().execute("ALTER TABLE orders." + shard + " ADD COLUMN item_count INT NOT NULL DEFAULT 0 AFTER goods_type",
                    "UPDATE orders." + shard + " SET item_count = 1 WHERE order_id = 'P2'");
            pair("P6", 3);
            await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "sale", "P2")
                    && matched(outcomes, "sale", "P6"));
            System.out.printf("resumed and matched %.1f s after the ADD COLUMN%n", (System.nanoTime() - back) / 1e9);
            assertThat(outcomes).filteredOn(o -> o instanceof Outcome.RuleResumed).singleElement()
                    .satisfies(o -> assertThat(((Outcome.RuleResumed) o).why()).isEqualTo(Outcome.RuleResumed.Why.COLUMN_BACK));
            // P3 never had an order: after resuming, the real watermarks judge it
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(open(s.store, "P")).containsExactly("sale MISSING_LEFT P3/7"));
            assertThat(api.rule("sale").get("state").asText()).isEqualTo("running");
            assertThat(api.scrape().value("reconciler_rule_paused", "rule", "sale")).isEqualTo(0);
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(ruleEvents(webhook))
                    .containsExactly("rule.paused sale " + shard + " item_count",
                            "rule.resumed sale " + shard + " item_count"));
        } finally {
            // leave the shard as the other tests expect it, whatever happened above
            orders().execute("ALTER TABLE orders." + shard + " ADD COLUMN IF NOT EXISTS item_count INT NOT NULL DEFAULT 1 AFTER goods_type");
        }
    }

    static String orderWithoutCount(int shard, String orderId, String streamType, String state) {
        return String.format("INSERT INTO orders.trade_order_stream_%04d (order_id, goods_id, goods_type, item_price,"
                + " order_state, stream_type) VALUES ('%s', '7', 'COLLECTION', 9.900000, '%s', '%s')",
                shard, orderId, state, streamType);
    }

    /** The webhook's rule events as {@code event rule table column}, in the order received. */
    static List<String> ruleEvents(Receiver webhook) {
        List<String> out = new ArrayList<>();
        for (Receiver.Request r : webhook.accepted()) {
            JsonNode j = r.json();
            if (!j.get("event").asText().startsWith("rule.")) continue;
            JsonNode rule = j.get("rule");
            out.add(j.get("event").asText() + " " + rule.get("name").asText() + " " + rule.get("table").asText() + " "
                    + rule.get("column").asText());
        }
        return out;
    }

    /** Metrics and the HTTP API around a session, as {@code reconciler run} wires them. */
    static final class Wired implements AutoCloseable {
        private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        private final ReconcilerMetrics metrics;
        private final HttpApi api;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        Wired(EndToEndScenarios.Session s) {
            List<Supplier<SourceStatus>> sources = List.of(s.orderSource::status, s.inventorySource::status);
            metrics = ReconcilerMetrics.attach(registry, s.pipeline, sources, s.store::approximateSizeBytes);
            api = new HttpApi(ApiConfig.defaults().withPort(0), s.pipeline, s.store, sources, metrics).start();
        }

        String get(String path) throws Exception {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(api.url() + path))
                    .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            return r.body();
        }

        JsonNode rule(String name) throws Exception {
            for (JsonNode r : Json.MAPPER.readTree(get("/api/status")).get("rules")) {
                if (r.get("name").asText().equals(name)) return r;
            }
            throw new AssertionError("no rule " + name + " in /api/status");
        }

        Scrape scrape() throws Exception {
            return new Scrape(get("/metrics"));
        }

        @Override
        public void close() {
            api.close();
            metrics.close();
            registry.close();
        }
    }
}
