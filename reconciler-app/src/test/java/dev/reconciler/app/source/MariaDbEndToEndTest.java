package dev.reconciler.app.source;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The end-to-end scenarios ({@link EndToEndScenarios}) on two real local MariaDB servers with the binlog on, plus
 * what needs a server that can be stopped and killed: database outages while streaming and while snapshotting.
 */
class MariaDbEndToEndTest extends EndToEndScenarios {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 11, 12);

    @Override
    LocalMariaDb orders() {
        return DATABASES.orders();
    }

    @Override
    LocalMariaDb inventory() {
        return DATABASES.inventory();
    }

    @Test
    void aStoppedInventoryDatabaseIsReportedStalledNotAsMissingInventory(@TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(5));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = session(config, state, outcomes)) {
            // both sources are past their snapshots and streaming once a pair committed now is matched
            orders().execute(order(0, "S0", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory().execute(deduction("S0", 9, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(
                    x -> x instanceof Outcome.PairMatched m && "S0".equals(m.key().get("order_id"))));
            inventory().stop();
            try {
                orders().execute(order(0, "S1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
                // far longer than grace + skew, and than the stall bound
                await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().anyMatch(
                        x -> x instanceof Outcome.SourceStalled st && st.source().equals("inventory")));
                Thread.sleep(3000);   // orders keep flowing meanwhile: its watermark is far past S1's grace
                assertThat(open(s.store, "S")).as("lag is not absence").isEmpty();
            } finally {
                inventory().restart();
            }
            inventory().execute(deduction("S1", 9, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                assertThat(outcomes).anyMatch(x -> x instanceof Outcome.SourceRecovered r && r.source().equals("inventory"));
                assertThat(outcomes).anyMatch(x -> x instanceof Outcome.PairMatched m && "S1".equals(m.key().get("order_id")));
            });
            assertThat(open(s.store, "S")).isEmpty();
        }
    }

    /**
     * The order database is killed while the initial snapshot of 30,000 orders is being read, and comes back two
     * seconds later. Debezium starts the snapshot again from the beginning; the engine absorbs the rows it had
     * already applied. Every pair is matched exactly once and every injected fault is opened exactly once.
     */
    @Test
    void anOutageDuringTheInitialSnapshotLosesNothingAndRepeatsNothing(@TempDir Path state) throws Exception {
        int n = 30_000;
        // own databases, so that the other scenarios' sessions do not snapshot these rows
        createOrderSchema(orders(), "bulk_orders");
        createInventorySchema(inventory(), "bulk_inventory");
        Set<String> missingRight = Set.of("B7919", "B15838", "B23757");   // confirmed, never deducted
        Set<String> short2 = Set.of("B10007", "B20014");                   // ordered 2, deducted 1
        List<String> orphans = List.of("BX1", "BX2");                      // deducted, no order
        List<String> orderRows = new ArrayList<>();
        List<String> deductionRows = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            String id = "B" + i;
            orderRows.add(String.format("('%s', '%d', 'COLLECTION', %d, 9.900000, 'CONFIRM', 'CREATE_AND_CONFIRM')",
                    id, i % 50, short2.contains(id) ? 2 : 1));
            if (!missingRight.contains(id)) deductionRows.add(String.format("(%d, 1, 'TRY_SALE', '%s')", i % 50, id));
        }
        for (String id : orphans) deductionRows.add(String.format("(7, 1, 'TRY_SALE', '%s')", id));
        for (int shard = 0; shard < 4; shard++) {
            List<String> rows = new ArrayList<>();
            for (int i = shard; i < orderRows.size(); i += 4) rows.add(orderRows.get(i));
            insertInChunks(orders(), String.format("INSERT INTO bulk_orders.trade_order_stream_%04d (order_id, goods_id,"
                    + " goods_type, item_count, item_price, order_state, stream_type) VALUES ", shard), rows);
        }
        insertInChunks(inventory(), "INSERT INTO bulk_inventory.collection_inventory_stream (collection_id,"
                + " changed_quantity, stream_type, identifier) VALUES ", deductionRows);

        EngineConfig config = saleRule(Duration.ofSeconds(60));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = new Session(config, state, outcomes,
                source("orders", orders(), "bulk_orders", "bulk_orders\\.trade_order_stream_\\d{4}", 5431),
                source("inventory", inventory(), "bulk_inventory", "bulk_inventory\\.collection_inventory_stream", 5432))) {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(2))
                    .until(() -> s.orderSource.status().snapshotRows() > 0);
            orders().kill();
            long readAtKill = s.orderSource.status().snapshotRows();
            try {
                assertThat(readAtKill).as("killed in the middle of the snapshot").isLessThan(n);
                await().atMost(Duration.ofSeconds(30)).until(() -> s.orderSource.status().lastError() != null);
                Thread.sleep(2000);
            } finally {
                orders().restart();
            }
            await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                assertThat(outcomes.stream().filter(o -> o instanceof Outcome.PairMatched).count())
                        .isGreaterThanOrEqualTo(n - missingRight.size() - short2.size());
                assertThat(open(s.store, "B")).hasSize(missingRight.size() + short2.size() + orphans.size());
            });
            SourceStatus status = s.orderSource.status();
            System.out.printf("snapshot: %d order rows read when the server was killed, %d in all; last error: %s%n",
                    readAtKill, status.snapshotRows(), status.lastError());
            assertThat(status.snapshotRows()).as("the snapshot read every row after the outage").isGreaterThanOrEqualTo(n);
            // the snapshot's last rows are decided a moment before Debezium reports the switch to the binlog
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                    assertThat(s.orderSource.status().phase()).isEqualTo(SourceStatus.Phase.STREAMING));
        }

        Map<String, Long> matched = outcomes.stream().filter(o -> o instanceof Outcome.PairMatched)
                .map(o -> ((Outcome.PairMatched) o).key().get("order_id"))
                .collect(Collectors.groupingBy(Function.identity(), TreeMap::new, Collectors.counting()));
        assertThat(matched).as("every good pair matched").hasSize(n - missingRight.size() - short2.size());
        assertThat(matched.values()).as("each exactly once").containsOnly(1L);
        assertThat(matched.keySet()).doesNotContainAnyElementsOf(missingRight).doesNotContainAnyElementsOf(short2);
        Map<String, DiscrepancyType> opened = new TreeMap<>();
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.DiscrepancyOpened d) {
                assertThat(opened.put(d.discrepancy().key().get("order_id"), d.discrepancy().type()))
                        .as("opened once: " + d.discrepancy().key()).isNull();
            }
        }
        Map<String, DiscrepancyType> expected = new TreeMap<>();
        missingRight.forEach(id -> expected.put(id, DiscrepancyType.MISSING_RIGHT));
        short2.forEach(id -> expected.put(id, DiscrepancyType.QUANTITY_MISMATCH));
        orphans.forEach(id -> expected.put(id, DiscrepancyType.MISSING_LEFT));
        assertThat(opened).isEqualTo(expected);
        assertThat(outcomes).noneMatch(o -> o instanceof Outcome.DiscrepancyResolved);
    }

    /** Multi-row INSERTs of 1,000 rows each: tens of thousands of rows in a second or two. */
    private static void insertInChunks(TestDatabase db, String insert, List<String> rows) throws Exception {
        List<String> statements = new ArrayList<>();
        for (int i = 0; i < rows.size(); i += 1000) {
            statements.add(insert + String.join(", ", rows.subList(i, Math.min(rows.size(), i + 1000))));
        }
        db.execute(statements.toArray(String[]::new));
    }
}
