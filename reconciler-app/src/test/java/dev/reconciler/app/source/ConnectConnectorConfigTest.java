package dev.reconciler.app.source;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Kafka Connect connector of a source has the embedded engine's properties, property for property (both come
 * from {@link ConnectorProperties#capture}), without its files and without any secret in clear.
 */
class ConnectConnectorConfigTest {
    private static final Tls TLS = new Tls(Tls.Mode.VERIFY_CA, "/etc/tls/ca.p12", "trust-pw", "/etc/tls/client.p12", "key-pw");
    private static final ConnectConnectorConfig.Options FILE = new ConnectConnectorConfig.Options("kafka:9092", 3,
            ConnectConnectorConfig.Secrets.FILE, null);

    private static SourceConfig source(SourceConfig.Flavour flavour, Tls tls) {
        return new SourceConfig("orders", flavour, "db.example", 3306, "reader", "db-pw", List.of("orders"),
                List.of("orders\\.trade_order_stream_\\d{4}"), 5401, SourceConfig.Snapshot.INITIAL,
                "orders.reconciler_heartbeat", Duration.ofMillis(1500)).withTls(tls);
    }

    /** What the embedded engine is given for {@code source} (not started). */
    private static Map<String, String> embedded(SourceConfig source, Path state) {
        try (DebeziumSource s = new DebeziumSource(source, null, state, null)) {
            Properties p = s.properties();
            Map<String, String> m = new TreeMap<>();
            p.stringPropertyNames().forEach(k -> m.put(k, p.getProperty(k)));
            return m;
        }
    }

    @Test
    void everyPropertyOfTheEmbeddedEngineIsTheSameOnConnectExceptItsFilesAndTheSecrets(@TempDir Path state) {
        for (SourceConfig.Flavour flavour : SourceConfig.Flavour.values()) {
            SourceConfig source = source(flavour, TLS);
            Map<String, String> embedded = embedded(source, state);
            Map<String, String> connect = ConnectConnectorConfig.of(source, Map.of(), FILE).config();
            Set<String> replaced = Set.of("name", "schema.history.internal");
            for (Map.Entry<String, String> e : embedded.entrySet()) {
                String k = e.getKey();
                if (ConnectConnectorConfig.EMBEDDED_ONLY.contains(k) || replaced.contains(k)) continue;
                if (ConnectConnectorConfig.DebeziumPasswords.isSecret(k)) {
                    assertThat(connect.get(k)).as(flavour + " " + k).isEqualTo("${file:" + FILE.secretsFile() + ":orders." + k + "}");
                } else {
                    assertThat(connect).as(flavour + " " + k).containsEntry(k, e.getValue());
                }
            }
            assertThat(connect).doesNotContainKeys(ConnectConnectorConfig.EMBEDDED_ONLY.toArray(String[]::new))
                    .doesNotContainKey("name");
            assertThat(String.join(" ", connect.values())).doesNotContain("db-pw", "trust-pw", "key-pw");
        }
    }

    @Test
    void thePropertiesThatDecideWhatIsReadAreTheConfiguredOnes() {
        Map<String, String> c = ConnectConnectorConfig.of(source(SourceConfig.Flavour.MARIADB, TLS), Map.of(), FILE).config();
        assertThat(c).containsEntry("connector.class", "io.debezium.connector.mariadb.MariaDbConnector")
                .containsEntry("tasks.max", "1")
                .containsEntry("topic.prefix", "orders")
                .containsEntry("database.server.id", "5401")
                .containsEntry("database.hostname", "db.example")
                .containsEntry("database.include.list", "orders")
                // the heartbeat table is captured: its rows move the watermark in both modes
                .containsEntry("table.include.list", "orders\\.trade_order_stream_\\d{4},orders\\.reconciler_heartbeat")
                .containsEntry("heartbeat.interval.ms", "1500")
                .containsEntry("snapshot.mode", "initial")
                .containsEntry("database.ssl.mode", "verify-ca")
                .containsEntry("database.ssl.truststore", "/etc/tls/ca.p12")
                .containsEntry("decimal.handling.mode", "string")
                .containsEntry("tombstones.on.delete", "false")
                .containsEntry("schema.history.internal", "io.debezium.storage.kafka.history.KafkaSchemaHistory")
                .containsEntry("schema.history.internal.kafka.bootstrap.servers", "kafka:9092")
                .containsEntry("schema.history.internal.kafka.topic", "reconciler.schema-history.orders")
                .containsEntry("key.converter", "org.apache.kafka.connect.json.JsonConverter")
                .containsEntry("value.converter", "org.apache.kafka.connect.json.JsonConverter")
                .containsEntry("value.converter.schemas.enable", "true")
                // every table into <source>.changes, keyed by the primary key alone (as the embedded mode's rows)
                .containsEntry("transforms", "changes")
                .containsEntry("transforms.changes.type", "io.debezium.transforms.ByLogicalTableRouter")
                .containsEntry("transforms.changes.topic.regex", "orders\\..*")
                .containsEntry("transforms.changes.topic.replacement", "orders.changes")
                .containsEntry("transforms.changes.key.enforce.uniqueness", "false")
                .containsEntry("topic.creation.default.partitions", "1")
                .containsEntry("topic.creation.default.replication.factor", "3");
        assertThat(ConnectConnectorConfig.of(source(SourceConfig.Flavour.MYSQL, Tls.DEFAULT), Map.of(), FILE).config())
                .containsEntry("connector.class", "io.debezium.connector.mysql.MySqlConnector")
                .doesNotContainKey("database.ssl.mode");
    }

    @Test
    void secretsAreProviderReferencesForTheFileOrTheEnvironment() {
        SourceConfig s = source(SourceConfig.Flavour.MARIADB, TLS);
        Map<String, String> file = ConnectConnectorConfig.of(s, Map.of(),
                new ConnectConnectorConfig.Options("k:9092", 1, ConnectConnectorConfig.Secrets.FILE, "/mnt/db/c.properties")).config();
        assertThat(file).containsEntry("database.password", "${file:/mnt/db/c.properties:orders.database.password}")
                .containsEntry("database.ssl.truststore.password", "${file:/mnt/db/c.properties:orders.database.ssl.truststore.password}")
                .containsEntry("driver.keyStorePassword", "${file:/mnt/db/c.properties:orders.driver.keyStorePassword}");
        Map<String, String> env = ConnectConnectorConfig.of(s, Map.of(),
                new ConnectConnectorConfig.Options("k:9092", 1, ConnectConnectorConfig.Secrets.ENV, null)).config();
        assertThat(env).containsEntry("database.password", "${env:RECONCILER_ORDERS_DATABASE_PASSWORD}")
                .containsEntry("database.ssl.keystore.password", "${env:RECONCILER_ORDERS_DATABASE_SSL_KEYSTORE_PASSWORD}");
        // a source without a password still gets a reference: the secret decides, never the environment the
        // generator happened to run in
        SourceConfig noPassword = new SourceConfig("inventory", SourceConfig.Flavour.MARIADB, "h", 3306, "u", null,
                List.of("inventory"), List.of("inventory\\.t"), 2, SourceConfig.Snapshot.FROM_NOW, null, null);
        assertThat(ConnectConnectorConfig.of(noPassword, Map.of(), FILE).config())
                .containsEntry("database.password", "${file:" + FILE.secretsFile() + ":inventory.database.password}")
                .containsEntry("snapshot.mode", "no_data");
    }

    @Test
    void theSnapshotLookBackSelectsArePassedAsTheEmbeddedEngineWouldHaveThem() {
        Map<String, String> selects = new TreeMap<>(Map.of(
                "orders.trade_order_stream_0000", "SELECT * FROM `orders`.`trade_order_stream_0000` WHERE `gmt_modified` >= '2026-12-01 00:00:00.000'",
                "orders.trade_order_stream_0001", "SELECT * FROM `orders`.`trade_order_stream_0001` WHERE `gmt_modified` >= '2026-12-01 00:00:00.000'"));
        Map<String, String> c = ConnectConnectorConfig.of(source(SourceConfig.Flavour.MARIADB, Tls.DEFAULT), selects, FILE).config();
        assertThat(c).containsEntry("snapshot.select.statement.overrides",
                "orders.trade_order_stream_0000,orders.trade_order_stream_0001");
        selects.forEach((t, sql) -> assertThat(c).containsEntry("snapshot.select.statement.overrides." + t, sql));
    }

    @Test
    void theRoutingRegexMatchesTheSourcesTablesOnly() {
        SourceConfig dotted = new SourceConfig("eu.orders", SourceConfig.Flavour.MARIADB, "h", 3306, "u", null,
                List.of("orders"), List.of("orders\\.t"), 2, SourceConfig.Snapshot.FROM_NOW, null, null);
        String regex = ConnectConnectorConfig.of(dotted, Map.of(), FILE).config().get("transforms.changes.topic.regex");
        assertThat("eu.orders.orders.t").matches(regex);
        assertThat("euXorders.orders.t").doesNotMatch(regex);
        assertThat("__debezium-heartbeat.eu.orders").doesNotMatch(regex);
    }

    @Test
    void optionsNameTheirFix() {
        assertThatThrownBy(() -> new ConnectConnectorConfig.Options(" ", 3, null, null))
                .hasMessageContaining("--bootstrap-servers");
        assertThatThrownBy(() -> new ConnectConnectorConfig.Options("k:9092", 0, null, null))
                .hasMessageContaining("--replication-factor");
    }
}
