package dev.reconciler.app.source;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The inventory database restarts, crashes, drops off the network, and fails over to a replica while orders keep
 * flowing: each time the inventory source reconnects by itself and resumes where it stopped, every pair of the
 * traffic is matched exactly once, exactly the injected faults are found, and no MISSING_* is raised because the
 * reconciler could not see the database for a while.
 *
 * <p>The traffic is a flash sale as the TCC path does it: deduct inventory, then create the order. While the
 * inventory database is down the application cannot deduct, so it retries (idempotently: it checks whether its
 * deduction committed before the error) and creates no order meanwhile; pairs are therefore committed in time on
 * both sides, and any MISSING_* would be a false alarm. One real fault is injected during the outage (an order
 * whose inventory is never deducted) and one after it (a deduction without an order); the test fails unless both
 * are found.
 *
 * <p>Each case prints what it measured: time to detect (the source reported the failure / the engine declared the
 * source stalled), time to recover (the first row committed after the end of the outage reached the engine / the
 * engine declared the source recovered), time until every pair was matched, false alarms, facts lost, and events
 * delivered twice (at-least-once redelivery after a restart from the stored offset, absorbed by the engine).
 */
class DatabaseRestartAndFailoverTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 31, 32);
    /** The stall bound: an outage longer than this is reported as a stalled source. */
    private static final Duration STALL_AFTER = Duration.ofSeconds(4);
    private static final List<String> FIGURES = new CopyOnWriteArrayList<>();

    @AfterAll
    static void printFigures() {
        System.out.println("event | source reported | engine stalled | source resumed | engine recovered | all matched"
                + " | pairs | false alarms | lost | redelivered");
        FIGURES.forEach(System.out::println);
    }

    @Test
    void aCleanStopAndRestartOfTheInventoryDatabaseLosesNothingAndRaisesNothingFalse(@TempDir Path state) throws Exception {
        LocalMariaDb inventory = DATABASES.inventory();
        Case c = new Case("restart", inventory, inventory.host(), inventory.port(), 5461);
        c.run(state, inventory::stop, inventory::restart);
    }

    @Test
    void aKilledInventoryDatabaseLosesNothingAndRaisesNothingFalse(@TempDir Path state) throws Exception {
        LocalMariaDb inventory = DATABASES.inventory();
        Case c = new Case("kill", inventory, inventory.host(), inventory.port(), 5463);
        c.run(state, inventory::kill, inventory::restart);
    }

    /**
     * The database crashes and the reconciler is restarted while it is down: the new process resumes from the
     * offsets the old one stored, once the database is back.
     */
    @Test
    void aReconcilerRestartedDuringADatabaseCrashResumesFromItsStoredOffset(@TempDir Path state) throws Exception {
        LocalMariaDb inventory = DATABASES.inventory();
        Case c = new Case("stored", inventory, inventory.host(), inventory.port(), 5471);
        c.reconcilerRestartsDuringOutage = true;
        c.run(state, inventory::kill, inventory::restart);
    }

    /** The reconciler's link to the database goes silent for longer than the grace; the application's does not. */
    @Test
    void aNetworkCutLongerThanTheGraceLosesNothingAndRaisesNothingFalse(@TempDir Path state) throws Exception {
        LocalMariaDb inventory = DATABASES.inventory();
        try (TcpProxy link = TcpProxy.to(inventory.port())) {
            Case c = new Case("cut", inventory, link.host(), link.port(), 5465);
            c.minimumOutage = outage(Duration.ofSeconds(10));
            c.run(state, link::cut, link::restore);
        }
    }

    /** The reconciler runs through the switchover: its reader reconnects to the new primary at its GTID position. */
    @Test
    void failoverToAPromotedReplicaResumesFromTheSameGtid(@TempDir Path state) throws Exception {
        failover(state, "failover", false, 5467);
    }

    /**
     * The same switchover while the reconciler is down too: it stops with the primary and starts after the new
     * primary has taken writes. Debezium 3.4.0 alone refuses the stored GTID there (it compares domain and server
     * id); with the backported MariaDbGtidSet (debezium/debezium#7503, docs/architecture.md "Backports") the source
     * resumes from the same GTID position on the promoted replica: no BINLOG_GAP, no resync, nothing lost.
     */
    @Test
    void aReconcilerStartedAfterTheFailoverResumesFromTheSameGtidOnThePromotedReplica(@TempDir Path state) throws Exception {
        failover(state, "coldfailover", true, 5469);
    }

    /**
     * A MariaDB primary with GTIDs and a replica of it; the reconciler reads the primary through a name that can be
     * moved (here a proxy, in production a DNS name or a virtual IP). Traffic, then a switchover: once the replica
     * has caught up the primary is stopped, the replica is promoted, and the name is pointed at it. The source
     * resumes on the new primary from its GTID position.
     */
    private static void failover(Path state, String name, boolean reconcilerDown, long serverId) throws Exception {
        // log_slave_updates: the replica writes what it applies to its own binlog with the primary's GTIDs, so the
        // source finds its position there after the failover. Another binlog name on the replica makes a resume by
        // file and position (instead of by GTID) fail loudly rather than read the wrong events.
        LocalMariaDb primary = LocalMariaDb.start(33, "--log-slave-updates", "--gtid-strict-mode");
        try (primary;
             LocalMariaDb replica = LocalMariaDb.start(34, "--log-slave-updates", "--gtid-strict-mode",
                     "--log-bin=replica-bin");
             TcpProxy address = TcpProxy.to(primary.port())) {
            replica.execute("CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=" + primary.port()
                    + ", MASTER_USER='root', MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos", "START SLAVE");
            Case c = new Case(name, primary, address.host(), address.port(), serverId);
            c.reconcilerRestartsDuringOutage = reconcilerDown;
            c.run(state, () -> {
                c.traffic.paused = true;           // a planned switchover: writes stop, the replica catches up
                c.traffic.awaitIdle();
                String position = query(primary, "SELECT @@gtid_binlog_pos");
                assertThat(query(replica, "SELECT MASTER_GTID_WAIT('" + position + "', 30)"))
                        .as("the replica caught up with " + position).isEqualTo("0");
                primary.stop();
                c.traffic.paused = false;          // the application retries against the stopped primary
            }, () -> {
                replica.execute("STOP SLAVE", "RESET SLAVE ALL");
                c.traffic.inventory = replica;
                address.retarget(replica.port());
            });
        }
    }

    /**
     * {@code usual}, or the outage the system property {@code reconciler.outage} asks for (seconds), as
     * scripts/outage-drill.sh sets it for long outages.
     */
    static Duration outage(Duration usual) {
        String seconds = System.getProperty("reconciler.outage");
        return seconds == null || seconds.isBlank() ? usual : Duration.ofSeconds(Long.parseLong(seconds.trim()));
    }

    static String query(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getString(1);
        }
    }

    @FunctionalInterface
    interface Step {
        void run() throws Exception;
    }

    /**
     * One scenario: its own order and inventory databases ({@code NAME_orders}, {@code NAME_inventory}), a session,
     * traffic, a fault and its end, then the checks and the figures.
     */
    static final class Case {
        final String name;
        final String prefix;
        final LocalMariaDb orders = DATABASES.orders();
        final TestDatabase inventory;
        final String sourceHost;
        final int sourcePort;
        final long serverId;
        final Traffic traffic;
        /** The outage lasts at least this long, and at least until the engine declared the source stalled. */
        Duration minimumOutage = outage(Duration.ofSeconds(6));
        /** The reconciler is stopped when the fault starts and started again after its end. */
        boolean reconcilerRestartsDuringOutage;
        private volatile EndToEndScenarios.Session session;
        /** The restarted source reported a BINLOG_GAP (it must not: it resumes from its stored GTID). */
        private volatile boolean sawBinlogGap;

        Case(String name, TestDatabase inventory, String sourceHost, int sourcePort, long serverId) {
            this.name = name;
            this.prefix = name.toUpperCase().charAt(0) + name.substring(1, 2);
            this.inventory = inventory;
            this.sourceHost = sourceHost;
            this.sourcePort = sourcePort;
            this.serverId = serverId;
            this.traffic = new Traffic(orders, inventory, name + "_orders", name + "_inventory", prefix);
        }

        void run(Path state, Step fault, Step end) throws Exception {
            EndToEndScenarios.createOrderSchema(orders, name + "_orders");
            EndToEndScenarios.createInventorySchema(inventory, name + "_inventory");
            SourceConfig orderSource = EndToEndScenarios.source("orders", orders, name + "_orders",
                    name + "_orders\\.trade_order_stream_\\d{4}", serverId);
            SourceConfig inventorySource = new SourceConfig("inventory", inventory.flavour(), sourceHost, sourcePort,
                    inventory.user(), inventory.password(), List.of(name + "_inventory"),
                    List.of(name + "_inventory\\.collection_inventory_stream"), serverId + 1,
                    SourceConfig.Snapshot.INITIAL, name + "_inventory.reconciler_heartbeat", Duration.ofMillis(500));
            EngineConfig config = EndToEndScenarios.saleRule(STALL_AFTER);
            List<Outcome> outcomes = new CopyOnWriteArrayList<>();
            List<Instant> receivedAt = new CopyOnWriteArrayList<>();
            Consumer<List<Outcome>> record = batch -> {
                Instant now = Instant.now();
                for (Outcome o : batch) {
                    outcomes.add(o);
                    receivedAt.add(now);
                }
            };
            String missingRight = prefix + "-MR";   // confirmed during the outage, never deducted
            String missingLeft = prefix + "-ML";    // deducted after the outage, no order
            long deliveredBefore = 0;               // inventory events delivered to sessions closed in the outage
            session = new EndToEndScenarios.Session(config, state, record, orderSource, inventorySource);
            try (StatusWatch watch = new StatusWatch(() -> session)) {
                // both past their (empty) snapshots, so that the outage hits a streaming source
                await().atMost(Duration.ofSeconds(60)).until(() -> session.orderSource.status().phase() == SourceStatus.Phase.STREAMING
                        && session.inventorySource.status().phase() == SourceStatus.Phase.STREAMING);
                Thread trafficThread = new Thread(traffic, "traffic-" + name);
                trafficThread.setDaemon(true);
                trafficThread.start();
                try {
                    await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes).size() >= 40);

                    Instant faultAt = watch.fault();
                    fault.run();
                    orders.execute(traffic.order(missingRight));
                    if (reconcilerRestartsDuringOutage) {
                        // the reconciler goes down too, and comes back only after the outage: it must resume from
                        // the offsets it stored, on whatever server the source's address now leads to
                        EndToEndScenarios.Session down = session;
                        session = null;
                        deliveredBefore = delivered(down);
                        down.close();
                        Thread.sleep(minimumOutage.toMillis());
                        watch.endAt = Instant.now();
                        end.run();
                        session = new EndToEndScenarios.Session(config, state, record, orderSource, inventorySource);
                        // it resumes from its stored offsets by itself (no resync is ever asked for here); a refused
                        // position (BINLOG_GAP) would be seen by the watch below and fails the case
                        EndToEndScenarios.Session resumed = session;
                        await().atMost(Duration.ofSeconds(60)).until(() -> {
                            SourceStatus.Phase p = resumed.inventorySource.status().phase();
                            if (p == SourceStatus.Phase.BINLOG_GAP) sawBinlogGap = true;
                            return p == SourceStatus.Phase.STREAMING || sawBinlogGap;
                        });
                        assertThat(sawBinlogGap).as("the restarted source reported a BINLOG_GAP: "
                                + resumed.inventorySource.status().reason()).isFalse();
                    } else {
                        // hold the outage until the engine has declared the source stalled, and for the minimum
                        await().atMost(Duration.ofSeconds(60)).until(() -> stalledAt(outcomes, receivedAt, faultAt) != null);
                        Duration held = Duration.between(faultAt, Instant.now());
                        if (held.compareTo(minimumOutage) < 0) Thread.sleep(minimumOutage.minus(held).toMillis());
                        watch.endAt = Instant.now();
                        end.run();
                    }

                    int atEnd = traffic.pairs.get();
                    await().atMost(Duration.ofSeconds(180)).until(() -> traffic.pairs.get() >= atEnd + 40);
                } finally {
                    traffic.stop = true;
                    trafficThread.join(30_000);
                }
                assertThat(traffic.error).as("traffic").isNull();
                traffic.inventory.execute(traffic.deduction(missingLeft));
                int pairs = traffic.pairs.get();
                EndToEndScenarios.Session s = session;
                await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
                    assertThat(matched(outcomes)).hasSize(pairs);
                    assertThat(EndToEndScenarios.open(s.store, prefix)).containsExactlyInAnyOrder(
                            "sale MISSING_RIGHT " + missingRight + "/" + Traffic.GOODS,
                            "sale MISSING_LEFT " + missingLeft + "/" + Traffic.GOODS);
                });
                Instant allMatchedAt = Instant.now();

                // exactly once: every pair of the traffic matched once, exactly the two faults opened, nothing else
                Map<String, Long> matchedCount = matched(outcomes).stream()
                        .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
                assertThat(matchedCount).as("every pair of the traffic").hasSize(pairs);
                assertThat(matchedCount.values()).as("each matched once").containsOnly(1L);
                Map<String, DiscrepancyType> opened = new TreeMap<>();
                List<String> falseAlarms = new ArrayList<>();
                for (Outcome o : outcomes) {
                    if (o instanceof Outcome.DiscrepancyOpened d) {
                        String id = d.discrepancy().key().get("order_id");
                        if (opened.put(id, d.discrepancy().type()) != null || !(id.equals(missingRight) || id.equals(missingLeft))) {
                            falseAlarms.add(EndToEndScenarios.describe(d.discrepancy()));
                        }
                    }
                    if (o instanceof Outcome.DiscrepancyResolved r) falseAlarms.add("resolved " + r.discrepancy().key());
                }
                assertThat(falseAlarms).as("false alarms").isEmpty();
                assertThat(opened).isEqualTo(Map.of(missingRight, DiscrepancyType.MISSING_RIGHT,
                        missingLeft, DiscrepancyType.MISSING_LEFT));
                long delivered = deliveredBefore + delivered(s);
                long rows = traffic.deductions.get() + 1;   // the traffic's and the orphan
                assertThat(delivered).as("inventory rows delivered (at least once)").isGreaterThanOrEqualTo(rows);
                SourceStatus status = s.inventorySource.status();
                assertThat(status.phase()).isEqualTo(SourceStatus.Phase.STREAMING);

                StatusWatch w = watch;
                String figures = String.format("%s | %s | %s | %s | %s | %s | %d | %d | %d | %d", name,
                        since(w.faultAt, w.reportedAt), reconcilerRestartsDuringOutage ? "- (down)"
                                : since(w.faultAt, stalledAt(outcomes, receivedAt, w.faultAt)),
                        since(w.endAt, w.resumedAt), since(w.endAt, recoveredAt(outcomes, receivedAt, w.endAt)),
                        since(w.endAt, allMatchedAt), pairs, falseAlarms.size(), pairs - matchedCount.size(),
                        delivered - rows);
                System.out.println("figures: " + figures + "; last source error: " + status.lastError());
                FIGURES.add(figures);
            } finally {
                if (session != null) session.close();
            }
        }

        private static long delivered(EndToEndScenarios.Session s) {
            return s.inventorySource.status().eventsByTable().getOrDefault("collection_inventory_stream", 0L);
        }

        private List<String> matched(List<Outcome> outcomes) {
            return outcomes.stream().filter(o -> o instanceof Outcome.PairMatched)
                    .map(o -> ((Outcome.PairMatched) o).key().get("order_id"))
                    .filter(id -> id.startsWith(prefix + "-") && !id.startsWith(prefix + "-M")).toList();
        }
    }

    private static Instant stalledAt(List<Outcome> outcomes, List<Instant> receivedAt, Instant after) {
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) instanceof Outcome.SourceStalled st && st.source().equals("inventory")
                    && !receivedAt.get(i).isBefore(after)) {
                return receivedAt.get(i);
            }
        }
        return null;
    }

    private static Instant recoveredAt(List<Outcome> outcomes, List<Instant> receivedAt, Instant after) {
        for (int i = 0; i < outcomes.size(); i++) {
            if (outcomes.get(i) instanceof Outcome.SourceRecovered r && r.source().equals("inventory")
                    && !receivedAt.get(i).isBefore(after)) {
                return receivedAt.get(i);
            }
        }
        return null;
    }

    private static String since(Instant from, Instant to) {
        if (from == null || to == null) return "-";
        return String.format("%.1f s", Duration.between(from, to).toMillis() / 1000.0);
    }

    /**
     * Watches a source's status every 50 ms: when it first reported a failure after the fault (its phase left
     * STREAMING, or it recorded a new error), and when it first delivered a row or heartbeat committed after the
     * end of the outage.
     */
    static final class StatusWatch implements AutoCloseable {
        volatile Instant faultAt;
        private volatile String errorBefore;
        /** The source that was running when the fault began; a new process's source is not a report. */
        private volatile DebeziumSource watched;
        volatile Instant endAt;
        volatile Instant reportedAt;
        volatile Instant resumedAt;
        private final Supplier<EndToEndScenarios.Session> session;
        private final Thread thread;
        private volatile boolean stop;

        StatusWatch(Supplier<EndToEndScenarios.Session> session) {
            this.session = session;
            thread = new Thread(() -> {
                while (!stop) {
                    EndToEndScenarios.Session s = session.get();
                    SourceStatus st = s == null ? null : s.inventorySource.status();
                    Instant now = Instant.now();
                    if (st == null) {
                        // the reconciler is down
                    } else if (faultAt != null && reportedAt == null && s.inventorySource == watched && (st.phase() != SourceStatus.Phase.STREAMING
                            || (st.lastError() != null && !st.lastError().equals(errorBefore)))) {
                        reportedAt = now;
                    }
                    // binlog commit times have one-second resolution: a commit in the second after the end
                    if (st != null && endAt != null && resumedAt == null && st.lastCommit() != null
                            && !st.lastCommit().isBefore(endAt.plusSeconds(1).truncatedTo(java.time.temporal.ChronoUnit.SECONDS))) {
                        resumedAt = now;
                    }
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "status-watch");
            thread.setDaemon(true);
            thread.start();
        }

        /** Marks the start of the fault: now. */
        Instant fault() {
            watched = session.get().inventorySource;
            errorBefore = watched.status().lastError();
            faultAt = Instant.now();
            return faultAt;
        }

        @Override
        public void close() throws InterruptedException {
            stop = true;
            thread.join(5000);
        }
    }

    /**
     * A flash sale: deduct, then create the order, about twenty pairs a second. A failed deduction is retried
     * until it commits (checking first whether it did commit before the error), and the order waits for it.
     */
    static final class Traffic implements Runnable {
        static final long GOODS = 77;
        final LocalMariaDb orders;
        volatile TestDatabase inventory;
        final String orderDb;
        final String inventoryDb;
        final String prefix;
        final AtomicInteger pairs = new AtomicInteger();
        final AtomicInteger deductions = new AtomicInteger();
        volatile boolean stop;
        volatile boolean paused;
        private volatile boolean idle;
        volatile Exception error;

        Traffic(LocalMariaDb orders, TestDatabase inventory, String orderDb, String inventoryDb, String prefix) {
            this.orders = orders;
            this.inventory = inventory;
            this.orderDb = orderDb;
            this.inventoryDb = inventoryDb;
            this.prefix = prefix;
        }

        String order(String id) {
            return String.format("INSERT INTO %s.trade_order_stream_%04d (order_id, goods_id, goods_type, item_count,"
                    + " item_price, order_state, stream_type) VALUES ('%s', '%d', 'COLLECTION', 1, 9.900000, 'CONFIRM',"
                    + " 'CREATE_AND_CONFIRM')", orderDb, Math.floorMod(id.hashCode(), 4), id, GOODS);
        }

        String deduction(String id) {
            return String.format("INSERT INTO %s.collection_inventory_stream (collection_id, changed_quantity, price,"
                    + " stream_type, identifier) VALUES (%d, 1, 9.900000, 'TRY_SALE', '%s')", inventoryDb, GOODS, id);
        }

        /** Waits until the traffic loop has seen {@link #paused}. */
        void awaitIdle() {
            await().atMost(Duration.ofSeconds(30)).until(() -> idle);
        }

        @Override
        public void run() {
            try {
                for (int i = 1; !stop; i++) {
                    while (paused && !stop) {
                        idle = true;
                        Thread.sleep(20);
                    }
                    idle = false;
                    String id = prefix + "-" + i;
                    if (!deduct(id)) return;
                    orders.execute(order(id));
                    pairs.incrementAndGet();
                    Thread.sleep(50);
                }
            } catch (Exception e) {
                error = e;
            }
        }

        /** Commits the deduction of {@code id} exactly once, retrying through an outage; false when stopped. */
        private boolean deduct(String id) throws InterruptedException {
            boolean failed = false;
            while (!stop) {
                try (Connection c = inventory.connect(); Statement s = c.createStatement()) {
                    if (failed) {
                        // the error may have come after the commit: look before deducting again
                        try (ResultSet r = s.executeQuery("SELECT COUNT(*) FROM " + inventoryDb
                                + ".collection_inventory_stream WHERE identifier = '" + id + "'")) {
                            r.next();
                            if (r.getLong(1) > 0) {
                                deductions.incrementAndGet();
                                return true;
                            }
                        }
                    }
                    s.executeUpdate(deduction(id));
                    deductions.incrementAndGet();
                    return true;
                } catch (SQLException e) {
                    failed = true;
                    Thread.sleep(200);
                }
            }
            return false;
        }
    }
}
