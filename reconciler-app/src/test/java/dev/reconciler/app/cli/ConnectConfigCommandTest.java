package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code reconciler connect-config} on the shipped example file: REST JSON, Strimzi YAML, files, and its refusals. */
class ConnectConfigCommandTest {
    static final Path EXAMPLE = Path.of("..", "deploy", "config", "order-inventory.yml");
    private static final ObjectMapper JSON = new ObjectMapper();

    record Run(int code, String out, String err) {
    }

    static Run run(Map<String, String> env, String... args) {
        CommandLine cl = new CommandLine(new ConnectConfigCommand(env::get));
        cl.setExitCodeExceptionMapper(e -> e instanceof CommandLine.ParameterException ? Main.USAGE : Main.FAILED);
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return new Run(cl.execute(args), out.toString(), err.toString());
    }

    /** The example with the flavours set and no look-back: nothing to ask a server. */
    static Path offlineExample(Path dir) throws Exception {
        String yaml = Files.readString(EXAMPLE)
                .replace("  - name: orders\n", "  - name: orders\n    flavour: mariadb\n")
                .replace("  - name: inventory\n", "  - name: inventory\n    flavour: mysql\n")
                .replaceAll("(?m)^\\s*snapshotLookback:.*\\n", "");
        Path file = dir.resolve("offline.yml");
        Files.writeString(file, yaml);
        return file;
    }

    @Test
    void isACommandOfTheCliWithHelpAndExamples() {
        CliTest.Run help = CliTest.run("connect-config", "--help");
        assertThat(help.code()).isZero();
        assertThat(help.out()).contains("Usage: reconciler connect-config", "Examples:", "reconciler connect-config -c",
                "--bootstrap-servers", "--format", "--secrets", "Exit codes");
        assertThat(CliTest.run("--help").out()).contains("connect-config");
    }

    @Test
    void printsOneRestBodyPerSourceWithTheSameSettingsAsRunAndNoSecret(@TempDir Path dir) throws Exception {
        Path file = offlineExample(dir);
        Run all = run(Map.of("ORDER_DB_PASSWORD", "very-secret"), "-c", file.toString(), "--bootstrap-servers", "kafka:9092");
        assertThat(all.code()).as(all.err()).isZero();
        JsonNode array = JSON.readTree(all.out());
        assertThat(array.isArray()).isTrue();
        assertThat(array).extracting(n -> n.get("name").asText()).containsExactly("reconciler-orders", "reconciler-inventory");
        assertThat(all.out()).doesNotContain("very-secret");
        JsonNode orders = array.get(0).get("config");
        assertThat(orders.get("name").asText()).isEqualTo("reconciler-orders");
        assertThat(orders.get("connector.class").asText()).isEqualTo("io.debezium.connector.mariadb.MariaDbConnector");
        assertThat(orders.get("database.hostname").asText()).isEqualTo("127.0.0.1");
        assertThat(orders.get("database.port").asText()).isEqualTo("3306");
        assertThat(orders.get("database.server.id").asText()).isEqualTo("5401");
        assertThat(orders.get("table.include.list").asText()).endsWith("orders\\.reconciler_heartbeat");
        assertThat(orders.get("database.password").asText())
                .isEqualTo("${file:/mnt/reconciler-db/credentials.properties:orders.database.password}");
        assertThat(array.get(1).get("config").get("connector.class").asText()).isEqualTo("io.debezium.connector.mysql.MySqlConnector");

        Run one = run(Map.of(), "-c", file.toString(), "--bootstrap-servers", "kafka:9092", "--source", "inventory",
                "--secrets", "env");
        assertThat(one.code()).as(one.err()).isZero();
        JsonNode body = JSON.readTree(one.out());
        assertThat(body.get("name").asText()).isEqualTo("reconciler-inventory");
        assertThat(body.at("/config/database.password").asText()).isEqualTo("${env:RECONCILER_INVENTORY_DATABASE_PASSWORD}");
    }

    @Test
    void strimziFormatGivesKafkaConnectorResourcesAndFiles(@TempDir Path dir) throws Exception {
        Path file = offlineExample(dir);
        Run r = run(Map.of(), "-c", file.toString(), "--bootstrap-servers", "b:9092", "--format", "strimzi",
                "--connect-cluster", "payments-connect");
        assertThat(r.code()).as(r.err()).isZero();
        YAMLMapper yaml = new YAMLMapper();
        List<JsonNode> docs = yaml.readValues(yaml.getFactory().createParser(r.out()), JsonNode.class).readAll();
        assertThat(docs).hasSize(2);
        JsonNode orders = docs.get(0);
        assertThat(orders.get("apiVersion").asText()).isEqualTo("kafka.strimzi.io/v1beta2");
        assertThat(orders.get("kind").asText()).isEqualTo("KafkaConnector");
        assertThat(orders.at("/metadata/name").asText()).isEqualTo("reconciler-orders");
        assertThat(orders.at("/metadata/labels/strimzi.io~1cluster").asText()).isEqualTo("payments-connect");
        assertThat(orders.at("/spec/class").asText()).isEqualTo("io.debezium.connector.mariadb.MariaDbConnector");
        assertThat(orders.at("/spec/tasksMax").asInt()).isEqualTo(1);
        assertThat(orders.at("/spec/config").has("connector.class")).isFalse();
        assertThat(orders.at("/spec/config").has("tasks.max")).isFalse();
        assertThat(orders.at("/spec/config/topic.prefix").asText()).isEqualTo("orders");
        assertThat(orders.at("/spec/config/schema.history.internal.kafka.bootstrap.servers").asText()).isEqualTo("b:9092");

        Path out = dir.resolve("out");
        Run files = run(Map.of(), "-c", file.toString(), "--bootstrap-servers", "b:9092", "--output-dir", out.toString());
        assertThat(files.code()).as(files.err()).isZero();
        assertThat(out.resolve("reconciler-orders.json")).exists();
        assertThat(JSON.readTree(out.resolve("reconciler-inventory.json").toFile()).get("name").asText())
                .isEqualTo("reconciler-inventory");
    }

    @Test
    void refusesWhatItCannotGenerateAndSaysWhy(@TempDir Path dir) throws Exception {
        Path file = offlineExample(dir);
        Run unknown = run(Map.of(), "-c", file.toString(), "--bootstrap-servers", "k:9092", "--source", "payments");
        assertThat(unknown.code()).isEqualTo(Main.PROBLEMS);
        assertThat(unknown.err()).contains("--source payments: no such source", "orders", "inventory");

        Run noKafka = run(Map.of(), "-c", file.toString());
        assertThat(noKafka.code()).isEqualTo(Main.USAGE);
        assertThat(noKafka.err()).contains("--bootstrap-servers");

        Run badFormat = run(Map.of(), "-c", file.toString(), "--bootstrap-servers", "k:9092", "--format", "xml");
        assertThat(badFormat.code()).isEqualTo(Main.USAGE);

        // an unset variable is fine for a password (never printed) but not for what is printed
        Path hostFromEnv = dir.resolve("host.yml");
        Files.writeString(hostFromEnv, Files.readString(file).replace("${ORDER_DB_HOST:-127.0.0.1}", "${ORDERS_HOST}")
                .replace("${ORDER_DB_PASSWORD:-}", "${ORDERS_PASSWORD}"));
        Run unset = run(Map.of(), "-c", hostFromEnv.toString(), "--bootstrap-servers", "k:9092");
        assertThat(unset.code()).isEqualTo(Main.PROBLEMS);
        assertThat(unset.err()).contains("source orders: database.hostname comes from environment variable ORDERS_HOST,"
                + " which is not set").doesNotContain("ORDERS_PASSWORD");
        Run set = run(Map.of("ORDERS_HOST", "orders-db.internal"), "-c", hostFromEnv.toString(), "--bootstrap-servers", "k:9092");
        assertThat(set.code()).as(set.err()).isZero();
        assertThat(set.out()).contains("orders-db.internal").doesNotContain("UNSET");

        // flavour auto needs the server: unreachable is a problem naming the source and the fixes
        Path auto = dir.resolve("auto.yml");
        Files.writeString(auto, Files.readString(file).replace("    flavour: mariadb\n", ""));
        Run unreachable = run(Map.of("ORDER_DB_PORT", "1"), "-c", auto.toString(), "--bootstrap-servers", "k:9092");
        assertThat(unreachable.code()).isEqualTo(Main.PROBLEMS);
        assertThat(unreachable.err()).contains("source orders: cannot reach 127.0.0.1:1 to detect its flavour",
                "set flavour: mariadb or mysql");
    }

    @Test
    void theShippedFileAgainstRealServersDetectsTheFlavourAndListsTheLookBackTables(@TempDir Path tmp) throws Exception {
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 31);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 32)) {
            DemoSchema.create(orders, inventory);
            for (LocalMariaDbServer s : List.of(orders, inventory)) {
                s.execute(null, List.of("CREATE USER 'reconciler'@'%' IDENTIFIED BY 'pw'",
                        "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'reconciler'@'%'",
                        "GRANT SELECT ON *.* TO 'reconciler'@'%'"));
            }
            Map<String, String> env = new HashMap<>(Map.of("ORDER_DB_PORT", Integer.toString(orders.port()),
                    "INVENTORY_DB_PORT", Integer.toString(inventory.port()), "ORDER_DB_PASSWORD", "pw",
                    "INVENTORY_DB_PASSWORD", "pw"));
            Run r = run(env, "-c", EXAMPLE.toString(), "--bootstrap-servers", "k:9092", "--source", "orders");
            assertThat(r.code()).as(r.err()).isZero();
            JsonNode config = JSON.readTree(r.out()).get("config");
            assertThat(config.get("connector.class").asText()).isEqualTo("io.debezium.connector.mariadb.MariaDbConnector");
            List<String> tables = List.of(config.get("snapshot.select.statement.overrides").asText().split(","));
            assertThat(tables).hasSize(DemoSchema.SHARDS).allMatch(t -> t.startsWith("orders.trade_order_stream_"));
            for (String t : tables) {
                assertThat(config.get("snapshot.select.statement.overrides." + t).asText())
                        .startsWith("SELECT * FROM `orders`.`" + t.substring("orders.".length()) + "` WHERE `gmt_modified` >= '");
            }
            assertThat(r.out()).doesNotContain("\"pw\"");
            assertThat(r.err()).contains("connector reconciler-orders: mariadb", "snapshot of 4 tables within the look-back");
        }
    }
}
