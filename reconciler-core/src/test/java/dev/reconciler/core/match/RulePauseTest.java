package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
 * A column a rule reads disappears from a table's rows (dropped or renamed while running): the rule pauses for that
 * table, holds its pairs, says so once, and resumes when the column is back or the configuration stops reading it.
 * Grace 30 s, clock skew 2 s (see {@link OrderInventory#config}).
 */
class RulePauseTest {
    static final Duration GRACE = Duration.ofSeconds(30);
    EngineTestDriver d;

    @BeforeEach
    void setUp() {
        d = newDriver(OrderInventory.config(GRACE));
    }

    /** The in-memory store here; {@link RulePauseOnRocksDbTest} runs every scenario on RocksDB. */
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

    static Map<String, Object> confirm(long id, String order) {
        return orderRow(id, order, "42", "CONFIRM", "CONFIRM", 1, 0);
    }

    static Map<String, Object> without(Map<String, Object> row, String column) {
        row.remove(column);
        return row;
    }

    List<Outcome> order(Map<String, Object> row, int second) {
        return d.insert(ORDERS, shard(1), row, at(second));
    }

    List<Outcome> inventory(String order, int second) {
        return d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(second, order, 42, "TRY_SALE", 1, 0), at(second));
    }

    static List<Outcome.RulePaused> paused(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.RulePaused).map(o -> (Outcome.RulePaused) o).toList();
    }

    static List<Outcome.RuleResumed> resumed(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.RuleResumed).map(o -> (Outcome.RuleResumed) o).toList();
    }

    static long opened(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.DiscrepancyOpened).count();
    }

    @Test
    void aDroppedQuantityColumnPausesTheRulesThatReadItOnceAndHoldsTheirPairsUntilItIsBack() {
        order(confirm(1, "O1"), 0);
        assertThat(inventory("O1", 1)).hasSize(1).allMatch(o -> o instanceof Outcome.PairMatched);

        List<Outcome> out = order(without(confirm(2, "O2"), "item_count"), 5);
        assertThat(paused(out)).as("both default rules read item_count").hasSize(2)
                .extracting(Outcome.RulePaused::rule).containsExactlyInAnyOrder("sale", "cancel");
        Outcome.RulePaused p = paused(out).stream().filter(x -> x.rule().equals("sale")).findFirst().orElseThrow();
        assertThat(p.side()).isEqualTo(Side.LEFT);
        assertThat(p.source()).isEqualTo(ORDERS);
        assertThat(p.table()).isEqualTo(shard(1));
        assertThat(p.column()).isEqualTo("item_count");
        assertThat(p.position()).isEqualTo(new SourcePosition("bin.000001", 200, 0));
        assertThat(out).as("the row is held: neither matched nor a discrepancy").hasSize(2);

        assertThat(order(without(confirm(3, "O3"), "item_count"), 6)).as("one outcome per pause, not per row").isEmpty();
        assertThat(d.engine().factsHeld("sale", Side.LEFT)).isEqualTo(2);
        assertThat(d.engine().factsWithoutKey("sale", Side.LEFT)).isZero();
        assertThat(d.engine().pauses("sale")).singleElement()
                .satisfies(x -> assertThat(x.column()).isEqualTo("item_count"));
        Instant reconciled = d.engine().reconciledUntil("sale").orElse(null);

        // The inventory rows of O3 (its order row was held) and O5 (never ordered) wait: no MISSING while paused.
        inventory("O3", 7);
        inventory("O5", 8);
        assertThat(opened(d.watermarkAll(at(500)))).as("several graces later, still held").isZero();
        assertThat(d.engine().pending("sale", Side.RIGHT)).isEqualTo(2);
        assertThat(d.engine().reconciledUntil("sale").orElse(null)).as("frozen while paused").isEqualTo(reconciled);

        // The column is back (the order service re-added it and writes O3's row again).
        out = order(confirm(4, "O3"), 510);
        assertThat(resumed(out)).extracting(Outcome.RuleResumed::rule).containsExactlyInAnyOrder("sale", "cancel");
        Outcome.RuleResumed r = resumed(out).stream().filter(x -> x.rule().equals("sale")).findFirst().orElseThrow();
        assertThat(r.why()).isEqualTo(Outcome.RuleResumed.Why.COLUMN_BACK);
        assertThat(r.held()).isEqualTo(2);
        assertThat(r.pausedAt()).isEqualTo(p.at());
        assertThat(out).anyMatch(o -> o instanceof Outcome.PairMatched m && m.key().get("order_id").equals("O3"));
        assertThat(d.engine().pauses("sale")).isEmpty();

        // The wait held longer than the grace is judged at the next watermark move, on the real watermarks.
        List<Outcome> after = d.watermarkAll(at(520));
        assertThat(after).filteredOn(o -> o instanceof Outcome.DiscrepancyOpened).singleElement()
                .satisfies(o -> {
                    var x = ((Outcome.DiscrepancyOpened) o).discrepancy();
                    assertThat(x.type()).isEqualTo(DiscrepancyType.MISSING_LEFT);
                    assertThat(x.key()).containsEntry("order_id", "O5");
                });
    }

    @Test
    void aNullValueIsPresentNotMissing() {
        Map<String, Object> keyless = confirm(1, "O1");
        keyless.put("order_id", null);
        assertThat(paused(order(keyless, 0))).isEmpty();
        assertThat(d.engine().factsWithoutKey("sale", Side.LEFT)).isEqualTo(1);
        Map<String, Object> noCount = confirm(2, "O2");
        noCount.put("item_count", null);
        assertThat(paused(order(noCount, 1))).isEmpty();
        assertThat(d.engine().pauses("sale")).isEmpty();
    }

    @Test
    void theOtherRulesKeepRunning() {
        // order_state is read by sale only (cancel filters on stream_type)
        Map<String, Object> row = confirm(1, "O1");
        row.remove("order_state");
        assertThat(paused(order(row, 0))).singleElement().satisfies(p -> {
            assertThat(p.rule()).isEqualTo("sale");
            assertThat(p.column()).isEqualTo("order_state");
        });
        Map<String, Object> cancel = without(orderRow(2, "O2", "42", "CANCEL", "CLOSED", 1, 0), "order_state");
        order(cancel, 1);
        List<Outcome> out = d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(3, "O2", 42, "CANCEL_SALE", 1, 0), at(2));
        assertThat(out).singleElement().satisfies(o -> assertThat(((Outcome.PairMatched) o).rule()).isEqualTo("cancel"));
        inventory("O7", 3);
        List<Outcome> later = d.watermarkAll(at(500));
        assertThat(opened(later)).as("sale holds its pairs").isZero();
        order(without(orderRow(4, "O8", "42", "CANCEL", "CLOSED", 1, 0), "order_state"), 501);
        assertThat(d.watermarkAll(at(600))).filteredOn(o -> o instanceof Outcome.DiscrepancyOpened)
                .singleElement().satisfies(o -> assertThat(((Outcome.DiscrepancyOpened) o).discrepancy().rule())
                        .isEqualTo("cancel"));
    }

    @Test
    void aPauseSurvivesARestartAndIsNotReportedAgain() {
        order(without(confirm(1, "O1"), "item_count"), 0);
        inventory("O9", 1);
        d.restart();
        assertThat(d.engine().pauses("sale")).singleElement().satisfies(p -> {
            assertThat(p.table()).isEqualTo(shard(1));
            assertThat(p.position()).isEqualTo(new SourcePosition("bin.000001", 100, 0));
        });
        assertThat(order(without(confirm(2, "O2"), "item_count"), 2)).isEmpty();
        assertThat(opened(d.watermarkAll(at(500)))).isZero();
        assertThat(d.tick(Duration.ofSeconds(1))).noneMatch(o -> o instanceof Outcome.RulePaused);

        d.restart();
        assertThat(resumed(order(confirm(3, "O9"), 501))).hasSize(2);
        d.restart();
        assertThat(d.engine().pauses("sale")).as("the resume is persisted too").isEmpty();
        assertThat(d.engine().pauses("cancel")).isEmpty();
    }

    @Test
    void aRestartWithAConfigurationThatNoLongerReadsTheColumnResumes() {
        order(without(confirm(1, "O1"), "item_count"), 0);
        inventory("O9", 1);
        assertThat(d.engine().pauses("sale")).hasSize(1);

        // sale no longer compares quantities; cancel still does
        Rule saleWithoutQuantity = new Rule("sale", ArticleSale.rule().left(), ArticleSale.rule().right(),
                ArticleSale.rule().key(), null, Multiplicity.ONE_TO_ONE, GRACE);
        EngineConfig changed = new EngineConfig(List.of(OrderInventory.orderStream(), OrderInventory.inventoryStream()),
                List.of(saleWithoutQuantity, OrderInventory.cancel(GRACE)), Duration.ofSeconds(2),
                Duration.ofMinutes(1), Duration.ofDays(7));
        d.restart(changed);
        assertThat(d.engine().pauses("sale")).isEmpty();
        assertThat(d.engine().pauses("cancel")).hasSize(1);
        List<Outcome> out = d.tick(Duration.ofSeconds(1));
        assertThat(resumed(out)).singleElement().satisfies(r -> {
            assertThat(r.rule()).isEqualTo("sale");
            assertThat(r.why()).isEqualTo(Outcome.RuleResumed.Why.CONFIGURATION_CHANGED);
            assertThat(r.position()).isNull();
        });
        assertThat(resumed(d.tick(Duration.ofSeconds(1)))).as("once").isEmpty();
        d.restart();
        assertThat(resumed(d.tick(Duration.ofSeconds(1)))).as("persisted").isEmpty();

        // sale judges again on the real watermarks: O9's inventory row has no order
        assertThat(d.watermarkAll(at(500))).filteredOn(o -> o instanceof Outcome.DiscrepancyOpened)
                .extracting(o -> ((Outcome.DiscrepancyOpened) o).discrepancy().type())
                .containsExactly(DiscrepancyType.MISSING_LEFT);
    }

    @Test
    void pauseOutcomesAreJournaled() {
        order(without(confirm(1, "O1"), "item_count"), 0);
        order(confirm(2, "O2"), 1);
        assertThat(d.store().journal(0, 100)).extracting(e -> e.outcome().getClass().getSimpleName())
                .containsExactly("RulePaused", "RulePaused", "RuleResumed", "RuleResumed");
    }

    /** The default sale rule, to derive a changed one from. */
    private static final class ArticleSale {
        static Rule rule() {
            return OrderInventory.sale(GRACE, Multiplicity.ONE_TO_ONE);
        }
    }
}
