package dev.reconciler.streams;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The instance's view over its match tasks' engines: merged numbers, and tasks that leave. */
class EngineTasksTest {
    static final Instant T0 = OrderInventory.T0;

    @Test
    void aTaskThatLeavesKeepsItsCountsSinceStartAndDropsItsGauges() {
        var config = OrderInventory.config(Duration.ofSeconds(30));
        EngineTasks tasks = new EngineTasks(config);
        assertThat(tasks.merged(T0).rules().get("sale").open().values()).containsOnly(0L);

        ReconciliationEngine engine = new ReconciliationEngine(config, new InMemoryStateStore(), () -> T0);
        engine.apply(OrderInventory.fact(OrderInventory.ORDERS, OrderInventory.shard(1),
                dev.reconciler.core.fact.Operation.INSERT,
                OrderInventory.orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), null, T0, 4));
        tasks.publish("1_0", EngineSnapshot.of(engine, T0));
        tasks.publish("1_1", EngineTasks.empty(config, T0));
        EngineSnapshot.RuleNumbers sale = tasks.merged(T0).rules().get("sale");
        assertThat(sale.facts().get(Side.LEFT)).isEqualTo(1);
        assertThat(sale.pending().get(Side.LEFT)).isEqualTo(1);

        tasks.remove("1_0");
        tasks.remove("1_1");
        tasks.remove("1_1");   // again: nothing happens
        sale = tasks.merged(T0).rules().get("sale");
        assertThat(sale.facts().get(Side.LEFT)).as("a counter never goes down").isEqualTo(1);
        assertThat(sale.pending().get(Side.LEFT)).as("the pairs went with the task").isZero();
        assertThat(tasks.tasks()).isEmpty();
    }
}
