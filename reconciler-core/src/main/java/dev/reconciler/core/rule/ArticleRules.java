package dev.reconciler.core.rule;

import java.time.Duration;
import java.util.List;

/**
 * The default pairing of docs/domain.md as code: the {@code sale} and {@code cancel} rules between the sharded
 * order flow and the inventory flow. Used by tests, the benchmarks and the simulation; deployments describe the
 * same rules in YAML.
 */
public final class ArticleRules {
    public static final String ORDER_STREAM = "order_stream";
    public static final String INVENTORY_STREAM = "inventory_stream";
    public static final String ORDER_TABLES = "trade_order_stream_\\d{4}";
    public static final String INVENTORY_TABLE = "collection_inventory_stream";

    private ArticleRules() {
    }

    /** The order flow; keeps, besides what the rules read, the columns on-call looks at first. */
    public static StreamDef orderStream(String source) {
        return StreamDef.of(ORDER_STREAM, source, ORDER_TABLES).keeping(List.of(
                "id", "gmt_create", "gmt_modified", "buyer_id", "stream_type", "stream_identifier", "order_state"));
    }

    public static StreamDef inventoryStream(String source) {
        return StreamDef.of(INVENTORY_STREAM, source, INVENTORY_TABLE).keeping(List.of(
                "id", "gmt_create", "gmt_modified", "stream_type", "state"));
    }

    /** {@code order_id ↔ identifier} and {@code goods_id ↔ collection_id}. */
    public static KeyMapping key() {
        return KeyMapping.of("order_id", "identifier").and("goods_id", "collection_id");
    }

    /** Confirmed collection orders against inventory deductions (TRY_SALE, UNFREEZE_AND_SALE). */
    public static Rule sale(Duration grace, Multiplicity multiplicity) {
        return new Rule("sale",
                new SideSpec(ORDER_STREAM, Filter.of(
                        Condition.eq("order_state", "CONFIRM"),
                        Condition.eq("goods_type", "COLLECTION"),
                        Condition.eq("deleted", 0))),
                new SideSpec(INVENTORY_STREAM, Filter.of(
                        Condition.in("stream_type", "TRY_SALE", "UNFREEZE_AND_SALE"),
                        Condition.eq("deleted", 0))),
                key(), QuantityCheck.exact("item_count", "changed_quantity"), multiplicity, grace);
    }

    /** Closed collection orders (CANCEL, TIME_OUT) against inventory releases (CANCEL_SALE). */
    public static Rule cancel(Duration grace) {
        return new Rule("cancel",
                new SideSpec(ORDER_STREAM, Filter.of(
                        Condition.in("stream_type", "CANCEL", "TIME_OUT"),
                        Condition.eq("goods_type", "COLLECTION"),
                        Condition.eq("deleted", 0))),
                new SideSpec(INVENTORY_STREAM, Filter.of(
                        Condition.eq("stream_type", "CANCEL_SALE"),
                        Condition.eq("deleted", 0))),
                key(), QuantityCheck.exact("item_count", "changed_quantity"), Multiplicity.ONE_TO_ONE, grace);
    }

    /** Both rules, one-to-one, over an order source and an inventory source. */
    public static EngineConfig config(String orderSource, String inventorySource, Duration grace) {
        return new EngineConfig(List.of(orderStream(orderSource), inventoryStream(inventorySource)),
                List.of(sale(grace, Multiplicity.ONE_TO_ONE), cancel(grace)));
    }
}
