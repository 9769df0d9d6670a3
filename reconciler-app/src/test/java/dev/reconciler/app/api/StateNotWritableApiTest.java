package dev.reconciler.app.api;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.OrderInventory;
import dev.reconciler.core.testing.SmallFileSystem;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A state store on a file system that fills up: readiness fails with the cause, the status and the metric say so,
 * liveness stays up, the batches wait; when space returns all of it clears by itself and the batches are applied.
 */
class StateNotWritableApiTest {

    private static List<Fact> orders(int from, int count) {
        List<Fact> facts = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            facts.add(OrderInventory.fact(ORDERS, OrderInventory.shard(0), Operation.INSERT,
                    OrderInventory.orderRow(i, "NW" + i, "42", "CONFIRM", "CONFIRM", 1, 0), null, T0, 100 + i));
        }
        return facts;
    }

    @Test
    void aFullDiskFailsReadinessWithTheCauseUntilSpaceReturns() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.tmpfs(16)) {
            RocksDbStateStore store = RocksDbStateStore.open(fs.path().resolve("rocksdb"),
                    RocksDbStateStore.Options.defaults().withBlockCacheBytes(8L << 20).withWriteBufferBytes(1L << 20),
                    line -> { });
            try (ApiHarness h = new ApiHarness(store, ApiConfig.defaults())) {
                assertThat(h.get("/health/ready").status()).isEqualTo(200);
                fs.fill();
                List<CompletableFuture<Void>> batches = new ArrayList<>();
                int[] next = {0};
                await().atMost(Duration.ofSeconds(60)).until(() -> {
                    CompletableFuture<Void> f = h.pipeline.submit(ORDERS, orders(next[0], 200), null);
                    next[0] += 200;
                    batches.add(f);
                    await().atMost(Duration.ofSeconds(10)).until(() -> f.isDone() || h.pipeline.unwritable() != null);
                    return h.pipeline.unwritable() != null;
                });
                ApiHarness.Reply ready = h.get("/health/ready");
                assertThat(ready.status()).isEqualTo(503);
                assertThat(ready.json().get("reasons").toString()).contains("the state store takes no writes")
                        .contains("no space left on device");
                assertThat(h.get("/api/status").json().get("stateUnwritable").get("message").asText())
                        .contains(fs.path().toString()).contains("free space");
                assertThat(h.get("/health/live").status()).as("a restart would not free space").isEqualTo(200);
                assertThat(h.get("/api/status").json().get("stateUnwritable").get("reason").asText())
                        .isEqualTo("no space left on device");
                assertThat(h.get("/metrics").body()).contains("reconciler_state_writable 0.0");
                assertThat(batches.get(batches.size() - 1)).as("the failed batch waits, it does not fail").isNotDone();

                fs.free();
                await().atMost(Duration.ofSeconds(30)).until(() -> h.get("/health/ready").status() == 200);
                for (CompletableFuture<Void> f : batches) f.get();
                assertThat(h.get("/api/status").json().get("stateUnwritable").isNull()).isTrue();
                assertThat(h.get("/metrics").body()).contains("reconciler_state_writable 1.0");
                assertThat(h.pipeline.snapshot().rules().get("sale").facts().get(dev.reconciler.core.rule.Side.LEFT))
                        .as("every order applied once, none lost or counted twice").isEqualTo(next[0]);
            } finally {
                store.close();
            }
        }
    }
}
