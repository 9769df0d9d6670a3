package dev.reconciler.app.source;

import dev.reconciler.app.TempDirs;
import dev.reconciler.app.verify.FindingSink;
import dev.reconciler.app.verify.VerifySummary;
import dev.reconciler.app.verify.WindowVerifier;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;


/**
 * <b>Question:</b> what does {@code reconciler verify} cost over a window of {@code --pairs} matched pairs: wall
 * time, CPU (ours and the database servers'), rows read per second, peak heap? A bench command, not a test: it
 * prints figures and asserts nothing about speed. See docs/benchmarks.md ("Verifying a window").
 *
 * <p>Two private MariaDB servers (scripts/local-mariadb.sh) with the end-to-end schema plus an index on
 * {@code gmt_modified} (what verify pages by). {@code --pairs} orders over four shards and their deductions are
 * inserted; the reconciler (Debezium + engine on RocksDB) reads them all; then {@code --faults} orders and as many
 * deductions are written with {@code sql_log_bin=0}; the reconciler is stopped, and the window is verified the way
 * {@code reconciler verify} does it (same classes, state opened directly), with {@code --rows-per-second}
 * (default 0: no throttle) and {@code --page-rows}.
 *
 * <pre>
 * scripts/bench-verify.sh [--pairs 1000000] [--faults 100] [--page-rows 2000] [--rows-per-second 0]
 * </pre>
 */
public final class VerifyBenchmark {
    private static final String ORDER_INSERT = "INSERT INTO orders.trade_order_stream_%04d (order_id, goods_id,"
            + " goods_type, item_count, item_price, order_state, stream_type, stream_identifier) VALUES ";
    private static final String DEDUCTION_INSERT = "INSERT INTO inventory.collection_inventory_stream (collection_id,"
            + " changed_quantity, price, stream_type, identifier) VALUES ";
    private static final java.util.logging.Logger BINLOG_CLIENT = java.util.logging.Logger.getLogger("com.github.shyiko");

    private VerifyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int pairs = 1_000_000;
        int faults = 100;
        int pageRows = WindowVerifier.Options.DEFAULT_PAGE_ROWS;
        long rowsPerSecond = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pairs" -> pairs = Integer.parseInt(args[++i].replace("_", ""));
                case "--faults" -> faults = Integer.parseInt(args[++i].replace("_", ""));
                case "--page-rows" -> pageRows = Integer.parseInt(args[++i].replace("_", ""));
                case "--rows-per-second" -> rowsPerSecond = Long.parseLong(args[++i].replace("_", ""));
                default -> {
                    System.err.println("usage: VerifyBenchmark [--pairs N] [--faults N] [--page-rows N] [--rows-per-second N]");
                    System.exit(2);
                }
            }
        }
        BINLOG_CLIENT.setLevel(java.util.logging.Level.WARNING);
        Path state = Files.createTempDirectory("reconciler-verify-bench-");
        try (LocalMariaDb orders = LocalMariaDb.start(71); LocalMariaDb inventory = LocalMariaDb.start(72)) {
            EndToEndScenarios.createSchemas(orders, inventory);
            for (int s = 0; s < 4; s++) {
                orders.execute(String.format("ALTER TABLE orders.trade_order_stream_%04d ADD INDEX idx_gmt_modified"
                        + " (gmt_modified)", s));
            }
            inventory.execute("ALTER TABLE inventory.collection_inventory_stream ADD INDEX idx_gmt_modified (gmt_modified)");
            System.out.printf("%d cores, Java %s, max heap %d MiB; pairs %,d, faults %,d per side, page %,d rows,"
                            + " throttle %s%n", Runtime.getRuntime().availableProcessors(),
                    System.getProperty("java.version"), Runtime.getRuntime().maxMemory() >> 20, pairs, faults,
                    pageRows, rowsPerSecond == 0 ? "none" : rowsPerSecond + " rows/s");
            EngineConfig config = new EngineConfig(
                    List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                    List.of(ArticleRules.sale(Duration.ofSeconds(2), Multiplicity.ONE_TO_ONE),
                            ArticleRules.cancel(Duration.ofSeconds(2))),
                    Duration.ofSeconds(1), Duration.ofMinutes(30), Duration.ofDays(7));
            SourceConfig orderSource = EndToEndScenarios.source("orders", orders, "orders",
                    "orders\\.trade_order_stream_\\d{4}", 5471);
            SourceConfig inventorySource = EndToEndScenarios.source("inventory", inventory, "inventory",
                    "inventory\\.collection_inventory_stream", 5472);

            Instant since = Instant.now().minusSeconds(1);
            long t = System.nanoTime();
            burst(orders, inventory, "P", pairs, 1000, false);
            System.out.printf("generate: %,d pairs inserted in %.1f s%n", pairs, (System.nanoTime() - t) / 1e9);

            t = System.nanoTime();
            final int expected = pairs;
            try (EndToEndScenarios.Session s = new EndToEndScenarios.Session(config, state, o -> { }, orderSource,
                    inventorySource)) {
                waitUntil(Duration.ofMinutes(30), () -> {
                    var n = s.pipeline.snapshot().rules().get("sale");
                    return n.facts().get(Side.LEFT) >= expected && n.facts().get(Side.RIGHT) >= expected;
                });
                System.out.printf("reconcile: the reconciler read and matched them in %.1f s%n",
                        (System.nanoTime() - t) / 1e9);
                burst(orders, inventory, "U", faults, 1000, true);   // behind the binlog's back
                Instant written = Instant.now();
                waitUntil(Duration.ofMinutes(5), () -> {
                    Instant u = s.pipeline.snapshot().rules().get("sale").reconciledUntil();
                    return u != null && u.isAfter(written);
                });
            }

            long[] dbCpuBefore = {cpuTicks(orders), cpuTicks(inventory)};
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                    .filter(p -> p.getType() == MemoryType.HEAP).toList();
            System.gc();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            long heapBefore = used(heap);
            long cpuBefore = os.getProcessCpuTime();
            long start = System.nanoTime();
            VerifySummary summary;
            try (RocksDbStateStore store = RocksDbStateStore.open(state.resolve("rocksdb"),
                    RocksDbStateStore.Options.defaults())) {
                ReconciliationEngine engine = new ReconciliationEngine(config, store, Clock.systemUTC());
                WindowVerifier verifier = new WindowVerifier(config, List.of(orderSource, inventorySource), store,
                        FindingSink.direct(engine), new WindowVerifier.Options(pageRows, rowsPerSecond,
                        Duration.ofSeconds(30)));
                summary = verifier.verify("sale", since, Instant.now(), engine.reconciledUntil("sale").orElse(null));
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpuBefore) / 1e9;
            long peak = heap.stream().mapToLong(p -> p.getPeakUsage().getUsed()).sum();
            double hz = 100.0;   // USER_HZ
            double dbCpu = (cpuTicks(orders) - dbCpuBefore[0] + cpuTicks(inventory) - dbCpuBefore[1]) / hz;
            long read = summary.rowsRead().values().stream().mapToLong(Long::longValue).sum() + summary.counterpartReads();
            System.out.print(summary.text());
            System.out.printf("verify: %.1f s wall, %.1f s CPU in the verifier's JVM, %.1f s CPU in the two MariaDB"
                            + " servers; %,d rows read (%,.0f rows/s), %,.0f pairs/s; heap %d MiB before, peak sum of"
                            + " pools %d MiB%n", wall, cpu, dbCpu, read, read / wall, pairs / wall, heapBefore >> 20,
                    peak >> 20);
            System.out.printf("findings: %s (expected %,d UNOBSERVED_LEFT and %,d UNOBSERVED_RIGHT)%n",
                    summary.findings(), faults, faults);
        } finally {
            TempDirs.delete(state);
        }
    }

    /** Polls every 500 ms (a bench command: awaitility is a test-only dependency). */
    private static void waitUntil(Duration atMost, java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + atMost.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("not done within " + atMost);
            Thread.sleep(500);
        }
    }

    private static long used(List<MemoryPoolMXBean> pools) {
        return pools.stream().mapToLong(p -> p.getUsage().getUsed()).sum();
    }

    /** utime + stime of the server process, in clock ticks (Linux /proc). */
    private static long cpuTicks(LocalMariaDb db) throws Exception {
        long pid = Long.parseLong(Files.readString(db.dir.resolve("mysqld.pid")).trim());
        String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** {@code n} orders over four shards and their deductions, two threads, INSERTs of {@code batch} rows. */
    private static void burst(TestDatabase orders, TestDatabase inventory, String prefix, int n, int batch,
                              boolean unlogged) throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<?> o = threads.submit(() -> {
                try (Connection c = orders.connect(); Statement s = c.createStatement()) {
                    if (unlogged) s.execute("SET SESSION sql_log_bin = 0");
                    for (int from = 0, k = 0; from < n; from += batch, k++) {
                        StringBuilder b = new StringBuilder(String.format(ORDER_INSERT, k % 4));
                        for (int i = from; i < Math.min(n, from + batch); i++) {
                            if (i > from) b.append(", ");
                            b.append("('").append(prefix).append(i).append("', '").append(i % 1000)
                                    .append("', 'COLLECTION', 1, 9.900000, 'CONFIRM', 'CREATE_AND_CONFIRM', 'req-")
                                    .append(prefix).append(i).append("')");
                        }
                        s.executeUpdate(b.toString());
                    }
                }
                return null;
            });
            Future<?> d = threads.submit(() -> {
                try (Connection c = inventory.connect(); Statement s = c.createStatement()) {
                    if (unlogged) s.execute("SET SESSION sql_log_bin = 0");
                    for (int from = 0; from < n; from += batch) {
                        StringBuilder b = new StringBuilder(DEDUCTION_INSERT);
                        for (int i = from; i < Math.min(n, from + batch); i++) {
                            if (i > from) b.append(", ");
                            // the faults' deductions are for other orders than the faults' orders
                            b.append('(').append(i % 1000).append(", 1, 9.900000, 'TRY_SALE', '").append(prefix)
                                    .append(unlogged ? "D" : "").append(i).append("')");
                        }
                        s.executeUpdate(b.toString());
                    }
                }
                return null;
            });
            o.get();
            d.get();
        } finally {
            threads.shutdown();
        }
    }
}
