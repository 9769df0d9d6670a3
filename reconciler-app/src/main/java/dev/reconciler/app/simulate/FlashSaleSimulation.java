package dev.reconciler.app.simulate;

import dev.reconciler.app.TempDirs;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A flash sale pushed through the engine with the durable RocksDB store, no database needed: orders over four
 * shards with their inventory deductions, cancels with their releases, and a few injected faults of every kind.
 * Prints what the engine found next to what was injected, and exits non-zero if they differ.
 *
 * <p>Stand-in for the full demo (two real MariaDB instances) until the sources exist.
 * Usage: {@code FlashSaleSimulation [orders] [faultsPerType]}.
 */
public final class FlashSaleSimulation {
    private static final String ORDERS = "orders";
    private static final String INVENTORY = "inventory";
    private static final Instant START = Instant.parse("2026-11-11T00:00:00Z");

    private final Random random = new Random(11);
    private final List<Fact> orderLog = new ArrayList<>();
    private final List<Fact> inventoryLog = new ArrayList<>();
    private final Map<DiscrepancyType, Integer> injected = new EnumMap<>(DiscrepancyType.class);
    private long orderRowId;
    private long inventoryRowId;

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int faults = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        System.exit(new FlashSaleSimulation().run(orders, faults) ? 0 : 1);
    }

    boolean run(int orders, int faultsPerType) throws IOException {
        generate(orders, faultsPerType);
        Path dir = Files.createTempDirectory("reconciler-simulation");
        EngineConfig config = ArticleRules.config(ORDERS, INVENTORY, Duration.ofSeconds(30));
        Map<String, Long> outcomes = new LinkedHashMap<>();
        long started = System.nanoTime();
        // A fresh throwaway store: its format line ("created in format N") is nothing to report.
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, RocksDbStateStore.Options.defaults(), line -> { })) {
            Instant[] last = {START};
            ReconciliationEngine engine = new ReconciliationEngine(config, store, () -> last[0]);
            // Both sources deliver in commit-time order; the engine sees them interleaved, in batches, and each
            // source's watermark is the commit time of the last row it delivered.
            List<Fact> merged = new ArrayList<>(orderLog);
            merged.addAll(inventoryLog);
            merged.sort(Comparator.comparing(Fact::eventTime));
            Map<String, Instant> marks = new LinkedHashMap<>();
            for (int from = 0; from < merged.size(); from += 1000) {
                List<Fact> batch = merged.subList(from, Math.min(merged.size(), from + 1000));
                count(outcomes, engine.apply(batch));
                for (Fact f : batch) marks.put(f.source(), f.eventTime());
                last[0] = batch.get(batch.size() - 1).eventTime();
                for (Map.Entry<String, Instant> m : marks.entrySet()) {
                    count(outcomes, engine.advanceWatermark(m.getKey(), m.getValue()));
                }
            }
            // both databases go idle; their heartbeats move the watermarks past every grace period
            Instant end = last[0].plus(Duration.ofMinutes(5));
            last[0] = end;
            count(outcomes, engine.advanceWatermark(ORDERS, end));
            count(outcomes, engine.advanceWatermark(INVENTORY, end));
            double seconds = (System.nanoTime() - started) / 1e9;
            return report(store, outcomes, seconds);
        } finally {
            TempDirs.delete(dir);
        }
    }

    private boolean report(RocksDbStateStore store, Map<String, Long> outcomes, double seconds) {
        int facts = orderLog.size() + inventoryLog.size();
        System.out.printf("%,d facts (%,d order rows, %,d inventory rows) in %.1f s: %,.0f facts/s%n",
                facts, orderLog.size(), inventoryLog.size(), seconds, facts / seconds);
        outcomes.forEach((k, v) -> System.out.printf("  %-28s %,d%n", k, v));
        Map<DiscrepancyType, Integer> found = new EnumMap<>(DiscrepancyType.class);
        List<Discrepancy> open = new ArrayList<>();
        store.forEachDiscrepancy(d -> {
            if (d.status() == Status.OPEN) {
                found.merge(d.type(), 1, Integer::sum);
                open.add(d);
            }
        });
        System.out.println("open discrepancies (injected → found):");
        boolean ok = true;
        for (DiscrepancyType t : DiscrepancyType.values()) {
            int in = injected.getOrDefault(t, 0);
            int out = found.getOrDefault(t, 0);
            ok &= in == out;
            System.out.printf("  %-18s %3d → %3d%s%n", t, in, out, in == out ? "" : "   MISMATCH");
        }
        open.sort(Comparator.comparing(Discrepancy::type).thenComparing(Discrepancy::id));
        System.out.println("examples:");
        open.stream().limit(5).forEach(d -> System.out.printf("  %s %-17s %-6s key=%s%s%n", d.id(), d.type(),
                d.rule(), d.key(), d.difference() == null ? "" : " difference=" + d.difference().toPlainString()));
        System.out.println(ok ? "OK: every injected fault was found, nothing else." : "FAILED: see MISMATCH above.");
        return ok;
    }

    private static void count(Map<String, Long> counts, List<Outcome> outcomes) {
        for (Outcome o : outcomes) {
            String k = o.getClass().getSimpleName();
            if (o instanceof Outcome.DiscrepancyOpened x) k = "opened " + x.discrepancy().type();
            if (o instanceof Outcome.DiscrepancyResolved x) k = "resolved " + x.discrepancy().type();
            counts.merge(k, 1L, Long::sum);
        }
    }

    // ------------------------------------------------------------------------------------------- traffic

    private void generate(int orders, int faultsPerType) {
        List<Integer> faultAt = new ArrayList<>();
        int kinds = 7;
        for (int n = 0; n < kinds * faultsPerType; n++) faultAt.add(n % kinds);
        int spacing = Math.max(1, orders / Math.max(1, faultAt.size() + 1));
        for (int n = 0; n < orders; n++) {
            // a flash sale: about 5,000 orders per second of commit time
            Instant t = START.plusNanos(n * 200_000L);
            int fault = n % spacing == spacing - 1 && !faultAt.isEmpty() ? faultAt.remove(0) : -1;
            order(n, t, fault);
        }
        orderLog.sort(Comparator.comparing(Fact::eventTime));
        inventoryLog.sort(Comparator.comparing(Fact::eventTime));
    }

    private void order(int n, Instant t, int fault) {
        String orderId = String.format("O%019d", 7_000_000_000L + n);
        long goods = 10_000_000L + random.nextInt(50);
        int count = 1 + random.nextInt(3);
        Instant inv = t.plusMillis(5 + random.nextInt(400));
        boolean cancels = n % 10 == 0;
        switch (fault) {
            case 0 -> { // order confirmed, inventory never deducted
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
                injected.merge(DiscrepancyType.MISSING_RIGHT, 1, Integer::sum);
                return;
            }
            case 1 -> { // inventory deducted, order never created (dead-lettered message)
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                injected.merge(DiscrepancyType.MISSING_LEFT, 1, Integer::sum);
                return;
            }
            case 2 -> { // deducted too little
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count + 1, t);
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                injected.merge(DiscrepancyType.QUANTITY_MISMATCH, 1, Integer::sum);
                return;
            }
            case 3 -> { // deducted twice
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                inventoryRow(orderId, goods, "TRY_SALE", count, inv.plusMillis(50));
                injected.merge(DiscrepancyType.DUPLICATE_RIGHT, 1, Integer::sum);
                return;
            }
            case 4 -> { // the order flow written twice for one order (two shards)
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
                orderRow(orderId, goods, "CONFIRM", "CONFIRM", count, t.plusMillis(1));
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                injected.merge(DiscrepancyType.DUPLICATE_LEFT, 1, Integer::sum);
                return;
            }
            case 5 -> { // cancelled, inventory never released
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                orderRow(orderId, goods, "CANCEL", "CLOSED", count, t.plusSeconds(1));
                injected.merge(DiscrepancyType.MISSING_RIGHT, 1, Integer::sum);
                return;
            }
            case 6 -> { // released too much
                orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
                inventoryRow(orderId, goods, "TRY_SALE", count, inv);
                orderRow(orderId, goods, "CANCEL", "CLOSED", count, t.plusSeconds(1));
                inventoryRow(orderId, goods, "CANCEL_SALE", count + 2, inv.plusSeconds(1));
                injected.merge(DiscrepancyType.QUANTITY_MISMATCH, 1, Integer::sum);
                return;
            }
            default -> {
            }
        }
        orderRow(orderId, goods, "CREATE_AND_CONFIRM", "CONFIRM", count, t);
        inventoryRow(orderId, goods, "TRY_SALE", count, inv);
        if (n % 3 == 0) orderRow(orderId, goods, "PAY", "PAID", count, t.plusMillis(800));   // noise: no rule
        if (cancels) {
            orderRow(orderId, goods, "CANCEL", "CLOSED", count, t.plusSeconds(1));
            inventoryRow(orderId, goods, "CANCEL_SALE", count, inv.plusSeconds(1));
        }
    }

    private void orderRow(String orderId, long goods, String streamType, String state, int count, Instant t) {
        long id = ++orderRowId;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("order_id", orderId);
        row.put("goods_id", Long.toString(goods));
        row.put("goods_type", "COLLECTION");
        row.put("stream_type", streamType);
        row.put("order_state", state);
        row.put("item_count", count);
        row.put("deleted", 0);
        String shard = String.format("trade_order_stream_%04d", Math.floorMod(orderId.hashCode(), 4));
        orderLog.add(new Fact(new RowId(ORDERS, shard, Long.toString(id)), Operation.INSERT, row, null, t,
                new SourcePosition("mariadb-bin.000001", id, 0)));
    }

    private void inventoryRow(String identifier, long goods, String streamType, long quantity, Instant t) {
        long id = ++inventoryRowId;
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("id", id);
        row.put("identifier", identifier);
        row.put("collection_id", goods);
        row.put("stream_type", streamType);
        row.put("changed_quantity", quantity);
        row.put("deleted", 0);
        inventoryLog.add(new Fact(new RowId(INVENTORY, ArticleRules.INVENTORY_TABLE, Long.toString(id)),
                Operation.INSERT, row, null, t, new SourcePosition("mariadb-bin.000001", id, 0)));
    }
}
