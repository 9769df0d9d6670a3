package dev.reconciler.bench;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.state.StateStore;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * <b>Question:</b> how much heap does the engine use while 5,000,000 pairs are pending with the RocksDB store? The
 * target is under 256 MB: pending pairs must live in the store, not on the heap.
 *
 * <p>Feeds {@code pairs} order facts ({@code CREATE_AND_CONFIRM}, every column of the flow table, one commit per ms)
 * that no inventory row will ever match, in batches of 1,000, moving the orders source's watermark after each batch.
 * The inventory source reports one watermark at the start of the sale and then holds it back, so no grace runs out
 * and nothing is decided: every pair stays pending with a WAIT_RIGHT timer. Then it counts the pending pairs in the
 * store, forces a full GC and prints one line: heap used after GC (MemoryMXBean), the state directory's size, how
 * long feeding took. Run it with {@code -Xmx256m} to prove the bound: it fails with OutOfMemoryError otherwise.
 *
 * <pre>
 * mvn -pl reconciler-benchmarks -am package -DskipTests
 * java -Xmx256m -cp reconciler-benchmarks/target/benchmarks.jar dev.reconciler.bench.PendingHeap
 * java -Xmx256m -cp reconciler-benchmarks/target/benchmarks.jar dev.reconciler.bench.PendingHeap \
 *     --pairs 5000000 --store rocksdb --dir DIR --columns full
 * </pre>
 * The directory defaults to a new temporary one, deleted at the end unless {@code --keep} is given.
 */
public final class PendingHeap {
    private static final int BATCH = 1000;
    private static final double MB = 1024.0 * 1024.0;

    private PendingHeap() {
    }

    public static void main(String[] args) {
        long pairs = 5_000_000;
        String kind = Stores.ROCKSDB;
        Path dir = null;
        boolean keep = false;
        boolean reopenOnly = false;
        FlashSale.Columns columns = FlashSale.Columns.FULL;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pairs" -> pairs = Long.parseLong(args[++i].replace("_", ""));
                case "--store" -> kind = args[++i];
                case "--dir" -> dir = Path.of(args[++i]);
                case "--columns" -> columns = FlashSale.Columns.valueOf(args[++i].toUpperCase(Locale.ROOT));
                case "--keep" -> keep = true;
                case "--reopen" -> reopenOnly = true;
                default -> {
                    System.err.println("usage: PendingHeap [--pairs N] [--store rocksdb|memory] [--dir DIR]"
                            + " [--columns full|fixture] [--keep] [--reopen]");
                    System.exit(2);
                }
            }
        }
        if (reopenOnly) {
            // Only the restart, on a directory a run with --keep filled: restarts can be timed again and again.
            if (dir == null) {
                System.err.println("--reopen needs --dir of a store kept by an earlier run (--keep)");
                System.exit(2);
            }
            restart(kind, dir, pairs);
            return;
        }
        boolean temp = dir == null;
        if (temp) dir = Stores.tempDir("reconciler-pending-");
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        long maxHeap = memory.getHeapMemoryUsage().getMax();

        SettableClock clock = new SettableClock(FlashSale.T0);
        long outcomes = 0;
        long started = System.nanoTime();
        long fed;
        long pending;
        double feedSeconds;
        long dirBytes;
        StateStore store = Stores.open(kind, dir);
        try {
            ReconciliationEngine engine = new ReconciliationEngine(FlashSale.config(), store, clock);
            // The inventory source is seen once, at the start of the sale, then held back.
            outcomes += engine.advanceWatermark(FlashSale.INVENTORY, FlashSale.T0).size();
            List<Fact> batch = new ArrayList<>(BATCH);
            for (fed = 0; fed < pairs; ) {
                batch.clear();
                for (int j = 0; j < BATCH && fed < pairs; j++, fed++) batch.add(FlashSale.unmatchedOrder(fed, columns));
                Instant newest = batch.get(batch.size() - 1).eventTime();
                clock.set(newest.plusSeconds(1));
                outcomes += engine.apply(batch).size();
                outcomes += engine.advanceWatermark(FlashSale.ORDERS, newest).size();
                if (fed % 500_000 == 0) {
                    double s = (System.nanoTime() - started) / 1e9;
                    System.out.printf("  fed %,d facts in %.0f s (%,.0f facts/s), heap used %.0f MB%n",
                            fed, s, fed / s, memory.getHeapMemoryUsage().getUsed() / MB);
                }
            }
            feedSeconds = (System.nanoTime() - started) / 1e9;

            AtomicLong waiting = new AtomicLong();
            store.forEachPair("sale", p -> {
                if (!p.matched() && p.open().isEmpty() && p.waitRight() != null) waiting.incrementAndGet();
            });
            pending = waiting.get();

            // The heap the engine needs while all of that is pending: everything else is garbage now.
            for (int i = 0; i < 3; i++) {
                System.gc();
                sleep(200);
            }
            long used = memory.getHeapMemoryUsage().getUsed();
            dirBytes = kind.equals(Stores.ROCKSDB) ? Stores.size(dir) : 0;
            boolean pass = pending == pairs && outcomes == 0 && used < 256 * MB;
            System.out.printf(Locale.ROOT, "PendingHeap store=%s columns=%s pending=%d/%d outcomes=%d"
                            + " heapUsedAfterGc=%.1fMB heapMax=%.0fMB stateDir=%.0fMB feed=%.0fs (%.0f facts/s) %s%n",
                    kind, columns.name().toLowerCase(Locale.ROOT), pending, pairs, outcomes, used / MB,
                    maxHeap / MB, dirBytes / MB, feedSeconds, pairs / feedSeconds,
                    pass ? "PASS (under 256 MB)" : "FAIL");
            store.close();
            restart(kind, dir, pairs);
        } finally {
            store.close();
            if (temp && !keep) Stores.delete(dir);
        }
    }

    /**
     * Restart to ready with everything still pending: the store closed and opened again, the engine built on it and
     * its first call (a watermark) answered, as a restarted reconciler does before it applies a source's batch.
     * The watermark really moves (one second past the one stored), so the call runs the deadline scan over the
     * index of every pending pair's timer, as the first batch after a restart does; none is due yet.
     */
    private static void restart(String kind, Path dir, long pairs) {
        if (!kind.equals(Stores.ROCKSDB)) return;
        long t0 = System.nanoTime();
        try (StateStore store = Stores.open(kind, dir)) {
            long opened = System.nanoTime();
            ReconciliationEngine engine = new ReconciliationEngine(FlashSale.config(), store,
                    new SettableClock(FlashSale.T0));
            Instant stored = engine.watermark(FlashSale.INVENTORY).orElse(FlashSale.T0);
            int decided = engine.advanceWatermark(FlashSale.INVENTORY, stored.plusSeconds(1)).size();
            long ready = System.nanoTime();
            System.gc();
            System.out.printf(Locale.ROOT, "PendingHeap restart: pending=%d storeOpen=%.2fs restartToReady=%.2fs"
                            + " heapUsedAfterGc=%.1fMB decided=%d%n", pairs, (opened - t0) / 1e9, (ready - t0) / 1e9,
                    ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / MB, decided);
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
