package dev.reconciler.streams;

import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.source.HeartbeatWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The distributed mode's heartbeat writer when the databases cannot be reached: it keeps trying and says so in its
 * state and its metrics, and closing it is idempotent. (Writing, and its effect on the watermark, is
 * {@link DistributedHeartbeatsTest}.)
 */
class StreamsHeartbeatsTest {

    @Test
    void anUnreachableDatabaseIsVisibleInTheStateAndTheMetricsAndStopsNothing() throws Exception {
        int closedPort = freePort();
        String yaml = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"))
                .replace("${ORDER_DB_PORT:-3306}", Integer.toString(closedPort))
                .replace("${INVENTORY_DB_PORT:-3307}", Integer.toString(closedPort));
        ReconcilerConfig config = new ConfigLoader(name -> null).load(yaml, "reconciler.yml");
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        StreamsHeartbeats heartbeats = StreamsHeartbeats.start(config);
        try {
            heartbeats.bindTo(registry);
            assertThat(heartbeats.states()).extracting(HeartbeatWriter.State::source)
                    .containsExactly("orders", "inventory");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                for (HeartbeatWriter.State s : heartbeats.states()) {
                    assertThat(s.failing()).as(s.toString()).isTrue();
                    assertThat(s.failures()).as("retried every interval: " + s).isGreaterThanOrEqualTo(2);
                    assertThat(s.lastError()).contains("127.0.0.1:" + closedPort);
                }
            });
            assertThat(registry.get("reconciler_heartbeat_failing").tag("source", "orders").gauge().value())
                    .isEqualTo(1.0);
            assertThat(registry.get("reconciler_heartbeat_age_seconds").tag("source", "orders").gauge().value())
                    .isNaN();
            assertThat(registry.get("reconciler_heartbeat_failures").tag("source", "inventory")
                    .functionCounter().count()).isGreaterThanOrEqualTo(2);
        } finally {
            heartbeats.close();
            heartbeats.close();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
