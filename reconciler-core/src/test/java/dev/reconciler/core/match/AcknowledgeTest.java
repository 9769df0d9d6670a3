package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

class AcknowledgeTest {

    @Test
    void anAcknowledgementIsStoredSurvivesARestartAndStaysWhenTheDiscrepancyResolves(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(OrderInventory.config(Duration.ofSeconds(30)), dir)) {
            d.insert(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0);
            Discrepancy opened = d.watermarkAll(T0.plusSeconds(40)).stream()
                    .filter(o -> o instanceof Outcome.DiscrepancyOpened)
                    .map(o -> ((Outcome.DiscrepancyOpened) o).discrepancy()).findFirst().orElseThrow();
            assertThat(opened.type()).isEqualTo(DiscrepancyType.MISSING_RIGHT);

            d.clock().set(T0.plusSeconds(50));
            Discrepancy acked = d.engine().acknowledge(opened.id(), "looking into it").orElseThrow();
            assertThat(acked.acknowledgement()).isEqualTo(new Acknowledgement(T0.plusSeconds(50), "looking into it"));
            assertThat(acked.status()).as("an acknowledgement changes nothing in the judgement").isEqualTo(Status.OPEN);
            assertThat(d.engine().acknowledge("0000000000000000", "x")).isEmpty();
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.MISSING_RIGHT)).isEqualTo(1);

            d.restart();
            assertThat(d.store().discrepancy(opened.id()).orElseThrow().acknowledgement())
                    .isEqualTo(acked.acknowledgement());

            d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0.plusSeconds(60));
            Discrepancy resolved = d.store().discrepancy(opened.id()).orElseThrow();
            assertThat(resolved.status()).isEqualTo(Status.RESOLVED);
            assertThat(resolved.resolution()).isEqualTo(Resolution.COUNTERPART_ARRIVED);
            assertThat(resolved.acknowledgement()).isEqualTo(acked.acknowledgement());
        }
    }
}
