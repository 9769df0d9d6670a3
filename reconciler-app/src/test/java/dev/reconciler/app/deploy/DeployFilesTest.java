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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    /** Where the runbook is published; every runbook_url is this plus the alert's section anchor. */
    static final String RUNBOOK_URL = "https://reconciler.example/docs/runbook.md";

    @Test
    void everyAlertHasAStandardSeverityItsRunbookUrlAndKeepsJobAndInstance() throws Exception {
        YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile()).at("/groups").forEach(g -> g.get("rules").forEach(r -> {
            String name = r.get("alert").asText();
            String severity = r.at("/labels/severity").asText();
            assertThat(severity.startsWith("{{") || Set.of("critical", "warning", "info").contains(severity))
                    .as(name + " severity " + severity).isTrue();
            assertThat(r.at("/annotations/runbook_url").asText()).as(name + " runbook_url")
                    .isEqualTo(RUNBOOK_URL + "#" + name.toLowerCase());
            assertThat(r.at("/annotations").has("runbook")).as(name + ": runbook_url only").isFalse();
            // an aggregation that drops job and instance would merge two reconcilers into one alert
            Matcher by = Pattern.compile("(sum|max|min|avg|count) by \\(([^)]*)\\)").matcher(r.get("expr").asText());
            while (by.find()) assertThat(by.group(2)).as(name + ": " + by.group()).contains("job", "instance");
        }));
    }

    @Test
    void thePrometheusRuleForTheOperatorIsTheAlertRules() throws Exception {
        Path file = DEPLOY.resolve("k8s/prometheusrule.yaml");
        String expected = prometheusRule(Files.readString(DEPLOY.resolve("prometheus/alerts.yml")));
        if (System.getenv("REGENERATE_DEPLOY_FILES") != null) Files.writeString(file, expected);
        JsonNode rule = YAML.readTree(file.toFile());
        assertThat(rule.get("kind").asText()).isEqualTo("PrometheusRule");
        assertThat(rule.get("spec")).as("deploy/k8s/prometheusrule.yaml is generated from deploy/prometheus/alerts.yml;"
                        + " regenerate it: REGENERATE_DEPLOY_FILES=1 mvn -B -ntp -pl reconciler-app -am verify"
                        + " -Dtest=DeployFilesTest -Dsurefire.failIfNoSpecifiedTests=false")
                .isEqualTo(YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile()));
        assertThat(Files.readString(file)).isEqualTo(expected);
    }

    /** The PrometheusRule whose spec is the rule file's content (the comments after its header kept). */
    static String prometheusRule(String alerts) {
        StringBuilder out = new StringBuilder("""
                # GENERATED from deploy/prometheus/alerts.yml (spec is that file's groups, unchanged): do not edit here.
                # DeployFilesTest keeps the two equal; after changing alerts.yml regenerate this file with
                #   REGENERATE_DEPLOY_FILES=1 mvn -B -ntp -pl reconciler-app -am verify -Dtest=DeployFilesTest -Dsurefire.failIfNoSpecifiedTests=false
                # For the Prometheus Operator: add the labels your Prometheus selects rules by (ruleSelector), e.g. release: ...
                apiVersion: monitoring.coreos.com/v1
                kind: PrometheusRule
                metadata:
                  name: reconciler
                  labels: {app.kubernetes.io/name: reconciler}
                spec:
                """);
        for (String line : alerts.split("\n", -1)) {
            if (line.startsWith("#")) continue;
            out.append(line.isEmpty() ? "" : "  " + line).append('\n');
        }
        return out.substring(0, out.length() - 1);
    }

    @Test
    void alertRulesUseOnlyExportedMetrics() throws Exception {
        List<String> exprs = new ArrayList<>();
        YAML.readTree(DEPLOY.resolve("prometheus/alerts.yml").toFile()).at("/groups").forEach(g ->
                g.get("rules").forEach(r -> exprs.add(r.get("expr").asText())));
        assertOnlyKnownMetrics(exprs, Set.of("up"));
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
            list.addObject().put("record", "dashboard:query_" + i).put("expr", exprs.get(i).replace("$__rate_interval", "5m")
                    .replace("$__interval", "1m").replace("$job", "reconciler").replace("$instance", "r:8080")
                    .replace("$rule", "sale"));
        }
        Path file = tmp.resolve("dashboard-queries.yml");
        new ObjectMapper(new YAMLFactory()).writeValue(file.toFile(), rules);
        assertThat(promtool("check", "rules", file.toAbsolutePath().toString())).contains("SUCCESS: " + exprs.size());
        assertOnlyKnownMetrics(exprs, Set.of());
        // the variables' queries too (label_values(metric{...}, label) is Grafana's; the selector inside is PromQL)
        List<String> variables = new ArrayList<>();
        dash.at("/templating/list").forEach(v -> {
            variables.add(v.get("name").asText());
            Matcher lv = Pattern.compile("label_values\\((.*), *[a-z_]+\\)").matcher(v.at("/query/query").asText());
            if (lv.matches()) {
                try {
                    assertOnlyKnownMetrics(List.of(lv.group(1)), Set.of());
                } catch (IOException e) {
                    throw new AssertionError(e);
                }
            }
        });
        assertThat(variables).contains("datasource", "job", "instance", "rule", "console_url");
        // any Grafana: no data source uid but the variable's, and every query filters on the chosen reconciler
        assertThat(dash.has("id")).as("an exported id would clash on import").isFalse();
        dash.get("panels").forEach(p -> {
            assertThat(p.at("/datasource/uid").asText()).as(p.get("title").asText()).isEqualTo("${datasource}");
            p.get("targets").forEach(t -> assertThat(t.get("expr").asText()).as(p.get("title").asText())
                    .contains("job=~\"$job\"", "instance=~\"$instance\""));
        });
        assertThat(dash.toString()).as("data links to the console")
                .contains("${console_url}/#/discrepancies?rule=${__field.labels.rule}");
        String all = String.join("\n", exprs);
        for (String needed : List.of("reconciler_discrepancies_total", "reconciler_discrepancies_open",
                "reconciler_pending_pairs", "reconciler_source_lag_seconds", "reconciler_events_total",
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
            assertThat(deprecatedMetrics()).as(name + " is deprecated (docs/metrics.md): use its new name").doesNotContain(name);
        }
        // and every label a selector names is one the metric has (or the scrape's job and instance)
        Map<String, Set<String>> labels = documentedLabels();
        Matcher selector = Pattern.compile("\\b((?:reconciler|jvm|process|system)_[a-z_]+)\\{([^}]*)}").matcher(String.join("\n", exprs));
        while (selector.find()) {
            Set<String> has = labels.get(selector.group(1).replaceFirst("_bucket$", ""));
            if (has == null) continue;   // the JVM's metrics are documented in prose
            Matcher label = Pattern.compile("([a-z_]+)\\s*(=~|!~|!=|=)").matcher(selector.group(2));
            while (label.find()) {
                assertThat(label.group(1)).as(selector.group() + ": a label of " + selector.group(1) + " (docs/metrics.md)")
                        .isIn(concat(has, Set.of("job", "instance")));
            }
        }
    }

    @Test
    void theMetricCheckRefusesUnknownNamesUnknownLabelsAndDeprecatedNames() throws Exception {
        assertOnlyKnownMetrics(List.of("sum by (job, instance, source) (reconciler_source_state{state=\"BINLOG_GAP\", job=\"j\"})"), Set.of());
        assertThatThrownBy(() -> assertOnlyKnownMetrics(List.of("reconciler_source_conected"), Set.of()))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertOnlyKnownMetrics(List.of("reconciler_source_state{phase=\"BINLOG_GAP\"}"), Set.of()))
                .isInstanceOf(AssertionError.class);
        assertThatThrownBy(() -> assertOnlyKnownMetrics(List.of("reconciler_pending"), Set.of()))
                .isInstanceOf(AssertionError.class);
    }

    static Set<String> concat(Set<String> a, Set<String> b) {
        Set<String> out = new TreeSet<>(a);
        out.addAll(b);
        return out;
    }

    /** The labels of each metric in docs/metrics.md's tables: | `name` | type | `label`, `label` | meaning |. */
    static Map<String, Set<String>> documentedLabels() throws IOException {
        Map<String, Set<String>> out = new HashMap<>();
        Matcher row = Pattern.compile("(?m)^\\| `([a-z_0-9]+)` \\| [a-z]+ \\| ([^|]*) \\|").matcher(
                Files.readString(Path.of("..", "docs", "metrics.md")));
        while (row.find()) {
            Set<String> labels = new TreeSet<>();
            Matcher l = Pattern.compile("`([a-z_]+)`").matcher(row.group(2));
            while (l.find()) labels.add(l.group(1));
            out.computeIfAbsent(row.group(1), k -> new TreeSet<>()).addAll(labels);
        }
        return out;
    }

    /** The names docs/metrics.md marks deprecated (still exported for one release, but not for new queries). */
    static Set<String> deprecatedMetrics() throws IOException {
        Set<String> out = new TreeSet<>();
        Matcher m = Pattern.compile("(?m)^\\| `([a-z_0-9]+)` \\|[^\\n]*\\| Deprecated").matcher(
                Files.readString(Path.of("..", "docs", "metrics.md")));
        while (m.find()) out.add(m.group(1));
        return out;
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
        assertThat(services.at("/alertmanager/volumes").toString()).contains("./alertmanager/alertmanager.yml");
        assertThat(services.at("/reconciler/environment/ALERTMANAGER_URL").asText()).isEqualTo("http://alertmanager:9093");
        assertThat(services.at("/reconciler/environment").has("RECONCILER_PUBLIC_URL")).isTrue();
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
    void theImageRunsAsTheNumericNonRootUserOfTheManifestsWithADependencyLayerAndContainerAwareJvmFlags() throws Exception {
        List<String> lines = Files.readAllLines(DEPLOY.resolve("Dockerfile"));
        String dockerfile = String.join("\n", lines);
        // numeric, so that Kubernetes' runAsNonRoot can verify it; the same uid and gid as the StatefulSet's
        String user = lines.stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow().substring(5).trim();
        assertThat(user).matches("[1-9][0-9]*:[1-9][0-9]*");
        JsonNode sts = YAML.readTree(DEPLOY.resolve("k8s/statefulset.yaml").toFile());
        assertThat(user).isEqualTo(sts.at("/spec/template/spec/securityContext/runAsUser").asText() + ":"
                + sts.at("/spec/template/spec/securityContext/runAsGroup").asText());
        // the dependency layer: the poms are copied and resolved before the sources
        int resolve = dockerfile.indexOf("dependency:go-offline");
        assertThat(resolve).isPositive().isLessThan(dockerfile.indexOf("COPY reconciler-core/src"));
        assertThat(dockerfile.substring(0, resolve)).contains("COPY pom.xml", "COPY reconciler-app/pom.xml",
                "COPY reconciler-core/pom.xml");
        assertThat(dockerfile).contains("-XX:MaxRAMPercentage=", "-XX:+ExitOnOutOfMemoryError");
        assertThat(Files.readString(Path.of("..", ".dockerignore"))).contains("**/target/", ".git/");
        // one image tag everywhere: the release version
        Matcher v = Pattern.compile("<artifactId>reconciler-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("..", "pom.xml")));
        assertThat(v.find()).isTrue();
        String image = "reconciler:" + v.group(1).replace("-SNAPSHOT", "");
        assertThat(dockerfile).contains("-t " + image + " .");
        assertThat(sts.at("/spec/template/spec/containers/0/image").asText()).isEqualTo(image);
        JsonNode services = YAML.readTree(DEPLOY.resolve("docker-compose.yml").toFile()).get("services");
        assertThat(services.at("/reconciler/image").asText()).isEqualTo(image);
        assertThat(services.at("/traffic/image").asText()).isEqualTo(image);
        assertThat(services.at("/traffic/build")).isEqualTo(services.at("/reconciler/build"));
        assertThat(services.at("/reconciler/read_only").asBoolean()).as("compose runs it read-only too").isTrue();
        assertThat(services.at("/reconciler/cap_drop").toString()).contains("ALL");
    }

    @Test
    void theDockerfileLintsClean() throws Exception {
        // dockerfile-utils (npm, installed by scripts/test.sh): instruction syntax, arguments, deprecated forms
        Process p;
        try {
            p = new ProcessBuilder("dockerfile-utils", "lint", DEPLOY.resolve("Dockerfile").toString())
                    .redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError("dockerfile-utils is not installed: npm install -g dockerfile-utils@0.16.3"
                    + " (scripts/test.sh does)", e);
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out.strip()).as("warnings").isEmpty();
    }

    @Test
    void theCaptureUserOfTheComposeDatabasesHasNoGlobalPrivilegeButReplication() throws Exception {
        for (String line : Files.readAllLines(DEPLOY.resolve("mysql/capture-user.sql"))) {
            if (!line.startsWith("GRANT")) continue;
            if (line.contains("ON *.*")) {
                assertThat(line).as("only replication is global").startsWith("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.*");
            }
            assertThat(line).doesNotContain("RELOAD", "SHOW DATABASES", "ALL PRIVILEGES");
        }
    }
}
