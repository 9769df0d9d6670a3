package dev.reconciler.app.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static dev.reconciler.app.deploy.DeployFilesTest.DEPLOY;
import static dev.reconciler.app.deploy.DeployFilesTest.YAML;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * deploy/k8s/distributed's Kubernetes objects (the Streams Deployment, its Service, the metrics ConfigMap) against
 * the Kubernetes JSON schemas, strictly, with {@link KubernetesManifestsTest}'s validator. The Strimzi resources have
 * no schema there; {@code DistributedDeployFilesTest} checks them.
 */
class DistributedKubernetesSchemaTest {

    @Test
    void everyKubernetesObjectIsValidAgainstItsSchemaStrictly() throws Exception {
        Process p = new ProcessBuilder("kubectl", "kustomize", DEPLOY.resolve("k8s/distributed").toString()).start();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(err).isZero();
        List<JsonNode> rendered = YAML.readValues(YAML.getFactory().createParser(out), JsonNode.class).readAll();
        if (KubernetesManifestsTest.definitions == null) KubernetesManifestsTest.definitions = KubernetesManifestsTest.schemaDefinitions();
        List<String> problems = new ArrayList<>();
        int checked = 0;
        for (JsonNode doc : rendered) {
            String apiVersion = doc.path("apiVersion").asText();
            if (apiVersion.startsWith("kafka.strimzi.io/")) continue;
            String id = doc.path("kind").asText() + "/" + doc.at("/metadata/name").asText();
            JsonNode def = KubernetesManifestsTest.definitionOf(apiVersion, doc.path("kind").asText());
            if (def == null) {
                problems.add(id + ": no schema for " + apiVersion + " " + doc.path("kind").asText());
                continue;
            }
            KubernetesManifestsTest.validate(doc, def, id, problems);
            checked++;
        }
        assertThat(problems).as("schema violations").isEmpty();
        assertThat(checked).as("Deployment, Service, ConfigMap").isEqualTo(3);
    }
}
