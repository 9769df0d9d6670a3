package dev.reconciler.app.source;

import dev.reconciler.app.api.Views;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.verify.CounterpartVerifier;
import dev.reconciler.app.verify.LookupMetrics;
import dev.reconciler.app.verify.VerifyConfig;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.app.source.EndToEndScenarios.deduction;
import static dev.reconciler.app.source.EndToEndScenarios.kinds;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Verify before alert on two real MariaDB servers. The inventory source's binlog connection goes through a
 * {@link TcpProxy} that can hold its bytes (binlog delivery held back), while the lookups reach the inventory
 * server through a second proxy of their own (normally forwarding; refusing when the test makes the database
 * unreachable for lookups).
 *
 * <p>The orders are committed with their binlog time two minutes in the past ({@code SET TIMESTAMP}): the order
 * server's clock behind by more than the clock-skew allowance, so a MISSING_RIGHT is due as soon as the order
 * arrives, even while the inventory watermark is held — the case that verify before alert is for. A deduction
 * written with {@code sql_log_bin = 0} is in the database but never in the binlog: it alerts after the max wait.
 */
class VerifyBeforeAlertEndToEndTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 31, 32);

    /** The order server's clock, two minutes behind: the order's binlog time. */
    static final String BEHIND = "SET TIMESTAMP = UNIX_TIMESTAMP() - 120";

    final List<Outcome> outcomes = new CopyOnWriteArrayList<>();
    TcpProxy binlogProxy;
    TcpProxy lookupProxy;
    RocksDbStateStore store;
    Pipeline pipeline;
    CounterpartVerifier verifier;
    DebeziumSource orderSource;
    DebeziumSource inventorySource;
    PrometheusMeterRegistry registry;

    @BeforeEach
    void proxies() throws Exception {
        binlogProxy = TcpProxy.to(DATABASES.inventory().port());
        lookupProxy = TcpProxy.to(DATABASES.inventory().port());
    }

    void start(Path state, String prefix) {
        start(state, prefix, Duration.ofSeconds(60));
    }

    void start(Path state, String prefix, Duration maxWait) {
        EngineConfig config = EndToEndScenarios.saleRule(Duration.ofMinutes(5));
        LocalMariaDb inv = DATABASES.inventory();
        SourceConfig orders = EndToEndScenarios.orderSourceOf(DATABASES.orders());
        SourceConfig inventory = EndToEndScenarios.inventorySourceOf(inv);
        SourceConfig inventoryThroughBinlogProxy = new SourceConfig("inventory", inv.flavour(), binlogProxy.host(),
                binlogProxy.port(), inv.user(), inv.password(), inventory.databases(), inventory.tables(),
                inventory.serverId(), SourceConfig.Snapshot.INITIAL, inventory.heartbeatTable(),
                inventory.heartbeatInterval());
        SourceConfig inventoryForLookups = new SourceConfig("inventory", inv.flavour(), lookupProxy.host(),
                lookupProxy.port(), inv.user(), inv.password(), inventory.databases(), inventory.tables(),
                inventory.serverId(), SourceConfig.Snapshot.INITIAL, inventory.heartbeatTable(),
                inventory.heartbeatInterval());
        VerifyConfig verify = new VerifyConfig(Set.of("sale"), 2, Duration.ofSeconds(2), 50, maxWait, 100);
        registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        store = RocksDbStateStore.open(state.resolve("rocksdb"), RocksDbStateStore.Options.defaults());
        verifier = new CounterpartVerifier(config, Map.of("orders", orders, "inventory", inventoryForLookups), verify,
                Clock.systemUTC(), new LookupMetrics(registry, config, () -> pipeline.snapshot()));
        pipeline = new Pipeline(new ReconciliationEngine(config, store, Clock.systemUTC(), verifier, verify.policy()),
                outcomes::addAll, Duration.ofSeconds(1));
        verifier.answerTo(a -> pipeline.command(e -> e.recordLookup(a)));
        orderSource = new DebeziumSource(orders, config, state, pipeline);
        inventorySource = new DebeziumSource(inventoryThroughBinlogProxy, config, state, pipeline);
        orderSource.start();
        inventorySource.start();
        // both sources stream and both watermarks move: a pair committed now matches
        try {
            DATABASES.orders().execute(order(0, prefix + "W", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            DATABASES.inventory().execute(deduction(prefix + "W", 7, 1, "TRY_SALE"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        await().atMost(Duration.ofSeconds(90)).until(() -> kinds(outcomes, prefix).contains("matched " + prefix + "W"));
        // and both watermarks are current (after a snapshot, only the next binlog event moves one)
        java.time.Instant now = java.time.Instant.now().minusSeconds(3);
        await().atMost(Duration.ofSeconds(60)).until(() -> pipeline.snapshot().sources().values().stream()
                .allMatch(n -> n.watermark() != null && n.watermark().isAfter(now)));
    }

    @AfterEach
    void stop() {
        binlogProxy.restore();   // a held connection would hold the sources' close
        lookupProxy.restore();
        if (orderSource != null) orderSource.close();
        if (inventorySource != null) inventorySource.close();
        if (verifier != null) verifier.close();
        if (pipeline != null) pipeline.close();
        if (store != null) store.close();
        if (registry != null) registry.close();
        binlogProxy.close();
        lookupProxy.close();
    }

    @Test
    void aLateCounterpartDoesNotAlertAndATrulyMissingOneAlertsVerifiedAbsent(@TempDir Path state) throws Exception {
        start(state, "V");

        // The deduction is committed while the inventory binlog is held back; the order says it is 2 minutes old.
        binlogProxy.cut();
        DATABASES.inventory().execute(deduction("V1", 7, 1, "TRY_SALE"));
        DATABASES.orders().execute(BEHIND, order(1, "V1", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        long cutAt = System.nanoTime();
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(pipeline.snapshot().rules().get("sale").awaitingBinlog())
                        .as("held for the binlog; outcomes %s, snapshot %s", kinds(outcomes, "V1"),
                                pipeline.snapshot().rules().get("sale")).isEqualTo(1));
        System.out.printf("counterpart found in the database %.2f s after the order was committed%n",
                (System.nanoTime() - cutAt) / 1e9);
        assertThat(kinds(outcomes, "V1")).as("nothing opened while the binlog is late").isEmpty();
        assertThat(scrape()).contains("reconciler_verify_held{phase=\"binlog\",rule=\"sale\"} 1.0")
                .contains("reconciler_verify_lookups_total{result=\"present\",rule=\"sale\"} 1.0");
        // the binlog stays held a while longer: still nothing opens
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5)).until(() -> kinds(outcomes, "V1").isEmpty());

        binlogProxy.restore();
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                assertThat(kinds(outcomes, "V1")).containsExactly("matched V1"));
        assertThat(pipeline.snapshot().rules().get("sale").awaitingBinlog()).isZero();

        // A truly missing deduction: looked up, confirmed absent, alerted with it.
        DATABASES.orders().execute(BEHIND, order(2, "V2", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(kinds(outcomes, "V2")).containsExactly("opened MISSING_RIGHT V2"));
        Discrepancy d = opened(outcomes, "V2");
        assertThat(d.verification().result()).isEqualTo(Verification.Result.ABSENT);
        assertThat(d.verification().summary()).startsWith("verified absent at ")
                .contains("inventory.collection_inventory_stream");
        Discrepancy stored = store.discrepancy(d.id()).orElseThrow();
        assertThat(Views.DiscrepancyView.of(stored).verification().summary()).isEqualTo(d.verification().summary());
        assertThat(scrape()).contains("reconciler_verify_lookups_total{result=\"absent\",rule=\"sale\"} 1.0");
    }

    @Test
    void aDatabaseThatCannotBeQueriedAlertsMarkedNotVerified(@TempDir Path state) throws Exception {
        start(state, "N");
        lookupProxy.refuse();   // the inventory server is unreachable for lookups
        DATABASES.orders().execute(BEHIND, order(1, "N1", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(kinds(outcomes, "N1")).containsExactly("opened MISSING_RIGHT N1"));
        Verification v = opened(outcomes, "N1").verification();
        assertThat(v.result()).isEqualTo(Verification.Result.NOT_VERIFIED);
        assertThat(v.summary()).startsWith("not verified: source inventory: ");

        // A lookup that hangs: the table is locked, the lookup gives up after its timeout and the alert fires.
        lookupProxy.restore();
        try (Connection lock = DATABASES.inventory().connect(); Statement s = lock.createStatement()) {
            s.execute("LOCK TABLES inventory.collection_inventory_stream WRITE");
            long t0 = System.nanoTime();
            DATABASES.orders().execute(BEHIND, order(2, "N2", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(kinds(outcomes, "N2")).containsExactly("opened MISSING_RIGHT N2"));
            System.out.printf("a hanging lookup alerted %.2f s after the order was committed%n",
                    (System.nanoTime() - t0) / 1e9);
            assertThat(opened(outcomes, "N2").verification().summary()).startsWith("not verified: source inventory: timeout");
        }
        assertThat(scrape()).contains("reconciler_verify_lookups_total{result=\"failed\",rule=\"sale\"} 2.0");
    }

    @Test
    void aRowTheDatabaseHoldsButTheBinlogNeverShowsAlertsAfterTheMaxWait(@TempDir Path state) throws Exception {
        start(state, "P", Duration.ofSeconds(5));
        // written unlogged (a DBA's manual fix, a migration tool): in the database, never in the binlog
        DATABASES.inventory().execute("SET SESSION sql_log_bin = 0", deduction("P1", 7, 1, "TRY_SALE"));
        long t0 = System.nanoTime();
        DATABASES.orders().execute(BEHIND, order(1, "P1", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(kinds(outcomes, "P1")).containsExactly("opened MISSING_RIGHT P1"));
        double after = (System.nanoTime() - t0) / 1e9;
        System.out.printf("a row missing from the binlog alerted %.2f s after the order was committed%n", after);
        assertThat(after).as("held for the max wait first").isGreaterThanOrEqualTo(5);
        Verification v = opened(outcomes, "P1").verification();
        assertThat(v.result()).isEqualTo(Verification.Result.PRESENT_NOT_IN_BINLOG);
        assertThat(v.summary()).startsWith("present in the database (source inventory, table"
                + " inventory.collection_inventory_stream, found at ").endsWith(") but not seen in the binlog after 5 s");
    }

    static Discrepancy opened(List<Outcome> outcomes, String order) {
        List<Discrepancy> out = new ArrayList<>();
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.DiscrepancyOpened x && x.discrepancy().key().get("order_id").equals(order)) {
                out.add(x.discrepancy());
            }
        }
        assertThat(out).hasSize(1);
        assertThat(out.get(0).type()).isEqualTo(DiscrepancyType.MISSING_RIGHT);
        assertThat(out.get(0).status()).isEqualTo(Status.OPEN);
        return out.get(0);
    }

    String scrape() {
        return registry.scrape();
    }
}
