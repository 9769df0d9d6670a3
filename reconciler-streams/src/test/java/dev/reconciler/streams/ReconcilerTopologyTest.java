package dev.reconciler.streams;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The distributed topology against the embedded engine, in {@link TopologyTestDriver}s: the same change records
 * give the same outcomes with 1, 2 and 4 partitions, and the edge cases of a partitioned engine (markers before
 * facts, an idle source, late facts) behave as the embedded mode does.
 */
class ReconcilerTopologyTest {
    static final Duration GRACE = Duration.ofSeconds(30);
    static final int ORDERS_IN_SALE = 80;
    static final EngineConfig CONFIG = OrderInventory.config(GRACE);
    static final String ORDERS_TOPIC = ReconcilerTopology.Settings.changeTopic(ORDERS);
    static final String INVENTORY_TOPIC = ReconcilerTopology.Settings.changeTopic(INVENTORY);
    static final ReconcilerTopology.Settings SETTINGS = ReconcilerTopology.Settings.defaults(
            Map.of(ORDERS, ChangeRecords.HEARTBEAT_TABLE, INVENTORY, ChangeRecords.HEARTBEAT_TABLE),
            List.of(ORDERS, INVENTORY));
    static final Map<String, String> SOURCE_BY_TOPIC = Map.of(ORDERS_TOPIC, ORDERS, INVENTORY_TOPIC, INVENTORY);

    @TempDir
    Path dir;
    final ChangeRecords changes = new ChangeRecords();

    static Instant at(double seconds) {
        return T0.plusMillis((long) (seconds * 1000));
    }

    ChangeRecords.Change order(long id, String order, int count, double second) {
        return changes.insert(ORDERS_TOPIC, shard(1), orderRow(id, order, "42", "CONFIRM", "CONFIRM", count, 0),
                at(second));
    }

    ChangeRecords.Change sale(long id, String order, long qty, double second) {
        return changes.insert(INVENTORY_TOPIC, INVENTORY_TABLE, inventoryRow(id, order, 42, "TRY_SALE", qty, 0),
                at(second));
    }

    ChangeRecords.Change heartbeat(String source, double second) {
        return changes.heartbeat(ReconcilerTopology.Settings.changeTopic(source), at(second));
    }

    /**
     * A flash sale: 80 orders over 40 seconds, each with its stock deduction a moment later, and injected faults —
     * deductions lost (every 7th), orders lost (every 11th), wrong quantities (every 13th), deductions arriving
     * after the grace (every 17th) — then heartbeats past the grace.
     */
    List<ChangeRecords.Change> flashSale() {
        List<ChangeRecords.Change> orders = new ArrayList<>();
        List<ChangeRecords.Change> inventory = new ArrayList<>();
        for (int i = 1; i <= ORDERS_IN_SALE; i++) {
            double t = i * 0.5;
            String id = "O" + i;
            int count = 1 + i % 3;
            if (i % 11 != 0) orders.add(order(i, id, count, t));
            if (i % 7 == 0) continue;
            long qty = i % 13 == 0 ? count + 1 : count;
            double late = i % 17 == 0 ? GRACE.toSeconds() + 10 : 0.4;
            inventory.add(sale(1000 + i, id, qty, t + late));
        }
        for (int s = 0; s <= 110; s += 5) {
            orders.add(heartbeat(ORDERS, s + 0.1));
            inventory.add(heartbeat(INVENTORY, s + 0.2));
        }
        return merged(orders, inventory);
    }

    /** Both sources' changes in arrival order (each source's own order kept). */
    static List<ChangeRecords.Change> merged(List<ChangeRecords.Change> a, List<ChangeRecords.Change> b) {
        List<ChangeRecords.Change> all = new ArrayList<>(a);
        all.addAll(b);
        all.sort(java.util.Comparator.comparingLong(c -> commit(c).toEpochMilli()));
        return all;
    }

    static Instant commit(ChangeRecords.Change c) {
        return Instant.ofEpochMilli(((org.apache.kafka.connect.data.Struct) c.record().value()).getStruct("source")
                .getInt64("ts_ms"));
    }

    /** Through the topology; on RocksDB stores as in production, or in memory where a test needs speed. */
    List<OutcomeRecord> distributed(List<ChangeRecords.Change> history, int partitions, Instant end,
                                    boolean persistentStores) {
        try (TopologyHarness h = new TopologyHarness(CONFIG, SETTINGS, partitions, T0, dir.resolve("p" + partitions),
                persistentStores)) {
            for (ChangeRecords.Change c : history) h.deliver(c);
            h.advanceTo(end);
            return new ArrayList<>(h.outcomes());
        }
    }

    @ParameterizedTest(name = "{0} partition(s)")
    @ValueSource(ints = {1, 2, 4})
    void aFlashSaleWithFaultsGivesTheEmbeddedModesOutcomes(int partitions) {
        List<ChangeRecords.Change> history = flashSale();
        Instant end = at(115);
        Map<String, String> embedded = TopologyHarness.folded(
                TopologyHarness.embedded(CONFIG, history, SOURCE_BY_TOPIC, T0, end));
        Map<String, String> streams = TopologyHarness.folded(distributed(history, partitions, end, partitions == 1));

        assertThat(streams).isEqualTo(embedded);
        // And the embedded mode found exactly the injected faults (the oracle of this history).
        long missingRight = embedded.values().stream().filter(v -> v.equals("MISSING_RIGHT OPEN")).count();
        long missingLeft = embedded.values().stream().filter(v -> v.equals("MISSING_LEFT OPEN")).count();
        long quantity = embedded.values().stream().filter(v -> v.equals("QUANTITY_MISMATCH OPEN")).count();
        long resolved = embedded.values().stream().filter(v -> v.startsWith("MISSING_RIGHT RESOLVED")).count();
        assertThat(missingRight).isEqualTo(expected(i -> i % 7 == 0 && i % 11 != 0));
        assertThat(missingLeft).isEqualTo(expected(i -> i % 11 == 0 && i % 7 != 0));
        assertThat(quantity).isEqualTo(expected(i -> i % 13 == 0 && i % 7 != 0 && i % 11 != 0));
        assertThat(resolved).isEqualTo(expected(i -> i % 17 == 0 && i % 7 != 0 && i % 11 != 0));
    }

    static long expected(java.util.function.IntPredicate p) {
        return java.util.stream.IntStream.rangeClosed(1, ORDERS_IN_SALE).filter(p).count();
    }

    @Test
    void markersBeforeAnyFactMoveNothingAndLaterFactsAreJudgedByThem() {
        List<ChangeRecords.Change> history = new ArrayList<>();
        for (int s = 0; s <= 20; s += 5) {
            history.add(heartbeat(ORDERS, s));
            history.add(heartbeat(INVENTORY, s + 0.1));
        }
        history.add(order(1, "O1", 1, 21));
        for (int s = 25; s <= 90; s += 5) {
            history.add(heartbeat(ORDERS, s));
            history.add(heartbeat(INVENTORY, s + 0.1));
        }
        List<OutcomeRecord> out = distributed(history, 4, at(95), false);
        // Three of the four partitions only ever see markers: no outcome from them, and no error.
        assertThat(TopologyHarness.folded(out)).hasSize(1).containsValue("MISSING_RIGHT OPEN");
        assertThat(TopologyHarness.folded(out)).isEqualTo(TopologyHarness.folded(
                TopologyHarness.embedded(CONFIG, history, SOURCE_BY_TOPIC, T0, at(95))));
    }

    @Test
    void anIdleSourceHoldsItsPairsAndIsReportedStalledByEveryPartition() {
        List<ChangeRecords.Change> history = new ArrayList<>();
        history.add(heartbeat(INVENTORY, 0.1));
        history.add(order(1, "O1", 1, 1));
        history.add(order(2, "O2", 1, 2));
        for (int s = 5; s <= 150; s += 5) history.add(heartbeat(ORDERS, s));   // inventory says nothing more
        List<OutcomeRecord> out = distributed(history, 2, at(155), false);
        // No MISSING_RIGHT while inventory's progress is unknown past its last heartbeat: its pairs are held.
        assertThat(TopologyHarness.folded(out)).isEmpty();
        List<String> stalled = out.stream().filter(o -> o.type().equals("SourceStalled")).map(OutcomeRecord::key)
                .toList();
        assertThat(stalled).isNotEmpty().allMatch(k -> k.startsWith("source/inventory/stalled/"));
        // Each partition's engine reports it, under one key, so an alerting consumer sends it once.
        assertThat(stalled).hasSize(2).containsOnly(stalled.get(0));
        assertThat(out.stream().filter(o -> o.type().equals("SourceStalled")).map(OutcomeRecord::key).distinct())
                .isEqualTo(TopologyHarness.embedded(CONFIG, history, SOURCE_BY_TOPIC, T0, at(155)).stream()
                        .filter(o -> o.type().equals("SourceStalled")).map(OutcomeRecord::key).distinct().toList());
    }

    @Test
    void aLateFactResolvesTheDiscrepancyItsAbsenceOpened() {
        List<ChangeRecords.Change> orders = new ArrayList<>();
        List<ChangeRecords.Change> inventory = new ArrayList<>();
        orders.add(order(1, "O1", 2, 1));
        for (int s = 0; s <= 90; s += 5) {
            orders.add(heartbeat(ORDERS, s + 0.5));
            inventory.add(heartbeat(INVENTORY, s + 0.6));
        }
        inventory.add(sale(10, "O1", 2, 60));   // committed after the grace: the pair was reported, then settles
        List<ChangeRecords.Change> history = merged(orders, inventory);
        List<OutcomeRecord> out = distributed(history, 2, at(95), false);
        assertThat(out.stream().map(OutcomeRecord::type).filter(t -> t.startsWith("Discrepancy")))
                .containsExactly("DiscrepancyOpened", "DiscrepancyResolved");
        assertThat(TopologyHarness.folded(out)).isEqualTo(TopologyHarness.folded(
                TopologyHarness.embedded(CONFIG, history, SOURCE_BY_TOPIC, T0, at(95))));
    }
}
