package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.AuditEntry;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.TimelineEntry.Action;
import dev.reconciler.core.discrepancy.TransitionRefused;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.List;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkflowTest {
    private static final DiscrepancyType MR = DiscrepancyType.MISSING_RIGHT;

    private static Discrepancy missingRight(EngineTestDriver d, long id, String order) {
        d.insert(ORDERS, shard(0), orderRow(id, order, "42", "CONFIRM", "CONFIRM", 1, 0), T0);
        return d.watermarkAll(T0.plusSeconds(40)).stream()
                .filter(o -> o instanceof Outcome.DiscrepancyOpened)
                .map(o -> ((Outcome.DiscrepancyOpened) o).discrepancy()).findFirst().orElseThrow();
    }

    @Test
    void aWaivedDiscrepancyStopsCountingAsOpenSurvivesARestartAndResolvesWhenThePairIsFixed(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            Discrepancy opened = missingRight(d, 1, "O1");
            d.clock().set(T0.plusSeconds(50));
            int before = d.history().size();
            Discrepancy waived = d.engine().act(opened.id(), Action.WAIVED, "alice", "known: ticket OPS-1").orElseThrow().discrepancy();
            assertThat(waived.status()).isEqualTo(Status.WAIVED);
            assertThat(waived.timeline()).singleElement().satisfies(e -> {
                assertThat(e.action()).isEqualTo(Action.WAIVED);
                assertThat(e.by()).isEqualTo("alice");
                assertThat(e.reason()).isEqualTo("known: ticket OPS-1");
                assertThat(e.at()).isEqualTo(T0.plusSeconds(50));
            });
            assertThat(d.engine().openDiscrepancies("sale", MR)).isZero();
            assertThat(d.engine().waivedDiscrepancies("sale", MR)).isEqualTo(1);
            // The waive is journaled as a resolved transition: the alert resolves.
            assertThat(d.store().journal(1, 100)).anySatisfy(j -> assertThat(j.outcome())
                    .isInstanceOfSatisfying(Outcome.DiscrepancyResolved.class,
                            r -> assertThat(r.discrepancy().status()).isEqualTo(Status.WAIVED)));
            // ... dated by the step (the alert outbox trims by this time; a waiver has no resolved-at)
            assertThat(d.store().journal(1, 100)).allSatisfy(j -> assertThat(j.at()).isNotNull())
                    .anySatisfy(j -> assertThat(j.at()).isEqualTo(T0.plusSeconds(50)));

            assertThatThrownBy(() -> d.engine().act(opened.id(), Action.WAIVED, "bob", "again"))
                    .isInstanceOf(TransitionRefused.class).hasMessageContaining("waived already");
            assertThatThrownBy(() -> d.engine().act(opened.id(), Action.WAIVED, "bob", " "))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a reason");

            d.restart();
            Discrepancy stored = d.store().discrepancy(opened.id()).orElseThrow();
            assertThat(stored.status()).isEqualTo(Status.WAIVED);
            assertThat(stored.timeline()).isEqualTo(waived.timeline());
            assertThat(d.engine().openDiscrepancies("sale", MR)).isZero();
            assertThat(d.engine().waivedDiscrepancies("sale", MR)).isEqualTo(1);

            d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0.plusSeconds(60));
            Discrepancy resolved = d.store().discrepancy(opened.id()).orElseThrow();
            assertThat(resolved.status()).isEqualTo(Status.RESOLVED);
            assertThat(resolved.resolution()).isEqualTo(Resolution.COUNTERPART_ARRIVED);
            assertThat(resolved.timeline()).hasSize(1);
            assertThat(d.engine().waivedDiscrepancies("sale", MR)).isZero();
            assertThat(d.engine().openDiscrepancies("sale", MR)).isZero();

            List<AuditEntry> trail = ReconciliationEngine.audit(d.store(), null, null, 10);
            assertThat(trail).singleElement().satisfies(e -> {
                assertThat(e.seq()).isEqualTo(1);
                assertThat(e.discrepancyId()).isEqualTo(opened.id());
                assertThat(e.action()).isEqualTo(Action.WAIVED);
                assertThat(e.by()).isEqualTo("alice");
            });
            DailyTally.Day day = ReconciliationEngine.daily(d.store(), d.engine().config(), LocalDate.of(2026, 11, 26));
            DailyTally.RuleDay sale = day.rules().stream().filter(r -> r.rule().equals("sale")).findFirst().orElseThrow();
            assertThat(sale.opened().get(MR)).isEqualTo(1);
            assertThat(sale.waived().get(MR)).isEqualTo(1);
            assertThat(sale.resolved().get(MR)).isEqualTo(1);
            assertThat(sale.matched()).isEqualTo(1);
        }
    }

    @Test
    void resolvedByHandWhileStillWrongOpensANewOccurrenceAtThePairsNextChange(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            Discrepancy opened = missingRight(d, 1, "O1");
            d.clock().set(T0.plusSeconds(50));
            Discrepancy manual = d.engine().act(opened.id(), Action.RESOLVED, "alice", "fixed by hand in the shop")
                    .orElseThrow().discrepancy();
            assertThat(manual.status()).isEqualTo(Status.RESOLVED);
            assertThat(manual.resolution()).isEqualTo(Resolution.MANUAL);
            assertThat(manual.resolvedAt()).isEqualTo(T0.plusSeconds(50));
            assertThat(d.engine().openDiscrepancies("sale", MR)).isZero();
            assertThatThrownBy(() -> d.engine().act(opened.id(), Action.RESOLVED, "bob", "x"))
                    .isInstanceOf(TransitionRefused.class).hasMessageContaining("resolved (MANUAL)");

            d.restart();
            assertThat(d.store().discrepancy(opened.id()).orElseThrow().resolution()).isEqualTo(Resolution.MANUAL);

            // Re-open, then resolve again: the pair's open set follows.
            Discrepancy reopened = d.engine().act(opened.id(), Action.REOPENED, "bob", "not fixed").orElseThrow().discrepancy();
            assertThat(reopened.status()).isEqualTo(Status.OPEN);
            assertThat(reopened.resolvedAt()).isNull();
            assertThat(d.engine().openDiscrepancies("sale", MR)).isEqualTo(1);
            d.engine().act(opened.id(), Action.RESOLVED, "bob", "fixed now").orElseThrow().discrepancy();

            // Still no inventory row; the order row changes: the engine opens a new occurrence (a new id).
            List<Outcome> out = d.update(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0),
                    orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 2, 0), T0.plusSeconds(70));
            out = new java.util.ArrayList<>(out);
            out.addAll(d.watermarkAll(T0.plusSeconds(120)));
            Discrepancy again = out.stream().filter(o -> o instanceof Outcome.DiscrepancyOpened)
                    .map(o -> ((Outcome.DiscrepancyOpened) o).discrepancy()).findFirst().orElseThrow();
            assertThat(again.id()).isNotEqualTo(opened.id());
            assertThat(again.occurrence()).isEqualTo(2);
            assertThat(d.engine().openDiscrepancies("sale", MR)).isEqualTo(1);
            // The earlier one cannot be re-opened now: a later occurrence owns the type.
            assertThatThrownBy(() -> d.engine().act(opened.id(), Action.REOPENED, "bob", ""))
                    .isInstanceOf(TransitionRefused.class).hasMessageContaining(again.id());

            List<AuditEntry> trail = ReconciliationEngine.audit(d.store(), null, null, 10);
            assertThat(trail).extracting(AuditEntry::action)
                    .containsExactly(Action.RESOLVED, Action.REOPENED, Action.RESOLVED);
            assertThat(ReconciliationEngine.audit(d.store(), trail.get(1).seq(), null, 10))
                    .extracting(AuditEntry::seq).containsExactly(1L);
        }
    }

    @Test
    void aHandResolvedDiscrepancyWhosePairBecameConsistentSinceCannotBeReopened(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            Discrepancy opened = missingRight(d, 1, "O1");
            d.engine().act(opened.id(), Action.RESOLVED, "alice", "deducted by hand").orElseThrow();
            List<Outcome> out = d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0),
                    T0.plusSeconds(60));
            assertThat(out).anyMatch(o -> o instanceof Outcome.PairMatched);
            assertThat(out).noneMatch(o -> o instanceof Outcome.DiscrepancyResolved);
            assertThatThrownBy(() -> d.engine().act(opened.id(), Action.REOPENED, "bob", ""))
                    .isInstanceOf(TransitionRefused.class).hasMessageContaining("consistent since");
            assertThat(d.engine().openDiscrepancies("sale", MR)).isZero();
        }
    }

    @Test
    void anEngineResolvedDiscrepancyCannotBeReopenedAndAWaivedMismatchWhoseAmountChangesOpensAgain(
            @TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            d.insert(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0);
            List<Outcome> out = d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 2, 0),
                    T0.plusSeconds(1));
            out = new java.util.ArrayList<>(out);
            out.addAll(d.watermarkAll(T0.plusSeconds(40)));
            Discrepancy mismatch = out.stream().filter(o -> o instanceof Outcome.DiscrepancyOpened)
                    .map(o -> ((Outcome.DiscrepancyOpened) o).discrepancy()).findFirst().orElseThrow();
            assertThat(mismatch.type()).isEqualTo(DiscrepancyType.QUANTITY_MISMATCH);
            d.engine().act(mismatch.id(), Action.WAIVED, "alice", "known").orElseThrow().discrepancy();

            List<Outcome> changed = d.update(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 2, 0),
                    inventoryRow(1, "O1", 42, "TRY_SALE", 3, 0), T0.plusSeconds(50));
            assertThat(changed).anySatisfy(o -> assertThat(o).isInstanceOfSatisfying(Outcome.DiscrepancyOpened.class,
                    x -> assertThat(x.discrepancy().id()).isEqualTo(mismatch.id())));
            Discrepancy reopened = d.store().discrepancy(mismatch.id()).orElseThrow();
            assertThat(reopened.status()).isEqualTo(Status.OPEN);
            assertThat(reopened.timeline()).last().satisfies(e -> {
                assertThat(e.action()).isEqualTo(Action.REOPENED);
                assertThat(e.by()).isEqualTo("engine");
                assertThat(e.reason()).contains("difference changed");
            });
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.QUANTITY_MISMATCH)).isEqualTo(1);
            assertThat(d.engine().waivedDiscrepancies("sale", DiscrepancyType.QUANTITY_MISMATCH)).isZero();

            d.update(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 3, 0),
                    inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0.plusSeconds(60));
            assertThat(d.store().discrepancy(mismatch.id()).orElseThrow().status()).isEqualTo(Status.RESOLVED);
            assertThatThrownBy(() -> d.engine().act(mismatch.id(), Action.REOPENED, "bob", ""))
                    .isInstanceOf(TransitionRefused.class).hasMessageContaining("the engine resolved it");
            assertThat(d.engine().act("0000000000000000", Action.WAIVED, "bob", "x")).isEmpty();
        }
    }
}
