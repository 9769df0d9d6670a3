package dev.reconciler.app.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.EnumMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Flash-sale traffic into the flow tables (docs/domain.md) of two real databases: orders over four shards and their
 * inventory operations, in the flows a shop has (flash sale, TCC confirm and rollback, pay and finish, cancel and time-out),
 * with each kind of drift of docs/domain.md injected at a low rate. Counts what it injected, per fault.
 *
 * <p>Runs on its own thread until {@link #stop()}; a database error is logged and retried after a pause (the
 * demo's databases do not go away, but a compose stack's may start late).
 */
public final class FlashSaleTraffic implements Runnable {
    private static final Logger log = LoggerFactory.getLogger(FlashSaleTraffic.class);

    /** The faults, as the rules report them. */
    public enum Fault {
        SALE_MISSING_RIGHT("sale", "MISSING_RIGHT"),       // order confirmed, inventory never deducted
        SALE_MISSING_LEFT("sale", "MISSING_LEFT"),         // inventory deducted, no order
        SALE_QUANTITY_MISMATCH("sale", "QUANTITY_MISMATCH"), // deducted more or less than ordered
        SALE_DUPLICATE_RIGHT("sale", "DUPLICATE_RIGHT"),   // inventory deducted twice
        SALE_DUPLICATE_LEFT("sale", "DUPLICATE_LEFT"),     // order confirmed twice
        CANCEL_MISSING_RIGHT("cancel", "MISSING_RIGHT"),   // order closed, inventory never released
        CANCEL_MISSING_LEFT("cancel", "MISSING_LEFT");     // inventory released, order not closed

        public final String rule;
        public final String type;

        Fault(String rule, String type) {
            this.rule = rule;
            this.type = type;
        }
    }

    private final Supplier<Connection> orders;
    private final Supplier<Connection> inventory;
    private final double ordersPerSecond;
    private final double faultRate;
    private final Random random;
    private final String prefix;
    private final Map<Fault, AtomicLong> injected = new EnumMap<>(Fault.class);
    private final AtomicLong ordersWritten = new AtomicLong();
    private volatile boolean running = true;
    private Thread thread;
    private Connection o;
    private Connection i;
    private long seq;

    /**
     * @param orders          connections to the order database (the shards' database as the default schema)
     * @param inventory       connections to the inventory database
     * @param ordersPerSecond orders started per second
     * @param faultRate       the share of orders that carry a fault (each fault equally likely)
     */
    public FlashSaleTraffic(Supplier<Connection> orders, Supplier<Connection> inventory, double ordersPerSecond,
                            double faultRate, long seed) {
        this.orders = orders;
        this.inventory = inventory;
        this.ordersPerSecond = ordersPerSecond;
        this.faultRate = faultRate;
        this.random = new Random(seed);
        this.prefix = Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36).toUpperCase();
        for (Fault f : Fault.values()) injected.put(f, new AtomicLong());
    }

    public synchronized FlashSaleTraffic start() {
        thread = new Thread(this, "flash-sale-traffic");
        thread.setDaemon(true);
        thread.start();
        return this;
    }

    /** Stops writing and closes the connections; waits for the thread. */
    public void stop() {
        running = false;
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** What was injected, by {@code rule/TYPE} as the engine reports it (sorted). */
    public Map<String, Long> injectedByRuleType() {
        Map<String, Long> out = new TreeMap<>();
        injected.forEach((f, n) -> out.merge(f.rule + "/" + f.type, n.get(), Long::sum));
        return out;
    }

    public long orders() {
        return ordersWritten.get();
    }

    @Override
    public void run() {
        long started = System.nanoTime();
        long done = 0;
        while (running) {
            try {
                if (o == null) o = orders.get();
                if (i == null) i = inventory.get();
                long due = (long) ((System.nanoTime() - started) / 1e9 * ordersPerSecond);
                if (done >= due) {
                    Thread.sleep(5);
                    continue;
                }
                order();
                done++;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException | SQLException e) {
                log.warn("traffic: {}; retrying in 2 s", e.getMessage());
                close();
                pause();
            }
        }
        close();
    }

    private void pause() {
        try {
            Thread.sleep(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running = false;
        }
    }

    private void close() {
        for (Connection c : new Connection[] {o, i}) {
            if (c == null) continue;
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing
            }
        }
        o = null;
        i = null;
    }

    /** One order and its inventory operations, maybe with a fault. */
    private void order() throws SQLException {
        String orderId = prefix + "-" + (++seq);
        String buyer = "B" + random.nextInt(10_000);
        int shard = Math.floorMod(buyer.hashCode(), DemoSchema.SHARDS);
        long goods = 1000 + random.nextInt(20);
        int count = 1 + random.nextInt(3);
        if (random.nextDouble() < faultRate) {
            Fault f = Fault.values()[random.nextInt(Fault.values().length)];
            fault(f, orderId, buyer, shard, goods, count);
            injected.get(f).incrementAndGet();
        } else {
            normal(orderId, buyer, shard, goods, count);
        }
        ordersWritten.incrementAndGet();
    }

    private void normal(String id, String buyer, int shard, long goods, int count) throws SQLException {
        int flow = random.nextInt(10);
        if (flow < 6) {   // flash sale: one step, deducted with TRY_SALE; most are paid, some then closed
            order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
            inventory(id, goods, count, "TRY_SALE");
            if (flow < 4) {
                order(shard, id, buyer, goods, count, "PAY", "PAID");
                if (flow < 2) order(shard, id, buyer, goods, count, "FINISH", "FINISH");
            } else if (flow == 5) {
                order(shard, id, buyer, goods, count, random.nextBoolean() ? "CANCEL" : "TIME_OUT", "CLOSED");
                inventory(id, goods, count, "CANCEL_SALE");
            }
        } else if (flow < 9) {   // TCC: freeze at try, then confirm with UNFREEZE_AND_SALE
            inventory(id, goods, count, "FREEZE_INVENTORY");
            order(shard, id, buyer, goods, count, "CREATE", "CREATE");
            order(shard, id, buyer, goods, count, "CONFIRM", "CONFIRM");
            inventory(id, goods, count, "UNFREEZE_AND_SALE");
        } else {   // TCC rolled back: freeze, discard, unfreeze; no rule checks it, nothing to report
            inventory(id, goods, count, "FREEZE_INVENTORY");
            order(shard, id, buyer, goods, count, "DISCARD", "DISCARD");
            inventory(id, goods, count, "UNFREEZE_INVENTORY");
        }
    }

    private void fault(Fault f, String id, String buyer, int shard, long goods, int count) throws SQLException {
        switch (f) {
            case SALE_MISSING_RIGHT -> order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
            case SALE_MISSING_LEFT -> inventory(id, goods, count, "TRY_SALE");
            case SALE_QUANTITY_MISMATCH -> {
                order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
                long wrong = count == 1 || random.nextBoolean() ? count + 1 : count - 1;   // over or short
                inventory(id, goods, wrong, "TRY_SALE");
            }
            case SALE_DUPLICATE_RIGHT -> {
                order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
                inventory(id, goods, count, "TRY_SALE");
                inventory(id, goods, count, "TRY_SALE");
            }
            case SALE_DUPLICATE_LEFT -> {
                order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
                order(shard, id, buyer, goods, count, "CONFIRM", "CONFIRM");
                inventory(id, goods, count, "TRY_SALE");
            }
            case CANCEL_MISSING_RIGHT -> {
                order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
                inventory(id, goods, count, "TRY_SALE");
                order(shard, id, buyer, goods, count, "CANCEL", "CLOSED");
            }
            case CANCEL_MISSING_LEFT -> {
                order(shard, id, buyer, goods, count, "CREATE_AND_CONFIRM", "CONFIRM");
                inventory(id, goods, count, "TRY_SALE");
                inventory(id, goods, count, "CANCEL_SALE");
            }
        }
    }

    private void order(int shard, String id, String buyer, long goods, int count, String streamType, String state)
            throws SQLException {
        String sql = String.format("INSERT INTO trade_order_stream_%04d (order_id, buyer_id, seller_id, identifier,"
                + " goods_id, goods_type, goods_name, order_amount, item_price, item_count, order_state,"
                + " stream_identifier, stream_type) VALUES (?, ?, 'S1', ?, ?, 'COLLECTION', ?, ?, 9.900000, ?, ?, ?, ?)",
                shard);
        try (PreparedStatement p = o.prepareStatement(sql)) {
            p.setString(1, id);
            p.setString(2, buyer);
            p.setString(3, "req-" + id);
            p.setString(4, Long.toString(goods));
            p.setString(5, "collection " + goods);
            p.setBigDecimal(6, new java.math.BigDecimal("9.9").multiply(java.math.BigDecimal.valueOf(count)));
            p.setInt(7, count);
            p.setString(8, state);
            p.setString(9, streamType + "-" + id + "-" + random.nextInt(1_000_000));
            p.setString(10, streamType);
            p.executeUpdate();
        }
    }

    private void inventory(String id, long goods, long quantity, String streamType) throws SQLException {
        try (PreparedStatement p = i.prepareStatement("INSERT INTO collection_inventory_stream (collection_id,"
                + " changed_quantity, price, stream_type, identifier, state) VALUES (?, ?, 9.900000, ?, ?, 'ACTIVE')")) {
            p.setLong(1, goods);
            p.setLong(2, quantity);
            p.setString(3, streamType);
            p.setString(4, id);
            p.executeUpdate();
        }
    }
}
