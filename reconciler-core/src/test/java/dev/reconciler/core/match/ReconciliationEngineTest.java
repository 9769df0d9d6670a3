package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
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
 * Scenario tests of the engine's semantics on the docs/domain.md rules: grace 30 s, clock skew 2 s, stall bound 1 min.
 * A left row committed at t waits until the inventory watermark reaches t + 32 s.
 */
class ReconciliationEngineTest {
    static final Duration GRACE = Duration.ofSeconds(30);
    EngineTestDriver d;

    @BeforeEach
    void setUp() {
        d = newDriver(OrderInventory.config(GRACE));
    }

    /** The in-memory store here; {@link ReconciliationEngineOnRocksDbTest} runs every scenario on RocksDB. */
    EngineTestDriver newDriver(EngineConfig config) {
        return new EngineTestDriver(config);
    }

    @AfterEach
    void tearDown() {
        d.close();
    }

    static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    // ---- builders for the article's rows

    static Map<String, Object> confirm(long id, String order, int count) {
        return orderRow(id, order, "42", "CONFIRM", "CONFIRM", count, 0);
    }

    static Map<String, Object> cancel(long id, String order, int count) {
        return orderRow(id, order, "42", "CANCEL", "CLOSED", count, 0);
    }

    static Map<String, Object> trySale(long id, String order, long qty) {
        return inventoryRow(id, order, 42, "TRY_SALE", qty, 0);
    }

    static Map<String, Object> cancelSale(long id, String order, long qty) {
        return inventoryRow(id, order, 42, "CANCEL_SALE", qty, 0);
    }

    List<Outcome> order(Map<String, Object> row, int second) {
        return d.insert(ORDERS, shard(1), row, at(second));
    }

    List<Outcome> inventory(Map<String, Object> row, int second) {
        return d.insert(INVENTORY, INVENTORY_TABLE, row, at(second));
    }

    static List<String> kinds(List<Outcome> outcomes) {
        return outcomes.stream().map(o -> {
            if (o instanceof Outcome.DiscrepancyOpened op) return "opened " + op.discrepancy().rule() + " " + op.discrepancy().type();
            if (o instanceof Outcome.DiscrepancyResolved r) return "resolved " + r.discrepancy().rule() + " "
                    + r.discrepancy().type() + " " + r.discrepancy().resolution();
            if (o instanceof Outcome.PairMatched m) return "matched " + m.rule();
            if (o instanceof Outcome.SourceStalled s) return "stalled " + s.source();
            if (o instanceof Outcome.SourceRecovered s) return "recovered " + s.source();
            throw new AssertionError(o);
        }).toList();
    }

    static Discrepancy opened(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.DiscrepancyOpened)
                .map(o -> ((Outcome.DiscrepancyOpened) o).discrepancy()).findFirst().orElseThrow();
    }

    @Nested
    class Matching {
        @Test
        void confirmedOrderWithItsDeductionMatchesAtOnceWithoutWaitingForGrace() {
            assertThat(order(confirm(1, "O1", 2), 0)).isEmpty();
            List<Outcome> out = inventory(trySale(10, "O1", 2), 1);
            assertThat(kinds(out)).containsExactly("matched sale");
            Outcome.PairMatched m = (Outcome.PairMatched) out.get(0);
            assertThat(m.key()).containsExactly(Map.entry("order_id", "O1"), Map.entry("goods_id", "42"));
            assertThat(m.lastCommit()).isEqualTo(at(1));
            assertThat(d.watermarkAll(at(3600))).isEmpty();
            assertThat(d.discrepancies(null)).isEmpty();
        }

        @Test
        void rowImagesKeepTheStreamsColumnsAndWhatTheRulesRead() {
            Map<String, Object> row = confirm(1, "O1", 1);
            row.put("buyer_id", "B7");
            row.put("goods_name", "a long description nobody reconciles on");
            order(row, 0);
            Discrepancy x = opened(d.watermarkAll(at(100)));
            assertThat(x.left().get(0).columns()).containsKeys("id", "buyer_id", "order_id", "item_count", "deleted")
                    .doesNotContainKey("goods_name");
        }

        @Test
        void varcharAndBigintKeysCompareAsTrimmedText() {
            order(orderRow(1, " O1 ", " 42", "CONFIRM", "CONFIRM", 1, 0), 0);
            assertThat(kinds(inventory(inventoryRow(10, "O1", 42L, "UNFREEZE_AND_SALE", 1, 0), 1)))
                    .containsExactly("matched sale");
        }

        @Test
        void rowsOfUnrelatedStreamTypesAreIgnoredWithoutNoise() {
            order(orderRow(1, "O1", "42", "CREATE", "CREATE", 1, 0), 0);
            order(orderRow(2, "O1", "42", "PAY", "PAID", 1, 0), 1);
            inventory(inventoryRow(10, "O1", 42, "FREEZE_INVENTORY", 1, 0), 1);
            inventory(inventoryRow(11, "O1", 42, "UNFREEZE_INVENTORY", 1, 0), 2);
            inventory(inventoryRow(12, "", 42, "MODIFY_PRICE", 0, 0), 2);
            assertThat(d.watermarkAll(at(3600))).isEmpty();
            assertThat(d.history()).isEmpty();
            assertThat(d.store().pair(new PairKey("sale", List.of("O1", "42")))).isEmpty();
        }

        @Test
        void aRowWithABlankKeyPairsWithNothingAndIsCounted() {
            // Quarantined (KEY_MISSING, the first of its source and reason: alerted), never a pair's member.
            assertThat(order(orderRow(1, " ", "42", "CONFIRM", "CONFIRM", 1, 0), 0)).singleElement()
                    .satisfies(o -> assertThat(((Outcome.FactQuarantined) o).fact().reason())
                            .isEqualTo(dev.reconciler.core.fact.QuarantineReason.KEY_MISSING));
            assertThat(d.watermarkAll(at(3600))).isEmpty();
            assertThat(d.engine().factsWithoutKey("sale", dev.reconciler.core.rule.Side.LEFT)).isEqualTo(1);
            assertThat(d.engine().factsTaken("sale", dev.reconciler.core.rule.Side.LEFT)).isZero();
            order(confirm(2, "O2", 1), 1);
            assertThat(d.engine().factsTaken("sale", dev.reconciler.core.rule.Side.LEFT)).isEqualTo(1);
        }

        @Test
        void tablesOutsideEveryStreamAreIgnored() {
            assertThat(d.insert(ORDERS, "trade_order_stream_archive", confirm(1, "O1", 1), at(0))).isEmpty();
            assertThat(d.insert("elsewhere", INVENTORY_TABLE, trySale(1, "O1", 1), at(0))).isEmpty();
            assertThat(d.watermarkAll(at(3600))).isEmpty();
        }

        @Test
        void shardsOfTheOrderStreamAllFeedTheRule() {
            for (int s = 0; s < 4; s++) {
                d.insert(ORDERS, shard(s), confirm(1, "O" + s, 1), at(0));
                assertThat(kinds(inventory(trySale(10 + s, "O" + s, 1), 1))).containsExactly("matched sale");
            }
        }
    }

    @Nested
    class GraceAndWatermarks {
        @Test
        void orderWithoutDeductionIsReportedOnlyWhenTheInventoryWatermarkPassesGracePlusSkew() {
            order(confirm(1, "O1", 1), 0);
            assertThat(d.watermark(ORDERS, at(100))).isEmpty();
            assertThat(d.watermark(INVENTORY, at(31))).isEmpty();
            List<Outcome> out = d.watermark(INVENTORY, at(32));
            assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
            Discrepancy x = opened(out);
            assertThat(x.key()).containsExactly(Map.entry("order_id", "O1"), Map.entry("goods_id", "42"));
            assertThat(x.left()).hasSize(1);
            assertThat(x.right()).isEmpty();
            assertThat(x.status()).isEqualTo(Status.OPEN);
        }

        @Test
        void aSourcesFactsAndItsWatermarkInOneWriteDecideAsTwoWritesDoAndBothAreStored() {
            order(confirm(1, "O1", 1), 0);
            d.watermark(ORDERS, at(100));
            ReconciliationEngine e = d.engine();
            // The inventory's batch: a deduction without order (judged at once: the orders are at 100) and the
            // watermark past O1's grace plus skew, applied as the pipeline does, in one call.
            ReconciliationEngine.Prepared batch = e.prepare(List.of(d.fact(INVENTORY, INVENTORY_TABLE,
                    Operation.INSERT, trySale(10, "O2", 1), null, at(5))));
            assertThat(kinds(e.apply(batch, INVENTORY, at(32))))
                    .containsExactly("opened sale MISSING_LEFT", "opened sale MISSING_RIGHT");
            d.restart();
            assertThat(d.watermark(INVENTORY, at(32))).as("the watermark was stored with the facts").isEmpty();
            assertThat(d.discrepancies(Status.OPEN)).hasSize(2);
            // Either part alone.
            e = d.engine();
            assertThat(e.apply(null, INVENTORY, null)).isEmpty();
            assertThat(kinds(e.apply(e.prepare(List.of(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT,
                    trySale(11, "O1", 1), null, at(33)))), INVENTORY, null)))
                    .containsExactly("resolved sale MISSING_RIGHT COUNTERPART_ARRIVED", "matched sale");
            order(confirm(2, "O3", 1), 40);
            assertThat(kinds(e.apply(null, INVENTORY, at(72)))).containsExactly("opened sale MISSING_RIGHT");
        }

        @Test
        void theWallClockAloneNeverReportsAnything() {
            order(confirm(1, "O1", 1), 0);
            d.watermark(INVENTORY, at(1));
            d.clock().set(at(3 * 3600));
            assertThat(kinds(d.engine().tick())).containsExactly("stalled inventory", "stalled orders");
            assertThat(d.discrepancies(null)).isEmpty();
        }

        @Test
        void deductionWithoutOrderWaitsOnTheOrderWatermark() {
            inventory(trySale(10, "O1", 1), 0);
            assertThat(d.watermark(INVENTORY, at(500))).isEmpty();
            assertThat(kinds(d.watermark(ORDERS, at(32)))).containsExactly("opened sale MISSING_LEFT");
        }

        @Test
        void aLateCounterpartResolvesTheOpenDiscrepancy() {
            order(confirm(1, "O1", 1), 0);
            Discrepancy open = opened(d.watermarkAll(at(40)));
            List<Outcome> out = inventory(trySale(10, "O1", 1), 41);
            assertThat(kinds(out)).containsExactly("resolved sale MISSING_RIGHT COUNTERPART_ARRIVED", "matched sale");
            Discrepancy resolved = ((Outcome.DiscrepancyResolved) out.get(0)).discrepancy();
            assertThat(resolved.id()).isEqualTo(open.id());
            assertThat(resolved.status()).isEqualTo(Status.RESOLVED);
            assertThat(resolved.right()).hasSize(1);
            assertThat(d.store().discrepancy(open.id())).contains(resolved);
        }

        @Test
        void aFactArrivingAfterItsGraceAlreadyPassedIsJudgedImmediately() {
            d.watermarkAll(at(1000));
            assertThat(kinds(order(confirm(1, "O1", 1), 10))).containsExactly("opened sale MISSING_RIGHT");
        }

        @Test
        void outOfOrderSourcesInventoryBeforeOrderStillMatch() {
            inventory(trySale(10, "O1", 1), 0);
            d.watermark(INVENTORY, at(20));
            assertThat(kinds(order(confirm(1, "O1", 1), 5))).containsExactly("matched sale");
            assertThat(d.watermarkAll(at(3600))).isEmpty();
        }

        @Test
        void aLaggingInventorySourceHoldsPairsInsteadOfReportingThemMissing() {
            d.watermarkAll(at(0));
            for (int i = 0; i < 20; i++) order(confirm(i + 1, "O" + i, 1), i);
            // the order source runs on for an hour; the inventory source is stuck at 0
            List<Outcome> out = d.watermark(ORDERS, at(3600));
            assertThat(out).noneMatch(o -> o instanceof Outcome.DiscrepancyOpened);
            d.clock().set(at(3600));
            assertThat(kinds(d.engine().tick())).containsExactly("stalled inventory");
            assertThat(d.engine().tick()).as("reported once, not once per tick").isEmpty();
            assertThat(d.discrepancies(null)).isEmpty();
            // it comes back and delivers what it had
            for (int i = 0; i < 20; i++) inventory(trySale(100 + i, "O" + i, 1), i + 1);
            List<Outcome> back = d.watermark(INVENTORY, at(3600));
            assertThat(kinds(back)).containsExactly("recovered inventory");
            assertThat(d.discrepancies(null)).isEmpty();
        }

        @Test
        void aSourceThatNeverReportedIsStalledAfterTheBound() {
            assertThat(d.tick(Duration.ofSeconds(59))).isEmpty();
            assertThat(kinds(d.tick(Duration.ofSeconds(2)))).containsExactly("stalled inventory", "stalled orders");
        }

        @Test
        void watermarksNeverGoBack() {
            order(confirm(1, "O1", 1), 0);
            d.watermark(INVENTORY, at(20));
            assertThat(d.watermark(INVENTORY, at(5))).isEmpty();
            assertThat(d.engine().watermark(INVENTORY)).contains(at(20));
        }

        @Test
        void reconciledUntilIsTheLowerWatermarkMinusGraceAndSkew() {
            assertThat(d.engine().reconciledUntil("sale")).isEmpty();
            d.watermark(ORDERS, at(100));
            assertThat(d.engine().reconciledUntil("sale")).isEmpty();
            d.watermark(INVENTORY, at(80));
            assertThat(d.engine().reconciledUntil("sale")).contains(at(80 - 32));
        }
    }

    @Nested
    class Quantities {
        @Test
        void shortDeductionIsReportedAsSoonAsBothSidesArePresent() {
            order(confirm(1, "O1", 3), 0);
            List<Outcome> out = inventory(trySale(10, "O1", 2), 1);
            assertThat(kinds(out)).containsExactly("opened sale QUANTITY_MISMATCH");
            assertThat(opened(out).difference()).isEqualByComparingTo("-1");
            assertThat(opened(out).isShort()).isTrue();
        }

        @Test
        void overDeductionHasAPositiveDifference() {
            order(confirm(1, "O1", 1), 0);
            Discrepancy x = opened(inventory(trySale(10, "O1", 3), 1));
            assertThat(x.difference()).isEqualByComparingTo("2");
            assertThat(x.isShort()).isFalse();
        }

        @Test
        void aCorrectionResolvesTheMismatch() {
            order(confirm(1, "O1", 3), 0);
            inventory(trySale(10, "O1", 2), 1);
            List<Outcome> out = d.update(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 2), trySale(10, "O1", 3), at(5));
            assertThat(kinds(out)).containsExactly("resolved sale QUANTITY_MISMATCH CORRECTED", "matched sale");
        }

        @Test
        void aMismatchByAnotherAmountStaysOneOpenDiscrepancyWithTheNewDifference() {
            order(confirm(1, "O1", 3), 0);
            Discrepancy x = opened(inventory(trySale(10, "O1", 2), 1));
            assertThat(d.update(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 2), trySale(10, "O1", 5), at(5))).isEmpty();
            assertThat(d.store().discrepancy(x.id()).orElseThrow().difference()).isEqualByComparingTo("2");
        }

        @Test
        void decimalsCompareByValue() {
            order(orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 2, 0), 0);
            Map<String, Object> inv = inventoryRow(10, "O1", 42, "TRY_SALE", 0, 0);
            inv.put("changed_quantity", new BigDecimal("2.000000"));
            assertThat(kinds(inventory(inv, 1))).containsExactly("matched sale");
        }

        @Test
        void toleranceAcceptsSmallDifferences() {
            var base = OrderInventory.config(GRACE);
            var sale = OrderInventory.sale(GRACE, Multiplicity.ONE_TO_ONE);
            var tolerant = new dev.reconciler.core.rule.Rule(sale.name(), sale.left(), sale.right(), sale.key(),
                    new dev.reconciler.core.rule.QuantityCheck("item_count", "changed_quantity", BigDecimal.ONE),
                    sale.multiplicity(), sale.grace());
            try (var t = newDriver(new EngineConfig(base.streams(), List.of(tolerant),
                    base.clockSkew(), base.stallAfter(), base.retention()))) {
                t.insert(ORDERS, shard(0), confirm(1, "O1", 3), at(0));
                assertThat(kinds(t.insert(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 2), at(1))))
                        .containsExactly("matched sale");
                t.insert(ORDERS, shard(0), confirm(2, "O2", 3), at(0));
                assertThat(kinds(t.insert(INVENTORY, INVENTORY_TABLE, trySale(11, "O2", 1), at(1))))
                        .containsExactly("opened sale QUANTITY_MISMATCH");
            }
        }
    }

    @Nested
    class SumMultiplicity {
        EngineTestDriver s;

        @BeforeEach
        void sumRule() {
            var base = OrderInventory.config(GRACE);
            s = newDriver(new EngineConfig(base.streams(),
                    List.of(OrderInventory.sale(GRACE, Multiplicity.SUM)), base.clockSkew(), base.stallAfter(),
                    base.retention()));
        }

        @AfterEach
        void close() {
            s.close();
        }

        @Test
        void splitDeductionsAddUpToTheOrderQuantity() {
            s.insert(ORDERS, shard(0), confirm(1, "O1", 3), at(0));
            assertThat(s.insert(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), at(1))).isEmpty();
            assertThat(kinds(s.insert(INVENTORY, INVENTORY_TABLE, trySale(11, "O1", 2), at(2))))
                    .containsExactly("matched sale");
            assertThat(s.watermarkAll(at(3600))).isEmpty();
        }

        @Test
        void aShortSumIsReportedOnlyAfterTheGrace() {
            s.insert(ORDERS, shard(0), confirm(1, "O1", 3), at(0));
            s.insert(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), at(1));
            assertThat(s.watermark(ORDERS, at(100))).isEmpty();
            assertThat(s.watermark(INVENTORY, at(31))).isEmpty();
            List<Outcome> out = s.watermark(INVENTORY, at(32));
            assertThat(kinds(out)).containsExactly("opened sale QUANTITY_MISMATCH");
            assertThat(opened(out).difference()).isEqualByComparingTo("-2");
        }

        @Test
        void anExcessIsReportedAtOnceAndASecondRightRowIsNoDuplicate() {
            s.insert(ORDERS, shard(0), confirm(1, "O1", 1), at(0));
            s.insert(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), at(1));
            assertThat(kinds(s.insert(INVENTORY, INVENTORY_TABLE, trySale(11, "O1", 1), at(2))))
                    .containsExactly("opened sale QUANTITY_MISMATCH");
        }
    }

    @Nested
    class Duplicates {
        @Test
        void aDuplicateDeductionIsReportedAtOnce() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            List<Outcome> out = inventory(trySale(11, "O1", 1), 2);
            assertThat(kinds(out)).containsExactly("opened sale DUPLICATE_RIGHT");
            assertThat(opened(out).right()).hasSize(2);
        }

        @Test
        void aDuplicateOrderRowIsDuplicateLeft() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            assertThat(kinds(d.insert(ORDERS, shard(2), confirm(7, "O1", 1), at(2))))
                    .containsExactly("opened sale DUPLICATE_LEFT");
        }

        @Test
        void logicallyDeletingTheDuplicateResolvesItAndTheRemainingPairIsMatchedAgain() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            inventory(trySale(11, "O1", 1), 2);
            Map<String, Object> deleted = inventoryRow(11, "O1", 42, "TRY_SALE", 1, 1);
            List<Outcome> out = d.update(INVENTORY, INVENTORY_TABLE, trySale(11, "O1", 1), deleted, at(3));
            assertThat(kinds(out)).containsExactly("resolved sale DUPLICATE_RIGHT RETRACTED", "matched sale");
        }

        @Test
        void theDuplicateIsCaughtDaysLaterWithinRetention() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            d.watermarkAll(at(6 * 24 * 3600));
            assertThat(kinds(inventory(trySale(11, "O1", 1), 6 * 24 * 3600 + 1))).containsExactly("opened sale DUPLICATE_RIGHT");
        }
    }

    @Nested
    class Retractions {
        @Test
        void logicallyDeletingTheOnlyDeductionOpensMissingRightAfterGrace() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            Map<String, Object> gone = inventoryRow(10, "O1", 42, "TRY_SALE", 1, 1);
            assertThat(d.update(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), gone, at(2))).isEmpty();
            assertThat(kinds(d.watermarkAll(at(40)))).containsExactly("opened sale MISSING_RIGHT");
        }

        @Test
        void deletingTheOrphanDeductionResolvesMissingLeftAsRetracted() {
            inventory(trySale(10, "O1", 1), 0);
            d.watermarkAll(at(40));
            assertThat(kinds(d.delete(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), at(41))))
                    .containsExactly("resolved sale MISSING_LEFT RETRACTED");
        }

        @Test
        void anOrderLeavingTheFilterRetractsItsFact() {
            order(confirm(1, "O1", 1), 0);
            Map<String, Object> paid = orderRow(1, "O1", "42", "CONFIRM", "PAID", 1, 0);
            assertThat(d.update(ORDERS, shard(1), confirm(1, "O1", 1), paid, at(1))).isEmpty();
            assertThat(d.watermarkAll(at(3600))).isEmpty();
        }

        @Test
        void aKeyChangeMovesTheRowToItsNewPair() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            Map<String, Object> moved = inventoryRow(10, "O1", 43, "TRY_SALE", 1, 0);
            d.update(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), moved, at(2));
            List<String> out = kinds(d.watermarkAll(at(100)));
            assertThat(out).containsExactlyInAnyOrder("opened sale MISSING_RIGHT", "opened sale MISSING_LEFT");
            assertThat(d.discrepancies(Status.OPEN)).extracting(x -> x.key().get("goods_id"))
                    .containsExactlyInAnyOrder("42", "43");
        }
    }

    @Nested
    class CancelRule {
        @Test
        void cancelWithoutReleaseAndReleaseWithoutCancelAreBothCaught() {
            order(cancel(1, "O1", 1), 0);
            inventory(cancelSale(10, "O2", 1), 0);
            assertThat(kinds(d.watermarkAll(at(40))))
                    .containsExactlyInAnyOrder("opened cancel MISSING_RIGHT", "opened cancel MISSING_LEFT");
        }

        @Test
        void aClosedOrderWithItsReleaseIsMatchedUnderCancel() {
            d.insert(ORDERS, shard(0), orderRow(1, "O1", "42", "TIME_OUT", "CLOSED", 2, 0), at(0));
            assertThat(kinds(inventory(cancelSale(10, "O1", 2), 1))).containsExactly("matched cancel");
        }
    }

    @Nested
    class Replays {
        @Test
        void theSameRowImageTwiceChangesNothing() {
            Fact o = d.fact(ORDERS, shard(1), Operation.INSERT, confirm(1, "O1", 1), null, at(0));
            Fact i = d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(10, "O1", 2), null, at(1));
            assertThat(kinds(d.pipe(o, i))).containsExactly("opened sale QUANTITY_MISMATCH");
            assertThat(d.pipe(o, i)).isEmpty();
            assertThat(d.pipe(i)).isEmpty();
        }

        @Test
        void anOlderImageReplayedAfterANewerOneIsIgnored() {
            Fact insert = d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(10, "O1", 2), null, at(1));
            Fact fix = d.fact(INVENTORY, INVENTORY_TABLE, Operation.UPDATE, trySale(10, "O1", 1), trySale(10, "O1", 2), at(2));
            order(confirm(1, "O1", 1), 0);
            d.pipe(insert, fix);
            List<Outcome> history = d.history();
            // Debezium restarts from an older offset and re-delivers both changes
            assertThat(d.pipe(insert)).isEmpty();
            assertThat(d.pipe(fix)).isEmpty();
            assertThat(d.history()).isEqualTo(history);
        }

        @Test
        void aReplayedInsertDoesNotResurrectADeletedRow() {
            Fact insert = d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(10, "O1", 1), null, at(0));
            Fact delete = d.fact(INVENTORY, INVENTORY_TABLE, Operation.DELETE, trySale(10, "O1", 1), null, at(1));
            d.pipe(insert, delete);
            assertThat(d.pipe(insert)).isEmpty();
            assertThat(d.watermarkAll(at(3600))).isEmpty();
        }

        @Test
        void aRestartThatReplaysFromAnOlderOffsetLosesAndDuplicatesNothing() {
            List<Fact> log = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                String id = "O" + i;
                log.add(d.fact(ORDERS, shard(i % 4), Operation.INSERT, confirm(i + 1, id, 1), null, at(i)));
                if (i % 5 != 0) {   // every fifth order never gets its deduction
                    log.add(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(100 + i, id, i % 7 == 0 ? 2 : 1),
                            null, at(i + 1)));
                }
            }
            // the uninterrupted run, on a store of its own
            List<String> expected;
            try (EngineTestDriver reference = newDriver(OrderInventory.config(GRACE))) {
                for (int b = 0; b < log.size(); b += 4) reference.pipe(log.subList(b, Math.min(log.size(), b + 4)));
                reference.watermarkAll(at(3600));
                expected = kinds(reference.history());
            }
            // the same log, with a crash after the 6th batch and a replay from the 3rd
            for (int b = 0; b < 24; b += 4) d.pipe(log.subList(b, b + 4));
            d.restart();
            for (int b = 8; b < log.size(); b += 4) d.pipe(log.subList(b, Math.min(log.size(), b + 4)));
            d.watermarkAll(at(3600));
            assertThat(kinds(d.history())).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(expected).filteredOn(k -> k.startsWith("opened")).hasSize(6 + 4);
        }

        @Test
        void restartingTheEngineKeepsPendingPairsAndWatermarks() {
            order(confirm(1, "O1", 1), 0);
            d.watermarkAll(at(10));
            d.restart();
            assertThat(d.engine().watermark(INVENTORY)).contains(at(10));
            assertThat(kinds(d.watermarkAll(at(40)))).containsExactly("opened sale MISSING_RIGHT");
        }
    }

    @Nested
    class Gauges {
        @Test
        void pendingAndOpenCountsFollowThePairsAndSurviveARestart() {
            var sale = "sale";
            order(confirm(1, "O1", 1), 0);
            order(confirm(2, "O2", 1), 0);
            inventory(trySale(10, "O3", 1), 0);
            assertThat(d.engine().pending(sale, dev.reconciler.core.rule.Side.LEFT)).isEqualTo(2);
            assertThat(d.engine().pending(sale, dev.reconciler.core.rule.Side.RIGHT)).isEqualTo(1);
            inventory(trySale(11, "O1", 2), 1);
            assertThat(d.engine().pending(sale, dev.reconciler.core.rule.Side.LEFT)).isEqualTo(1);
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.QUANTITY_MISMATCH)).isEqualTo(1);
            d.watermarkAll(at(40));
            assertThat(d.engine().pending(sale, dev.reconciler.core.rule.Side.LEFT)).isZero();
            assertThat(d.engine().pending(sale, dev.reconciler.core.rule.Side.RIGHT)).isZero();
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.MISSING_RIGHT)).isEqualTo(1);
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.MISSING_LEFT)).isEqualTo(1);
            d.restart();
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.MISSING_LEFT)).isEqualTo(1);
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.QUANTITY_MISMATCH)).isEqualTo(1);
            d.update(INVENTORY, INVENTORY_TABLE, trySale(11, "O1", 2), trySale(11, "O1", 1), at(41));
            assertThat(d.engine().openDiscrepancies(sale, DiscrepancyType.QUANTITY_MISMATCH)).isZero();
            assertThat(d.engine().openDiscrepancies("cancel", DiscrepancyType.MISSING_LEFT)).isZero();
        }
    }

    @Nested
    class Retention {
        @Test
        void finishedPairsAreDroppedAfterRetentionAndOpenOnesAreKept() {
            order(confirm(1, "O1", 1), 0);
            inventory(trySale(10, "O1", 1), 1);
            order(confirm(2, "O2", 1), 0);
            d.watermarkAll(at(100));
            PairKey done = new PairKey("sale", List.of("O1", "42"));
            PairKey open = new PairKey("sale", List.of("O2", "42"));
            assertThat(d.store().pair(done)).isPresent();
            d.watermarkAll(at(1).plus(Duration.ofDays(7)));
            assertThat(d.store().pair(done)).isEmpty();
            assertThat(d.store().pair(open)).isPresent();
            assertThat(d.discrepancies(Status.OPEN)).hasSize(1);
        }

        @Test
        void resolvedDiscrepanciesGoWithTheirPair() {
            order(confirm(1, "O1", 1), 0);
            String id = opened(d.watermarkAll(at(40))).id();
            inventory(trySale(10, "O1", 1), 41);
            assertThat(d.store().discrepancy(id)).get().extracting(Discrepancy::resolution)
                    .isEqualTo(Resolution.COUNTERPART_ARRIVED);
            d.watermarkAll(at(41).plus(Duration.ofDays(7)));
            assertThat(d.store().discrepancy(id)).isEmpty();
        }

        @Test
        void aReopenedDiscrepancyGetsANewId() {
            order(confirm(1, "O1", 1), 0);
            String first = opened(d.watermarkAll(at(40))).id();
            Fact inv = d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(10, "O1", 1), null, at(41));
            d.pipe(inv);
            // the order's grace passed long ago: losing its counterpart reopens at once
            String second = opened(d.delete(INVENTORY, INVENTORY_TABLE, trySale(10, "O1", 1), at(42))).id();
            assertThat(second).isNotEqualTo(first);
            assertThat(d.discrepancies(Status.OPEN)).extracting(Discrepancy::occurrence).containsExactly(2);
            assertThat(DiscrepancyType.MISSING_RIGHT).isEqualTo(d.discrepancies(Status.OPEN).get(0).type());
        }
    }
}
