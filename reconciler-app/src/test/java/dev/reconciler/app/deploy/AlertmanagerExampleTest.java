package dev.reconciler.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.reconciler.app.deploy.DeployFilesTest.DEPLOY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * deploy/alertmanager/alertmanager.yml: amtool accepts it and routes by team and severity as documented, and a real
 * Alertmanager (Debian's prometheus-alertmanager, installed by scripts/test.sh) running it inhibits the MISSING
 * discrepancies of a reconciler whose source is stalled, but not its other discrepancies nor another reconciler's.
 */
class AlertmanagerExampleTest {
    static final Path CONFIG = DEPLOY.resolve("alertmanager/alertmanager.yml");
    static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private Process alertmanager;

    @AfterEach
    void stop() throws Exception {
        if (alertmanager != null) {
            alertmanager.destroy();
            if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    static String run(String... cmd) throws Exception {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(cmd[0] + " is not installed: apt-get install prometheus-alertmanager (scripts/test.sh does)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void amtoolAcceptsTheConfigurationAndRoutesByTeamAndSeverity() throws Exception {
        assertThat(run("amtool", "check-config", CONFIG.toString())).contains("SUCCESS");
        Map<String, String> routes = new HashMap<>();
        routes.put("alertname=ReconcilerDown severity=critical", "oncall-pager");
        routes.put("alertname=ReconcilerSourceLagging severity=warning", "oncall-chat");
        routes.put("alertname=ReconcilerRowsWithoutKey severity=info", "oncall-chat");
        routes.put("alertname=ReconcilerDiscrepanciesOpen rule=sale severity=critical team=payments", "payments-pager");
        routes.put("alertname=ReconcilerDiscrepanciesOpen rule=sale severity=warning team=payments", "payments-chat");
        routes.put("alertname=ReconcilerDiscrepanciesOpen rule=cancel severity=critical", "oncall-pager");
        routes.put("alertname=ReconcilerCoverageGap severity=critical source=orders", "oncall-pager");
        // one pushed alert per discrepancy: chat, never the pager, whatever its severity
        routes.put("alertname=ReconcilerDiscrepancy rule=sale severity=critical", "oncall-chat");
        routes.put("alertname=ReconcilerDiscrepancy rule=sale severity=critical team=payments", "payments-chat");
        for (var e : routes.entrySet()) {
            List<String> cmd = new ArrayList<>(List.of("amtool", "config", "routes", "test", "--config.file=" + CONFIG,
                    "--verify.receivers=" + e.getValue()));
            cmd.addAll(List.of(e.getKey().split(" ")));
            run(cmd.toArray(String[]::new));
        }
    }

    @Test
    void aStalledSourceSilencesTheMissingDiscrepanciesOfItsReconcilerOnly(@TempDir Path dir) throws Exception {
        String base = start(dir);
        String in = "\"startsAt\":\"" + Instant.now().minusSeconds(60) + "\"";
        String r1 = "\"job\":\"reconciler\",\"instance\":\"r1:8080\"";
        String r2 = "\"job\":\"reconciler\",\"instance\":\"r2:8080\"";
        post(base, "[" + String.join(",",
                "{\"labels\":{\"alertname\":\"ReconcilerSourceStalled\",\"severity\":\"critical\",\"source\":\"orders\"," + r1 + "}," + in + "}",
                "{\"labels\":{\"alertname\":\"ReconcilerDiscrepanciesOpen\",\"severity\":\"warning\",\"rule\":\"sale\",\"type\":\"MISSING_LEFT\"," + r1 + "}," + in + "}",
                "{\"labels\":{\"alertname\":\"ReconcilerDiscrepanciesOpen\",\"severity\":\"warning\",\"rule\":\"sale\",\"type\":\"QUANTITY_MISMATCH\"," + r1 + "}," + in + "}",
                "{\"labels\":{\"alertname\":\"ReconcilerDiscrepanciesOpen\",\"severity\":\"warning\",\"rule\":\"sale\",\"type\":\"MISSING_LEFT\"," + r2 + "}," + in + "}",
                // pushed by the reconciler itself (no job or instance): a stall of the rules cannot be matched to it
                "{\"labels\":{\"alertname\":\"ReconcilerDiscrepancy\",\"severity\":\"warning\",\"rule\":\"sale\",\"type\":\"MISSING_RIGHT\",\"key\":\"order_id=O1\"}," + in + "}")
                + "]");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().untilAsserted(() -> {
            Map<String, Boolean> inhibited = inhibited(base);
            assertThat(inhibited).containsEntry("ReconcilerDiscrepanciesOpen MISSING_LEFT r1:8080", true)
                    .containsEntry("ReconcilerDiscrepanciesOpen QUANTITY_MISMATCH r1:8080", false)
                    .containsEntry("ReconcilerDiscrepanciesOpen MISSING_LEFT r2:8080", false)
                    .containsEntry("ReconcilerDiscrepancy MISSING_RIGHT ", false)
                    .containsEntry("ReconcilerSourceStalled  r1:8080", false);
        });
    }

    /** alertname, type and instance of every alert Alertmanager lists, and whether it is inhibited. */
    private Map<String, Boolean> inhibited(String base) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v2/alerts")).build(),
                HttpResponse.BodyHandlers.ofString());
        Map<String, Boolean> out = new HashMap<>();
        for (JsonNode a : JSON.readTree(r.body())) {
            JsonNode l = a.get("labels");
            out.put(l.path("alertname").asText() + " " + l.path("type").asText() + " " + l.path("instance").asText(),
                    a.at("/status/inhibitedBy").size() > 0);
        }
        return out;
    }

    private void post(String base, String alerts) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v2/alerts"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(alerts)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    private String start(Path dir) throws Exception {
        String bin = null;
        for (String name : List.of("/usr/bin/prometheus-alertmanager", "/usr/local/bin/alertmanager", "/usr/bin/alertmanager")) {
            if (Files.isExecutable(Path.of(name))) bin = name;
        }
        assertThat(bin).as("prometheus-alertmanager is not installed: apt-get install prometheus-alertmanager"
                + " (scripts/test.sh does)").isNotNull();
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String base = "http://127.0.0.1:" + port;
        alertmanager = new ProcessBuilder(bin, "--config.file=" + CONFIG.toAbsolutePath(),
                "--storage.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + port,
                "--cluster.listen-address=", "--log.level=warn")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("alertmanager.log").toFile())).start();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        return base;
    }
}
