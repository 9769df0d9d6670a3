package dev.reconciler.bench;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The benchmark's workload is what it claims to be: a small sale run through the engine to the end gives exactly
 * the injected discrepancies, and every other order matches.
 */
class FlashSaleTest {

    @ParameterizedTest
    @EnumSource(FlashSale.Columns.class)
    void aSaleRunToTheEndReportsExactlyTheInjectedFaults(FlashSale.Columns columns) {
        FlashSale.Options options = new FlashSale.Options(20_000, 0.005, 0.10, 0.001, 100, columns, 7L);
        FlashSale.Stream stream = FlashSale.generate(options);
        List<FlashSale.Batch> batches = stream.materialize();

        assertThat(batches).allSatisfy(b -> assertThat(b.facts()).hasSize(100));
        assertThat(stream.facts()).isEqualTo(batches.size() * 100).isEqualTo(stream.batchCount() * 100);
        assertThat(stream.materialize()).as("every replay of the sale builds the same facts").isEqualTo(batches);
        Set<String> tables = new HashSet<>();
        Instant last = Instant.MIN;
        for (FlashSale.Batch b : batches) {
            for (Fact f : b.facts()) {
                tables.add(f.table());
                assertThat(f.eventTime()).isBeforeOrEqualTo(f.source().equals(FlashSale.ORDERS)
                        ? b.ordersWatermark() : b.inventoryWatermark());
                if (f.eventTime().isAfter(last)) last = f.eventTime();
            }
        }
        assertThat(tables).containsExactlyInAnyOrder("trade_order_stream_0000", "trade_order_stream_0001",
                "trade_order_stream_0002", "trade_order_stream_0003", "collection_inventory_stream");

        SettableClock clock = new SettableClock(FlashSale.T0);
        List<Outcome> outcomes = new ArrayList<>();
        try (InMemoryStateStore store = new InMemoryStateStore()) {
            ReconciliationEngine engine = new ReconciliationEngine(FlashSale.config(), store, clock);
            for (FlashSale.Batch b : batches) {
                clock.set(b.now());
                outcomes.addAll(engine.apply(b.facts()));
                if (b.ordersWatermark() != null) {
                    outcomes.addAll(engine.advanceWatermark(FlashSale.ORDERS, b.ordersWatermark()));
                }
                if (b.inventoryWatermark() != null) {
                    outcomes.addAll(engine.advanceWatermark(FlashSale.INVENTORY, b.inventoryWatermark()));
                }
            }
            // Both sources go on past the end of the sale: every grace runs out.
            Instant after = last.plus(FlashSale.GRACE).plusSeconds(60);
            clock.set(after);
            outcomes.addAll(engine.advanceWatermark(FlashSale.ORDERS, after));
            outcomes.addAll(engine.advanceWatermark(FlashSale.INVENTORY, after));
        }

        Map<DiscrepancyType, Integer> opened = new EnumMap<>(DiscrepancyType.class);
        int matched = 0;
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.DiscrepancyOpened d) opened.merge(d.discrepancy().type(), 1, Integer::sum);
            else if (o instanceof Outcome.PairMatched) matched++;
            else assertThat(o).as("no stall, nothing resolved").isNull();
        }
        Map<FlashSale.Fault, Integer> f = stream.faults();
        assertThat(opened).containsOnly(
                Map.entry(DiscrepancyType.MISSING_RIGHT, f.get(FlashSale.Fault.MISSING_INVENTORY)),
                Map.entry(DiscrepancyType.MISSING_LEFT, f.get(FlashSale.Fault.MISSING_ORDER)),
                Map.entry(DiscrepancyType.QUANTITY_MISMATCH,
                        f.get(FlashSale.Fault.QUANTITY_SHORT) + f.get(FlashSale.Fault.QUANTITY_OVER)),
                Map.entry(DiscrepancyType.DUPLICATE_RIGHT, f.get(FlashSale.Fault.DUPLICATE_DEDUCTION)));
        assertThat(f.values()).allSatisfy(n -> assertThat(n).isBetween(90, 100));
        int orders = stream.facts() - stream.noise() - f.get(FlashSale.Fault.DUPLICATE_DEDUCTION);
        // Orders with both rows: (facts that are orders or their deductions) minus the one-sided ones, halved.
        int pairsWithBothSides = (orders - f.get(FlashSale.Fault.MISSING_INVENTORY)
                - f.get(FlashSale.Fault.MISSING_ORDER)) / 2;
        assertThat(matched).isEqualTo(pairsWithBothSides - f.get(FlashSale.Fault.QUANTITY_SHORT)
                - f.get(FlashSale.Fault.QUANTITY_OVER));
        assertThat(stream.noise()).isGreaterThan(1000);
    }
}
