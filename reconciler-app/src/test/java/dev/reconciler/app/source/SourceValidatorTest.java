package dev.reconciler.app.source;

import dev.reconciler.core.rule.Condition;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Filter;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.QuantityCheck;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.SideSpec;
import dev.reconciler.core.rule.StreamDef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Startup checks against a real MariaDB whose binlog is deliberately misconfigured. */
class SourceValidatorTest {
    static LocalMariaDb db;

    @BeforeAll
    static void start() throws Exception {
        db = LocalMariaDb.start(31, "--binlog-format=MIXED", "--binlog-row-image=MINIMAL");
        db.execute("CREATE DATABASE shop",
                "CREATE TABLE shop.trade_order_stream_0000 (id BIGINT PRIMARY KEY, order_id VARCHAR(32))",
                "CREATE USER 'reader'@'%' IDENTIFIED BY 'secret'",
                "GRANT SELECT ON shop.* TO 'reader'@'%'");
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) db.close();
    }

    static SourceConfig source(String user, String password, int port, String... tables) {
        return new SourceConfig("orders", SourceConfig.Flavour.MARIADB, "127.0.0.1", port, user, password,
                List.of("shop"), List.of(tables), 7001, SourceConfig.Snapshot.INITIAL, null, Duration.ofSeconds(1));
    }

    @Test
    void everyProblemIsReportedWithTheSourceAndTheFix() {
        // the order stream on this source: the sale rule reads order_id, goods_id, item_count and its filter columns
        EngineConfig config = new EngineConfig(
                List.of(new StreamDef("order_stream", List.of(StreamDef.TableSelector.of("orders",
                                "trade_order_stream_\\d{4}")), List.of("id")),
                        StreamDef.of("inventory_stream", "inventory", "collection_inventory_stream"),
                        StreamDef.of("refund_stream", "orders", "refund_stream_\\d+")),
                List.of(new Rule("sale",
                        new SideSpec("order_stream", Filter.of(Condition.eq("order_state", "CONFIRM"))),
                        new SideSpec("inventory_stream", Filter.ANY),
                        KeyMapping.of("order_id", "identifier"), QuantityCheck.exact("item_count", "changed_quantity"),
                        Multiplicity.ONE_TO_ONE, Duration.ofSeconds(5))));
        List<String> problems = SourceValidator.validate(
                source("reader", "secret", db.port, "shop\\.trade_order_stream_\\d{4}", "shop\\.nothing_\\d+")
                        .withSnapshotLookback(Duration.ofDays(2), null),
                RequiredColumns.of(config, "orders"));
        assertThat(problems).containsExactlyInAnyOrder(
                "source orders: binlog_format is MIXED, the reconciler needs ROW: run SET GLOBAL binlog_format=ROW"
                        + " and set it in the server configuration",
                "source orders: binlog_row_image is MINIMAL, the reconciler needs FULL: run SET GLOBAL"
                        + " binlog_row_image=FULL and set it in the server configuration",
                "source orders: user 'reader' lacks REPLICATION SLAVE, REPLICATION CLIENT; run GRANT REPLICATION"
                        + " SLAVE, REPLICATION CLIENT ON *.* TO 'reader'",
                "source orders: table pattern 'shop\\.nothing_\\d+' matches no table in [shop]; check the database"
                        + " name and the pattern (it must match database.table, e.g. orders\\.trade_order_stream_\\d{4})",
                "source orders: table shop.trade_order_stream_0000 has no column 'order_state', which rule 'sale'"
                        + " reads; fix the column name in the rule, or narrow the stream's table pattern to tables"
                        + " that have it",
                "source orders: table shop.trade_order_stream_0000 has no column 'item_count', which rule 'sale'"
                        + " reads; fix the column name in the rule, or narrow the stream's table pattern to tables"
                        + " that have it",
                "source orders: stream 'refund_stream' reads tables matching 'refund_stream_\\d+' from this source,"
                        + " but none of the tables it captures matches (shop.trade_order_stream_0000); fix the"
                        + " stream's table pattern, or the source's tables",
                "source orders: table shop.trade_order_stream_0000 has no column 'gmt_modified' to limit the initial"
                        + " snapshot to the look-back; set snapshotLookbackColumn to the column holding each row's"
                        + " last change time, or remove snapshotLookback");
    }

    @Test
    void aWrongPasswordIsNamedAsSuch() {
        assertThat(SourceValidator.validate(source("reader", "wrong", db.port, "shop\\..*"), List.of()))
                .singleElement().asString()
                .startsWith("source orders (127.0.0.1:" + db.port + "): access denied for user 'reader'")
                .doesNotContain("wrong");
    }

    @Test
    void anUnreachableDatabaseIsNamedWithItsAddress() {
        int closedPort = db.port == 1 ? 2 : 1;
        assertThat(SourceValidator.validate(source("reader", "secret", closedPort, "shop\\..*"), List.of()))
                .singleElement().asString()
                .startsWith("source orders (127.0.0.1:" + closedPort + "): cannot connect");
    }
}
