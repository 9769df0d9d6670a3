package dev.reconciler.core.testing;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Condition;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Filter;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.QuantityCheck;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.SideSpec;
import dev.reconciler.core.rule.StreamDef;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The DOMAIN.md setup as test fixtures: an {@code orders} source with four shards of {@code trade_order_stream},
 * an {@code inventory} source with {@code collection_inventory_stream}, and the article's {@code sale} and
 * {@code cancel} rules. Row builders produce facts with the columns that matter.
 */
public final class OrderInventory {
    public static final String ORDERS = "orders";
    public static final String INVENTORY = "inventory";
    public static final String INVENTORY_TABLE = "collection_inventory_stream";
    public static final Instant T0 = Instant.parse("2026-11-26T08:00:00Z");

    private OrderInventory() {
    }

    public static StreamDef orderStream() {
        return StreamDef.of("order_stream", ORDERS, "trade_order_stream_\\d{4}");
    }

    public static StreamDef inventoryStream() {
        return StreamDef.of("inventory_stream", INVENTORY, INVENTORY_TABLE);
    }

    public static KeyMapping key() {
        return KeyMapping.of("order_id", "identifier").and("goods_id", "collection_id");
    }

    public static Rule sale(Duration grace, Multiplicity multiplicity) {
        return new Rule("sale",
                new SideSpec("order_stream", Filter.of(
                        Condition.eq("order_state", "CONFIRM"),
                        Condition.eq("goods_type", "COLLECTION"),
                        Condition.eq("deleted", 0))),
                new SideSpec("inventory_stream", Filter.of(
                        Condition.in("stream_type", "TRY_SALE", "UNFREEZE_AND_SALE"),
                        Condition.eq("deleted", 0))),
                key(), QuantityCheck.exact("item_count", "changed_quantity"), multiplicity, grace);
    }

    public static Rule cancel(Duration grace) {
        return new Rule("cancel",
                new SideSpec("order_stream", Filter.of(
                        Condition.in("stream_type", "CANCEL", "TIME_OUT"),
                        Condition.eq("goods_type", "COLLECTION"),
                        Condition.eq("deleted", 0))),
                new SideSpec("inventory_stream", Filter.of(
                        Condition.eq("stream_type", "CANCEL_SALE"),
                        Condition.eq("deleted", 0))),
                key(), QuantityCheck.exact("item_count", "changed_quantity"), Multiplicity.ONE_TO_ONE, grace);
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
