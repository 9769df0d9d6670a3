package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;

/**
 * A generated flash sale with injected faults and its oracle, for the tests and the benchmark that run the Streams
 * application against a broker: orders at a steady rate over four order shards, each followed by its stock
 * deduction, heartbeats of both sources every {@code heartbeatEvery}, and until {@code grace} + 8 s after the last
 * order. Faults, disjoint by construction (the order number modulo 50):
 * <ul>
 *   <li>7: the deduction is lost — MISSING_RIGHT, open at the end;</li>
 *   <li>11: the order is lost (the deduction is there) — MISSING_LEFT, open;</li>
 *   <li>13: the deduction takes one item too many — QUANTITY_MISMATCH, open;</li>
 *   <li>17: the deduction is committed 10 s after the grace — MISSING_RIGHT opened, then resolved by it (well
 *       past the deadline: grace + clock skew + the watermark's 1 s behind the newest commit);</li>
 *   <li>every other order matches.</li>
 * </ul>
 * Events are generated in commit order by offset from a base instant (a change's commit time is {@code base +
 * offset}) as far as asked, so a producer can write them in real time (the failover test: the sale goes on until the
 * test {@linkplain #stopAfter stops it}, however long the machine takes to start the instances) or all at once (the
 * benchmark's backlog). The oracle covers orders {@code 1..}{@link #orders()}. Not thread-safe: one producer.
 */
final class FlashSaleHistory {
    static final String GOODS = "42";
    static final long LATE_AFTER_GRACE_MS = 10_000;

    /** What an order ends as. */
    enum Fate { MATCHED, LOST_DEDUCTION, LOST_ORDER, WRONG_QUANTITY, LATE_DEDUCTION }

    /** One change to write: its offset from the base, and what it is (order 0: a heartbeat). */
    record Event(long offsetMillis, boolean orderSide, int order, boolean heartbeat) {
    }

    final String ordersSource;
    final String inventorySource;
    final double ordersPerSecond;
    final Duration grace;
    final Duration heartbeatEvery;
    /** Deductions (and heartbeats) not yet due, by offset; orders come from the counter. */
    private final java.util.PriorityQueue<Event> pending = new java.util.PriorityQueue<>(
            Comparator.comparingLong(Event::offsetMillis).thenComparing(Event::orderSide).thenComparingInt(Event::order));
    private volatile int lastOrder = Integer.MAX_VALUE;
    private volatile boolean stopped;
    private volatile int nextOrder = 1;
    private long nextHeartbeat = 0;
    private long lastChange = 0;
    private long generated = 0;

    /**
     * @param ordersSource    the order database's source name (its change topic is {@code <name>.changes})
     * @param inventorySource the inventory database's
     * @param ordersPerSecond the orders' rate (commit times)
     * @param grace           the rules' grace (the late deductions come 10 s after it)
     * @param heartbeatEvery  heartbeat period of each source
     */
    FlashSaleHistory(String ordersSource, String inventorySource, double ordersPerSecond, Duration grace,
                     Duration heartbeatEvery) {
        this.ordersSource = ordersSource;
        this.inventorySource = inventorySource;
        this.ordersPerSecond = ordersPerSecond;
        this.grace = grace;
        this.heartbeatEvery = heartbeatEvery;
    }

    /** The sale ends with order {@code n} (set before generating). */
    FlashSaleHistory stopAfter(int n) {
        lastOrder = n;
        return this;
    }

    /** The sale ends now (from any thread): no order after the last one generated. */
    void stop() {
        stopped = true;
    }

    /** Orders in the sale: final once {@link #done()}. */
    int orders() {
        return Math.min(lastOrder, nextOrder - 1);
    }

    /** Changes generated so far. */
    long generated() {
        return generated;
    }

    private long orderAt(int i) {
        return (long) (i * 1000 / ordersPerSecond);
    }

    private boolean ordersLeft() {
        return !stopped && nextOrder <= lastOrder;
    }

    /** Everything generated; the heartbeats have gone on until the grace passed for the last change. */
    boolean done() {
        return !ordersLeft() && pending.stream().noneMatch(e -> !e.heartbeat())
                && nextHeartbeat > lastChange + grace.toMillis() + 8000;
    }

    /** The changes due up to {@code offset}, in commit order (each source's binlog order). */
    List<Event> until(long offset) {
        List<Event> out = new ArrayList<>();
        while (true) {
            if (!done() && nextHeartbeat <= offset && pending.stream().noneMatch(e -> e.heartbeat())) {
                pending.add(new Event(nextHeartbeat, true, 0, true));
                pending.add(new Event(nextHeartbeat + 1, false, 0, true));
                nextHeartbeat += heartbeatEvery.toMillis();
            }
            long nextOrderAt = ordersLeft() ? orderAt(nextOrder) : Long.MAX_VALUE;
            Event head = pending.peek();
            if (head != null && head.offsetMillis() <= offset && head.offsetMillis() <= nextOrderAt) {
                out.add(pending.poll());
            } else if (ordersLeft() && nextOrderAt <= offset) {
                int i = nextOrder++;
                long t = nextOrderAt;
                Fate f = fate(i);
                if (f != Fate.LOST_ORDER) out.add(new Event(t, true, i, false));
                if (f != Fate.LOST_DEDUCTION) {
                    long d = f == Fate.LATE_DEDUCTION ? t + grace.toMillis() + LATE_AFTER_GRACE_MS : t + 40;
                    pending.add(new Event(d, false, i, false));
                    lastChange = Math.max(lastChange, d);
                }
                lastChange = Math.max(lastChange, t);
            } else {
                break;
            }
        }
        generated += out.size();
        return out;
    }

    static Fate fate(int order) {
        return switch (order % 50) {
            case 7 -> Fate.LOST_DEDUCTION;
            case 11 -> Fate.LOST_ORDER;
            case 13 -> Fate.WRONG_QUANTITY;
            case 17 -> Fate.LATE_DEDUCTION;
            default -> Fate.MATCHED;
        };
    }

    static String orderId(int order) {
        return "O" + order;
    }

    String ordersTopic() {
        return ReconcilerTopology.Settings.changeTopic(ordersSource);
    }

    String inventoryTopic() {
        return ReconcilerTopology.Settings.changeTopic(inventorySource);
    }

    /** The change record of {@code e}, committed at {@code base + offset}. */
    ChangeRecords.Change render(ChangeRecords changes, Event e, Instant base) {
        Instant commit = base.plusMillis(e.offsetMillis());
        String topic = e.orderSide() ? ordersTopic() : inventoryTopic();
        if (e.heartbeat()) return changes.heartbeat(topic, commit);
        int i = e.order();
        int count = 1 + i % 3;
        if (e.orderSide()) {
            return changes.insert(topic, shard(i % 4), orderRow(i, orderId(i), GOODS, "CONFIRM", "CONFIRM",
                    count, 0), commit);
        }
        long qty = fate(i) == Fate.WRONG_QUANTITY ? count + 1 : count;
        return changes.insert(topic, INVENTORY_TABLE, inventoryRow(1_000_000L + i, orderId(i),
                Long.parseLong(GOODS), "TRY_SALE", qty, 0), commit);
    }

    /** The discrepancies open at the end: order id → type. */
    Map<String, String> expectedOpen() {
        Map<String, String> m = new TreeMap<>();
        for (int i = 1; i <= orders(); i++) {
            switch (fate(i)) {
                case LOST_DEDUCTION -> m.put(orderId(i), "MISSING_RIGHT");
                case LOST_ORDER -> m.put(orderId(i), "MISSING_LEFT");
                case WRONG_QUANTITY -> m.put(orderId(i), "QUANTITY_MISMATCH");
                default -> {
                }
            }
        }
        return m;
    }

    /** Orders for which a discrepancy may ever be opened: the faulty ones and the late deductions. No other. */
    boolean mayOpen(String orderId) {
        int i = Integer.parseInt(orderId.substring(1));
        return i >= 1 && i <= orders() && fate(i) != Fate.MATCHED;
    }

    /**
     * Orders that end matched: every one whose two rows agree, the late deductions included (their match comes when
     * the deduction does; if the reconciler was on time, it also resolves the MISSING_RIGHT the wait opened. If it
     * was behind — catching up, or a task moving — the deduction may arrive before the watermark passed the
     * deadline, and then nothing is opened: the embedded mode does the same with a batch holding both).
     */
    java.util.Set<String> expectedMatched() {
        java.util.Set<String> out = new java.util.TreeSet<>();
        for (int i = 1; i <= orders(); i++) {
            if (fate(i) == Fate.MATCHED || fate(i) == Fate.LATE_DEDUCTION) out.add(orderId(i));
        }
        return out;
    }

    /** The order id a record of the outcomes topic is about, or null (source events). */
    static String orderOf(OutcomeRecord r) {
        if (r.type().equals("PairMatched")) {
            // match/<rule>/<order_id>|<goods_id>
            String k = r.key().substring(r.key().indexOf('/', "match/".length()) + 1);
            return k.substring(0, k.indexOf('|'));
        }
        JsonNode key = r.outcome().path("discrepancy").path("key");
        return key.has("order_id") ? key.path("order_id").asText() : null;
    }

    /** The facts partition of an order's pair (the partitioner's key: the key values joined by '|'). */
    static int partitionOf(String orderId, int partitions) {
        return ReconcilerTopology.partitionOf(orderId + "|" + GOODS, partitions);
    }

    /**
     * The Streams application's YAML for this history's sources and rules (the connections are Connect's; the HTTP
     * endpoint on a free loopback port, as several instances share this machine).
     */
    String yaml(Duration stallAfter) {
        return """
                http: { bindAddress: 127.0.0.1, port: 0 }
                sources:
                  - {name: %4$s, host: 127.0.0.1, port: 3306, user: reconciler, databases: [shop],
                     heartbeatTable: %1$s}
                  - {name: %5$s, host: 127.0.0.1, port: 3307, user: reconciler, databases: [shop],
                     heartbeatTable: %1$s}
                streams:
                  - name: order_stream
                    tables: [ { source: %4$s, table: 'trade_order_stream_\\d{4}' } ]
                  - name: inventory_stream
                    tables: [ { source: %5$s, table: collection_inventory_stream } ]
                rules:
                  - name: sale
                    left:
                      stream: order_stream
                      filter: { order_state: CONFIRM, goods_type: COLLECTION, deleted: 0 }
                    right:
                      stream: inventory_stream
                      filter: { stream_type: { in: [ TRY_SALE, UNFREEZE_AND_SALE ] }, deleted: 0 }
                    key: { order_id: identifier, goods_id: collection_id }
                    quantity: { left: item_count, right: changed_quantity }
                    grace: %2$dms
                engine:
                  clockSkew: 2s
                  stallAfter: %3$ds
                  retention: 7d
                """.formatted(ChangeRecords.HEARTBEAT_TABLE, grace.toMillis(), stallAfter.toSeconds(), ordersSource,
                inventorySource);
    }
}
