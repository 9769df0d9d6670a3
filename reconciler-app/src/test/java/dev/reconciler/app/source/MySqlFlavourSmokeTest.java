package dev.reconciler.app.source;

import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code mysql} flavour (debezium-connector-mysql) on this machine, where MySQL itself cannot be installed: a
 * MariaDB started with {@code --version=5.7.19-log} passes for MySQL 5.7 with the MySQL connector and its JDBC
 * driver, so that code path never goes untested. Real MySQL 8.4 runs with Testcontainers where Docker exists.
 */
class MySqlFlavourSmokeTest {

    @Test
    void theMySqlConnectorReconcilesAPairAndAFault(@TempDir Path state) throws Exception {
        try (LocalMariaDb db = LocalMariaDb.start(21, "--version=5.7.19-log")) {
            db.execute("CREATE DATABASE shop",
                    "CREATE TABLE shop.trade_order_stream_0000 (id BIGINT AUTO_INCREMENT PRIMARY KEY,"
                            + " gmt_create DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), gmt_modified DATETIME(3) DEFAULT"
                            + " CURRENT_TIMESTAMP(3), order_id VARCHAR(32), buyer_id VARCHAR(32), goods_id VARCHAR(32),"
                            + " goods_type VARCHAR(32), item_count INT, order_state VARCHAR(32), stream_type VARCHAR(128),"
                            + " stream_identifier VARCHAR(128), deleted TINYINT DEFAULT 0)",
                    "CREATE TABLE shop.collection_inventory_stream (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY,"
                            + " gmt_create DATETIME(3) DEFAULT CURRENT_TIMESTAMP(3), gmt_modified DATETIME(3) DEFAULT"
                            + " CURRENT_TIMESTAMP(3), collection_id BIGINT, changed_quantity BIGINT, state VARCHAR(32),"
                            + " stream_type VARCHAR(128), identifier VARCHAR(128), deleted INT DEFAULT 0)");
            // one database holds both flows here: one source, two streams
            EngineConfig config = new EngineConfig(
                    List.of(ArticleRules.orderStream("shop"), ArticleRules.inventoryStream("shop")),
                    List.of(ArticleRules.sale(Duration.ofSeconds(1), Multiplicity.ONE_TO_ONE)),
                    Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofDays(7));
            List<Outcome> outcomes = new CopyOnWriteArrayList<>();
            SourceConfig source = new SourceConfig("shop", SourceConfig.Flavour.MYSQL, "127.0.0.1", db.port, "root", "",
                    List.of("shop"), List.of("shop\\.trade_order_stream_\\d{4}", "shop\\.collection_inventory_stream"),
                    5421, SourceConfig.Snapshot.INITIAL, "shop.reconciler_heartbeat", Duration.ofMillis(500));
            try (RocksDbStateStore store = RocksDbStateStore.open(state.resolve("rocksdb"), RocksDbStateStore.Options.defaults());
                 Pipeline pipeline = new Pipeline(new ReconciliationEngine(config, store, Clock.systemUTC()),
                         outcomes::addAll, Duration.ofSeconds(1));
                 DebeziumSource s = new DebeziumSource(source, config, state, pipeline)) {
                s.start();
                db.execute("INSERT INTO shop.trade_order_stream_0000 (order_id, goods_id, goods_type, item_count,"
                                + " order_state, stream_type) VALUES ('M1', '5', 'COLLECTION', 2, 'CONFIRM', 'CONFIRM'),"
                                + " ('M2', '5', 'COLLECTION', 1, 'CONFIRM', 'CONFIRM')",
                        "INSERT INTO shop.collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                                + " identifier) VALUES (5, 2, 'TRY_SALE', 'M1')");
                await().atMost(Duration.ofSeconds(90)).untilAsserted(() -> {
                    assertThat(outcomes).anyMatch(o -> o instanceof Outcome.PairMatched m && "M1".equals(m.key().get("order_id")));
                    assertThat(outcomes).anyMatch(o -> o instanceof Outcome.DiscrepancyOpened d
                            && "M2".equals(d.discrepancy().key().get("order_id"))
                            && d.discrepancy().type().name().equals("MISSING_RIGHT"));
                });
            }
        }
    }
}
