package dev.reconciler.app.source;

import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.source.EndToEndScenarios.Session;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
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
 * The state directory fills up or turns read-only while orders flow, on two real MariaDB servers: the engine stops
 * applying with the cause named, its sources wait (no offset past the state), nothing is reported missing meanwhile,
 * and once space returns (or after a restart on the repaired file system) every pair matches: nothing lost.
 * The whole state directory (RocksDB, offsets, schema history) is on the small file system, as in production.
 */
class StateDiskFaultsTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 41, 42);
    /** Small memtables, so that the WAL and flushes need little room on a small file system. */
    private static final RocksDbStateStore.Options SMALL = RocksDbStateStore.Options.defaults()
            .withBlockCacheBytes(16L << 20).withWriteBufferBytes(1L << 20);

    private static SourceConfig orders() {
        return source("orders", DATABASES.orders(), "orders", "orders\\.trade_order_stream_\\d{4}", 5441);
    }

    private static SourceConfig inventory() {
        return source("inventory", DATABASES.inventory(), "inventory", "inventory\\.collection_inventory_stream", 5442);
    }

    /** Inserts the order and the deduction of {@code count} pairs, numbered from {@code from}. */
    private static List<String> pairs(String prefix, int from, int count, boolean withDeduction) throws Exception {
        List<String> ids = new ArrayList<>();
        List<String> orders = new ArrayList<>();
        List<String> deductions = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String id = prefix + i;
            ids.add(id);
            orders.add(order(i % 2, id, 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            deductions.add(deduction(id, 7, 1, "TRY_SALE"));
        }
        DATABASES.orders().execute(orders.toArray(String[]::new));
        if (withDeduction) DATABASES.inventory().execute(deductions.toArray(String[]::new));
        return ids;
    }

    private static List<String> matched(List<Outcome> outcomes, String prefix) {
        return kinds(outcomes, prefix).stream().filter(k -> k.startsWith("matched ")).map(k -> k.substring(8))
                .distinct().toList();
    }

    @Test
    void aFullDiskStopsIngestionWithTheCauseAndItResumesByItselfWithNothingLost() throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(120));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (SmallFileSystem fs = SmallFileSystem.tmpfs(48)) {
            Path state = fs.path();
            List<String> all = new ArrayList<>();
            try (Session s = new Session(config, state, outcomes::addAll, orders(), inventory(), null, SMALL)) {
                all.addAll(pairs("DF", 0, 20, true));
                await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "DF").size() == 20);

                // Traffic goes on while the disk fills up, until a state write fails.
                fs.fill();
                Instant full = Instant.now();
                int[] next = {20};
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                    all.addAll(pairs("DF", next[0], 100, true));
                    next[0] += 100;
                    return s.pipeline.unwritable() != null;
                });
                Duration detected = Duration.between(full, Instant.now());
                Pipeline.Unwritable u = s.pipeline.unwritable();
                assertThat(u.reason()).isEqualTo("no space left on device");
                assertThat(u.message()).contains(state.toString()).contains("free space");

                // While it waits: more pairs, and time far past the grace; nothing is decided, nothing reported.
                all.addAll(pairs("DF", next[0], 10, true));
                Thread.sleep(5000);
                assertThat(s.pipeline.unwritable()).as("still not writable, still said").isNotNull();
                assertThat(open(s.store, "DF")).as("no MISSING while the state takes no writes").isEmpty();

                Instant freed = Instant.now();
                fs.free();
                await().atMost(Duration.ofSeconds(30)).until(() -> s.pipeline.unwritable() == null);
                Duration recovered = Duration.between(freed, Instant.now());
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                        assertThat(matched(outcomes, "DF")).containsExactlyInAnyOrderElementsOf(all));
                assertThat(kinds(outcomes, "DF")).as("no discrepancy, false or not").allMatch(k -> k.startsWith("matched"));
                assertThat(open(s.store, "DF")).isEmpty();
                System.out.printf("disk full: %d pairs, detected %d ms after the disk filled, writable %d ms after"
                        + " space returned%n", all.size(), detected.toMillis(), recovered.toMillis());
            }
        }
    }

    @Test
    void aFileSystemTurnedReadOnlyStopsIngestionWithTheCauseAndARestartOnTheRepairedOneLosesNothing()
            throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(120));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (SmallFileSystem fs = SmallFileSystem.ext4(128)) {
            Path state = fs.path().resolve("state");
            List<String> all = new ArrayList<>();
            Session s = new Session(config, state, outcomes::addAll, orders(), inventory(), null, SMALL);
            try {
                all.addAll(pairs("RO", 0, 10, true));
                await().atMost(Duration.ofSeconds(60)).until(() -> matched(outcomes, "RO").size() == 10);

                fs.failReadOnly();
                all.addAll(pairs("RO", 10, 10, true));
                await().atMost(Duration.ofSeconds(30)).until(() -> s.pipeline.unwritable() != null);
                assertThat(s.pipeline.unwritable().reason()).isEqualTo("read-only file system");
                assertThat(s.pipeline.unwritable().message()).contains(state.toString());
                all.addAll(pairs("RO", 20, 5, true));
                Thread.sleep(4000);
                assertThat(open(s.store, "RO")).isEmpty();
            } finally {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    // syncing the WAL on a read-only file system fails; everything is released anyway
                }
            }
            fs.remount();
            try (Session again = new Session(config, state, outcomes::addAll, orders(), inventory(), null, SMALL)) {
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                        assertThat(matched(outcomes, "RO")).containsExactlyInAnyOrderElementsOf(all));
                assertThat(kinds(outcomes, "RO")).allMatch(k -> k.startsWith("matched"));
                assertThat(open(again.store, "RO")).isEmpty();
            }
        }
    }
}
