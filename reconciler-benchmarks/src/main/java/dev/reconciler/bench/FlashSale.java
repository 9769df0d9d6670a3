package dev.reconciler.bench;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowValues;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The workload: a flash sale as the two binlogs deliver it, following the domain digest (docs/domain.md).
 *
 * <p>Every order is one {@code CREATE_AND_CONFIRM} row (state {@code CONFIRM}) in one of the four shards
 * {@code trade_order_stream_0000..0003}, and one {@code TRY_SALE} row in {@code collection_inventory_stream}
 * committed a few milliseconds later. Orders arrive on a flash-sale curve: half of them in the first 30 s
 * (about 17,000 orders/s for a million orders), 35 % over the next 150 s, the rest over the following 420 s.
 * A share of the orders is broken on purpose, {@code faultRate} of each kind (see {@link Fault}), and noise
 * that no rule reads is mixed in: {@code PAY} rows (state {@code PAID}) of some orders a few seconds to minutes
 * later, and {@code MODIFY_PRICE} inventory rows.
 *
 * <p>The facts of both sources are merged as two live binlog readers hand them over: each source in its own commit
 * order, the inventory reader {@link #INVENTORY_LAG} behind the orders reader. They are cut into batches of a fixed
 * size; each batch carries each source's watermark after it (the time up to which that reader has delivered
 * everything, as its events or heartbeats say) and the engine clock to use. The last batch is filled up with
 * MODIFY_PRICE rows, so that every batch has exactly the batch size.
 *
 * <p>Rows carry either every column of the two flow tables ({@link Columns#FULL}, what a CDC source delivers) or
 * only the columns of the test fixture ({@link Columns#FIXTURE}). The engine stores only the columns its streams
 * keep plus those the rules read, but it still reads every column of every fact.
 *
 * <p>The rules are the shipped preset, {@link ArticleRules}; the row builders follow the test fixture
 * ({@code OrderInventory} in reconciler-core's tests), rewritten here because benchmarks must not depend on test
 * jars.
 */
public final class FlashSale {
    public static final String ORDERS = "orders";
    public static final String INVENTORY = "inventory";
    public static final String INVENTORY_TABLE = "collection_inventory_stream";
    public static final Instant T0 = Instant.parse("2026-11-11T12:00:00Z");
    /** The rules' grace: how long one side waits for the other before it is reported missing. */
    public static final Duration GRACE = Duration.ofSeconds(30);
    /** Of the whole sale, in commit time. */
    public static final Duration SPAN = Duration.ofSeconds(600);
    /** How far the inventory binlog reader runs behind the orders reader. */
    public static final Duration INVENTORY_LAG = Duration.ofMillis(5);

    private static final int GOODS = 500;
    /** Column layouts of the flow tables (docs/domain.md), as a source would build them once per table. */
    private static final RowValues.Layout ORDER_FULL = RowValues.Layout.of(List.of("id", "gmt_create",
            "gmt_modified", "order_id", "buyer_id", "buyer_type", "seller_id", "seller_type", "identifier", "goods_id",
            "goods_type", "goods_name", "order_amount", "paid_amount", "item_price", "item_count", "order_state",
            "pay_succeed_time", "order_confirmed_time", "order_finished_time", "order_closed_time", "close_type",
            "deleted", "lock_version", "snapshot_version", "stream_identifier", "stream_type"));
    private static final RowValues.Layout ORDER_FIXTURE = RowValues.Layout.of(List.of("id", "order_id", "goods_id",
            "goods_type", "stream_type", "order_state", "item_count", "deleted"));
    private static final RowValues.Layout INVENTORY_FULL = RowValues.Layout.of(List.of("id", "gmt_create",
            "gmt_modified", "collection_id", "changed_quantity", "price", "quantity", "saleable_inventory",
            "occupied_inventory", "state", "stream_type", "identifier", "deleted", "lock_version", "extend_info"));
    private static final RowValues.Layout INVENTORY_FIXTURE = RowValues.Layout.of(List.of("id", "identifier",
            "collection_id", "stream_type", "changed_quantity", "deleted"));
    private static final String ORDER_BINLOG = "mysql-bin.000417";
    private static final String INVENTORY_BINLOG = "mysql-bin.000233";

    /** The broken orders, each kind {@code faultRate} of all orders. */
    public enum Fault {
        NONE,
        /** The order is confirmed, its inventory is never deducted: MISSING_RIGHT. */
        MISSING_INVENTORY,
        /** Inventory is deducted for an order that never appears: MISSING_LEFT. */
        MISSING_ORDER,
        /** One less deducted than ordered: QUANTITY_MISMATCH. */
        QUANTITY_SHORT,
        /** One more deducted than ordered: QUANTITY_MISMATCH. */
        QUANTITY_OVER,
        /** A second TRY_SALE row for the same order: DUPLICATE_RIGHT. */
        DUPLICATE_DEDUCTION
    }

    /** Which columns the rows carry. */
    public enum Columns {
        /** Every column of docs/domain.md's two flow tables, typed as a CDC source delivers them. */
        FULL,
        /** Only the columns the rules read (and the primary key), as the test fixture builds them. */
        FIXTURE
    }

    /**
     * @param orders               how many orders the sale has
     * @param faultRate            share of the orders broken with each {@link Fault} kind
     * @param payRate              share of the orders that are paid during the sale (a noise row each)
     * @param priceChangesPerOrder MODIFY_PRICE inventory rows per order (noise)
     * @param batchSize            facts per batch
     */
    public record Options(int orders, double faultRate, double payRate, double priceChangesPerOrder,
                          int batchSize, Columns columns, long seed) {
        public static Options of(int orders, int batchSize, Columns columns) {
            return new Options(orders, 0.001, 0.10, 0.001, batchSize, columns, 20261111L);
        }
    }

    /**
     * One engine call's worth of facts, and what to do after applying them.
     *
     * @param ordersWatermark    the orders source's watermark after this batch, or null before its first fact
     * @param inventoryWatermark the inventory source's watermark after this batch, or null before its first fact
     * @param now                the engine clock while applying the batch (a second after the newest commit)
     */
    public record Batch(List<Fact> facts, Instant ordersWatermark, Instant inventoryWatermark, Instant now) {
    }

    /**
     * The generated sale: its events are planned once; their facts are built batch by batch, on demand, each time
     * the sale is replayed, like a live source that builds facts from binlog events just before the engine gets
     * them (young objects, in the CPU cache). A fully precomputed sale would make every column lookup of the
     * engine a cache miss into gigabytes of old objects, which measures the benchmark, not the engine.
     */
    public static final class Stream {
        private final List<Event> events;
        private final Options options;
        private final long rowsSeed;
        private final Map<Fault, Integer> faults;
        private final int noise;
        private final long[] orderNumber;
        private final byte[] shard;
        private final short[] goodsOf;
        private final byte[] itemCount;
        private final Fault[] fault;

        private Stream(List<Event> events, Options options, long rowsSeed, Map<Fault, Integer> faults, int noise,
                       long[] orderNumber, byte[] shard, short[] goodsOf, byte[] itemCount, Fault[] fault) {
            this.events = events;
            this.options = options;
            this.rowsSeed = rowsSeed;
            this.faults = faults;
            this.noise = noise;
            this.orderNumber = orderNumber;
            this.shard = shard;
            this.goodsOf = goodsOf;
            this.itemCount = itemCount;
            this.fault = fault;
        }

        /** Facts in all batches. */
        public int facts() {
            return events.size();
        }

        /** Broken orders per kind. */
        public Map<Fault, Integer> faults() {
            return faults;
        }

        /** PAY and MODIFY_PRICE rows (no rule reads them). */
        public int noise() {
            return noise;
        }

        public int batchCount() {
            return events.size() / options.batchSize();
        }

        /** The sale's batches in order, built as they are taken; the same facts on every call. */
        public Iterator<Batch> batches() {
            Rows rows = new Rows(options.columns(), goods(rowsSeed), orderNumber, shard, goodsOf, itemCount, fault,
                    new SplittableRandom(rowsSeed));
            int b = options.batchSize();
            return new Iterator<>() {
                private int from;

                @Override
                public boolean hasNext() {
                    return from < events.size();
                }

                @Override
                public Batch next() {
                    if (!hasNext()) throw new java.util.NoSuchElementException();
                    List<Fact> facts = new ArrayList<>(b);
                    for (Event e : events.subList(from, from + b)) facts.add(rows.fact(e));
                    // Both readers have handed over everything up to the last delivery (the idle one by heartbeat).
                    Instant delivered = T0.plusNanos(events.get(from + b - 1).micros() * 1000);
                    from += b;
                    return new Batch(Collections.unmodifiableList(facts), delivered, delivered.minus(INVENTORY_LAG),
                            delivered.plusSeconds(1));
                }
            };
        }

        /** Every batch, built now (for tests and small sales). */
        public List<Batch> materialize() {
            List<Batch> out = new ArrayList<>(batchCount());
            batches().forEachRemaining(out::add);
            return out;
        }
    }

    private static Goods[] goods(long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Goods[] goods = new Goods[GOODS];
        for (int g = 0; g < GOODS; g++) goods[g] = new Goods(g, rnd);
        return goods;
    }

    private FlashSale() {
    }

    // ------------------------------------------------------------------------------------------- rules

    /**
     * The article's rules as shipped ({@link ArticleRules}): each stream keeps the columns the rules read plus a
     * few on-call looks at, not every column of the row.
     */
    public static EngineConfig config() {
        return new EngineConfig(List.of(ArticleRules.orderStream(ORDERS), ArticleRules.inventoryStream(INVENTORY)),
                List.of(ArticleRules.sale(GRACE, Multiplicity.ONE_TO_ONE), ArticleRules.cancel(GRACE)),
                Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofDays(7));
    }

    public static String shard(int n) {
        return String.format("trade_order_stream_%04d", n);
    }

    // ------------------------------------------------------------------------------------------- generation

    private static final byte EV_ORDER = 0;
    private static final byte EV_TRY_SALE = 1;
    private static final byte EV_DUPLICATE = 2;
    private static final byte EV_PAY = 3;
    private static final byte EV_MODIFY_PRICE = 4;

    /**
     * An event before it becomes a fact: delivery time in µs after {@link #T0} (the commit time, plus
     * {@link #INVENTORY_LAG} for inventory rows), kind, order (or goods) index.
     */
    private record Event(long micros, byte kind, int index) implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Long.compare(micros, o.micros);
            if (c != 0) return c;
            c = Byte.compare(kind, o.kind);
            return c != 0 ? c : Integer.compare(index, o.index);
        }
    }

    public static Stream generate(Options o) {
        SplittableRandom rnd = new SplittableRandom(o.seed());
        int n = o.orders();
        long rowsSeed = rnd.nextLong();

        long[] orderNumber = new long[n];
        long[] commitMicros = new long[n];
        byte[] shard = new byte[n];
        short[] goodsOf = new short[n];
        byte[] itemCount = new byte[n];
        Fault[] fault = new Fault[n];
        Arrays.fill(fault, Fault.NONE);

        long spanMicros = SPAN.toNanos() / 1000;
        for (int i = 0; i < n; i++) {
            orderNumber[i] = 1_764_000_000_000_000_000L + i * 1000L + rnd.nextInt(1000);   // 19 digits, unique
            commitMicros[i] = (long) (curve((i + rnd.nextDouble()) / n) * spanMicros);
            shard[i] = (byte) rnd.nextInt(4);
            goodsOf[i] = (short) rnd.nextInt(GOODS);
            double c = rnd.nextDouble();
            itemCount[i] = (byte) (c < 0.7 ? 1 : c < 0.9 ? 2 : 3);
        }
        // Exactly round(n * faultRate) orders of each kind, distinct, at random places in the sale.
        int perKind = (int) Math.round(n * o.faultRate());
        int[] idx = new int[n];
        for (int i = 0; i < n; i++) idx[i] = i;
        Map<Fault, Integer> faults = new EnumMap<>(Fault.class);
        int k = 0;
        for (Fault f : Fault.values()) {
            if (f == Fault.NONE) continue;
            for (int j = 0; j < perKind; j++, k++) {
                int pick = k + rnd.nextInt(n - k);
                int tmp = idx[k];
                idx[k] = idx[pick];
                idx[pick] = tmp;
                fault[idx[k]] = f;
                if (f == Fault.QUANTITY_SHORT && itemCount[idx[k]] < 2) itemCount[idx[k]] = 2;
            }
            faults.put(f, perKind);
        }

        List<Event> events = new ArrayList<>(n * 2 + n / 8);
        int noise = 0;
        for (int i = 0; i < n; i++) {
            long t = commitMicros[i];
            if (fault[i] != Fault.MISSING_ORDER) events.add(new Event(t, EV_ORDER, i));
            long lag = INVENTORY_LAG.toNanos() / 1000;
            if (fault[i] != Fault.MISSING_INVENTORY) {
                events.add(new Event(t + lag + 2_000 + rnd.nextInt(6_000), EV_TRY_SALE, i));
            }
            if (fault[i] == Fault.DUPLICATE_DEDUCTION) {
                events.add(new Event(t + lag + 20_000 + rnd.nextInt(480_000), EV_DUPLICATE, i));
            }
            if (fault[i] != Fault.MISSING_ORDER && rnd.nextDouble() < o.payRate()) {
                events.add(new Event(t + 5_000_000 + rnd.nextLong(295_000_000), EV_PAY, i));
                noise++;
            }
        }
        long priceChanges = Math.round(n * o.priceChangesPerOrder());
        for (long j = 0; j < priceChanges; j++) {
            events.add(new Event(INVENTORY_LAG.toNanos() / 1000 + rnd.nextLong(spanMicros), EV_MODIFY_PRICE,
                    rnd.nextInt(GOODS)));
            noise++;
        }
        Collections.sort(events);
        // Pad the last batch with a few more MODIFY_PRICE rows at the very end, so that every batch is full.
        int b = o.batchSize();
        long end = events.get(events.size() - 1).micros();
        for (int j = 1; events.size() % b != 0; j++) {
            events.add(new Event(end + j, EV_MODIFY_PRICE, rnd.nextInt(GOODS)));
            noise++;
        }

        return new Stream(events, o, rowsSeed, faults, noise, orderNumber, shard, goodsOf, itemCount, fault);
    }

    /** Share of the sale's time at which the order at {@code u} (0..1, in arrival order) commits. */
    static double curve(double u) {
        if (u < 0.50) return u / 0.50 * 0.05;                    // 50 % in the first 30 s
        if (u < 0.85) return 0.05 + (u - 0.50) / 0.35 * 0.25;    // 35 % over the next 150 s
        return 0.30 + (u - 0.85) / 0.15 * 0.70;                  // 15 % over the last 420 s
    }

    private static final class Goods {
        final String id;
        final long numericId;
        final String name;
        final BigDecimal price;
        long saleable = 1_000_000;
        long occupied;
        int lockVersion;

        Goods(int g, SplittableRandom rnd) {
            numericId = 10_000_000L + g * 17_389L + rnd.nextInt(17_000);   // 8 digits
            id = Long.toString(numericId);
            name = "Digital collection #" + g;
            price = BigDecimal.valueOf(990 + rnd.nextInt(99_000), 2).setScale(6);
        }
    }

    /** Builds the facts in delivery order, keeping each table's auto-increment ids and each binlog's offsets. */
    private static final class Rows {
        private static final String[] SHARDS = {shard(0), shard(1), shard(2), shard(3)};
        private static final Integer ZERO = 0;

        private final Columns columns;
        private final Goods[] goods;
        private final long[] orderNumber;
        private final byte[] shard;
        private final short[] goodsOf;
        private final byte[] itemCount;
        private final Fault[] fault;
        private final SplittableRandom rnd;
        private final long[] shardIds = {8_000_000L, 8_000_000L, 8_000_000L, 8_000_000L};
        private long inventoryId = 52_000_000L;
        private long orderOffset = 4;
        private long inventoryOffset = 4;

        Rows(Columns columns, Goods[] goods, long[] orderNumber, byte[] shard, short[] goodsOf, byte[] itemCount,
             Fault[] fault, SplittableRandom rnd) {
            this.columns = columns;
            this.goods = goods;
            this.orderNumber = orderNumber;
            this.shard = shard;
            this.goodsOf = goodsOf;
            this.itemCount = itemCount;
            this.fault = fault;
            this.rnd = rnd;
        }

        Fact fact(Event e) {
            Instant delivered = T0.plusNanos(e.micros() * 1000);
            Instant at = e.kind() == EV_ORDER || e.kind() == EV_PAY ? delivered : delivered.minus(INVENTORY_LAG);
            return switch (e.kind()) {
                case EV_ORDER -> order(e.index(), at, "CREATE_AND_CONFIRM", "CONFIRM");
                case EV_PAY -> order(e.index(), at, "PAY", "PAID");
                case EV_TRY_SALE, EV_DUPLICATE -> inventory(goods[goodsOf[e.index()]], "O" + orderNumber[e.index()],
                        deducted(e.index()), "TRY_SALE", at);
                case EV_MODIFY_PRICE -> inventory(goods[e.index()], "MP" + Long.toHexString(rnd.nextLong()), 0,
                        "MODIFY_PRICE", at);
                default -> throw new IllegalStateException("unknown event kind " + e.kind());
            };
        }

        private long deducted(int i) {
            return switch (fault[i]) {
                case QUANTITY_SHORT -> itemCount[i] - 1;
                case QUANTITY_OVER -> itemCount[i] + 1;
                default -> itemCount[i];
            };
        }

        private Fact order(int i, Instant at, String streamType, String state) {
            int s = shard[i];
            long id = ++shardIds[s];
            String orderId = "O" + orderNumber[i];
            Goods g = goods[goodsOf[i]];
            int count = itemCount[i];
            Object[] v;
            if (columns == Columns.FIXTURE) {
                v = new Object[] {id, orderId, g.id, "COLLECTION", streamType, state, count, ZERO};
            } else {
                boolean paid = state.equals("PAID");
                BigDecimal amount = g.price.multiply(BigDecimal.valueOf(count));
                v = new Object[] {id, at, at, orderId, "U" + (100_000_000_000L + (orderNumber[i] % 9_000_000_000L)),
                        "CUSTOMER", "PLATFORM", "PLATFORM", "REQ" + Long.toHexString(orderNumber[i]) + (paid ? "P" : "C"),
                        g.id, "COLLECTION", g.name, amount, paid ? amount : BigDecimal.ZERO.setScale(6), g.price, count,
                        state, paid ? at : null, at, null, null, null, ZERO, paid ? 2 : 1, paid ? 2 : 1,
                        orderId + "_" + streamType, streamType};
            }
            // As a source builds rows: one shared column layout per table, the values in its order.
            RowValues m = RowValues.wrap(columns == Columns.FIXTURE ? ORDER_FIXTURE : ORDER_FULL, v);
            SourcePosition pos = new SourcePosition(ORDER_BINLOG, orderOffset, 0);
            orderOffset += 700 + rnd.nextInt(200);
            return new Fact(new RowId(ORDERS, SHARDS[s], Long.toString(id)), Operation.INSERT, m, null, at, pos);
        }

        private Fact inventory(Goods g, String identifier, long changed, String streamType, Instant at) {
            long id = ++inventoryId;
            Object[] v;
            if (columns == Columns.FIXTURE) {
                v = new Object[] {id, identifier, g.numericId, streamType, changed, ZERO};
            } else {
                g.saleable -= changed;
                g.occupied += changed;
                g.lockVersion++;
                v = new Object[] {id, at, at, g.numericId, changed, g.price, 1_000_000L, g.saleable, g.occupied,
                        "SUCCEED", streamType, identifier, ZERO, g.lockVersion, null};
            }
            RowValues m = RowValues.wrap(columns == Columns.FIXTURE ? INVENTORY_FIXTURE : INVENTORY_FULL, v);
            SourcePosition pos = new SourcePosition(INVENTORY_BINLOG, inventoryOffset, 0);
            inventoryOffset += 400 + rnd.nextInt(100);
            return new Fact(new RowId(INVENTORY, INVENTORY_TABLE, Long.toString(id)), Operation.INSERT, m, null, at,
                    pos);
        }
    }

    // ------------------------------------------------------------------------------------------- single rows

    /**
     * An order fact with a key no inventory row will ever have, for the pending-heap check: the {@code n}-th order
     * of an endless sale, committed {@code n} ms after {@link #T0}.
     */
    public static Fact unmatchedOrder(long n, Columns columns) {
        Goods g = new Goods((int) (n % GOODS), new SplittableRandom(n % GOODS));
        Rows rows = new Rows(columns, new Goods[] {g}, new long[] {1_764_000_000_000_000_000L + n},
                new byte[] {(byte) (n & 3)}, new short[] {0}, new byte[] {(byte) (1 + n % 3)},
                new Fault[] {Fault.NONE}, new SplittableRandom(n));
        rows.shardIds[(int) (n & 3)] = 8_000_000L + n;
        rows.orderOffset = 4 + n * 800;
        return rows.order(0, T0.plusMillis(n), "CREATE_AND_CONFIRM", "CONFIRM");
    }
}
