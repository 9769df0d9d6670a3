package dev.reconciler.app.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.StreamDef;
import io.debezium.util.Strings;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Debezium's {@code column.include.list} derived from the rules and streams ({@link RequiredColumns#columnIncludeList}),
 * read back with Debezium's own list parser and matched as Debezium matches it (fully qualified, case-insensitive).
 */
class ColumnIncludeListTest {

    private static final SourceConfig ORDERS = new SourceConfig("orders", SourceConfig.Flavour.MARIADB, "127.0.0.1",
            3306, "reader", "secret", List.of("orders"), List.of("orders\\.trade_order_stream_\\d{4}"), 7001,
            SourceConfig.Snapshot.INITIAL, "orders.reconciler_heartbeat", Duration.ofMillis(500));
    private static final SourceConfig INVENTORY = new SourceConfig("inventory", SourceConfig.Flavour.MARIADB,
            "127.0.0.1", 3307, "reader", "secret", List.of("inventory"),
            List.of("inventory\\.collection_inventory_stream"), 7002, SourceConfig.Snapshot.INITIAL, null, null);

    @Test
    void theOrderSourceReadsTheColumnsTheRulesReadAndTheStreamKeepsAndTheHeartbeatTableWhole() {
        Set<Pattern> list = parse(RequiredColumns.columnIncludeList(ArticleRules.config("orders", "inventory",
                Duration.ofSeconds(60)), ORDERS, List.of()));
        // keys, filters, quantity (the rules) and what the stream keeps for people
        for (String c : List.of("order_id", "goods_id", "goods_type", "order_state", "deleted", "item_count",
                "stream_type", "id", "gmt_create", "gmt_modified", "buyer_id", "stream_identifier")) {
            assertThat(included(list, "orders.trade_order_stream_0003." + c)).as(c).isTrue();
        }
        assertThat(included(list, "ORDERS.TRADE_ORDER_STREAM_0000.ORDER_ID")).isTrue();
        // the rest of docs/domain.md's 27 columns is not converted at all
        for (String c : List.of("goods_name", "paid_amount", "seller_id", "lock_version", "close_type")) {
            assertThat(included(list, "orders.trade_order_stream_0003." + c)).as(c).isFalse();
        }
        assertThat(included(list, "orders.reconciler_heartbeat.beat")).isTrue();
        assertThat(included(list, "orders.reconciler_heartbeat.id")).isTrue();
        assertThat(included(list, "other.trade_order_stream_0003.order_id")).isFalse();
        assertThat(included(list, "orders.trade_order_stream_03.order_id")).isFalse();
    }

    @Test
    void theInventorySourceAndATableWithoutPrimaryKeyWhichIsReadWhole() {
        Set<Pattern> list = parse(RequiredColumns.columnIncludeList(ArticleRules.config("orders", "inventory",
                Duration.ofSeconds(60)), INVENTORY, List.of("inventory.collection_inventory_stream")));
        assertThat(included(list, "inventory.collection_inventory_stream.identifier")).isTrue();
        assertThat(included(list, "inventory.collection_inventory_stream.extend_info")).isTrue();

        list = parse(RequiredColumns.columnIncludeList(ArticleRules.config("orders", "inventory",
                Duration.ofSeconds(60)), INVENTORY, List.of()));
        for (String c : List.of("identifier", "collection_id", "changed_quantity", "stream_type", "deleted", "state")) {
            assertThat(included(list, "inventory.collection_inventory_stream." + c)).as(c).isTrue();
        }
        assertThat(included(list, "inventory.collection_inventory_stream.extend_info")).isFalse();
        assertThat(included(list, "inventory.collection_inventory_stream.saleable_inventory")).isFalse();
    }

    @Test
    void aStreamThatKeepsEveryColumnReadsWholeRows() {
        EngineConfig config = ArticleRules.config("orders", "inventory", Duration.ofSeconds(60));
        EngineConfig keepAll = new EngineConfig(List.of(StreamDef.of("order_stream", "orders",
                "trade_order_stream_\\d{4}"), config.streams().get(1)), config.rules(), Duration.ofSeconds(1),
                Duration.ofMinutes(10), Duration.ofDays(7));
        assertThat(RequiredColumns.columnIncludeList(keepAll, ORDERS, List.of())).isNull();
        // a source no stream reads is not narrowed either
        assertThat(RequiredColumns.columnIncludeList(config, new SourceConfig("other", SourceConfig.Flavour.MARIADB,
                "127.0.0.1", 3306, "reader", "secret", List.of("x"), List.of("x\\.t"), 7003,
                SourceConfig.Snapshot.INITIAL, null, null), List.of())).isNull();
    }

    private static Set<Pattern> parse(String list) {
        assertThat(list).isNotNull();
        return Strings.setOfRegex(list, Pattern.CASE_INSENSITIVE);
    }

    private static boolean included(Set<Pattern> list, String column) {
        return list.stream().anyMatch(p -> p.matcher(column).matches());
    }
}
