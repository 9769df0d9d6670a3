package dev.reconciler.app.source;

import dev.reconciler.app.alert.AlertService;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.alert.SinkType;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.Condition;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Filter;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.SideSpec;
import dev.reconciler.core.rule.StreamDef;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The end-to-end scenarios every database flavour must pass: two database servers (orders: four shards;
 * inventory), one embedded Debezium engine each, the engine on RocksDB; rows committed in the two databases are
 * reconciled end to end. A subclass starts the servers ({@link MariaDbEndToEndTest} on local MariaDB,
 * {@link MySql84EndToEndTest} on MySQL 8.4 containers) and adds what only it can do (stopping a server).
 *
 * <p>The servers live as long as the test class; each test uses its own order ids (a prefix) and its own state
 * directory, so each session snapshots what earlier tests committed and ignores it.
 */
abstract class EndToEndScenarios {

    /** The order database's server (database {@code orders}); started by the subclass. */
    abstract TestDatabase orders();

    /** The inventory database's server (database {@code inventory}); started by the subclass. */
    abstract TestDatabase inventory();

    /** {@code database} with the four order shards of docs/domain.md (the columns the tests and the preset use). */
    /** The order flow in database {@code orders} of one server, the inventory flow in {@code inventory} of the other. */
    static void createSchemas(TestDatabase orders, TestDatabase inventory) throws Exception {
        createOrderSchema(orders, "orders");
        createInventorySchema(inventory, "inventory");
    }

    static void createOrderSchema(TestDatabase db, String database) throws Exception {
        List<String> ddl = new ArrayList<>(List.of("CREATE DATABASE IF NOT EXISTS " + database));
        for (int i = 0; i < 4; i++) {
            ddl.add(String.format("CREATE TABLE %s.trade_order_stream_%04d (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                    + " gmt_create DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
                    + " gmt_modified DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),"
                    + " order_id VARCHAR(32) NOT NULL, buyer_id VARCHAR(32), goods_id VARCHAR(32) NOT NULL,"
                    + " goods_type VARCHAR(32) NOT NULL, item_count INT NOT NULL, item_price DECIMAL(18,6),"
                    + " order_state VARCHAR(32) NOT NULL, stream_type VARCHAR(128) NOT NULL,"
                    + " stream_identifier VARCHAR(128), deleted TINYINT NOT NULL DEFAULT 0)", database, i));
        }
        db.execute(ddl.toArray(String[]::new));
    }

    /** {@code database} with docs/domain.md's inventory flow table. */
    static void createInventorySchema(TestDatabase db, String database) throws Exception {
        db.execute("CREATE DATABASE IF NOT EXISTS " + database,
                "CREATE TABLE " + database + ".collection_inventory_stream (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,"
                        + " gmt_create DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),"
                        + " gmt_modified DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),"
                        + " collection_id BIGINT NOT NULL, changed_quantity BIGINT NOT NULL, price DECIMAL(18,6),"
                        + " stream_type VARCHAR(128) NOT NULL, identifier VARCHAR(128) NOT NULL, state VARCHAR(32),"
                        + " deleted INT NOT NULL DEFAULT 0)");
    }

    static String order(int shard, String orderId, long goods, int count, String streamType, String state) {
        return String.format("INSERT INTO orders.trade_order_stream_%04d (order_id, goods_id, goods_type, item_count,"
                + " item_price, order_state, stream_type) VALUES ('%s', '%d', 'COLLECTION', %d, 9.900000, '%s', '%s')",
                shard, orderId, goods, count, state, streamType);
    }

    static String deduction(String orderId, long goods, long quantity, String streamType) {
        return String.format("INSERT INTO inventory.collection_inventory_stream (collection_id, changed_quantity,"
                + " price, stream_type, identifier) VALUES (%d, %d, 9.900000, '%s', '%s')", goods, quantity, streamType,
                orderId);
    }

    static SourceConfig source(String name, TestDatabase db, String database, String tables, long serverId) {
        return source(name, db, database, List.of(tables), serverId);
    }

    static SourceConfig source(String name, TestDatabase db, String database, List<String> tables, long serverId) {
        return new SourceConfig(name, db.flavour(), db.host(), db.port(), db.user(), db.password(),
                List.of(database), tables, serverId, SourceConfig.Snapshot.INITIAL,
                database + ".reconciler_heartbeat", Duration.ofMillis(500));
    }

    SourceConfig orderSource() {
        return orderSourceOf(orders());
    }

    SourceConfig inventorySource() {
        return inventorySourceOf(inventory());
    }

    /** The order flow of {@code db}: every shard {@code orders.trade_order_stream_NNNN}, new ones included. */
    static SourceConfig orderSourceOf(TestDatabase db) {
        return source("orders", db, "orders", "orders\\.trade_order_stream_\\d{4}", 5411);
    }

    static SourceConfig inventorySourceOf(TestDatabase db) {
        return source("inventory", db, "inventory", "inventory\\.collection_inventory_stream", 5412);
    }

    /** A session on the scenario's two databases. */
    Session session(EngineConfig config, Path state, List<Outcome> outcomes) {
        return new Session(config, state, outcomes, orderSource(), inventorySource());
    }

    @Test
    void rowsCommittedInTwoDatabasesAreReconciledEndToEnd(@TempDir Path state) throws Exception {
        // committed before the reconciler starts: read by the snapshot
        orders().execute(order(0, "O0", 42, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        inventory().execute(deduction("O0", 42, 1, "TRY_SALE"));

        EngineConfig config = saleAndCancel(Duration.ofSeconds(3));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session session = session(config, state, outcomes)) {
            RocksDbStateStore store = session.store;

            // normal traffic over the shards, and the article's faults
            orders().execute(order(1, "O1", 42, 2, "CREATE", "CREATE"), order(1, "O1", 42, 2, "CONFIRM", "CONFIRM"),
                    order(2, "O2", 43, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(3, "O4", 42, 3, "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory().execute(deduction("O1", 42, 2, "TRY_SALE"), deduction("O3", 44, 1, "TRY_SALE"),
                    deduction("O4", 42, 2, "TRY_SALE"), deduction("", 42, 5, "MODIFY_PRICE"));

            long waitStarted = System.nanoTime();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                    assertThat(open(store, "O")).containsExactlyInAnyOrder(
                            "sale MISSING_RIGHT O2/43",      // confirmed, inventory never deducted
                            "sale MISSING_LEFT O3/44",       // deducted, no order
                            "sale QUANTITY_MISMATCH O4/42 -1"));   // deducted short
            System.out.printf("reconciled %.1f s after the inserts; outcomes: %s%n",
                    (System.nanoTime() - waitStarted) / 1e9, outcomes.stream().map(x -> x.getClass().getSimpleName()).toList());
            assertThat(outcomes).as("heartbeats keep both watermarks moving").noneMatch(x -> x instanceof Outcome.SourceStalled);
            SourceStatus orderStatus = session.orderSource.status();
            assertThat(orderStatus.phase()).isEqualTo(SourceStatus.Phase.STREAMING);
            assertThat(orderStatus.connected()).isTrue();
            assertThat(orderStatus.snapshotRows()).as("O0 was read by the snapshot").isPositive();
            assertThat(orderStatus.eventsByTable()).containsKeys("trade_order_stream_0000", "trade_order_stream_0001",
                    "trade_order_stream_0002", "trade_order_stream_0003");
            assertThat(orderStatus.lastCommit()).isAfter(Instant.now().minusSeconds(30));
            assertThat(outcomes).filteredOn(x -> x instanceof Outcome.PairMatched)
                    .extracting(x -> ((Outcome.PairMatched) x).key().get("order_id"))
                    .filteredOn(id -> id.startsWith("O"))
                    .containsExactlyInAnyOrder("O0", "O1");
            ApiEndToEnd.check(session, List.of("O2", "O3", "O4"));   // /metrics, /api and /health on this session
        }
    }

    @Test
    void aRestartedReconcilerResumesWhereItStoppedAndLosesOrRepeatsNothing(@TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(30));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        // run 1: some orders, one without deduction
        try (Session s = session(config, state, outcomes)) {
            orders().execute(order(0, "R1", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(1, "R2", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory().execute(deduction("R1", 7, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(open(s.store, "R")).containsExactly("sale MISSING_RIGHT R2/7"));
        }
        // while it is down: the late deduction for R2, a new matched pair, a new orphan deduction
        inventory().execute(deduction("R2", 7, 1, "TRY_SALE"), deduction("R3", 7, 1, "TRY_SALE"),
                deduction("R4", 7, 1, "TRY_SALE"));
        orders().execute(order(2, "R3", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        // run 2: same state directory, same offsets
        try (Session s = session(config, state, outcomes)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                    assertThat(open(s.store, "R")).containsExactly("sale MISSING_LEFT R4/7"));
        }
        assertThat(kinds(outcomes, "R")).containsExactlyInAnyOrder("matched R1", "opened MISSING_RIGHT R2",
                "resolved MISSING_RIGHT R2", "matched R2", "matched R3", "opened MISSING_LEFT R4");
    }

    @Test
    void eachOfTheArticlesFaultsIsFoundExactlyOnceAndNormalTrafficIsQuiet(@TempDir Path state) throws Exception {
        EngineConfig config = saleAndCancel(Duration.ofSeconds(2));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Receiver webhook = new Receiver();
             Session s = new Session(config, state, outcomes::addAll, orderSource(), inventorySource(),
                     AlertsConfig.of("https://reconciler.example.test", List.of(
                             SinkConfig.of("e2e", SinkType.WEBHOOK, webhook.url()).withSecret("e2e-secret"))))) {
            orders().execute(
                    order(0, "F1", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"), order(0, "F1", 1, 1, "CANCEL", "CLOSED"),
                    order(1, "F2", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(2, "F3", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(3, "F4", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(0, "F5", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(1, "F6", 1, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    // normal: confirmed, paid, then closed with its release; nothing to report
                    order(2, "F7", 1, 2, "CREATE", "CREATE"), order(2, "F7", 1, 2, "CONFIRM", "CONFIRM"),
                    order(2, "F7", 1, 2, "PAY", "PAID"), order(2, "F7", 1, 2, "TIME_OUT", "CLOSED"));
            inventory().execute(
                    deduction("F1", 1, 1, "TRY_SALE"),                                   // F1: cancel, no release
                    deduction("F2", 1, 1, "TRY_SALE"), deduction("F2", 1, 1, "CANCEL_SALE"),   // F2: release, no cancel
                    deduction("F3", 1, 1, "TRY_SALE"), deduction("F3", 1, 1, "TRY_SALE"),      // F3: deducted twice
                    deduction("F4", 1, 3, "TRY_SALE"),                                   // F4: deducted over
                    deduction("F5", 1, 1, "TRY_SALE"),                                   // F5: deleted below
                    deduction("F7", 1, 2, "FREEZE_INVENTORY"), deduction("F7", 1, 2, "UNFREEZE_AND_SALE"),
                    deduction("F7", 1, 2, "CANCEL_SALE"));
            inventory().execute("UPDATE inventory.collection_inventory_stream SET deleted = 1 WHERE identifier = 'F5'");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(open(s.store, "F")).contains(
                    "sale MISSING_RIGHT F6/1"));
            inventory().execute(deduction("F6", 1, 1, "TRY_SALE"));                     // F6: late, resolves
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(open(s.store, "F"))
                    .containsExactlyInAnyOrder(
                            "cancel MISSING_RIGHT F1/1",
                            "cancel MISSING_LEFT F2/1",
                            "sale DUPLICATE_RIGHT F3/1",
                            "sale QUANTITY_MISMATCH F4/1 2",
                            "sale MISSING_RIGHT F5/1"));
            assertThat(outcomes).filteredOn(x -> x instanceof Outcome.DiscrepancyResolved)
                    .extracting(EndToEndScenarios::kind).containsExactly("resolved MISSING_RIGHT F6");
            assertThat(outcomes).filteredOn(x -> x instanceof Outcome.DiscrepancyOpened)
                    .extracting(EndToEndScenarios::kind).filteredOn(k -> k.contains(" F"))
                    .as("each exactly once").doesNotHaveDuplicates().hasSize(6);
            // and a webhook receiver was told of each through the alert outbox, and of F6's resolution after its opening
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(webhook.accepted())
                    .extracting(r -> r.json().get("event").asText() + " " + r.json().get("discrepancy").get("rule").asText()
                            + " " + r.json().get("discrepancy").get("type").asText() + " "
                            + r.json().get("discrepancy").get("key").get("order_id").asText())
                    .filteredOn(e -> e.matches(".* F[1-7]$"))
                    .containsSubsequence("discrepancy.opened sale MISSING_RIGHT F6", "discrepancy.resolved sale MISSING_RIGHT F6")
                    .contains("discrepancy.opened cancel MISSING_RIGHT F1", "discrepancy.opened cancel MISSING_LEFT F2",
                            "discrepancy.opened sale DUPLICATE_RIGHT F3", "discrepancy.opened sale QUANTITY_MISMATCH F4",
                            "discrepancy.opened sale MISSING_RIGHT F5")
                    .hasSize(7));
        }
    }

    @Test
    void aColumnTheRulesOrStreamsNeedButATableLacksStopsNoSourceButPausesTheRuleThatReadsIt(@TempDir Path state)
            throws Exception {
        // the order stream keeps a column no shard has; the sale rule filters deductions on a column the inventory
        // table lacks
        StreamDef orderStream = ArticleRules.orderStream("orders");
        List<String> kept = new ArrayList<>(orderStream.columns());
        kept.add("coupon_code");
        Rule sale = ArticleRules.sale(Duration.ofSeconds(2), Multiplicity.ONE_TO_ONE);
        List<Condition> right = new ArrayList<>(sale.right().filter().all());
        right.add(Condition.eq("warehouse", "W1"));
        Rule saleFromW1 = new Rule(sale.name(), sale.left(), new SideSpec(sale.right().stream(), new Filter(right)),
                sale.key(), sale.quantity(), sale.multiplicity(), sale.grace());
        EngineConfig config = new EngineConfig(
                List.of(orderStream.keeping(kept), ArticleRules.inventoryStream("inventory")), List.of(saleFromW1));

        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Pipeline pipeline = new Pipeline(new ReconciliationEngine(config, new InMemoryStateStore(),
                Clock.systemUTC()), outcomes::addAll, Duration.ofSeconds(1));
             DebeziumSource orderSource = new DebeziumSource(orderSource(), config, state, pipeline);
             DebeziumSource inventorySource = new DebeziumSource(inventorySource(), config, state, pipeline)) {
            // Not a reason to stop a source (its other rules could run, and a migration may add the column): both
            // stream, the start-up check logs the columns, and the rule that reads a missing one pauses, saying so.
            orderSource.start();
            inventorySource.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> orderSource.status().phase() == SourceStatus.Phase.STREAMING
                    && inventorySource.status().phase() == SourceStatus.Phase.STREAMING);
            inventory().execute(deduction("MC1", 5, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(o ->
                    o instanceof Outcome.RulePaused p && p.rule().equals("sale") && p.column().equals("warehouse")
                            && p.table().equals("collection_inventory_stream")));
        }
    }

    @Test
    void theSnapshotLookBackReadsOnlyRowsChangedWithinIt(@TempDir Path state) throws Exception {
        orders().execute(
                order(0, "L1", 5, 1, "CREATE_AND_CONFIRM", "CONFIRM"),   // old pair: neither side is read
                order(1, "L2", 5, 1, "CREATE_AND_CONFIRM", "CONFIRM"),   // recent pair: matched
                order(2, "L3", 5, 1, "CREATE_AND_CONFIRM", "CONFIRM"),   // old order, recent deduction
                order(3, "L4", 5, 1, "CREATE_AND_CONFIRM", "CONFIRM"));  // recent order, old deduction
        inventory().execute(deduction("L1", 5, 1, "TRY_SALE"), deduction("L2", 5, 1, "TRY_SALE"),
                deduction("L3", 5, 1, "TRY_SALE"), deduction("L4", 5, 1, "TRY_SALE"));
        for (int shard = 0; shard < 4; shard++) {
            orders().execute(String.format("UPDATE orders.trade_order_stream_%04d SET gmt_modified = NOW(3) - INTERVAL 3 DAY"
                    + " WHERE order_id IN ('L1', 'L3')", shard));
        }
        inventory().execute("UPDATE inventory.collection_inventory_stream SET gmt_modified = NOW(3) - INTERVAL 3 DAY"
                + " WHERE identifier IN ('L1', 'L4')");

        EngineConfig config = saleRule(Duration.ofSeconds(30));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        Duration lookback = Duration.ofDays(1);
        try (Session s = new Session(config, state, outcomes, orderSource().withSnapshotLookback(lookback, null),
                inventorySource().withSnapshotLookback(lookback, "gmt_modified"))) {
            // The price of the look-back: a counterpart older than it is not read, so its pair reads as missing.
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(open(s.store, "L"))
                    .containsExactlyInAnyOrder("sale MISSING_LEFT L3/5", "sale MISSING_RIGHT L4/5"));
            // An old row that changes after the start is streamed like any other and completes its pair.
            orders().execute("UPDATE orders.trade_order_stream_0002 SET buyer_id = 'B3' WHERE order_id = 'L3'");
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> assertThat(open(s.store, "L"))
                    .containsExactly("sale MISSING_RIGHT L4/5"));
        }
        assertThat(kinds(outcomes, "L")).as("nothing at all about L1: neither of its old rows was read")
                .containsExactlyInAnyOrder("matched L2", "opened MISSING_LEFT L3", "opened MISSING_RIGHT L4",
                        "resolved MISSING_LEFT L3", "matched L3");
    }

    /** Both article rules between the two databases, clock skew 1 s, stall bound 30 s. */
    static EngineConfig saleAndCancel(Duration grace) {
        return new EngineConfig(
                List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                List.of(ArticleRules.sale(grace, Multiplicity.ONE_TO_ONE), ArticleRules.cancel(grace)),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofDays(7));
    }

    /** The sale rule between the two databases, grace 2 s, clock skew 1 s. */
    static EngineConfig saleRule(Duration stallAfter) {
        return new EngineConfig(
                List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                List.of(ArticleRules.sale(Duration.ofSeconds(2), Multiplicity.ONE_TO_ONE)),
                Duration.ofSeconds(1), stallAfter, Duration.ofDays(7));
    }

    /** A reconciler process: state store, engine, pipeline and both sources; closing it is a clean stop. */
    static final class Session implements AutoCloseable {
        final RocksDbStateStore store;
        final Pipeline pipeline;
        final DebeziumSource orderSource;
        final DebeziumSource inventorySource;
        /** Alerts, when the session was given sinks; started before the sources, as the application does. */
        final AlertService alerts;
        private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

        Session(EngineConfig config, Path state, List<Outcome> outcomes, SourceConfig orders, SourceConfig inventory) {
            this(config, state, (Consumer<List<Outcome>>) outcomes::addAll, orders, inventory);
        }

        /** @param outcomes called on the engine thread with each batch's outcomes, once its state is committed */
        Session(EngineConfig config, Path state, Consumer<List<Outcome>> outcomes, SourceConfig orders,
                SourceConfig inventory) {
            this(config, state, outcomes, orders, inventory, null);
        }

        /** @param alertsConfig alert sinks fed from the outcome journal; null for none */
        Session(EngineConfig config, Path state, Consumer<List<Outcome>> outcomes, SourceConfig orders,
                SourceConfig inventory, AlertsConfig alertsConfig) {
            this(config, state, outcomes, orders, inventory, alertsConfig, RocksDbStateStore.Options.defaults());
        }

        /** @param storeOptions the state store's tuning (small memtables for a small file system) */
        Session(EngineConfig config, Path state, Consumer<List<Outcome>> outcomes, SourceConfig orders,
                SourceConfig inventory, AlertsConfig alertsConfig, RocksDbStateStore.Options storeOptions) {
            store = RocksDbStateStore.open(state.resolve("rocksdb"), storeOptions);
            pipeline = new Pipeline(new ReconciliationEngine(config, store, Clock.systemUTC()), outcomes,
                    Duration.ofSeconds(1));
            alerts = alertsConfig == null ? null : AlertService.attach(alertsConfig, pipeline, store, registry);
            orderSource = new DebeziumSource(orders, config, state, pipeline);
            inventorySource = new DebeziumSource(inventory, config, state, pipeline);
            try {
                orderSource.start();
                inventorySource.start();
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        @Override
        public void close() {
            orderSource.close();
            inventorySource.close();
            if (alerts != null) alerts.close();
            pipeline.close();
            store.close();
            registry.close();
        }
    }

    /** Open discrepancies of the orders whose id starts with {@code prefix} (each test uses its own orders). */
    static List<String> open(RocksDbStateStore store, String prefix) {
        List<String> open = new ArrayList<>();
        store.forEachDiscrepancy(d -> {
            if (d.status() == Status.OPEN && d.key().get("order_id").startsWith(prefix)) open.add(describe(d));
        });
        return open;
    }

    /** Pair and discrepancy outcomes of the orders whose id starts with {@code prefix}, as short text. */
    static List<String> kinds(List<Outcome> outcomes, String prefix) {
        return outcomes.stream().filter(x -> !(x instanceof Outcome.SourceStalled || x instanceof Outcome.SourceRecovered))
                .map(EndToEndScenarios::kind).filter(k -> k.split(" ")[k.split(" ").length - 1].startsWith(prefix))
                .toList();
    }

    static String kind(Outcome o) {
        if (o instanceof Outcome.PairMatched m) return "matched " + m.key().get("order_id");
        if (o instanceof Outcome.DiscrepancyOpened x) return "opened " + x.discrepancy().type() + " " + x.discrepancy().key().get("order_id");
        if (o instanceof Outcome.DiscrepancyResolved x) return "resolved " + x.discrepancy().type() + " " + x.discrepancy().key().get("order_id");
        return o.toString();
    }

    static String describe(Discrepancy d) {
        return d.rule() + " " + d.type() + " " + d.key().get("order_id") + "/" + d.key().get("goods_id")
                + (d.difference() == null ? "" : " " + d.difference().toPlainString());
    }
}
