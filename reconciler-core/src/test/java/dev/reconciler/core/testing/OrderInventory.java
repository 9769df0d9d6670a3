package dev.reconciler.core.testing;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.StreamDef;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The docs/domain.md setup as test fixtures: an {@code orders} source with four shards of {@code trade_order_stream},
 * an {@code inventory} source with {@code collection_inventory_stream}, and the article's {@code sale} and
 * {@code cancel} rules. Row builders produce facts with the columns that matter.
 */
public final class OrderInventory {
    public static final String ORDERS = "orders";
    public static final String INVENTORY = "inventory";
    public static final String INVENTORY_TABLE = ArticleRules.INVENTORY_TABLE;
    public static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");

    private OrderInventory() {
    }

    public static StreamDef orderStream() {
        return ArticleRules.orderStream(ORDERS);
    }

    public static StreamDef inventoryStream() {
        return ArticleRules.inventoryStream(INVENTORY);
    }

    public static KeyMapping key() {
        return ArticleRules.key();
    }

    public static Rule sale(Duration grace, Multiplicity multiplicity) {
        return ArticleRules.sale(grace, multiplicity);
    }

    public static Rule cancel(Duration grace) {
        return ArticleRules.cancel(grace);
    }

    /** sale + cancel, one-to-one, the given grace, 2 s clock skew, 1 min stall bound, 7 days retention. */
    public static EngineConfig config(Duration grace) {
        return new EngineConfig(List.of(orderStream(), inventoryStream()),
                List.of(sale(grace, Multiplicity.ONE_TO_ONE), cancel(grace)),
                Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofDays(7));
    }

    /** A row of {@code trade_order_stream_<shard>}. */
    public static Map<String, Object> orderRow(long id, String orderId, String goodsId, String streamType,
                                               String orderState, int itemCount, int deleted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("order_id", orderId);
        m.put("goods_id", goodsId);
        m.put("goods_type", "COLLECTION");
        m.put("stream_type", streamType);
        m.put("order_state", orderState);
        m.put("item_count", itemCount);
        m.put("deleted", deleted);
        return m;
    }

    /** A row of {@code collection_inventory_stream}; {@code collectionId} is a bigint there. */
    public static Map<String, Object> inventoryRow(long id, String identifier, long collectionId, String streamType,
                                                   long changedQuantity, int deleted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("identifier", identifier);
        m.put("collection_id", collectionId);
        m.put("stream_type", streamType);
        m.put("changed_quantity", changedQuantity);
        m.put("deleted", deleted);
        return m;
    }

    public static String shard(int n) {
        return String.format("trade_order_stream_%04d", n);
    }

    public static Fact fact(String source, String table, Operation op, Map<String, Object> row,
                            Map<String, Object> before, Instant eventTime, long position) {
        RowId id = new RowId(source, table, String.valueOf(row.get("id")));
        return new Fact(id, op, row, before, eventTime, new SourcePosition("bin.000001", position, 0));
    }
}
