package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.reconciler.app.source.ConnectConnectorConfig;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/k8s/distributed as a cluster gets it: rendered with {@code kubectl kustomize}; the Strimzi resources checked
 * against the fields of Strimzi's v1beta2 CRDs (strictly: an unknown or misspelt field fails; the CRD schemas are not
 * on Maven Central, so the fields used are listed here), the connectors equal to what {@code reconciler
 * connect-config} generates, and the Streams Deployment wired to the shared ConfigMap, its Service and the secrets.
 */
class DistributedDeployFilesTest {
    static final Path DIR = Path.of("..", "deploy", "k8s", "distributed");
    static final YAMLMapper YAML = new YAMLMapper();
    /** The environment the shipped connectors were generated with (the hosts of deploy/k8s/statefulset.yaml). */
    static final Map<String, String> ENV = Map.of("ORDER_DB_HOST", "orders-db.example.svc", "ORDER_DB_PORT", "3306",
            "INVENTORY_DB_HOST", "inventory-db.example.svc", "INVENTORY_DB_PORT", "3306");
    static final String BOOTSTRAP = "reconciler-kafka-kafka-bootstrap:9092";
    static List<JsonNode> rendered;

    @BeforeAll
    static void render() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", DIR.toString()).start();
        } catch (IOException e) {
            throw new AssertionError("kubectl is not installed: apt-get install kubernetes-client (scripts/test.sh does)", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize deploy/k8s/distributed:\n" + err).isZero();
        rendered = YAML.readValues(YAML.getFactory().createParser(out), JsonNode.class).readAll();
    }

    static List<JsonNode> kinds(String kind) {
        return rendered.stream().filter(d -> d.path("kind").asText().equals(kind)).toList();
    }

    static JsonNode kind(String kind) {
        List<JsonNode> all = kinds(kind);
        assertThat(all).as(kind).hasSize(1);
        return all.get(0);
    }

    @Test
    void rendersConnectItsConnectorsAndTheStreamsApplicationButNoSecret() {
        Set<String> kinds = new TreeSet<>();
        rendered.forEach(d -> kinds.add(d.path("kind").asText()));
        assertThat(kinds).containsExactlyInAnyOrder("KafkaConnect", "KafkaConnector", "ConfigMap", "Deployment", "Service");
        assertThat(DIR.resolve("connect-secret.example.yaml")).exists();
    }

    static final String HEADER = """
            # Generated: reconciler connect-config --format strimzi --bootstrap-servers %s
            #   for deploy/config/order-inventory.yml with ORDER_DB_HOST=orders-db.example.svc and
            #   INVENTORY_DB_HOST=inventory-db.example.svc, flavour: mysql on both sources (MySQL 8.4, as in
            #   docker-compose), and WITHOUT the snapshot look-back, which needs the servers (the command asks them for
            #   the tables and the cut-off): generate yours where the databases are reachable, or the first snapshot
            #   reads every row. DistributedDeployFilesTest keeps this file equal to the command's output; to
            #   regenerate it, run that test with -Dregenerate.connectors=true.
            """.formatted(BOOTSTRAP);

    /** The generated connectors for the shipped example (flavour set, no look-back: it would need the servers). */
    static String generated(Path dir) throws Exception {
        String yaml = Files.readString(ConnectConfigCommandTest.EXAMPLE)
                .replace("  - name: orders\n", "  - name: orders\n    flavour: mysql\n")
                .replace("  - name: inventory\n", "  - name: inventory\n    flavour: mysql\n")
                .replaceAll("(?m)^\\s*snapshotLookback:.*\\n", "");
        Path file = dir.resolve("example-mysql.yml");
        Files.writeString(file, yaml);
        ConnectConfigCommandTest.Run r = ConnectConfigCommandTest.run(ENV, "-c", file.toString(),
                "--bootstrap-servers", BOOTSTRAP, "--format", "strimzi");
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }

    @Test
    void theConnectorsAreWhatConnectConfigGenerates(@TempDir Path dir) throws Exception {
        String out = generated(dir);
        if (Boolean.getBoolean("regenerate.connectors")) Files.writeString(DIR.resolve("connectors.yaml"), HEADER + out);
        List<JsonNode> generated = YAML.readValues(YAML.getFactory().createParser(out), JsonNode.class).readAll();
        assertThat(Files.readString(DIR.resolve("connectors.yaml"))).startsWith(HEADER);
        List<JsonNode> shipped = kinds("KafkaConnector");
        // (kustomize orders objects by kind and name)
        Map<String, JsonNode> byName = new java.util.TreeMap<>();
        generated.forEach(g -> byName.put(g.at("/metadata/name").asText(), g));
        Map<String, JsonNode> shippedByName = new java.util.TreeMap<>();
        shipped.forEach(g -> shippedByName.put(g.at("/metadata/name").asText(), g));
        assertThat(shippedByName).as("regenerate connectors.yaml: see its header").isEqualTo(byName);
        for (JsonNode c : shipped) {
            assertThat(c.at("/metadata/labels/strimzi.io~1cluster").asText()).isEqualTo(kind("KafkaConnect").at("/metadata/name").asText());
        }
    }

    @Test
    void everySecretTheConnectorsNameIsInTheMountedExampleSecret() throws Exception {
        JsonNode connect = kind("KafkaConnect");
        String secretsFile = ConnectConnectorConfig.Options.DEFAULT_SECRETS_FILE;
        Path mount = Path.of(secretsFile).getParent();
        JsonNode volumeMount = connect.at("/spec/template/connectContainer/volumeMounts/0");
        assertThat(volumeMount.path("mountPath").asText()).isEqualTo(mount.toString());
        JsonNode volume = connect.at("/spec/template/pod/volumes/0");
        assertThat(volume.path("name").asText()).isEqualTo(volumeMount.path("name").asText());
        JsonNode secret = YAML.readTree(DIR.resolve("connect-secret.example.yaml").toFile());
        assertThat(volume.at("/secret/secretName").asText()).isEqualTo(secret.at("/metadata/name").asText());
        String properties = secret.at("/stringData/" + Path.of(secretsFile).getFileName()).asText();
        assertThat(properties).isNotBlank();
        Pattern ref = Pattern.compile("\\$\\{file:" + Pattern.quote(secretsFile) + ":([^}]+)}");
        List<String> keys = new ArrayList<>();
        for (JsonNode c : kinds("KafkaConnector")) {
            c.at("/spec/config").fields().forEachRemaining(e -> {
                Matcher m = ref.matcher(e.getValue().asText());
                if (m.matches()) keys.add(m.group(1));
                else assertThat(e.getKey()).as("a secret in clear").doesNotContainIgnoringCase("password");
            });
        }
        assertThat(keys).isNotEmpty();
        for (String k : keys) assertThat(properties).as(k).containsPattern("(?m)^" + Pattern.quote(k) + "=");
        // the workers resolve them: both providers are declared
        assertThat(connect.at("/spec/config/config.providers").asText()).isEqualTo("file,env");
        assertThat(connect.at("/spec/config/config.providers.file.class").asText())
                .isEqualTo("org.apache.kafka.common.config.provider.FileConfigProvider");
        assertThat(connect.at("/spec/config/config.providers.env.class").asText())
                .isEqualTo("org.apache.kafka.common.config.provider.EnvVarConfigProvider");
    }

    @Test
    void theStrimziResourcesUseOnlyFieldsOfTheirCrds() {
        List<String> problems = new ArrayList<>();
        JsonNode connect = kind("KafkaConnect");
        strict(connect, "", Set.of("apiVersion", "kind", "metadata", "spec"), problems);
        assertThat(connect.path("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
        JsonNode spec = connect.path("spec");
        strict(spec, "/spec", Set.of("version", "replicas", "bootstrapServers", "tls", "authentication", "config",
                "build", "template", "resources", "metricsConfig", "image", "logging", "jvmOptions", "rack"), problems);
        required(spec, "/spec", List.of("bootstrapServers"), problems);
        integer(spec.path("replicas"), "/spec/replicas", problems);
        strict(spec.path("build"), "/spec/build", Set.of("output", "plugins", "resources"), problems);
        strict(spec.at("/build/output"), "/spec/build/output", Set.of("type", "image", "pushSecret", "additionalKanikoOptions"), problems);
        assertThat(spec.at("/build/output/type").asText()).isIn("docker", "imagestream");
        required(spec.at("/build/output"), "/spec/build/output", List.of("type", "image"), problems);
        for (JsonNode plugin : spec.at("/build/plugins")) {
            strict(plugin, "/spec/build/plugins[]", Set.of("name", "artifacts"), problems);
            assertThat(plugin.path("name").asText()).matches("^[a-z0-9][-_a-z0-9]*[a-z0-9]$");
            for (JsonNode a : plugin.path("artifacts")) {
                strict(a, "/spec/build/plugins[].artifacts[]", Set.of("type", "group", "artifact", "version", "repository",
                        "url", "sha512sum", "insecure", "fileName"), problems);
                assertThat(a.path("type").asText()).isIn("jar", "tgz", "zip", "maven", "other");
                if (a.path("type").asText().equals("maven")) required(a, "artifacts[]", List.of("group", "artifact", "version"), problems);
            }
        }
        strict(spec.path("template"), "/spec/template", Set.of("pod", "connectContainer", "deployment", "podSet",
                "apiService", "headlessService", "podDisruptionBudget", "initContainer", "buildContainer",
                "buildConfig", "buildPod", "buildServiceAccount", "clusterRoleBinding", "serviceAccount", "jmxSecret"), problems);
        strict(spec.path("metricsConfig"), "/spec/metricsConfig", Set.of("type", "valueFrom"), problems);
        assertThat(spec.at("/metricsConfig/type").asText()).isEqualTo("jmxPrometheusExporter");
        String metricsMap = spec.at("/metricsConfig/valueFrom/configMapKeyRef/name").asText();
        assertThat(kinds("ConfigMap")).anyMatch(m -> m.at("/metadata/name").asText().equals(metricsMap)
                && m.at("/data").has(spec.at("/metricsConfig/valueFrom/configMapKeyRef/key").asText()));
        assertThat(connect.at("/metadata/annotations/strimzi.io~1use-connector-resources").asText()).isEqualTo("true");
        for (JsonNode c : kinds("KafkaConnector")) {
            strict(c.path("spec"), "KafkaConnector/spec", Set.of("class", "tasksMax", "config", "pause", "state",
                    "autoRestart", "alterOffsets", "listOffsets"), problems);
            required(c.path("spec"), "KafkaConnector/spec", List.of("class", "tasksMax", "config"), problems);
            integer(c.at("/spec/tasksMax"), "KafkaConnector/spec/tasksMax", problems);
            c.at("/spec/config").fields().forEachRemaining(e -> {
                if (!e.getValue().isValueNode()) problems.add("KafkaConnector/spec/config/" + e.getKey() + ": not a scalar");
            });
        }
        assertThat(problems).as("fields outside Strimzi's CRDs").isEmpty();
    }

    @Test
    void theCheckItselfRefusesAMisspeltField() {
        List<String> problems = new ArrayList<>();
        JsonNode bad = YAML.createObjectNode().put("bootstrapServer", "x").put("replicas", "two");
        strict(bad, "/spec", Set.of("bootstrapServers", "replicas"), problems);
        required(bad, "/spec", List.of("bootstrapServers"), problems);
        integer(bad.path("replicas"), "/spec/replicas", problems);
        assertThat(String.join("\n", problems)).contains("/spec/bootstrapServer", "/spec: bootstrapServers is required",
                "/spec/replicas");
    }

    @Test
    void theStreamsApplicationRunsTheStreamsCommandOnTheSharedConfigurationBehindItsService() throws Exception {
        JsonNode d = kind("Deployment");
        JsonNode pod = d.at("/spec/template");
        d.at("/spec/selector/matchLabels").fields().forEachRemaining(e ->
                assertThat(pod.at("/metadata/labels").path(e.getKey()).asText()).isEqualTo(e.getValue().asText()));
        JsonNode container = pod.at("/spec/containers/0");
        assertThat(container.path("args").get(0).asText()).isEqualTo("streams");
        assertThat(container.path("args").toString()).contains("--config", "/etc/reconciler/reconciler.yml");
        // the ConfigMap is the embedded mode's (deploy/k8s/configmap.yaml): one YAML for both modes
        String configMap = null;
        for (JsonNode v : pod.at("/spec/volumes")) if (v.has("configMap")) configMap = v.at("/configMap/name").asText();
        JsonNode shared = YAML.readTree(DIR.resolve("../configmap.yaml").toFile());
        assertThat(configMap).isEqualTo(shared.at("/metadata/name").asText());
        assertThat(shared.at("/data").has("reconciler.yml")).isTrue();
        // restricted pod security: non-root, no escalation, no capabilities, read-only root
        assertThat(pod.at("/spec/securityContext/runAsNonRoot").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/allowPrivilegeEscalation").asBoolean(true)).isFalse();
        assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
        assertThat(container.at("/securityContext/capabilities/drop/0").asText()).isEqualTo("ALL");
        JsonNode service = kind("Service");
        Iterator<Map.Entry<String, JsonNode>> selector = service.at("/spec/selector").fields();
        while (selector.hasNext()) {
            Map.Entry<String, JsonNode> e = selector.next();
            assertThat(pod.at("/metadata/labels").path(e.getKey()).asText()).isEqualTo(e.getValue().asText());
        }
        assertThat(container.path("ports").findValuesAsText("name")).contains(service.at("/spec/ports/0/targetPort").asText());
    }

    static void strict(JsonNode node, String path, Set<String> allowed, List<String> problems) {
        if (node.isMissingNode()) return;
        node.fieldNames().forEachRemaining(f -> {
            if (!allowed.contains(f)) problems.add(path + "/" + f + ": not a field of the CRD");
        });
    }

    static void required(JsonNode node, String path, List<String> fields, List<String> problems) {
        for (String f : fields) if (!node.hasNonNull(f)) problems.add(path + ": " + f + " is required");
    }

    static void integer(JsonNode node, String path, List<String> problems) {
        if (!node.isMissingNode() && !node.isIntegralNumber()) problems.add(path + ": not an integer");
    }
}
