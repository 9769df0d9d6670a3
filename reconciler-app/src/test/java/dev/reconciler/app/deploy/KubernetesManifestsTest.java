package dev.reconciler.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.reconciler.app.deploy.DeployFilesTest.DEPLOY;
import static dev.reconciler.app.deploy.DeployFilesTest.YAML;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/k8s as a cluster would get it: rendered with {@code kubectl kustomize} (kubectl from the machine, or
 * Debian's kubernetes-client, which scripts/test.sh installs), every object validated against the Kubernetes JSON
 * schemas (fabric8's, from Maven Central: core, apps, and the Prometheus Operator's monitoring kinds) strictly, i.e.
 * an unknown or misspelt field fails, and the pod checked explicitly against the Pod Security Standard "restricted".
 * kubeconform is not packaged for Debian, npm or Maven Central; this is its stand-in.
 */
class KubernetesManifestsTest {
    static List<JsonNode> rendered;
    static Map<String, JsonNode> definitions;

    @BeforeAll
    static void render() throws Exception {
        Process p;
        try {
            p = new ProcessBuilder("kubectl", "kustomize", DEPLOY.resolve("k8s").toString()).start();
        } catch (IOException e) {
            throw new AssertionError("kubectl is not installed: apt-get install kubernetes-client (scripts/test.sh does)", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("kubectl kustomize deploy/k8s:\n" + err).isZero();
        rendered = YAML.readValues(YAML.getFactory().createParser(out), JsonNode.class).readAll();
        definitions = schemaDefinitions();
    }

    /** The definitions of every schema/validation-schema.json on the class path (one per fabric8 model jar). */
    static Map<String, JsonNode> schemaDefinitions() throws IOException {
        Map<String, JsonNode> defs = new HashMap<>();
        ObjectMapper json = new ObjectMapper();
        for (URL url : Collections.list(KubernetesManifestsTest.class.getClassLoader().getResources("schema/validation-schema.json"))) {
            try (InputStream in = url.openStream()) {
                json.readTree(in).get("definitions").fields().forEachRemaining(e -> defs.putIfAbsent(e.getKey(), e.getValue()));
            }
        }
        assertThat(defs).as("fabric8's Kubernetes schemas on the test class path (reconciler-app/pom.xml)")
                .containsKeys("kubernetes_apps_StatefulSet", "kubernetes_core_Service", "os_monitoring_v1_ServiceMonitor");
        return defs;
    }

    static JsonNode kind(String kind) {
        return rendered.stream().filter(d -> d.path("kind").asText().equals(kind)).findFirst()
                .orElseThrow(() -> new AssertionError("kubectl kustomize deploy/k8s renders no " + kind));
    }

    @Test
    void rendersTheWorkloadItsServiceConfigAndMonitoringButNoSecret() {
        Set<String> kinds = new TreeSet<>();
        rendered.forEach(d -> kinds.add(d.path("kind").asText()));
        assertThat(kinds).containsExactlyInAnyOrder("ConfigMap", "Service", "StatefulSet", "ServiceMonitor", "PrometheusRule");
        // the example Secret stays out: applying it would overwrite the real one with placeholders
        assertThat(DEPLOY.resolve("k8s/secret.example.yaml")).exists();
        assertThat(kind("StatefulSet").at("/spec/template/spec/containers/0/envFrom/0/secretRef/name").asText())
                .isEqualTo("reconciler-db");
    }

    @Test
    void everyRenderedObjectIsValidAgainstTheKubernetesSchemaStrictly() {
        List<String> problems = new ArrayList<>();
        for (JsonNode doc : rendered) {
            String id = doc.path("kind").asText() + "/" + doc.at("/metadata/name").asText();
            JsonNode def = definitionOf(doc.path("apiVersion").asText(), doc.path("kind").asText());
            if (def == null) {
                problems.add(id + ": no schema for " + doc.path("apiVersion").asText() + " " + doc.path("kind").asText());
                continue;
            }
            // (the schemas mark apiVersion and kind required everywhere; Kubernetes needs them on top-level objects)
            validate(doc, def, id, problems);
        }
        assertThat(problems).as("schema violations").isEmpty();
    }

    @Test
    void theValidatorRejectsWhatAClusterWouldReject() {
        // the check itself: a misspelt field, a wrong type and a map of the wrong values are each caught
        ObjectNode sts = kind("StatefulSet").deepCopy();
        ((ObjectNode) sts.at("/spec/template/spec/containers/0/securityContext")).put("readOnlyRootFileSystem", true);
        ((ObjectNode) sts.at("/spec")).put("replicas", "one");
        ((ObjectNode) sts.at("/metadata/labels")).putObject("nested");
        List<String> problems = new ArrayList<>();
        validate(sts, definitionOf("apps/v1", "StatefulSet"), "sts", problems);
        assertThat(String.join("\n", problems)).contains("readOnlyRootFileSystem", "/spec/replicas", "/metadata/labels/nested");
    }

    /** The definition whose apiVersion and kind defaults are these. */
    static JsonNode definitionOf(String apiVersion, String kind) {
        for (JsonNode d : definitions.values()) {
            if (d.at("/properties/kind/default").asText().equals(kind)
                    && d.at("/properties/apiVersion/default").asText().equals(apiVersion)) return d;
        }
        return null;
    }

    /**
     * A strict JSON-schema walk over the subset these schemas use (type, properties, additionalProperties, items,
     * $ref): unlike the schemas' own {@code additionalProperties: true}, a field an object's schema does not name is
     * an error, as with {@code kubectl apply --validate=strict} or kubeconform {@code -strict}.
     */
    static void validate(JsonNode node, JsonNode schema, String path, List<String> problems) {
        if (schema.has("$ref")) {
            String name = schema.get("$ref").asText().replace("#/definitions/", "");
            JsonNode target = definitions.get(name);
            if (target == null) {
                problems.add(path + ": schema lacks " + name);
                return;
            }
            if (name.endsWith("IntOrString")) {
                if (!node.isTextual() && !node.isIntegralNumber()) problems.add(path + ": expected an integer or a string");
                return;
            }
            if (name.endsWith("Quantity")) {
                if (!node.isTextual() && !node.isNumber()) problems.add(path + ": expected a quantity");
                return;
            }
            validate(node, target, path, problems);
            return;
        }
        String type = schema.path("type").asText("");
        switch (type) {
            case "string" -> { if (!node.isTextual()) problems.add(path + ": expected a string, got " + node); }
            case "integer" -> { if (!node.isIntegralNumber()) problems.add(path + ": expected an integer, got " + node); }
            case "number" -> { if (!node.isNumber()) problems.add(path + ": expected a number, got " + node); }
            case "boolean" -> { if (!node.isBoolean()) problems.add(path + ": expected a boolean, got " + node); }
            case "array" -> {
                if (!node.isArray()) {
                    problems.add(path + ": expected a list, got " + node);
                    return;
                }
                for (int i = 0; i < node.size(); i++) validate(node.get(i), schema.get("items"), path + "/" + i, problems);
            }
            case "object" -> {
                if (!node.isObject()) {
                    problems.add(path + ": expected an object, got " + node);
                    return;
                }
                JsonNode props = schema.get("properties");
                JsonNode additional = schema.get("additionalProperties");
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    String p = path + "/" + f.getKey();
                    if (props != null && props.has(f.getKey())) {
                        validate(f.getValue(), props.get(f.getKey()), p, problems);
                    } else if (additional != null && additional.isObject()) {
                        validate(f.getValue(), additional, p, problems);
                    } else if (props != null) {
                        problems.add(p + ": unknown field");
                    }
                    // an object schema with neither (free-form, e.g. RawExtension) takes anything
                }
            }
            default -> { }
        }
    }

    @Test
    void theOverlayOfDocsDeployRendersAndSetsWhatItsCommentsSay(@TempDir Path tmp) throws Exception {
        Matcher m = Pattern.compile("```yaml\n   # overlays/prod/kustomization.yaml\n(.*?)   ```", Pattern.DOTALL)
                .matcher(Files.readString(Path.of("..", "docs", "deploy.md")));
        assertThat(m.find()).as("docs/deploy.md shows an overlay").isTrue();
        Path overlay = Files.createDirectories(tmp.resolve("overlays/prod"));
        Files.writeString(overlay.resolve("kustomization.yaml"), m.group(1).replaceAll("(?m)^   ", ""));
        Files.createSymbolicLink(tmp.resolve("deploy"), DEPLOY.toAbsolutePath().normalize());
        Process p = new ProcessBuilder("kubectl", "kustomize", overlay.toString()).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        JsonNode sts = YAML.readValues(YAML.getFactory().createParser(out), JsonNode.class).readAll().stream()
                .filter(d -> d.path("kind").asText().equals("StatefulSet")).findFirst().orElseThrow();
        Map<String, String> env = new HashMap<>();
        sts.at("/spec/template/spec/containers/0/env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
        assertThat(env).containsEntry("ORDER_DB_HOST", "orders-db.prod.svc").containsEntry("INVENTORY_DB_HOST", "stock-db.prod.svc")
                .containsEntry("ALERTMANAGER_URL", "http://alertmanager-operated.monitoring.svc:9093")
                .containsEntry("RECONCILER_PUBLIC_URL", "https://reconciler.prod.example.com");
        assertThat(sts.at("/spec/template/spec/containers/0/image").asText()).isEqualTo("registry.example.com/reconciler:0.1.0");
        assertThat(sts.at("/metadata/namespace").asText()).isEqualTo("reconciler");
    }

    @Test
    void thePodMeetsPodSecurityRestricted() {
        JsonNode sts = kind("StatefulSet");
        JsonNode pod = sts.at("/spec/template/spec");
        // Pod Security Standards, "baseline" and "restricted" (kubernetes.io/docs/concepts/security/pod-security-standards)
        for (String host : List.of("hostNetwork", "hostPID", "hostIPC")) {
            assertThat(pod.path(host).asBoolean(false)).as(host).isFalse();
        }
        Set<String> allowedVolumeTypes = Set.of("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                "persistentVolumeClaim", "projected", "secret");
        pod.path("volumes").forEach(v -> v.fieldNames().forEachRemaining(f -> {
            if (!f.equals("name")) assertThat(allowedVolumeTypes).as("volume type " + f).contains(f);
        }));
        JsonNode podSc = pod.path("securityContext");
        assertThat(podSc.path("runAsNonRoot").asBoolean()).as("pod runAsNonRoot").isTrue();
        assertThat(podSc.path("runAsUser").asInt()).as("pod runAsUser").isPositive();
        assertThat(podSc.at("/seccompProfile/type").asText()).as("pod seccompProfile").isEqualTo("RuntimeDefault");
        List<JsonNode> containers = new ArrayList<>();
        pod.path("containers").forEach(containers::add);
        pod.path("initContainers").forEach(containers::add);
        assertThat(containers).isNotEmpty();
        for (JsonNode c : containers) {
            String name = c.path("name").asText();
            JsonNode sc = c.path("securityContext");
            assertThat(sc.path("privileged").asBoolean(false)).as(name + " privileged").isFalse();
            assertThat(sc.path("allowPrivilegeEscalation").isBoolean() && !sc.path("allowPrivilegeEscalation").asBoolean())
                    .as(name + " allowPrivilegeEscalation: false").isTrue();
            assertThat(sc.at("/capabilities/drop").toString()).as(name + " drops ALL capabilities").contains("\"ALL\"");
            sc.at("/capabilities/add").forEach(a -> assertThat(a.asText()).as(name + " adds only NET_BIND_SERVICE")
                    .isEqualTo("NET_BIND_SERVICE"));
            assertThat(sc.path("runAsNonRoot").asBoolean(podSc.path("runAsNonRoot").asBoolean())).isTrue();
            assertThat(sc.path("runAsUser").asInt(podSc.path("runAsUser").asInt())).as(name + " runAsUser").isPositive();
            String seccomp = sc.at("/seccompProfile/type").asText(podSc.at("/seccompProfile/type").asText());
            assertThat(seccomp).isIn("RuntimeDefault", "Localhost");
            assertThat(c.path("ports").toString()).doesNotContain("hostPort");
            // beyond "restricted": a read-only root; the state volume and /tmp are the only writable mounts
            assertThat(sc.path("readOnlyRootFilesystem").asBoolean()).as(name + " readOnlyRootFilesystem").isTrue();
            Set<String> writable = new TreeSet<>();
            c.path("volumeMounts").forEach(m -> {
                if (!m.path("readOnly").asBoolean(false)) writable.add(m.path("mountPath").asText());
            });
            assertThat(writable).containsExactlyInAnyOrder("/var/lib/reconciler", "/tmp");
        }
    }

    @Test
    void workloadFollowsTheOperationsGuide() throws Exception {
        JsonNode sts = kind("StatefulSet");
        JsonNode c = sts.at("/spec/template/spec/containers/0");
        assertThat(sts.at("/spec/replicas").asInt()).as("one reconciler owns its state").isEqualTo(1);
        // the governing Service of a StatefulSet is headless
        JsonNode svc = kind("Service");
        assertThat(sts.at("/spec/serviceName").asText()).isEqualTo(svc.at("/metadata/name").asText());
        assertThat(svc.at("/spec/clusterIP").asText()).isEqualTo("None");
        // docs/operations.md#probes-kubernetes: readiness on /health/ready, liveness on /health/live, a startup probe
        // covering the opening of a large state store
        assertThat(c.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
        assertThat(c.at("/readinessProbe/periodSeconds").asInt()).isEqualTo(10);
        assertThat(c.at("/readinessProbe/failureThreshold").asInt()).isEqualTo(3);
        assertThat(c.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(c.at("/livenessProbe/periodSeconds").asInt()).isEqualTo(30);
        assertThat(c.at("/livenessProbe/failureThreshold").asInt()).isEqualTo(4);
        assertThat(c.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
        assertThat(c.at("/startupProbe/periodSeconds").asInt() * c.at("/startupProbe/failureThreshold").asInt())
                .as("seconds the startup probe allows").isGreaterThanOrEqualTo(300);
        String ops = Files.readString(Path.of("..", "docs", "operations.md"));
        assertThat(ops).contains("readiness every 10 s with failureThreshold 3", "liveness every 30 s with failureThreshold 4");
        // the state directory is the state volume; the environment names everything the configuration reads
        Map<String, String> env = new HashMap<>();
        c.get("env").forEach(e -> env.put(e.get("name").asText(), e.path("value").asText()));
        String stateMount = null;
        for (JsonNode m : c.get("volumeMounts")) if (m.get("name").asText().equals("state")) stateMount = m.get("mountPath").asText();
        assertThat(env.get("RECONCILER_STATE_DIR")).isEqualTo(stateMount);
        assertThat(sts.at("/spec/volumeClaimTemplates/0/metadata/name").asText()).isEqualTo("state");
        String config = Files.readString(DEPLOY.resolve("config/order-inventory-container.yml"));
        Matcher vars = Pattern.compile("\\$\\{([A-Z_]+):-").matcher(config);
        Set<String> read = new TreeSet<>();
        while (vars.find()) read.add(vars.group(1));
        read.removeAll(Set.of("ORDER_DB_PASSWORD", "INVENTORY_DB_PASSWORD", "RECONCILER_SNAPSHOT_LOOKBACK"));
        assertThat(env.keySet()).as("set in the StatefulSet (passwords come from the Secret; the lookback keeps its default)")
                .containsAll(read).contains("ALERTMANAGER_URL", "RECONCILER_PUBLIC_URL");
        assertThat(env.get("JAVA_OPTS")).contains("-XX:+ExitOnOutOfMemoryError", "-XX:MaxRAMPercentage=");
        // the ConfigMap is the container configuration, verbatim
        assertThat(kind("ConfigMap").at("/data/reconciler.yml").asText()).isEqualTo(config);
        // the ServiceMonitor scrapes the Service's named port at /metrics
        JsonNode sm = kind("ServiceMonitor");
        assertThat(sm.at("/spec/endpoints/0/port").asText()).isEqualTo(svc.at("/spec/ports/0/name").asText());
        assertThat(sm.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
        assertThat(sm.at("/spec/selector/matchLabels")).isEqualTo(svc.at("/metadata/labels"));
    }
}
