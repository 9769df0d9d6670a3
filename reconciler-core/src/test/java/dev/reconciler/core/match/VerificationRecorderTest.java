package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class VerificationRecorderTest {

    private static RowImage deduction(long id, String order, Instant changed) {
        return new RowImage(new RowId("inventory", "collection_inventory_stream", Long.toString(id)),
                Map.of("identifier", order, "collection_id", "42", "changed_quantity", "1", "stream_type", "TRY_SALE",
                        "deleted", "0"), changed, new SourcePosition("database", 0, 0));
    }

    private static VerificationFinding unobserved(String order, Instant changed) {
        return new VerificationFinding("sale", List.of(order, "42"), DiscrepancyType.UNOBSERVED_RIGHT, List.of(),
                List.of(deduction(7, order, changed)), null);
    }

    @Test
    void findingsAreOpenedOnceCountedJournaledAndResolvedWhenAVerificationOfTheirWindowNoLongerFindsThem(
            @TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            ReconciliationEngine.VerificationResult first = d.engine().recordVerification(
                    List.of(unobserved("V1", T0), unobserved("V2", T0.plusSeconds(10))));
            assertThat(first.opened()).isEqualTo(2);
            assertThat(first.outcomes()).hasSize(2).allMatch(o -> o instanceof Outcome.DiscrepancyOpened);
            assertThat(first.ids()).containsExactly(
                    Discrepancy.idOf("sale", List.of("V1", "42"), DiscrepancyType.UNOBSERVED_RIGHT, 1),
                    Discrepancy.idOf("sale", List.of("V2", "42"), DiscrepancyType.UNOBSERVED_RIGHT, 1));
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.UNOBSERVED_RIGHT)).isEqualTo(2);
            assertThat(d.store().journal(1, 10)).extracting(JournalEntry::outcome)
                    .allMatch(o -> o instanceof Outcome.DiscrepancyOpened).hasSize(2);

            // the same window verified again: the same ids, nothing new
            ReconciliationEngine.VerificationResult again = d.engine().recordVerification(List.of(unobserved("V1", T0)));
            assertThat(again.opened()).isZero();
            assertThat(again.outcomes()).isEmpty();
            assertThat(again.ids()).containsExactly(first.ids().get(0));
            d.restart();
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.UNOBSERVED_RIGHT)).as("persisted").isEqualTo(2);

            // a verification of [T0, T0+5s) that found only V1: V2 lies outside it and stays open
            assertThat(d.engine().closeVerification("sale", T0, T0.plusSeconds(5), Set.of(first.ids().get(0)))
                    .resolved()).isZero();
            // a verification of [T0, T0+1m) that found nothing: both resolved
            ReconciliationEngine.VerificationResult closed = d.engine().closeVerification("sale", T0,
                    T0.plusSeconds(60), Set.of());
            assertThat(closed.resolved()).isEqualTo(2);
            Discrepancy v1 = d.store().discrepancy(first.ids().get(0)).orElseThrow();
            assertThat(v1.status()).isEqualTo(Status.RESOLVED);
            assertThat(v1.resolution()).isEqualTo(Resolution.REVERIFIED);
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.UNOBSERVED_RIGHT)).isZero();

            // found once more after it was resolved: the next occurrence, a new id
            ReconciliationEngine.VerificationResult reopened = d.engine().recordVerification(List.of(unobserved("V1", T0)));
            assertThat(reopened.opened()).isEqualTo(1);
            assertThat(reopened.ids()).containsExactly(
                    Discrepancy.idOf("sale", List.of("V1", "42"), DiscrepancyType.UNOBSERVED_RIGHT, 2));
        }
    }

    @Test
    void onlyVerificationTypesAreFindings() {
        assertThatThrownBy(() -> new VerificationFinding("sale", List.of("V1", "42"), DiscrepancyType.MISSING_LEFT,
                List.of(), List.of(), null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("verification type");
    }

    @Test
    void theDatabaseVerdictIsTheSettledJudgementOfTheRows() {
        var rule = OrderInventory.sale(Duration.ofSeconds(30), dev.reconciler.core.rule.Multiplicity.ONE_TO_ONE);
        assertThat(DatabaseVerdict.of(rule, List.of(), List.of(deduction(1, "V1", T0))).discrepancies())
                .containsExactly(DiscrepancyType.MISSING_LEFT);
        assertThat(DatabaseVerdict.of(rule, List.of(), List.of(deduction(1, "V1", T0), deduction(2, "V1", T0)))
                .discrepancies()).contains(DiscrepancyType.DUPLICATE_RIGHT);
    }
}
