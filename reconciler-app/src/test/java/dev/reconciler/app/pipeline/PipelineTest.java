package dev.reconciler.app.pipeline;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PipelineTest {

    @Test
    void publishesTheEngineNumbersBeforeHandingOnOutcomesAndRunsCallsOnTheEngineThread() throws Exception {
        InstantSource clock = InstantSource.fixed(T0.plusSeconds(40));
        List<String> seen = new CopyOnWriteArrayList<>();
        try (InMemoryStateStore store = new InMemoryStateStore()) {
            Pipeline p = new Pipeline(new ReconciliationEngine(OrderInventory.config(Duration.ofSeconds(30)), store, clock),
                    out -> seen.add("first " + out.size()), Duration.ofHours(1));
            p.addListener(out -> {
                // a listener sees the numbers of the batch that produced its outcomes
                long open = p.snapshot().rules().get("sale").open().get(DiscrepancyType.MISSING_RIGHT);
                seen.add("second open=" + open + " " + out.stream().map(o -> o.getClass().getSimpleName()).toList());
            });
            EngineSnapshot initial = p.snapshot();
            assertThat(initial.rules().keySet()).containsExactly("sale", "cancel");
            assertThat(initial.sources().get(ORDERS).watermark()).isNull();

            p.submit(ORDERS, List.of(OrderInventory.fact(ORDERS, OrderInventory.shard(0), Operation.INSERT,
                    OrderInventory.orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), null, T0, 100)), null).get();
            assertThat(p.snapshot().rules().get("sale").pending().get(Side.LEFT)).isEqualTo(1);
            assertThat(p.snapshot().rules().get("sale").facts().get(Side.LEFT)).isEqualTo(1);

            p.submit(ORDERS, List.of(), T0.plusSeconds(40)).get();
            p.submit(OrderInventory.INVENTORY, List.of(), T0.plusSeconds(40)).get();
            assertThat(seen).containsExactly("first 1", "second open=1 [DiscrepancyOpened]");
            assertThat(p.snapshot().rules().get("sale").reconciledUntil()).isEqualTo(T0.plusSeconds(8));
            assertThat(p.snapshot().rules().get("sale").watermarks().get(Side.RIGHT)).isEqualTo(T0.plusSeconds(40));

            assertThat(p.call(e -> Thread.currentThread().getName()).get()).isEqualTo("reconciler-engine");
            assertThat(p.isRunning()).isTrue();
            p.close();
            p.close();
            assertThat(p.isRunning()).isFalse();
            assertThatThrownBy(() -> p.call(e -> 1).get()).hasMessageContaining("pipeline is closed");
            assertThat(seen.stream().filter(s -> s.startsWith("second"))).hasSize(1);
        }
    }
}
