package dev.reconciler.app.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SpecificationVersion;
import dev.reconciler.app.cli.Main;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/reconciler.schema.json is the schema made from the declarations, and the shipped configuration files are
 * valid against it under a real JSON Schema validator (the one editors' YAML language server behaves like): so an
 * editor with the schema never flags a file the reconciler accepts, and does flag the mistakes people make.
 */
class JsonSchemaTest {
    static final Path FILE = Path.of("..", "docs", "reconciler.schema.json");
    private static final YAMLMapper YAML = new YAMLMapper();

    static Schema schema() throws Exception {
        return SchemaRegistry.withDefaultDialect(SpecificationVersion.DRAFT_7)
                .getSchema(Files.readString(FILE), com.networknt.schema.InputFormat.JSON);
    }

    static List<String> errors(String yaml) throws Exception {
        JsonNode doc = YAML.readTree(yaml);
        return schema().validate(doc).stream().map(Error::toString).toList();
    }

    @Test
    void theCheckedInSchemaIsTheGeneratedOne() throws Exception {
        assertThat(Files.readString(FILE)).as("docs/reconciler.schema.json is stale: regenerate it with"
                + " `reconciler config schema > docs/reconciler.schema.json`").isEqualTo(JsonSchema.text());
    }

    @Test
    void theCommandPrintsTheSameSchema() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        int code;
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            code = Main.execute("config", "schema");
        } finally {
            System.setOut(old);
        }
        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(JsonSchema.text());
    }

    @Test
    void theShippedConfigurationsAreValid() throws Exception {
        for (String f : List.of("order-inventory.yml", "order-inventory-container.yml")) {
            String yaml = Files.readString(Path.of("..", "deploy", "config", f));
            assertThat(errors(yaml)).as(f).isEmpty();
        }
        // and the copy in the Kubernetes ConfigMap
        JsonNode cm = YAML.readTree(Path.of("..", "deploy", "k8s", "configmap.yaml").toFile());
        String embedded = cm.get("data").fields().next().getValue().asText();
        assertThat(errors(embedded)).as("deploy/k8s/configmap.yaml").isEmpty();
    }

    @Test
    void aFileUsingEveryKindOfValueIsValid() throws Exception {
        String yaml = """
                state: {dir: /var/lib/reconciler, cacheSize: 1GiB, writeBufferSize: 67108864, syncWrites: true}
                http: {bindAddress: 0.0.0.0, port: "${PORT:-8080}", token: "${file:/run/secrets/token}", idleTimeout: 2m}
                sources:
                  - name: orders
                    flavour: MariaDB
                    host: db
                    user: reconciler
                    databases: orders
                    snapshotLookback: 1h30m
                    tls: {mode: verify_identity, trustStore: /run/secrets/ca.p12}
                    debezium: {max.queue.size: 16384, snapshot.fetch.size: "5000"}
                streams:
                  - {name: s, tables: [{source: orders, table: 'a_\\d{4}'}], columns: [id]}
                rules:
                  - name: sale
                    left: {stream: s, filter: {state: [A, B], kind: {not: X}, n: 0}}
                    right: {stream: s}
                    key: {id: id}
                    quantity: {left: a, right: b, tolerance: 0.01}
                    grace: 0
                    labels: {severity: critical, team: payments, service: checkout}
                engine: {clockSkew: 2s}
                alerts:
                  publicUrl: https://reconciler.example.com
                  sinks:
                    - {name: am, type: alertmanager, url: "http://am:9093", resendInterval: 30s, headers: {X-A: b}}
                """;
        // flavour written MariaDB: the binder takes any case, the schema suggests the lower-case spelling
        assertThat(errors(yaml)).isNotEmpty().allMatch(e -> e.startsWith("/sources/0/flavour:"));
        assertThat(errors(yaml.replace("MariaDB", "mariadb"))).isEmpty();
    }

    @Test
    void theMistakesPeopleMakeAreFlagged() throws Exception {
        String base = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"));
        Map<String, String> mistakes = Map.of(
                "a misspelt key", base.replace("  port: ${RECONCILER_HTTP_PORT:-8080}", "  prot: 8080"),
                "a duration without a unit", base.replace("${RECONCILER_GRACE:-30s}", "30"),
                "an unknown choice", base.replace("    serverId: 5401", "    serverId: 5401\n    snapshot: sometimes"),
                "a port out of range", base.replace("${RECONCILER_HTTP_PORT:-8080}", "70000"),
                "an unknown severity", base.replace("    grace: ${RECONCILER_GRACE:-30s}",
                        "    grace: 30s\n    labels: {severity: page}"),
                "a label name Prometheus refuses", base.replace("    grace: ${RECONCILER_GRACE:-30s}",
                        "    grace: 30s\n    labels: {on-call: me}"),
                "a missing required key", base.replace("    user: ${ORDER_DB_USER:-reconciler}\n", ""));
        mistakes.forEach((what, yaml) -> {
            assertThat(yaml).as(what + ": the edit applies").isNotEqualTo(base);
            try {
                assertThat(errors(yaml)).as(what).isNotEmpty();
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
    }
}
