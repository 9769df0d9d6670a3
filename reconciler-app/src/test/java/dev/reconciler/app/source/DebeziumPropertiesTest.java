package dev.reconciler.app.source;

import dev.reconciler.app.config.ConfigException;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** sources[].debezium: passed through to the connector, except the properties the reconciler owns. */
class DebeziumPropertiesTest {

    private static String example(String debezium) throws Exception {
        String yaml = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"));
        String marker = "    serverId: 5401\n";
        assertThat(yaml).contains(marker);
        return yaml.replace(marker, marker + "    debezium: " + debezium + "\n");
    }

    @Test
    void passedThroughPropertiesReachTheConnectorAfterTheReconcilersOwn(@TempDir Path state) throws Exception {
        ReconcilerConfig c = new ConfigLoader(Map.of("QUEUE", "16384")::get).load(
                example("{max.queue.size: \"${QUEUE}\", snapshot.fetch.size: 5000, database.initial.statements:"
                        + " \"SET SESSION wait_timeout=600\"}"), "t.yml");
        SourceConfig orders = c.source("orders").withFlavour(SourceConfig.Flavour.MARIADB);
        assertThat(orders.debezium()).containsEntry("max.queue.size", "16384").containsEntry("snapshot.fetch.size", "5000");
        try (DebeziumSource s = new DebeziumSource(orders, c.engine(), state, null)) {
            Properties p = s.properties();
            assertThat(p.getProperty("max.queue.size")).as("overrides the reconciler's 8192").isEqualTo("16384");
            assertThat(p.getProperty("snapshot.fetch.size")).isEqualTo("5000");
            assertThat(p.getProperty("database.initial.statements")).isEqualTo("SET SESSION wait_timeout=600");
            assertThat(p.getProperty("database.hostname")).isEqualTo("127.0.0.1");
            assertThat(p.getProperty("decimal.handling.mode")).isEqualTo("string");
        }
        assertThat(c.source("inventory").config().debezium()).isEmpty();
    }

    @Test
    void propertiesTheReconcilerOwnsAreRefusedWithTheReasonAndTheKeyToUse() throws Exception {
        String yaml = example("{database.hostname: other, table.include.list: 'orders.x', transforms.unwrap.type: x,"
                + " skipped.operations: d, database.ssl.mode: disabled, max: {queue: {size: 1}}}");
        assertThatThrownBy(() -> new ConfigLoader(k -> null).load(yaml, "t.yml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "sources[0].debezium.database.hostname: is owned by the reconciler: it is set by sources[].host",
                        "sources[0].debezium.table.include.list: is owned by the reconciler: it follows from the"
                                + " streams and databases the source reads: a narrower list would hide rows the rules"
                                + " expect, and they would be reported missing",
                        "sources[0].debezium.transforms.unwrap.type: is owned by the reconciler: it changes the form"
                                + " of the values the rules compare; the reconciler depends on its own setting",
                        "sources[0].debezium.skipped.operations: is owned by the reconciler: it would drop events"
                                + " without a discrepancy or a metric; the reconciler never skips silently",
                        "sources[0].debezium.database.ssl.mode: is owned by the reconciler: it is set by"
                                + " sources[].tls (which also covers the reconciler's own connections)",
                        "sources[0].debezium.max: expected a single value (connector properties are text), found a"
                                + " mapping; write the property's full dotted name as one key, e.g."
                                + " 'max.queue.size: 16384', not nested mappings"));
    }

    @Test
    void everyPropertyTheReconcilerSetsIsOwned() {
        // what DebeziumSource.properties() sets besides the tunables a user may override
        for (String k : new String[]{"name", "connector.class", "offset.storage", "offset.storage.file.filename",
                "schema.history.internal", "schema.history.internal.file.filename", "database.hostname",
                "database.port", "database.user", "database.password", "database.server.id", "topic.prefix",
                "database.include.list", "table.include.list", "snapshot.mode", "include.schema.changes",
                "tombstones.on.delete", "decimal.handling.mode", "heartbeat.interval.ms",
                "snapshot.select.statement.overrides", "snapshot.select.statement.overrides.orders.t"}) {
            assertThat(DebeziumProperties.refusal(k)).as(k).isNotNull();
        }
        for (String k : new String[]{"max.batch.size", "max.queue.size", "poll.interval.ms", "offset.flush.interval.ms",
                "connect.keep.alive.interval.ms", "snapshot.locking.mode", "snapshot.fetch.size"}) {
            assertThat(DebeziumProperties.refusal(k)).as(k).isNull();
        }
    }

    @Test
    void theDocsListEveryOwnedProperty() throws Exception {
        String doc = Files.readString(Path.of("..", "docs", "configuration.md"));
        String table = doc.substring(doc.indexOf("## Connector properties"));
        for (String k : DebeziumProperties.owned()) assertThat(table).as(k).contains("`" + k + "`");
    }
}
