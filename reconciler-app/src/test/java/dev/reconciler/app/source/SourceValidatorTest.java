package dev.reconciler.app.source;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
        List<String> problems = SourceValidator.validate(
                source("reader", "secret", db.port, "shop\\.trade_order_stream_\\d{4}", "shop\\.nothing_\\d+"),
                Map.of("shop\\.trade_order_stream_\\d{4}", Set.of("order_id", "item_count")));
        assertThat(problems).containsExactlyInAnyOrder(
                "source orders: binlog_format is MIXED, the reconciler needs ROW: run SET GLOBAL binlog_format=ROW"
                        + " and set it in the server configuration",
                "source orders: binlog_row_image is MINIMAL, the reconciler needs FULL: run SET GLOBAL"
                        + " binlog_row_image=FULL and set it in the server configuration",
                "source orders: user 'reader' lacks REPLICATION SLAVE, REPLICATION CLIENT; run GRANT REPLICATION"
                        + " SLAVE, REPLICATION CLIENT ON *.* TO 'reader'",
                "source orders: table pattern 'shop\\.nothing_\\d+' matches no table in [shop]; check the database"
                        + " name and the pattern (it must match database.table, e.g. orders\\.trade_order_stream_\\d{4})",
                "source orders: table shop.trade_order_stream_0000 has no column 'item_count', which a rule reads;"
                        + " fix the rule's column name or the table pattern");
    }

    @Test
    void aWrongPasswordIsNamedAsSuch() {
        assertThat(SourceValidator.validate(source("reader", "wrong", db.port, "shop\\..*"), Map.of()))
                .singleElement().asString()
                .startsWith("source orders (127.0.0.1:" + db.port + "): access denied for user 'reader'")
                .doesNotContain("wrong");
    }

    @Test
    void anUnreachableDatabaseIsNamedWithItsAddress() {
        int closedPort = db.port == 1 ? 2 : 1;
        assertThat(SourceValidator.validate(source("reader", "secret", closedPort, "shop\\..*"), Map.of()))
                .singleElement().asString()
                .startsWith("source orders (127.0.0.1:" + closedPort + "): cannot connect");
    }
}
