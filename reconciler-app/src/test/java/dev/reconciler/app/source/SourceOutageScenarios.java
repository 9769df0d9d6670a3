package dev.reconciler.app.source;

import dev.reconciler.app.source.EndToEndScenarios.Session;
import dev.reconciler.app.source.SourceStatus.Phase;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.app.source.EndToEndScenarios.deduction;
import static dev.reconciler.app.source.EndToEndScenarios.kinds;
import static dev.reconciler.app.source.EndToEndScenarios.open;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static dev.reconciler.app.source.EndToEndScenarios.saleRule;
import static dev.reconciler.app.source.EndToEndScenarios.source;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What a source does when its database is not there, on two real MariaDB servers: it never fails the process, never
 * hides that it is not reading, and never turns the outage into MISSING_* (issue: "the first rule of a checker").
 * Each test uses its own orders (prefix) and its own state directory; the servers are shared. Runs on MariaDB read
 * by the MariaDB connector ({@link SourceOutageTest}) and by the MySQL connector ({@link MySqlFlavourSourceOutageTest}).
 */
abstract class SourceOutageScenarios {
    /** The two servers of the concrete class (shared by its tests). */
    abstract LocalMariaDbPair databases();

    SourceConfig orders() {
        return source("orders", databases().orders(), "orders", "orders\\.trade_order_stream_\\d{4}", 5431);
    }

    SourceConfig inventory() {
        return source("inventory", databases().inventory(), "inventory", "inventory\\.collection_inventory_stream", 5432);
    }

    private static void matched(List<Outcome> outcomes, String orderId) {
        await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(
                x -> x instanceof Outcome.PairMatched m && orderId.equals(m.key().get("order_id"))));
    }

    @Test
    void aDatabaseDownAtStartMakesItsSourceWaitAndSayWhyWhileTheOtherStreams(@TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(30));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        databases().inventory().stop();
        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                SourceStatus st = s.inventorySource.status();
                assertThat(st.phase()).isEqualTo(Phase.WAITING);
                assertThat(st.reason()).isEqualTo("127.0.0.1:" + databases().inventory().port() + " connection refused");
                assertThat(st.nextAttemptAt()).isAfter(st.phaseSince());
                assertThat(st.describe(st.phaseSince())).matches("WAITING: 127\\.0\\.0\\.1:\\d+ connection refused,"
                        + " next try in \\d+s");
                assertThat(st.connected()).isFalse();
                assertThat(s.orderSource.status().phase()).as("the healthy source is not taken down")
                        .isEqualTo(Phase.STREAMING);
            });
            databases().orders().execute(order(0, "DS1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            Instant up = Instant.now();
            databases().inventory().restart();
            databases().inventory().execute(deduction("DS1", 9, 1, "TRY_SALE"));
            // the backoff has grown to a few seconds at most: the source picks the database up by itself
            await().atMost(Duration.ofSeconds(45)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            matched(outcomes, "DS1");
            assertThat(Duration.between(up, Instant.now())).as("streaming soon after the database is back")
                    .isLessThan(Duration.ofSeconds(45));
            assertThat(kinds(outcomes, "DS")).containsExactly("matched DS1");
        } finally {
            ensureRunning();
        }
    }

    @Test
    void aConnectionLostWhileStreamingShowsWithinSecondsAndRecoversWithoutFalseAlarms(@TempDir Path state)
            throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(60));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            databases().orders().execute(order(1, "LC1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("LC1", 9, 1, "TRY_SALE"));
            matched(outcomes, "LC1");
            await().atMost(Duration.ofSeconds(30)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);

            Instant cut = Instant.now();
            databases().inventory().stop();
            try {
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                        .until(() -> !s.inventorySource.status().connected());
                Duration detected = Duration.between(cut, Instant.now());
                SourceStatus st = s.inventorySource.status();
                assertThat(st.phase()).isIn(Phase.RECONNECTING, Phase.WAITING);
                assertThat(st.reason()).contains("127.0.0.1:" + databases().inventory().port());
                assertThat(st.disconnects()).isGreaterThanOrEqualTo(1);
                assertThat(detected).as("seen within seconds").isLessThan(Duration.ofSeconds(10));
                // orders go on meanwhile, far past the grace: the outage holds pairs, it does not report them
                databases().orders().execute(order(2, "LC2", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
                Thread.sleep(6000);
                assertThat(s.inventorySource.status().connected()).as("still down, still said").isFalse();
                assertThat(open(s.store, "LC")).isEmpty();
            } finally {
                databases().inventory().restart();
            }
            databases().inventory().execute(deduction("LC2", 9, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            matched(outcomes, "LC2");
            assertThat(kinds(outcomes, "LC")).containsExactly("matched LC1", "matched LC2");
        } finally {
            ensureRunning();
        }
    }

    @Test
    void aPurgedBinlogIsABinlogGapWithTheRecoveryCommandAndAResyncRecoversWithoutFalseMissing(@TempDir Path state)
            throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(300));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            databases().orders().execute(order(0, "PG1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("PG1", 9, 1, "TRY_SALE"));
            matched(outcomes, "PG1");
            offsetsPastTheSnapshot(state);
        }
        // While the reconciler is stopped: PG2 is committed on both sides, then the inventory binlog that holds it
        // (and the stored position) is purged.
        databases().orders().execute(order(1, "PG2", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        databases().inventory().execute(deduction("PG2", 9, 1, "TRY_SALE"));
        purgeBinlogs(databases().inventory());

        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.BINLOG_GAP);
            SourceStatus gap = s.inventorySource.status();
            assertThat(gap.reason()).contains("stored position",
                    "its oldest binlog is mariadb-bin.", "reconciler resync --config <config file> --source inventory --since ",
                    "POST /api/sources/inventory/resync?since=");
            assertThat(gap.connected()).isFalse();
            Thread.sleep(5000);
            assertThat(s.inventorySource.status().phase()).as("no retry loop: it waits for the resync")
                    .isEqualTo(Phase.BINLOG_GAP);
            assertThat(s.inventorySource.status().phaseSince()).isEqualTo(gap.phaseSince());

            // Re-read the last hour: PG2's deduction (in the purged binlog) is read again and completes its pair.
            s.inventorySource.resync(Instant.now().minus(Duration.ofHours(1)), "test",
                    s.pipeline.snapshot().sources().get("inventory").watermark());
            matched(outcomes, "PG2");
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(state.resolve("sources/inventory/resync.json")));
            databases().orders().execute(order(2, "PG3", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("PG3", 9, 1, "TRY_SALE"));
            matched(outcomes, "PG3");
            assertThat(open(s.store, "PG")).isEmpty();
            assertThat(outcomes).noneMatch(o -> o instanceof Outcome.CoverageGap)
                    .as("the re-read reached back before the last observed event: nothing unobserved");
        }
        assertThat(Files.exists(state.resolve("sources/inventory").resolve("offsets.dat")))
                .as("the new offsets").isTrue();
    }

    @Test
    void aResyncThatStartsAfterTheLastObservedEventReportsTheWindowOnceAsACoverageGapNotAsMissing(
            @TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(300));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            databases().orders().execute(order(0, "CG1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("CG1", 9, 1, "TRY_SALE"));
            matched(outcomes, "CG1");
            offsetsPastTheSnapshot(state);
        }
        // Committed while stopped, then purged: CG2's deduction is in the window the resync will not re-read.
        databases().orders().execute(order(1, "CG2", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        databases().inventory().execute(deduction("CG2", 9, 1, "TRY_SALE"));
        Thread.sleep(1500);   // the resync instant below is after CG2 in the databases' one-second clocks
        purgeBinlogs(databases().inventory());

        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.BINLOG_GAP);
            Instant since = Instant.now().minusSeconds(1);
            Instant watermark = DebeziumSource.lastObserved(state.resolve("sources/inventory"),
                    s.pipeline.snapshot().sources().get("inventory").watermark());
            ResyncRequest r = s.inventorySource.resync(since, "test", watermark);
            assertThat(watermark).as("observed up to").isNotNull();
            assertThat(r.gapFrom()).isEqualTo(watermark);
            assertThat(r.gapTo()).isEqualTo(since);
            await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream()
                    .anyMatch(o -> o instanceof Outcome.CoverageGap g && g.source().equals("inventory")));
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            databases().orders().execute(order(2, "CG3", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("CG3", 9, 1, "TRY_SALE"));
            matched(outcomes, "CG3");
            Thread.sleep(4000);   // twice the grace past CG3: CG2's order would have been judged by now
            assertThat(open(s.store, "CG")).as("CG2's deduction fell in the gap: not reported missing").isEmpty();
            Outcome.CoverageGap g = (Outcome.CoverageGap) outcomes.stream()
                    .filter(o -> o instanceof Outcome.CoverageGap).findFirst().orElseThrow();
            assertThat(g.from()).isEqualTo(watermark);
            assertThat(g.to()).isEqualTo(since);
        }
        // Reopened: the gap is not reported again.
        try (Session s = new Session(config, state, outcomes, orders(), inventory())) {
            databases().orders().execute(order(3, "CG4", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("CG4", 9, 1, "TRY_SALE"));
            matched(outcomes, "CG4");
        }
        assertThat(outcomes.stream().filter(o -> o instanceof Outcome.CoverageGap).count()).isEqualTo(1);
    }

    @Test
    void aRefusedLoginOrAMissingPrivilegeMakesTheSourceWaitAndSayWhyUntilItIsFixed(@TempDir Path state)
            throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(30));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        databases().inventory().execute("DROP USER IF EXISTS 'capture'@'%'", "CREATE USER 'capture'@'%' IDENTIFIED BY 'right-one'",
                "GRANT SELECT ON *.* TO 'capture'@'%'");
        SourceConfig wrongPassword = withUser(inventory(), "capture", "wrong-one");
        SourceConfig lacking = withUser(inventory(), "capture", "right-one");
        try (Session s = new Session(config, state, outcomes, orders(), wrongPassword)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                SourceStatus st = s.inventorySource.status();
                assertThat(st.phase()).isEqualTo(Phase.WAITING);
                assertThat(st.reason()).startsWith("127.0.0.1:" + databases().inventory().port()
                        + " refused the login (access denied); check the user and password");
                assertThat(st.toString()).doesNotContain("wrong-one");
            });
        }
        try (Session s = new Session(config, state, outcomes, orders(), lacking)) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                SourceStatus st = s.inventorySource.status();
                assertThat(st.phase()).isEqualTo(Phase.WAITING);
                assertThat(st.reason()).contains("user 'capture' lacks REPLICATION SLAVE, REPLICATION CLIENT",
                        "run GRANT");
            });
            // Granted while it waits: the source picks it up at its next try, without a restart.
            databases().inventory().execute("GRANT RELOAD, SHOW DATABASES, REPLICATION SLAVE, BINLOG MONITOR, CREATE,"
                    + " INSERT, UPDATE ON *.* TO 'capture'@'%'");
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            databases().orders().execute(order(0, "PV1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("PV1", 9, 1, "TRY_SALE"));
            matched(outcomes, "PV1");
        } finally {
            databases().inventory().execute("DROP USER IF EXISTS 'capture'@'%'");
        }
    }

    private static SourceConfig withUser(SourceConfig c, String user, String password) {
        return new SourceConfig(c.name(), c.flavour(), c.host(), c.port(), user, password, c.databases(), c.tables(),
                c.serverId(), c.snapshot(), c.heartbeatTable(), c.heartbeatInterval());
    }

    @Test
    void withAutoResyncAPurgedBinlogIsReReadByItself(@TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(300));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        SourceConfig inventory = inventory().withAutoResync(Duration.ofHours(1));
        try (Session s = new Session(config, state, outcomes, orders(), inventory)) {
            databases().orders().execute(order(0, "AR1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            databases().inventory().execute(deduction("AR1", 9, 1, "TRY_SALE"));
            matched(outcomes, "AR1");
            offsetsPastTheSnapshot(state);
        }
        databases().orders().execute(order(1, "AR2", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
        databases().inventory().execute(deduction("AR2", 9, 1, "TRY_SALE"));
        purgeBinlogs(databases().inventory());

        try (Session s = new Session(config, state, outcomes, orders(), inventory)) {
            matched(outcomes, "AR2");   // re-read by the automatic resync: its deduction was only in the purged binlog
            await().atMost(Duration.ofSeconds(60)).until(() -> s.inventorySource.status().phase() == Phase.STREAMING);
            await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(state.resolve("sources/inventory/resync.json")));
            assertThat(s.inventorySource.status().lastError()).contains("stored position");
            assertThat(open(s.store, "AR")).isEmpty();
        }
        assertThat(outcomes).noneMatch(o -> o instanceof Outcome.CoverageGap);
    }

    /**
     * Waits until the inventory source's stored offset is a binlog position after its snapshot (offsets are flushed
     * every second): a reconciler stopped before that would snapshot again instead of resuming.
     */
    private static void offsetsPastTheSnapshot(Path state) {
        // ignoring exceptions: Debezium rewrites the file in place, so a read can meet it half written
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                .until(() -> StoredOffset.read(state.resolve("sources/inventory/offsets.dat"))
                .map(o -> !o.snapshot() && o.eventTime() != null).orElse(false));
    }

    /**
     * Rotates the binlog and purges every file before the new one, GTID positions included. A file a replication
     * (binlog dump) thread still reads is not purged, so first wait until the stopped reconciler's connections are
     * gone from the server.
     */
    private static void purgeBinlogs(LocalMariaDb db) throws Exception {
        await().atMost(Duration.ofSeconds(30)).until(() -> dumpThreads(db) == 0);
        String current;
        try (var c = db.connect(); Statement s = c.createStatement()) {
            s.execute("FLUSH BINARY LOGS");
            try (ResultSet r = s.executeQuery("SHOW MASTER STATUS")) {
                r.next();
                current = r.getString(1);
            }
        }
        // A dump thread that is just going away can still hold a file for a moment: purge until it is gone.
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).until(() -> {
            try (var c = db.connect(); Statement s = c.createStatement()) {
                s.execute("PURGE BINARY LOGS TO '" + current + "'");
                try (ResultSet r = s.executeQuery("SHOW BINARY LOGS")) {
                    r.next();
                    return r.getString(1).equals(current);
                }
            }
        });
    }

    private static int dumpThreads(LocalMariaDb db) throws Exception {
        try (var c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM information_schema.processlist"
                     + " WHERE command LIKE 'Binlog Dump%'")) {
            r.next();
            return r.getInt(1);
        }
    }

    /** A failed test must not leave the shared inventory server stopped for the next one. */
    private void ensureRunning() throws Exception {
        try (var c = databases().inventory().connect()) {
            c.isValid(1);
        } catch (java.sql.SQLException e) {
            databases().inventory().restart();
        }
    }
}
