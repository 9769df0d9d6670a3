package dev.reconciler.core.match;

import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/** The engine journals every outcome but matches, in the batch that produced it, in the order it reported them. */
class OutcomeJournalTest {

    @Test
    void discrepanciesAndStallsAreJournaledInOrderMatchesAreNotAndTheJournalSurvivesARestart(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            // O1 matched at once; O2 waits and is reported missing; its late deduction resolves it
            d.insert(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0);
            d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0);
            d.insert(ORDERS, shard(1), orderRow(2, "O2", "42", "CONFIRM", "CONFIRM", 1, 0), T0);
            d.watermarkAll(T0.plusSeconds(40));
            d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(2, "O2", 42, "TRY_SALE", 1, 0), T0.plusSeconds(41));
            // the inventory source goes quiet past the stall bound, then comes back
            d.watermark(ORDERS, T0.plusSeconds(200));
            d.tick(T0.plusSeconds(200));
            d.watermark(INVENTORY, T0.plusSeconds(200));

            List<Outcome> reported = d.history().stream().filter(JournalEntry::journaled).toList();
            assertThat(reported).extracting(o -> o.getClass().getSimpleName()).containsExactly(
                    "DiscrepancyOpened", "DiscrepancyResolved", "SourceStalled", "SourceRecovered");
            assertThat(d.history()).as("matches happened, and are not journaled")
                    .anyMatch(o -> o instanceof Outcome.PairMatched);
            assertThat(d.store().journal(1, 100)).extracting(JournalEntry::outcome).containsExactlyElementsOf(reported);
            assertThat(d.store().journalSeq()).isEqualTo(4);

            d.restart();
            assertThat(d.store().journal(1, 100)).extracting(JournalEntry::outcome).containsExactlyElementsOf(reported);
            d.insert(ORDERS, shard(2), orderRow(3, "O3", "42", "CONFIRM", "CONFIRM", 1, 0), T0.plusSeconds(201));
            d.watermarkAll(T0.plusSeconds(300));
            assertThat(d.store().journal(5, 100)).extracting(JournalEntry::seq).containsExactly(5L);
        }
    }
}
