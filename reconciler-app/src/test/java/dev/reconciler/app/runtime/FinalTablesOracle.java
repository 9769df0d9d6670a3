package dev.reconciler.app.runtime;

import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The article's scheduled check, run once over the FINAL tables of the two servers: SQL1 (orders without their
 * deduction, or deducted another quantity), SQL2 (deductions without their order) and the same pair for the cancel
 * rule (closed orders against releases), extended with the duplicates of docs/architecture.md's judgement table.
 * The two databases are separate servers, so each side is read with its own query (the rule's filter in SQL, as
 * the article writes it) and the join is done here, in Java. Written from the article and the shipped
 * configuration (deploy/config/order-inventory.yml), not from the engine: after quiescence the reconciler's open
 * discrepancies must equal what this returns.
 *
 * <p>Per rule and key ({@code order_id = identifier}, {@code goods_id = collection_id}, compared as trimmed text; a
 * blank key pairs with nothing): two or more left rows → DUPLICATE_LEFT; two or more right rows → DUPLICATE_RIGHT;
 * left only → MISSING_RIGHT; right only → MISSING_LEFT; both → {@code item_count} of the lowest-id left row against
 * {@code changed_quantity} of the lowest-id right row, QUANTITY_MISMATCH with difference right − left when they
 * differ.
 */
public final class FinalTablesOracle {
    private FinalTablesOracle() {
    }

    /** One open discrepancy the final tables call for; {@code difference} is plain text, for quantity mismatches. */
    public record Expected(String rule, String type, String key, String difference) {
        @Override
        public String toString() {
            return rule + " " + type + " " + key + (difference == null ? "" : " (difference " + difference + ")");
        }
    }

    /** The rules of the shipped configuration, in the article's SQL. */
    private record RuleSql(String name, String leftWhere, String rightWhere) {
    }

    private static final List<RuleSql> RULES = List.of(
            new RuleSql("sale", "order_state = 'CONFIRM' AND goods_type = 'COLLECTION' AND deleted = 0",
                    "stream_type IN ('TRY_SALE', 'UNFREEZE_AND_SALE') AND deleted = 0"),
            new RuleSql("cancel", "stream_type IN ('CANCEL', 'TIME_OUT') AND goods_type = 'COLLECTION' AND deleted = 0",
                    "stream_type = 'CANCEL_SALE' AND deleted = 0"));

    private record Row(long id, BigDecimal quantity) {
    }

    /** What the final tables of both servers call for, in a stable order. */
    public static Set<Expected> judge(LocalMariaDbServer orders, LocalMariaDbServer inventory) throws SQLException {
        Set<Expected> out = new LinkedHashSet<>();
        try (Connection o = orders.connect(DemoSchema.ORDERS_DB); Connection i = inventory.connect(DemoSchema.INVENTORY_DB)) {
            for (RuleSql rule : RULES) {
                // Shards in name order, ids ascending within each: the first row of a key is the one with the lowest
                // row id (table, then primary key), as the engine orders them.
                Map<String, List<Row>> left = new LinkedHashMap<>();
                for (int shard = 0; shard < DemoSchema.SHARDS; shard++) {
                    read(o, String.format("SELECT id, TRIM(order_id), TRIM(goods_id), item_count"
                            + " FROM trade_order_stream_%04d WHERE %s ORDER BY id", shard, rule.leftWhere()), left);
                }
                Map<String, List<Row>> right = new LinkedHashMap<>();
                read(i, "SELECT id, TRIM(identifier), TRIM(CAST(collection_id AS CHAR)), changed_quantity"
                        + " FROM collection_inventory_stream WHERE " + rule.rightWhere() + " ORDER BY id", right);
                Set<String> keys = new LinkedHashSet<>(left.keySet());
                keys.addAll(right.keySet());
                for (String key : keys) {
                    List<Row> l = left.getOrDefault(key, List.of());
                    List<Row> r = right.getOrDefault(key, List.of());
                    if (l.size() >= 2) out.add(new Expected(rule.name(), "DUPLICATE_LEFT", key, null));
                    if (r.size() >= 2) out.add(new Expected(rule.name(), "DUPLICATE_RIGHT", key, null));
                    if (!l.isEmpty() && r.isEmpty()) out.add(new Expected(rule.name(), "MISSING_RIGHT", key, null));
                    if (l.isEmpty() && !r.isEmpty()) out.add(new Expected(rule.name(), "MISSING_LEFT", key, null));
                    if (!l.isEmpty() && !r.isEmpty()) {
                        BigDecimal diff = r.get(0).quantity().subtract(l.get(0).quantity());
                        if (diff.signum() != 0) {
                            out.add(new Expected(rule.name(), "QUANTITY_MISMATCH", key, plain(diff)));
                        }
                    }
                }
            }
        }
        return out;
    }

    /** The key as the alert labels write it: {@code order_id=O1,goods_id=1003}. */
    public static String key(String orderId, String goodsId) {
        return "order_id=" + orderId + ",goods_id=" + goodsId;
    }

    public static String plain(BigDecimal d) {
        return d.signum() == 0 ? "0" : d.stripTrailingZeros().toPlainString();
    }

    private static void read(Connection c, String sql, Map<String, List<Row>> into) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            while (rs.next()) {
                String orderId = rs.getString(2);
                String goodsId = rs.getString(3);
                if (orderId == null || orderId.isEmpty() || goodsId == null || goodsId.isEmpty()) continue;
                if (rs.getBigDecimal(4) == null) continue;   // quarantined by the engine: in no pair
                into.computeIfAbsent(key(orderId, goodsId), k -> new ArrayList<>())
                        .add(new Row(rs.getLong(1), rs.getBigDecimal(4)));
            }
        }
    }
}
