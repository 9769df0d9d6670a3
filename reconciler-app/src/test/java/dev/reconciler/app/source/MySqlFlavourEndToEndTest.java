package dev.reconciler.app.source;

import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The {@code mysql} flavour (debezium-connector-mysql) on this machine, where MySQL itself cannot be installed: the
 * end-to-end scenarios ({@link EndToEndScenarios}) on MariaDB servers started with {@code --version=5.7.19-log},
 * which pass for MySQL 5.7 with the MySQL connector and its JDBC driver, so that code path never goes untested.
 * Real MySQL 8.4 runs the same scenarios in {@link MySql84EndToEndTest} where Docker exists.
 */
class MySqlFlavourEndToEndTest extends EndToEndScenarios {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(LocalMariaDb::startPosingAsMySql57, 21, 22);

    @Override
    LocalMariaDb orders() {
        return DATABASES.orders();
    }

    @Override
    LocalMariaDb inventory() {
        return DATABASES.inventory();
    }

    @Test
    void oneSourceCanCarryBothStreams(@TempDir Path state) throws Exception {
        // one database holds both flows here: one source, two streams
        LocalMariaDb orders = orders();
        createOrderSchema(orders, "shop");
        createInventorySchema(orders, "shop");
        EngineConfig config = new EngineConfig(
                List.of(ArticleRules.orderStream("shop"), ArticleRules.inventoryStream("shop")),
                List.of(ArticleRules.sale(Duration.ofSeconds(1), Multiplicity.ONE_TO_ONE)),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofDays(7));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        SourceConfig source = source("shop", orders, "shop",
                List.of("shop\\.trade_order_stream_\\d{4}", "shop\\.collection_inventory_stream"), 5421);
        try (RocksDbStateStore store = RocksDbStateStore.open(state.resolve("rocksdb"), RocksDbStateStore.Options.defaults());
             Pipeline pipeline = new Pipeline(new ReconciliationEngine(config, store, Clock.systemUTC()),
                     outcomes::addAll, Duration.ofSeconds(1));
             DebeziumSource s = new DebeziumSource(source, config, state, pipeline)) {
            s.start();
            orders.execute("INSERT INTO shop.trade_order_stream_0000 (order_id, goods_id, goods_type, item_count,"
                            + " order_state, stream_type) VALUES ('M1', '5', 'COLLECTION', 2, 'CONFIRM', 'CONFIRM'),"
                            + " ('M2', '5', 'COLLECTION', 1, 'CONFIRM', 'CONFIRM')",
                    "INSERT INTO shop.collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                            + " identifier) VALUES (5, 2, 'TRY_SALE', 'M1')");
            await().atMost(Duration.ofSeconds(90)).untilAsserted(() ->
                    assertThat(kinds(outcomes, "M")).containsExactlyInAnyOrder("matched M1", "opened MISSING_RIGHT M2"));
        }
    }
}
