package dev.reconciler.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ConfigLoaderTest;
import dev.reconciler.app.config.ReconcilerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/ checked without Docker or a cluster: promtool checks and unit-tests the alert rules and parses every
 * dashboard query; every metric they use is one the reconciler exports (docs/metrics.md, plus the alert-delivery
 * metrics); the compose file and manifests reference only files that exist and agree with the configuration.
 */
class DeployFilesTest {
    static final Path DEPLOY = Path.of("..", "deploy");
    static final YAMLMapper YAML = new YAMLMapper();

    static String promtool(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).directory(DEPLOY.resolve("prometheus").toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("promtool is not installed: apt-get install prometheus (scripts/test.sh does)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", cmd) + ":\n" + out).isZero();
        return out;
    }

    @Test
    void alertRulesPassPromtoolAndTheirUnitTestsCoverEveryAlert() throws Exception {
        assertThat(promtool("check", "rules", "alerts.yml")).contains("SUCCESS");
        assertThat(promtool("test", "rules", "alerts_test.yml")).contains("SUCCESS");
        promtool("check", "config", "prometheus.yml");
        Set<String> alerts = new TreeSet<>();
        YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile()).at("/groups").forEach(g ->
                g.get("rules").forEach(r -> alerts.add(r.get("alert").asText())));
        Set<String> tested = new TreeSet<>();
        YAML.readTree(DEPLOY.resolve("prometheus/alerts_test.yml").toFile()).get("tests").forEach(t ->
                t.get("alert_rule_test").forEach(a -> {
                    if (a.get("exp_alerts").size() > 0) tested.add(a.get("alertname").asText());
                }));
        assertThat(tested).as("every alert fires in a unit test").isEqualTo(alerts);
        String runbook = Files.readString(Path.of("..", "docs", "runbook.md"));
        for (String a : alerts) assertThat(runbook).as("docs/runbook.md has a section for " + a).contains("## " + a);
    }

    @Test
    void alertRulesUseOnlyExportedMetrics() throws Exception {
        List<String> exprs = new ArrayList<>();
        YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile()).at("/groups").forEach(g ->
                g.get("rules").forEach(r -> exprs.add(r.get("expr").asText())));
        // reconciler_rule_info{rule,severity,team} carries the per-rule labels of the configuration (rules[].labels).
        // The rules fall back to severity warning without it, so they also work against a release that lacks it.
        assertOnlyKnownMetrics(exprs, Set.of("up", "reconciler_rule_info"));
    }

    @Test
    void everyDashboardQueryParsesAndUsesOnlyExportedMetrics(@TempDir Path tmp) throws Exception {
        JsonNode dash = new ObjectMapper().readTree(DEPLOY.resolve("grafana/reconciler.json").toFile());
        List<String> exprs = new ArrayList<>();
        dash.get("panels").forEach(p -> p.get("targets").forEach(t -> exprs.add(t.get("expr").asText())));
        assertThat(exprs).hasSizeGreaterThan(10);
        // promtool parses PromQL in rule files: one recording rule per query, Grafana's variables filled in.
        ObjectNode rules = YAML.createObjectNode();
        var list = rules.putArray("groups").addObject().put("name", "dashboard").putArray("rules");
        for (int i = 0; i < exprs.size(); i++) {
            list.addObject().put("record", "dashboard:query_" + i)
                    .put("expr", exprs.get(i).replace("$__rate_interval", "5m").replace("$__interval", "1m"));
        }
        Path file = tmp.resolve("dashboard-queries.yml");
        new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), rules);
        assertThat(promtool("check", "rules", file.toAbsolutePath().toString())).contains("SUCCESS: " + exprs.size());
        assertOnlyKnownMetrics(exprs, Set.of());
        String all = String.join("\n", exprs);
        for (String needed : List.of("reconciler_discrepancies_total", "reconciler_discrepancies_open",
                "reconciler_pending", "reconciler_source_lag_seconds", "reconciler_events_total",
                "reconciler_match_latency_seconds_bucket", "reconciler_alerts_sent_total")) {
            assertThat(all).as("the dashboard shows " + needed).contains(needed);
        }
    }

    static void assertOnlyKnownMetrics(List<String> exprs, Set<String> extra) throws IOException {
        Set<String> known = documentedMetrics();
        known.addAll(extra);
        Matcher m = Pattern.compile("\\b((?:reconciler|jvm|process|system)_[a-z_]+|up)\\b").matcher(String.join("\n", exprs));
        while (m.find()) {
            String name = m.group(1);
            String base = name.replaceFirst("_(bucket|sum|count)$", "");
            assertThat(known.contains(name) || known.contains(base)).as(name + " is a metric the reconciler exports"
                    + " (docs/metrics.md)").isTrue();
        }
    }

    static Set<String> documentedMetrics() throws IOException {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("`((?:reconciler|jvm|process|system)_[a-z_0-9]+)").matcher(
                Files.readString(Path.of("..", "docs", "metrics.md")));
        while (m.find()) out.add(m.group(1));
        return out;
    }

    @Test
    void composeReferencesOnlyFilesThatExistAndRunsTheWholeStack() throws Exception {
        JsonNode compose = YAML.readTree(DEPLOY.resolve("docker-compose.yml").toFile());
        JsonNode services = compose.get("services");
        List<String> names = new ArrayList<>();
        services.fieldNames().forEachRemaining(names::add);
        assertThat(names).contains("orders-db", "inventory-db", "reconciler", "traffic", "prometheus", "alertmanager",
                "grafana");
        assertThat(services.at("/orders-db").toString()).contains("\"image\":\"mysql:8.4\"");
        assertThat(services.at("/inventory-db").toString()).contains("\"image\":\"mysql:8.4\"");
        assertThat(services.at("/orders-db/command").toString()).contains("--binlog-format=ROW", "--binlog-row-image=FULL");
        services.fields().forEachRemaining(s -> {
            JsonNode volumes = s.getValue().get("volumes");
            if (volumes == null) return;
            volumes.forEach(v -> {
                String host = v.asText().split(":")[0];
                if (host.startsWith(".")) {
                    assertThat(DEPLOY.resolve(host)).as(s.getKey() + " mounts " + host).exists();
                }
            });
        });
        JsonNode build = services.at("/reconciler/build");
        Path context = DEPLOY.resolve(build.get("context").asText());
        assertThat(context.resolve(build.get("dockerfile").asText())).exists();
        for (String line : Files.readAllLines(DEPLOY.resolve("Dockerfile"))) {
            if (line.startsWith("COPY ") && !line.contains("--from")) {
                String src = line.split("\\s+")[1];
                assertThat(context.resolve(src)).as("Dockerfile copies " + src).exists();
            }
        }
        // the environment the reconciler gets names exactly the configuration's variables
        Set<String> env = new TreeSet<>();
        services.at("/reconciler/environment").fieldNames().forEachRemaining(env::add);
        assertThat(env).containsAll(List.of("ORDER_DB_HOST", "ORDER_DB_PORT", "ORDER_DB_USER", "ORDER_DB_PASSWORD",
                "ORDER_DB_DATABASE", "INVENTORY_DB_HOST", "INVENTORY_DB_PORT", "INVENTORY_DB_USER",
                "INVENTORY_DB_PASSWORD", "INVENTORY_DB_DATABASE", "RECONCILER_STATE_DIR", "RECONCILER_HTTP_PORT",
                "RECONCILER_GRACE"));
        // Grafana's provisioned dashboard and Prometheus' rule file are the tested ones
        assertThat(services.at("/grafana/volumes").toString()).contains("./grafana/reconciler.json");
        assertThat(services.at("/prometheus/volumes").toString()).contains("./prometheus/alerts.yml");
    }

    @Test
    void theContainerConfigurationIsTheExampleListeningOnEveryInterface() {
        ReconcilerConfig example = new ConfigLoader(x -> null).load(DEPLOY.resolve("config/order-inventory.yml"));
        ReconcilerConfig container = new ConfigLoader(x -> null).load(DEPLOY.resolve("config/order-inventory-container.yml"));
        ConfigLoaderTest.assertSameEngine(container.engine(), example.engine());
        assertThat(container.sources()).isEqualTo(example.sources());
        assertThat(container.state()).isEqualTo(example.state());
        assertThat(container.http()).isEqualTo(example.http().withBindAddress("0.0.0.0"));
    }

    @Test
    void kubernetesManifestsHaveStateProbesConfigSecretAndMonitor() throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (var files = Files.list(DEPLOY.resolve("k8s"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                YAML.readValues(YAML.getFactory().createParser(f.toFile()), JsonNode.class).readAll()
                        .forEach(docs::add);
            }
        }
        Set<String> kinds = new TreeSet<>();
        docs.forEach(d -> kinds.add(d.path("kind").asText()));
        assertThat(kinds).contains("StatefulSet", "Service", "ConfigMap", "Secret", "ServiceMonitor");
        JsonNode sts = docs.stream().filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst().orElseThrow();
        JsonNode c = sts.at("/spec/template/spec/containers/0");
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
        assertThat(sts.at("/spec/replicas").asInt()).isEqualTo(1);
        assertThat(sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText()).isEqualTo("state");
        String stateDir = null;
        for (JsonNode e : c.get("env")) {
            if (e.get("name").asText().equals("RECONCILER_STATE_DIR")) stateDir = e.get("value").asText();
        }
        String mount = null;
        for (JsonNode m : c.get("volumeMounts")) if (m.get("name").asText().equals("state")) mount = m.get("mountPath").asText();
        assertThat(mount).isNotNull().isEqualTo(stateDir);
        assertThat(c.at("/envFrom/0/secretRef/name").asText()).isEqualTo("reconciler-db");
        JsonNode cm = docs.stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
        assertThat(cm.at("/data/reconciler.yml").asText())
                .isEqualTo(Files.readString(DEPLOY.resolve("config/order-inventory-container.yml")));
        JsonNode kustomization = YAML.readTree(DEPLOY.resolve("k8s/kustomization.yaml").toFile());
        kustomization.get("resources").forEach(r -> assertThat(DEPLOY.resolve("k8s").resolve(r.asText())).exists());
    }
}
