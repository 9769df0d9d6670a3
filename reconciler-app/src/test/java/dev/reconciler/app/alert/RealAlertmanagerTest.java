package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.discrepancy.Discrepancy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A real Prometheus Alertmanager (Debian's {@code prometheus-alertmanager}, installed by scripts/test.sh) on a free
 * loopback port: an alert posted through the sink is read back from its API, then resolved.
 */
public class RealAlertmanagerTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process alertmanager;
    private AlertRig rig;

    @AfterEach
    void stop() throws Exception {
        if (rig != null) rig.close();
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    public static Path binary() {
        List<String> dirs = new ArrayList<>(List.of(System.getenv().getOrDefault("PATH", "").split(":")));
        dirs.addAll(List.of("/usr/bin", "/usr/local/bin"));
        for (String name : List.of("prometheus-alertmanager", "alertmanager")) {
            for (String d : dirs) {
                if (d.isEmpty()) continue;
                Path p = Path.of(d, name);
                if (Files.isExecutable(p)) return p;
            }
        }
        return null;
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** The alerts Alertmanager lists (it leaves resolved ones out) whose alertname is ours. */
    private List<JsonNode> listed(String base) throws Exception {
        String filter = URLEncoder.encode("alertname=\"" + Alert.ALERTNAME_DISCREPANCY + "\"", StandardCharsets.UTF_8);
        HttpResponse<String> r = get(base + "/api/v2/alerts?filter=" + filter);
        assertThat(r.statusCode()).isEqualTo(200);
        List<JsonNode> out = new ArrayList<>();
        Receiver.JSON.readTree(r.body()).forEach(out::add);
        return out;
    }

    /** Starts Alertmanager on {@code port} with its data in {@code dir}; returns its base URL once it is ready. */
    private String startAlertmanager(Path dir, int port) throws Exception {
        alertmanager = launch(dir, port);
        return "http://127.0.0.1:" + port;
    }

    /**
     * Starts Alertmanager on {@code port} (a route to a receiver that sends nothing) with its data in {@code dir}
     * and waits until it is ready; the caller stops the process. Shared with the crash soak.
     */
    public static Process launch(Path dir, int port) throws Exception {
        Path bin = binary();
        assertThat(bin).as("prometheus-alertmanager is not installed: run the tests with scripts/test.sh, which"
                + " installs it, or apt-get install prometheus-alertmanager").isNotNull();
        Files.createDirectories(dir);
        Path config = dir.resolve("alertmanager.yml");
        Files.writeString(config, "route:\n  receiver: nobody\nreceivers:\n  - name: nobody\n");
        String base = "http://127.0.0.1:" + port;
        Process p = new ProcessBuilder(bin.toString(), "--config.file=" + config,
                "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=", "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("alertmanager.log").toFile())).start();
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .failFast("Alertmanager exited (" + dir.resolve("alertmanager.log") + ")", () -> !p.isAlive())
                .until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready"))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200);
        return p;
    }

    /** The {@code key} labels of the discrepancies Alertmanager lists as firing. */
    private List<String> firingKeys(String base) throws Exception {
        return listed(base).stream().map(a -> a.get("labels").get("key").asText()).sorted().toList();
    }

    @Test
    void anAlertPostedThroughTheSinkIsListedByAlertmanagerAndGoesWhenResolved(@TempDir Path dir) throws Exception {
        String base = startAlertmanager(dir, freePort());

        // Alertmanager judges endsAt by its own clock: engine and alert clocks are real time here.
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        rig = new AlertRig().startingAt(now.minus(Duration.ofMinutes(5)));
        rig.clock.set(now);
        rig.start(AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("am", SinkType.ALERTMANAGER, base))));
        Discrepancy d = rig.openMissing("AM1").get(0);

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> !listed(base).isEmpty());
        JsonNode a = listed(base).get(0);
        assertThat(a.get("labels").get("rule").asText()).isEqualTo("sale");
        assertThat(a.get("labels").get("type").asText()).isEqualTo("MISSING_RIGHT");
        assertThat(a.get("labels").get("key").asText()).isEqualTo("order_id=AM1,goods_id=42");
        assertThat(a.get("annotations").get("discrepancy_id").asText()).isEqualTo(d.id());
        assertThat(a.get("generatorURL").asText()).endsWith("/api/discrepancies/" + d.id());
        assertThat(a.get("status").get("state").asText()).isEqualTo("active");
        assertThat(Instant.parse(a.get("startsAt").asText())).isEqualTo(d.detectedAt());

        rig.deduct("AM1");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).until(() -> listed(base).isEmpty());
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(rig.sent("am", "success")).isGreaterThanOrEqualTo(2));
        assertThat(rig.sent("am", "failure")).isZero();
    }

    @Test
    void alertmanagerRestartedWhileAlertsFireEndsWithTheFiringSetBackAndTheOneResolvedMeanwhileResolved(
            @TempDir Path dir) throws Exception {
        int port = freePort();
        String base = startAlertmanager(dir, port);
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        rig = new AlertRig().startingAt(now.minus(Duration.ofMinutes(5)));
        // The alert clock is the real one here; re-sent every second, so alerts end 4 s after the last re-send.
        rig.start(AlertsConfig.of("https://reconciler.example.test", List.of(SinkConfig.of("am",
                SinkType.ALERTMANAGER, base).withResend(Duration.ofSeconds(1), null))));
        Thread clockTicks = new Thread(() -> {   // a real-time alert clock that the rig's ManualClock follows
            while (!Thread.currentThread().isInterrupted()) {
                rig.clock.set(Instant.now());
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        clockTicks.setDaemon(true);
        clockTicks.start();
        try {
            rig.openMissing("R1", "R2", "R3");
            List<String> all = List.of("order_id=R1,goods_id=42", "order_id=R2,goods_id=42", "order_id=R3,goods_id=42");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> firingKeys(base).equals(all));

            // Alertmanager dies (it keeps no alerts across a restart); R2 resolves while it is down
            alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            double failuresBefore = rig.sent("am", "failure");
            rig.deduct("R2");
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                    assertThat(rig.sent("am", "failure")).isGreaterThanOrEqualTo(failuresBefore + 2));

            Instant restarted = Instant.now();
            startAlertmanager(dir, port);
            Instant ready = Instant.now();
            List<String> right = List.of("order_id=R1,goods_id=42", "order_id=R3,goods_id=42");
            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
                    .until(() -> firingKeys(base).equals(right));
            Duration back = Duration.between(ready, Instant.now());
            // and it stays so over several re-send intervals and past the alerts' endsAt
            await().during(Duration.ofSeconds(6)).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(200))
                    .until(() -> firingKeys(base).equals(right));
            HttpResponse<String> metrics = get(base + "/metrics");
            assertThat(metrics.body()).as("Alertmanager received R2's resolution after its restart")
                    .containsPattern("alertmanager_alerts_received_total\\{status=\"resolved\",version=\"v2\"} [1-9]");
            System.out.printf("Alertmanager restart: firing set right %d ms after it was ready (restart took %d ms)%n",
                    back.toMillis(), Duration.between(restarted, ready).toMillis());
            assertThat(back).as("within the re-send interval plus the capped retry").isLessThan(Duration.ofSeconds(5));
        } finally {
            clockTicks.interrupt();
            clockTicks.join(5000);
        }
    }
}
