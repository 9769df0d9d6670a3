package dev.reconciler.bench;

import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.state.StateStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Iterator;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * <b>Question:</b> how many facts per second can one engine thread reconcile during a flash sale, with the durable
 * RocksDB store (the product) and with the in-memory store (the baseline: what the engine costs without a store on
 * disk)? The target is 300,000 facts/s with RocksDB on a 2-core machine.
 *
 * <p><b>Workload</b> ({@link FlashSale}): a sale of 1,000,000 orders over 10 simulated minutes, 2,100,000 facts: per
 * order a {@code CREATE_AND_CONFIRM} row in one of four order shards and a {@code TRY_SALE} inventory row 2-8 ms
 * later, 0.1 % of the orders broken in each of five ways (missing inventory, missing order, quantity short, quantity
 * over, duplicate deduction), plus {@code PAY} and {@code MODIFY_PRICE} rows no rule reads. Facts of both sources
 * are merged as two live binlog readers hand them over (inventory 5 ms behind), in batches of {@value #BATCH}. The
 * events are planned in {@code @Setup(Level.Trial)}; their facts are built by a second thread a few batches ahead
 * of the engine (see {@link Feed}), as a source thread builds them from binlog events. Rules: the shipped preset.
 *
 * <p><b>{@link #applyBatch}</b> (throughput, the headline number): one invocation applies one batch
 * ({@code engine.apply(batch)}, one atomic store write) and then moves both sources' watermarks to where the readers
 * are, which decides the pairs whose grace ran out. With {@code @OperationsPerInvocation(BATCH)} JMH's ops/s is
 * facts/s. Invocations walk through the sale; every pass over it starts from an empty store (a new RocksDB
 * directory), so the number averages over the sale as the state grows from nothing to a million pairs. State carries
 * over from one iteration to the next; a pass that ends inside an iteration rolls over to a fresh store right there
 * (closing the old store and opening an empty one is measured and printed after each iteration; the old directory is
 * deleted after the iteration). Caveat: iterations are time-boxed, so when the engine is slow they cover only the
 * first part of the sale; the iteration lines print how far each one got.
 *
 * <p><b>{@link #wholeSale}</b> (single shot, the cross-check): one invocation is the whole sale from an empty store;
 * JMH reports µs per fact ({@code 1,000,000 / score} = facts/s). It cannot miss a phase of the sale, such as the
 * moment the grace of the peak's orders runs out, at the price of a minute or more per iteration.
 *
 * <p>{@code row=full} gives rows every column of docs/domain.md's flow tables (27 for orders, 15 for inventory), which is
 * what a CDC source delivers; {@code row=fixture} gives only the columns of the test fixture, to show what reading
 * wide rows costs.
 *
 * <p><b>Run</b> (see docs/benchmarks.md):
 * <pre>
 * mvn -pl reconciler-benchmarks -am package -DskipTests
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.applyBatch \
 *     -f 1 -wi 2 -i 5 -w 5s -r 5s
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.wholeSale -f 1 -wi 2 -i 4
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.applyBatch -p store=rocksdb -prof gc
 * </pre>
 * The fork gets a fixed 14 GB heap: the in-memory baseline keeps up to a million pairs on the heap; a smaller heap
 * measures the garbage collector more than the engine. (The RocksDB store needs far less; see {@code PendingHeap}.)
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms14g", "-Xmx14g", "-XX:+UseG1GC", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 2, time = 5)
@Measurement(iterations = 5, time = 5)
public class EngineThroughputBenchmark {
    /** Facts per engine call. */
    public static final int BATCH = 1000;
    public static final int ORDERS = 1_000_000;
    /** Facts in the generated sale; fixed, because the generator's seed is. Checked when the sale is generated. */
    public static final int SALE_FACTS = 2_100_000;

    @Param({Stores.ROCKSDB, Stores.MEMORY})
    public String store;

    @Param({"full"})
    public String row;

    private FlashSale.Stream sale;
    private int batchCount;
    private Feed feed;
    private Path root;
    private int pass;
    private int cursor;
    private SettableClock clock;
    private StateStore current;
    private Path currentDir;
    private ReconciliationEngine engine;
    private final List<Path> retiredDirs = new ArrayList<>();
    private long outcomes;
    /** Time spent closing and opening stores at pass boundaries (measured time, reported after each iteration). */
    private long rolloverNanos;
    /**
     * CPU per fact, beside the wall-clock score: on two shared cores the score moves with whatever else runs, the
     * engine thread's CPU time much less. Process CPU adds RocksDB's flushes and compactions (and the GC).
     */
    private long iterationFacts;
    private long threadCpuAtStart;
    private long feedCpuAtStart;
    /** CPU time of the feed threads of passes that ended (each pass has its own feed thread). */
    private long retiredFeedCpu;
    private long processCpuAtStart;
    private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();

    @Setup(Level.Trial)
    public void generate() {
        long t = System.nanoTime();
        sale = FlashSale.generate(
                FlashSale.Options.of(ORDERS, BATCH, FlashSale.Columns.valueOf(row.toUpperCase(Locale.ROOT))));
        batchCount = sale.batchCount();
        if (sale.facts() != SALE_FACTS) {
            throw new IllegalStateException("the sale has " + sale.facts() + " facts, SALE_FACTS says " + SALE_FACTS
                    + ": update SALE_FACTS after changing the generator");
        }
        root = Stores.tempDir("reconciler-bench-");
        System.out.printf("%n[setup] %,d facts in %,d batches (faults %s, noise %,d) planned in %.1f s%n",
                sale.facts(), batchCount, sale.faults(), sale.noise(), (System.nanoTime() - t) / 1e9);
        rollover();
    }

    /** {@link #wholeSale} starts every iteration with an empty store; {@link #applyBatch} goes on where it was. */
    @Setup(Level.Iteration)
    public void startIteration(BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".wholeSale") && cursor > 0) rollover();
        iterationFacts = 0;
        feedCpuAtStart = feedCpu();
        threadCpuAtStart = THREADS.getCurrentThreadCpuTime();
        processCpuAtStart = OS.getProcessCpuTime();
    }

    /** Reports how far the iteration got; deletes the directories of passes that ended in it. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        long facts = Math.max(1, iterationFacts);
        System.out.printf("[pass %d at batch %,d/%,d, %,d outcomes in this pass, store open/close %.0f ms;"
                        + " CPU per fact: engine thread %.2f us, feed thread %.2f us, process %.2f us]",
                pass, cursor, batchCount, outcomes, rolloverNanos / 1e6,
                (THREADS.getCurrentThreadCpuTime() - threadCpuAtStart) / 1e3 / facts,
                (feedCpu() - feedCpuAtStart) / 1e3 / facts,
                (OS.getProcessCpuTime() - processCpuAtStart) / 1e3 / facts);
        rolloverNanos = 0;
        deleteRetired();
    }

    @TearDown(Level.Trial)
    public void close() {
        feed.close();
        current.close();
        deleteRetired();
        Stores.delete(root);
    }

    /** One batch of the sale, then both watermarks: facts/s with the sale's mix of empty and filling state. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long applyBatch() {
        if (cursor == batchCount) rollover();
        cursor++;
        return step(feed.take());
    }

    /**
     * The whole sale, from an empty store to the last batch, in one invocation: the time per fact of a complete
     * pass (1,000,000 / this = facts/s). Slower to run than {@link #applyBatch}, whose time-boxed iterations may
     * never reach the end of the sale when the engine is slow, but it cannot miss a phase of the sale (such as the
     * grace of the peak's orders running out).
     */
    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @OperationsPerInvocation(SALE_FACTS)
    @Warmup(iterations = 2)
    @Measurement(iterations = 4)
    public long wholeSale() {
        long n = 0;
        while (cursor < batchCount) {
            cursor++;
            n += step(feed.take());
        }
        return n;
    }

    private long step(Ready b) {
        clock.set(b.now());
        iterationFacts += b.size();
        long n = engine.apply(b.prepared()).size();
        if (b.ordersWatermark() != null) n += engine.advanceWatermark(FlashSale.ORDERS, b.ordersWatermark()).size();
        if (b.inventoryWatermark() != null) {
            n += engine.advanceWatermark(FlashSale.INVENTORY, b.inventoryWatermark()).size();
        }
        outcomes += n;
        return n;
    }

    /** CPU time of all feed threads so far: a pass that rolls over mid-iteration has two. */
    private long feedCpu() {
        return retiredFeedCpu + feed.cpuNanos();
    }

    private void deleteRetired() {
        for (Path d : retiredDirs) Stores.delete(d);
        retiredDirs.clear();
    }

    /**
     * Starts a new pass over the sale with an empty store. The old store is closed at once (so that its background
     * flushes and compactions stop competing for the two cores), its directory is deleted after the iteration.
     */
    private void rollover() {
        if (current != null) {
            long t = System.nanoTime();
            current.close();
            rolloverNanos += System.nanoTime() - t;
            retiredDirs.add(currentDir);
        }
        if (feed != null) {
            feed.close();
            retiredFeedCpu += feed.cpuNanos();
        }
        pass++;
        cursor = 0;
        outcomes = 0;
        currentDir = root.resolve("pass-" + pass);
        long t = System.nanoTime();
        current = Stores.open(store, currentDir);
        rolloverNanos += System.nanoTime() - t;
        clock = new SettableClock(FlashSale.T0);
        engine = new ReconciliationEngine(FlashSale.config(), current, clock);
        feed = new Feed(sale.batches(), engine);
    }

    /** A batch and its facts prepared for the engine. */
    private record Ready(FlashSale.Batch batch, ReconciliationEngine.Prepared prepared) {
        int size() {
            return batch.facts().size();
        }

        java.time.Instant now() {
            return batch.now();
        }

        java.time.Instant ordersWatermark() {
            return batch.ordersWatermark();
        }

        java.time.Instant inventoryWatermark() {
            return batch.inventoryWatermark();
        }
    }

    /**
     * Builds the sale's batches on a second thread, a few ahead of the engine, and prepares them
     * ({@link ReconciliationEngine#prepare}: routing, canonical images), as a source's thread builds facts from
     * binlog events and prepares them while the engine applies the previous batch (see Pipeline). Its CPU time
     * competes with the engine and RocksDB's background work for the two cores, as a source's would.
     */
    private static final class Feed implements AutoCloseable {
        private final ArrayBlockingQueue<Ready> queue = new ArrayBlockingQueue<>(4);
        private final Thread thread;
        private volatile long finalCpu;

        Feed(Iterator<FlashSale.Batch> batches, ReconciliationEngine engine) {
            thread = new Thread(() -> {
                try {
                    while (batches.hasNext()) {
                        FlashSale.Batch b = batches.next();
                        queue.put(new Ready(b, engine.prepare(b.facts())));
                        finalCpu = THREADS.getCurrentThreadCpuTime();
                    }
                } catch (InterruptedException e) {
                    // closed
                }
            }, "sale-feed");
            thread.setDaemon(true);
            thread.start();
        }

        /** CPU time of the feed thread so far (as it ended, once it has). */
        long cpuNanos() {
            long live = THREADS.getThreadCpuTime(thread.getId());
            return live >= 0 ? Math.max(live, finalCpu) : finalCpu;
        }

        Ready take() {
            try {
                return queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the next batch", e);
            }
        }

        @Override
        public void close() {
            thread.interrupt();
            try {
                thread.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
