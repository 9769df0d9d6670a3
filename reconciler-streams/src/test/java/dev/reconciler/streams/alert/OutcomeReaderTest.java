package dev.reconciler.streams.alert;

import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import dev.reconciler.streams.OutcomeRecord;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The alerter's input: what the engine reports, written to the outcomes topic and read back, is the very outcome the
 * embedded mode's alert journal holds — so both modes build the same payloads, labels and idempotency keys.
 */
class OutcomeReaderTest {
    private static final Duration GRACE = Duration.ofSeconds(30);

    private static Outcome throughTheTopic(Outcome o) {
        OutcomeRecord written = OutcomeRecord.of(o);
        byte[] bytes = OutcomeRecord.serializer().serialize("reconciler.outcomes", written);
        return OutcomeReader.read(OutcomeRecord.read(written.key(), bytes));
    }

    @Test
    void everyJournaledOutcomeOfARealEngineReadsBackEqual() {
        List<Outcome> all = new ArrayList<>();
        try (EngineTestDriver driver = new EngineTestDriver(OrderInventory.config(GRACE))) {
            driver.clock().set(T0);
            Instant t = T0;
            all.addAll(driver.pipe(List.of(
                    driver.fact(ORDERS, shard(0), Operation.INSERT, orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), null, t),
                    driver.fact(ORDERS, shard(0), Operation.INSERT, orderRow(2, "O2", "42", "CONFIRM", "CONFIRM", 2, 0), null, t))));
            t = t.plus(GRACE).plusSeconds(10);
            all.addAll(driver.watermarkAll(t));                                   // O1, O2 opened: MISSING_RIGHT
            t = t.plusSeconds(1);
            all.addAll(driver.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(3, "O1", 42, "TRY_SALE", 1, 0), t)); // resolved
            Map<String, Object> noQuantity = orderRow(4, "O3", "42", "CONFIRM", "CONFIRM", 1, 0);
            noQuantity.remove("item_count");
            all.addAll(driver.insert(ORDERS, shard(1), noQuantity, t.plusSeconds(1)));  // the rule pauses
            all.addAll(driver.tick(Duration.ofHours(2)));                        // sources stalled
            all.addAll(driver.watermarkAll(driver.clock().instant()));          // recovered
        }
        all.add(new Outcome.CoverageGap(ORDERS, T0, T0.plusSeconds(60), "binlog purged", T0.plusSeconds(61)));
        all.add(new Outcome.RuleResumed("sale", Side.LEFT, ORDERS, shard(1), "item_count",
                Outcome.RuleResumed.Why.COLUMN_BACK, new SourcePosition("bin.000002", 4, 1), T0, 7, T0.plusSeconds(5)));
        all.add(new Outcome.FactQuarantined(new Quarantined(ORDERS, shard(1), "9", new SourcePosition("bin.000002", 9, 0),
                QuarantineReason.values()[0], "sale", Side.LEFT, "quantity", T0), true, 3));

        Set<String> kinds = all.stream().filter(JournalEntry::journaled).map(o -> o.getClass().getSimpleName())
                .collect(Collectors.toSet());
        assertThat(kinds).contains("DiscrepancyOpened", "DiscrepancyResolved", "SourceStalled", "SourceRecovered",
                "CoverageGap", "RulePaused", "RuleResumed", "FactQuarantined");
        for (Outcome o : all) {
            if (JournalEntry.journaled(o)) {
                assertThat(throughTheTopic(o)).as(o.getClass().getSimpleName()).isEqualTo(o);
            } else {
                assertThat(throughTheTopic(o)).as("not alerted on: " + o).isNull();
            }
        }
    }

    @Test
    void anUnknownTypeIsSkippedAndABrokenKnownOneNamesItsKey() {
        OutcomeRecord future = OutcomeRecord.read("x/1", "{\"type\":\"SomethingNew\",\"outcome\":{}}".getBytes());
        assertThat(OutcomeReader.read(future)).isNull();
        OutcomeRecord broken = OutcomeRecord.read("source/orders/stalled/x",
                "{\"type\":\"SourceStalled\",\"outcome\":{\"source\":\"orders\",\"watermark\":\"yesterday\"}}".getBytes());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> OutcomeReader.read(broken))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("source/orders/stalled/x");
    }
}
