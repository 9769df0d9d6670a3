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
import java.util.Locale;
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
 * are merged as two live binlog readers hand them over (inventory 5 ms behind) and precomputed in batches of
 * {@value #BATCH} in {@code @Setup(Level.Trial)}, so generating them is not measured. Rules: the shipped preset.
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
 * <p>{@code row=full} gives rows every column of DOMAIN.md's flow tables (27 for orders, 15 for inventory), which is
 * what a CDC source delivers; {@code row=fixture} gives only the columns of the test fixture, to show what reading
 * wide rows costs.
 *
 * <p><b>Run</b> (see docs/benchmarks.md):
 * <pre>
 * mvn -pl reconciler-benchmarks -am package -DskipTests
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.applyBatch \
 *     -f 1 -wi 2 -i 5 -w 5s -r 5s
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.wholeSale -f 1 -wi 1 -i 3
 * java -jar reconciler-benchmarks/target/benchmarks.jar EngineThroughputBenchmark.applyBatch -p store=rocksdb -prof gc
 * </pre>
 * The fork gets a fixed 14 GB heap: the precomputed sale takes about 3 GB, and the in-memory baseline keeps up to a
 * million pairs on the heap; a smaller heap measures the garbage collector more than the engine.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xms14g", "-Xmx14g", "-XX:+UseG1GC"})
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

    private FlashSale.Batch[] batches;
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

    @Setup(Level.Trial)
    public void generate() {
        long t = System.nanoTime();
        FlashSale.Stream stream = FlashSale.generate(
                FlashSale.Options.of(ORDERS, BATCH, FlashSale.Columns.valueOf(row.toUpperCase(Locale.ROOT))));
        batches = stream.batches().toArray(new FlashSale.Batch[0]);
        if (stream.facts() != SALE_FACTS) {
            throw new IllegalStateException("the sale has " + stream.facts() + " facts, SALE_FACTS says " + SALE_FACTS
                    + ": update SALE_FACTS after changing the generator");
        }
        root = Stores.tempDir("reconciler-bench-");
        // A fact's column map caches its entry-set view on first iteration. Left to the measurement, every old
        // fact would get a young view written into it: a dirty card per fact, and young collections scanning them
        // take hundreds of ms. A live source's facts are young and short-lived, so that cost is an artifact.
        for (FlashSale.Batch b : batches) {
            for (var f : b.facts()) {
                f.columns().entrySet().iterator();
                if (f.before() != null) f.before().entrySet().iterator();
            }
        }
        // Move the 3 GB of precomputed facts to the old generation now: left young, they would be copied from
        // survivor space to survivor space by the first collections of the measurement.
        System.gc();
        System.out.printf("%n[setup] %,d facts in %,d batches (faults %s, noise %,d) ready in %.1f s%n",
                stream.facts(), batches.length, stream.faults(), stream.noise(), (System.nanoTime() - t) / 1e9);
        rollover();
    }

    /** {@link #wholeSale} starts every iteration with an empty store; {@link #applyBatch} goes on where it was. */
    @Setup(Level.Iteration)
    public void startIteration(BenchmarkParams params) {
        if (params.getBenchmark().endsWith(".wholeSale") && cursor > 0) rollover();
    }

    /** Reports how far the iteration got; deletes the directories of passes that ended in it. */
    @TearDown(Level.Iteration)
    public void endIteration() {
        System.out.printf("[pass %d at batch %,d/%,d, %,d outcomes in this pass, store open/close %.0f ms]",
                pass, cursor, batches.length, outcomes, rolloverNanos / 1e6);
        rolloverNanos = 0;
        deleteRetired();
    }

    @TearDown(Level.Trial)
    public void close() {
        current.close();
        deleteRetired();
        Stores.delete(root);
    }

    /** One batch of the sale, then both watermarks: facts/s with the sale's mix of empty and filling state. */
    @Benchmark
    @OperationsPerInvocation(BATCH)
    public long applyBatch() {
        if (cursor == batches.length) rollover();
        return step(batches[cursor++]);
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
    @Warmup(iterations = 1)
    @Measurement(iterations = 3)
    public long wholeSale() {
        long n = 0;
        while (cursor < batches.length) n += step(batches[cursor++]);
        return n;
    }

    private long step(FlashSale.Batch b) {
        clock.set(b.now());
        long n = engine.apply(b.facts()).size();
        if (b.ordersWatermark() != null) n += engine.advanceWatermark(FlashSale.ORDERS, b.ordersWatermark()).size();
        if (b.inventoryWatermark() != null) {
            n += engine.advanceWatermark(FlashSale.INVENTORY, b.inventoryWatermark()).size();
        }
        outcomes += n;
        return n;
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
        pass++;
        cursor = 0;
        outcomes = 0;
        currentDir = root.resolve("pass-" + pass);
        long t = System.nanoTime();
        current = Stores.open(store, currentDir);
        rolloverNanos += System.nanoTime() - t;
        clock = new SettableClock(FlashSale.T0);
        engine = new ReconciliationEngine(FlashSale.config(), current, clock);
    }
}
