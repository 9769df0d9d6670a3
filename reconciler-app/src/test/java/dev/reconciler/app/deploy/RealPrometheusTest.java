package dev.reconciler.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.alert.AlertMetrics;
import dev.reconciler.app.alert.RuleLabels;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.ApiHarness;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.state.InMemoryStateStore;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.reconciler.app.deploy.DeployFilesTest.DEPLOY;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The shipped rules and dashboard against a real scrape: a real Prometheus (Debian's, installed with promtool by
 * scripts/test.sh) scrapes a reconciler's HTTP API every second with deploy/prometheus/alerts.yml loaded. Every rule
 * evaluates without error, every dashboard query and variable query runs, and every metric they name has series
 * carrying the scrape's job and instance.
 */
class RealPrometheusTest {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();
    private Process prometheus;

    @AfterEach
    void stop() throws Exception {
        if (prometheus != null) {
            prometheus.destroy();
            if (!prometheus.waitFor(10, TimeUnit.SECONDS)) prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void rulesAndDashboardQueriesRunAgainstARealScrape(@TempDir Path dir) throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            h.statuses.get(ORDERS).set(ApiHarness.status(ORDERS, SourceStatus.Phase.STREAMING, T0,
                    Map.of("trade_order_stream_0000", 1L)));
            new AlertMetrics(h.registry).register("alertmanager", () -> 0);
            // rules[].labels of the configuration as bound: sale is the payments team's and pages; cancel has no team
            new AlertMetrics(h.registry).ruleInfo(new RuleLabels(Map.of(
                    "sale", Map.of("severity", "critical", "team", "payments"), "cancel", Map.of("severity", "warning"))));
            String target = URI.create(h.api.url()).getAuthority();
            String base = start(dir, target);

            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(500)).ignoreExceptions().until(() ->
                    query(base, "count_over_time(up{job=\"reconciler\", instance=\"" + target + "\"}[1m]) >= 3").size() == 1);
            assertThat(query(base, "up{job=\"reconciler\"}").get(0).at("/value/1").asText()).isEqualTo("1");

            // every rule of alerts.yml has been evaluated by now, without an error
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
                List<String> health = new ArrayList<>();
                JsonNode groups = get(base + "/api/v1/rules").at("/data/groups");
                groups.forEach(g -> g.get("rules").forEach(r ->
                        health.add(r.get("name").asText() + " " + r.get("health").asText() + " " + r.path("lastError").asText(""))));
                assertThat(health).hasSizeGreaterThan(10).allSatisfy(s -> assertThat(s).contains(" ok "));
            });

            JsonNode dash = new ObjectMapper().readTree(DEPLOY.resolve("grafana/reconciler.json").toFile());
            List<String> exprs = new ArrayList<>();
            dash.get("panels").forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
            dash.at("/templating/list").forEach(v -> {
                Matcher lv = Pattern.compile("label_values\\((.*), *([a-z_]+)\\)").matcher(v.at("/query/query").asText());
                if (lv.matches()) exprs.add(lv.group(1));
            });
            Set<String> metrics = new TreeSet<>();
            for (String raw : exprs) {
                String expr = raw.replace("$__rate_interval", "1m").replace("$__interval", "1m")
                        .replace("$job", "reconciler").replace("$instance", target).replace("$rule", ".+");
                query(base, expr);   // runs, or the query fails the test
                Matcher m = Pattern.compile("\\b((?:reconciler|jvm|process)_[a-z_]+)").matcher(expr);
                while (m.find()) metrics.add(m.group(1));
            }
            // the join of the alert rules gives a rule's series its configured severity and team; a rule without
            // labels gets the defaults (severity warning, no team)
            List<JsonNode> joined = query(base, "sum by (job, instance, rule, type) (reconciler_discrepancies_open)"
                    + " * on (job, instance, rule) group_left (severity, team) reconciler_rule_info");
            assertThat(joined).isNotEmpty().allSatisfy(series -> {
                JsonNode l = series.get("metric");
                if (l.get("rule").asText().equals("sale")) {
                    assertThat(l.path("severity").asText()).isEqualTo("critical");
                    assertThat(l.path("team").asText()).isEqualTo("payments");
                } else {
                    assertThat(l.path("severity").asText()).isEqualTo("warning");
                    assertThat(l.has("team")).isFalse();
                }
            });
            assertThat(joined.stream().map(j -> j.at("/metric/rule").asText()).distinct()).contains("sale", "cancel");
            for (String metric : metrics) {
                assertThat(query(base, "count(" + metric + "{job=\"reconciler\", instance=\"" + target + "\"})"))
                        .as(metric + " is scraped from the reconciler, with job and instance").hasSize(1);
            }
        }
    }

    private List<JsonNode> query(String base, String expr) throws Exception {
        JsonNode r = get(base + "/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8));
        assertThat(r.path("status").asText()).as(expr + ": " + r).isEqualTo("success");
        List<JsonNode> out = new ArrayList<>();
        JsonNode result = r.at("/data/result");
        if (result.isArray()) result.forEach(out::add);
        else out.add(result);
        return out;
    }

    private JsonNode get(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    /** Prometheus on a free loopback port, scraping {@code target} as job reconciler with the shipped rules. */
    private String start(Path dir, String target) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path config = dir.resolve("prometheus.yml");
        Files.writeString(config, """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                rule_files: ["%s"]
                scrape_configs:
                  - job_name: reconciler
                    static_configs: [{targets: ["%s"]}]
                """.formatted(DEPLOY.resolve("prometheus/alerts.yml").toAbsolutePath().normalize(), target));
        try {
            prometheus = new ProcessBuilder("prometheus", "--config.file=" + config, "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port, "--log.level=warn")
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prometheus.log").toFile()))
                    .start();
        } catch (IOException e) {
            throw new AssertionError("prometheus is not installed: apt-get install prometheus (scripts/test.sh does)", e);
        }
        String base = "http://127.0.0.1:" + port;
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> http.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString()).statusCode() == 200);
        return base;
    }
}
