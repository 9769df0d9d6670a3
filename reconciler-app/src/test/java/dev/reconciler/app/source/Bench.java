package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.reconciler.app.TempDirs;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The end-to-end benchmark behind {@code scripts/bench.sh} (issue 13): in one run on one machine, side by side on the
 * same flash-sale binlog, the databases alone, bare embedded Debezium (stock, and with the product's shadowed
 * Debezium classes) and the reconciler, then the article's SQL over the same number of pairs. A bench command, not a
 * test: it prints one table, writes the raw figures as JSON and its section of docs/benchmarks.md, asserts nothing.
 *
 * <p>History: four order shards and the inventory flow; per 1,000 orders one order without deduction (sale
 * {@code MISSING_RIGHT}), one deduction of 2 for 1 ordered ({@code QUANTITY_MISMATCH}) and one deduction without
 * order ({@code MISSING_LEFT}); the rest match. Rows go in as multi-row INSERTs from two clients, one per database.
 *
 * <p>Phases: (1) a reconciler is started on the empty databases, reads a warm-up and stops; its state (RocksDB and
 * Debezium offsets) is kept. (2) <b>databases alone</b>: the backlog is committed with nothing reading. (3)
 * <b>catch-up</b>, {@code --passes} rounds of bare stock, bare same-build and the reconciler, each from a copy of
 * the kept state (the same stored offsets, the same binlog), in one JVM. The last reconciler stays up for (4)
 * <b>steady</b>: {@code --rate} pairs/s for {@code --seconds}, commit-to-decision latency; and (5) <b>live</b>: a burst
 * at the databases' full rate while it streams; the bare engines then each take a burst of their own the same way.
 * (6) <b>SQL</b>: the article's SQL1, SQL2 and a cancel-rule equivalent over generated tables in one instance.
 */
public final class Bench {
    private static final String ORDER_INSERT = "INSERT INTO %s.trade_order_stream_%04d (order_id, goods_id,"
            + " goods_type, item_count, item_price, order_state, stream_type, stream_identifier) VALUES ";
    private static final String DEDUCTION_INSERT = "INSERT INTO %s.collection_inventory_stream (collection_id,"
            + " changed_quantity, price, stream_type, identifier) VALUES ";
    private static final Duration GRACE = Duration.ofSeconds(5);
    private static final java.util.logging.Logger BINLOG_CLIENT = java.util.logging.Logger.getLogger("com.github.shyiko");
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Options o;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<String[]> rows = new ArrayList<>();
    /** One class loader per bare variant for the whole run, so that its JIT warms up over the passes as the app's does. */
    private final Map<Boolean, URLClassLoader> loaders = new LinkedHashMap<>();

    record Options(int backlog, int live, int passes, int rate, int seconds, List<Integer> sqlPairs, Set<String> parts,
                   int batch, Path json, Path docs, String command, int pending, Duration clockSkew,
                   Duration heartbeat, Map<String, String> debezium) {
        static Options parse(String[] args) {
            boolean quick = Arrays.asList(args).contains("--quick");
            int backlog = quick ? 50_000 : 500_000;
            int live = quick ? 50_000 : 100_000;
            int passes = quick ? 2 : 3;
            int rate = 5_000;
            int seconds = quick ? 10 : 30;
            List<Integer> sql = quick ? List.of(100_000) : List.of(100_000, 1_000_000);
            Set<String> parts = new LinkedHashSet<>(quick ? List.of("bare", "reconciler", "sql")
                    : List.of("bare", "reconciler", "sql", "heap", "engine"));
            int pending = 5_000_000;
            int batch = 1_000;
            Path json = Path.of("target/bench/latest.json");
            Path docs = Path.of("docs/benchmarks.md");
            String command = "Bench " + String.join(" ", args);
            // The engine's clock skew and the sources' heartbeat interval: both are terms of commit → discrepancy
            // (docs/benchmarks.md, "When a discrepancy is decided"); 1 s and 500 ms are what every earlier run used.
            Duration clockSkew = Duration.ofSeconds(1);
            Duration heartbeat = Duration.ofMillis(500);
            Map<String, String> debezium = new TreeMap<>();
            for (int i = 0; i < args.length; i++) {
                switch (args[i]) {
                    case "--quick" -> { }
                    case "--backlog" -> backlog = number(args[++i]);
                    case "--live" -> live = number(args[++i]);
                    case "--passes" -> passes = number(args[++i]);
                    case "--rate" -> rate = number(args[++i]);
                    case "--seconds" -> seconds = number(args[++i]);
                    case "--batch" -> batch = number(args[++i]);
                    case "--sql-pairs" -> sql = Stream.of(args[++i].split(",")).filter(s -> !s.isBlank())
                            .map(Options::number).toList();
                    case "--pending" -> pending = number(args[++i]);
                    case "--parts" -> parts = new LinkedHashSet<>(List.of(args[++i].split(",")));
                    case "--json" -> json = Path.of(args[++i]);
                    case "--docs" -> docs = args[++i].equals("none") ? null : Path.of(args[i]);
                    case "--command" -> command = args[++i];
                    case "--clock-skew" -> clockSkew = dev.reconciler.app.config.Durations.parse(args[++i]);
                    case "--heartbeat" -> heartbeat = dev.reconciler.app.config.Durations.parse(args[++i]);
                    case "--debezium" -> {
                        for (String kv : args[++i].split(",")) {
                            int eq = kv.indexOf('=');
                            if (eq <= 0) throw new IllegalArgumentException("--debezium takes key=value[,key=value]");
                            debezium.put(kv.substring(0, eq).trim(), kv.substring(eq + 1).trim());
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown option " + args[i] + "; see scripts/bench.sh --help");
                }
            }
            return new Options(backlog, live, passes, rate, seconds, sql, parts, batch, json, docs, command, pending,
                    clockSkew, heartbeat, Map.copyOf(debezium));
        }

        private static int number(String s) {
            String t = s.replace("_", "").toLowerCase(Locale.ROOT);
            if (t.endsWith("k")) return Integer.parseInt(t.substring(0, t.length() - 1)) * 1_000;
            if (t.endsWith("m")) return Integer.parseInt(t.substring(0, t.length() - 1)) * 1_000_000;
            return Integer.parseInt(t);
        }
    }

    private Bench(Options o) {
        this.o = o;
    }

    public static void main(String[] args) throws Exception {
        Options o = Options.parse(args);
        BINLOG_CLIENT.setLevel(java.util.logging.Level.WARNING);
        new Bench(o).run();
        System.exit(0); // Debezium's and the JDBC driver's stray non-daemon threads must not keep the bench alive
    }

    // ---------------------------------------------------------------------------------------------------------------

    private void run() throws Exception {
        Instant startedAt = Instant.now();
        Path work = Files.createTempDirectory("reconciler-bench-");
        Map<String, Object> machine = machine();
        json.put("startedAt", startedAt.toString());
        json.put("command", o.command);
        Map<String, Object> options = new LinkedHashMap<>();
        options.put("backlogPairs", o.backlog);
        options.put("livePairs", o.live);
        options.put("passes", o.passes);
        options.put("steadyPairsPerSecond", o.rate);
        options.put("steadySeconds", o.seconds);
        options.put("sqlPairs", o.sqlPairs);
        options.put("parts", o.parts);
        options.put("pendingPairs", o.pending);
        options.put("clockSkewMs", o.clockSkew.toMillis());
        options.put("heartbeatMs", o.heartbeat.toMillis());
        options.put("debezium", o.debezium);
        json.put("options", options);
        json.put("machine", machine);
        System.out.printf("bench: %s%n  machine %s%n", o.command, machine);
        try (LocalMariaDb orders = LocalMariaDb.start(71); LocalMariaDb inventory = LocalMariaDb.start(72)) {
            EndToEndScenarios.createSchemas(orders, inventory);
            machine.put("mariadb", version(orders));
            EngineConfig config = new EngineConfig(
                    List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                    List.of(ArticleRules.sale(GRACE, Multiplicity.ONE_TO_ONE), ArticleRules.cancel(GRACE)),
                    o.clockSkew, Duration.ofMinutes(10), Duration.ofDays(7));
            SourceConfig orderSource = tuned(EndToEndScenarios.source("orders", orders, "orders",
                    "orders\\.trade_order_stream_\\d{4}", 5471));
            SourceConfig inventorySource = tuned(EndToEndScenarios.source("inventory", inventory, "inventory",
                    "inventory\\.collection_inventory_stream", 5472));
            Outcomes outcomes = new Outcomes();
            Traffic traffic = new Traffic(orders, inventory, o.batch);

            // (1) the kept state: a reconciler that read a warm-up and stopped
            Path kept = work.resolve("kept");
            Properties[] props;
            try (EndToEndScenarios.Session s = new EndToEndScenarios.Session(config, kept, outcomes, orderSource,
                    inventorySource)) {
                Burst w = traffic.burst("W", 10_000);
                outcomes.awaitMatched("W", w.matched, Duration.ofMinutes(5));
                props = new Properties[]{s.orderSource.properties(), s.inventorySource.properties()};
            }

            // (2) the databases alone: the backlog, nothing reading
            Burst backlog = traffic.burst("C", o.backlog);
            double dbRate = backlog.rows() / backlog.seconds();
            System.out.printf("  databases alone: %,d rows in %.1f s%n", backlog.rows(), backlog.seconds());
            json.put("databases", Map.of("rowsPerSecond", dbRate, "rows", backlog.rows(), "seconds", backlog.seconds()));
            row("databases alone: commit rate, both instances", fmt(dbRate) + " rows/s", "—",
                    fmt(backlog.rows()) + " rows in " + sec(backlog.seconds()), "");

            // (3) catch-up, alternating
            List<Map<String, Object>> catchUp = new ArrayList<>();
            EndToEndScenarios.Session last = null;
            Path lastDir = null;
            for (int pass = 1; pass <= o.passes; pass++) {
                // The previous pass's reconciler stops first: nothing else runs beside a measured run, and Debezium's
                // JMX names (per source name) must be free for the bare engines.
                if (last != null) {
                    last.close();
                    TempDirs.delete(lastDir);
                    last = null;
                }
                if (o.parts.contains("bare")) {
                    for (boolean sameBuild : new boolean[]{false, true}) {
                        Path dir = copy(kept, work.resolve("bare-" + pass + (sameBuild ? "-same" : "-stock")));
                        Run r = bareCatchUp(sameBuild, props, dir, backlog);
                        catchUp.add(r.json(pass));
                        System.out.println("  catch-up pass " + pass + ": " + r);
                        TempDirs.delete(dir);
                    }
                }
                if (o.parts.contains("reconciler")) {
                    lastDir = copy(kept, work.resolve("reconciler-" + pass));
                    outcomes.forget("C");
                    Cpu before = Cpu.now();
                    long start = System.nanoTime();
                    last = new EndToEndScenarios.Session(config, lastDir, outcomes, orderSource, inventorySource);
                    // matches first (a cheap counter), then the sources' status (the faults' rows): polling status
                    // often would be CPU charged to the reconciler
                    long done = outcomes.awaitMatched("C", backlog.matched, Duration.ofMinutes(10));
                    done = Math.max(done, awaitEvents(last, backlog, start));
                    Run r = new Run("reconciler", backlog.events(), (done - start) / 1e9, Cpu.now().minus(before));
                    catchUp.add(r.json(pass));
                    System.out.println("  catch-up pass " + pass + ": " + r);
                }
            }
            json.put("catchUp", catchUp);
            summariseCatchUp(catchUp);

            if (last != null) {
                // (4) steady rate: commit-to-decision latency
                steady(traffic, outcomes);
                // (5) live burst while the reconciler streams
                Map<String, Object> live = new LinkedHashMap<>();
                json.put("live", live);
                Cpu before = Cpu.now();
                long start = System.nanoTime();
                long[] base = {events(last.orderSource), events(last.inventorySource)};
                Burst b = traffic.burst("L", o.live);
                long done = Math.max(outcomes.awaitMatched("L", b.matched, Duration.ofMinutes(10)), awaitEvents(last, b, start, base));
                live.put("reconciler", liveJson(b, start, done, Cpu.now().minus(before)));
                System.out.println("  live, reconciler: " + live.get("reconciler"));
                // found vs injected, once every fault is past its grace
                Thread.sleep(GRACE.toMillis() + 3_000);
                resources(last, lastDir, outcomes, traffic);
                last.close();
                TempDirs.delete(lastDir);
                last = null;
                if (o.parts.contains("bare")) {
                    for (boolean sameBuild : new boolean[]{false, true}) {
                        Path dir = work.resolve("bare-live-" + (sameBuild ? "same" : "stock"));
                        live.put(sameBuild ? "bareSameBuild" : "bareStock", bareLive(sameBuild, props, dir, traffic,
                                orders, inventory, orderSource, inventorySource));
                        TempDirs.delete(dir);
                        System.out.println("  live, bare " + (sameBuild ? "same build: " : "stock: ")
                                + live.get(sameBuild ? "bareSameBuild" : "bareStock"));
                    }
                }
                summariseLive(live);
            }

            // (6) the article's SQL on one instance
            if (o.parts.contains("sql")) {
                try {
                    sql(orders, catchUp);
                } catch (SQLException e) {
                    // one part's failure must not lose the others' figures
                    row("the article's SQL", "failed", "—", e.getMessage().replace('|', '/'), "");
                    json.put("sqlError", e.getMessage());
                }
            }
        } finally {
            for (URLClassLoader l : loaders.values()) l.close();
            TempDirs.delete(work);
        }
        if (o.parts.contains("heap")) pendingHeap();
        if (o.parts.contains("engine")) engineJmh();
        json.put("finishedAt", Instant.now().toString());
        json.put("loadAverageAtEnd", loadAverage());
        print();
        write(machine);
    }

    /** The scenario's source with the run's heartbeat interval and connector properties ({@code --debezium}). */
    private SourceConfig tuned(SourceConfig s) {
        return new SourceConfig(s.name(), s.flavour(), s.host(), s.port(), s.user(), s.password(), s.databases(),
                s.tables(), s.serverId(), s.snapshot(), s.heartbeatTable(), o.heartbeat, s.snapshotLookback(),
                s.snapshotLookbackColumn(), s.autoResync(), s.tls(), o.debezium);
    }

    // --------------------------------------------------------------------------------------------- bare Debezium

    private URLClassLoader loader(boolean sameBuild) throws IOException {
        URLClassLoader l = loaders.get(sameBuild);
        if (l == null) loaders.put(sameBuild, l = newLoader(sameBuild));
        return l;
    }

    /** A class loader with the Debezium jars and the bench, and with the app's classes in front when sameBuild. */
    private static URLClassLoader newLoader(boolean sameBuild) throws IOException {
        List<URL> urls = new ArrayList<>();
        if (sameBuild) urls.add(DebeziumSource.class.getProtectionDomain().getCodeSource().getLocation());
        urls.add(Bench.class.getProtectionDomain().getCodeSource().getLocation());
        Path lib = Path.of(io.debezium.engine.DebeziumEngine.class.getProtectionDomain().getCodeSource().getLocation()
                .getPath()).getParent();
        try (Stream<Path> jars = Files.list(lib)) {
            for (Path j : jars.filter(p -> p.toString().endsWith(".jar")).sorted().toList()) urls.add(j.toUri().toURL());
        }
        return new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader());
    }

    @SuppressWarnings("unchecked")
    private static Supplier<long[]> openBare(URLClassLoader loader, Properties p, String heartbeatTable) throws Exception {
        Class<?> c = Class.forName("dev.reconciler.app.bench.BareDebezium", true, loader);
        ClassLoader previous = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(loader);
        try {
            return (Supplier<long[]>) c.getMethod("open", Properties.class, String.class)
                    .invoke(null, p, "." + heartbeatTable.substring(heartbeatTable.indexOf('.') + 1));
        } finally {
            Thread.currentThread().setContextClassLoader(previous);
        }
    }

    private static Properties relocate(Properties p, Path dir, String source) {
        Properties q = (Properties) p.clone();
        Path d = dir.resolve("sources").resolve(source);
        q.setProperty("offset.storage.file.filename", d.resolve("offsets.dat").toString());
        q.setProperty("schema.history.internal.file.filename", d.resolve("schema-history.dat").toString());
        return q;
    }

    private Run bareCatchUp(boolean sameBuild, Properties[] props, Path dir, Burst backlog) throws Exception {
        {
            URLClassLoader loader = loader(sameBuild);
            Cpu before = Cpu.now();
            long start = System.nanoTime();
            Supplier<long[]> a = openBare(loader, relocate(props[0], dir, "orders"), "orders.reconciler_heartbeat");
            Supplier<long[]> b = openBare(loader, relocate(props[1], dir, "inventory"), "inventory.reconciler_heartbeat");
            try {
                long done = awaitBare(a, b, backlog.orderRows, backlog.inventoryRows, new long[]{0, 0});
                return new Run(sameBuild ? "bare, same build" : "bare, stock", backlog.events(), (done - start) / 1e9,
                        Cpu.now().minus(before));
            } finally {
                ((AutoCloseable) a).close();
                ((AutoCloseable) b).close();
            }
        }
    }

    private Map<String, Object> bareLive(boolean sameBuild, Properties[] props, Path dir, Traffic traffic,
                                         TestDatabase orders, TestDatabase inventory, SourceConfig os,
                                         SourceConfig is) throws Exception {
        {
            URLClassLoader loader = loader(sameBuild);
            Properties[] fresh = {relocate(props[0], dir, "orders"), relocate(props[1], dir, "inventory")};
            for (Properties p : fresh) p.setProperty("snapshot.mode", "no_data");
            Supplier<long[]> a = openBare(loader, fresh[0], os.heartbeatTable());
            Supplier<long[]> b = openBare(loader, fresh[1], is.heartbeatTable());
            try {
                // streaming once each has seen a heartbeat row committed after it started
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                while (a.get()[1] == 0 || b.get()[1] == 0) {
                    if (System.nanoTime() > deadline) throw new IllegalStateException("bare Debezium did not start streaming");
                    beat(orders, os.heartbeatTable());
                    beat(inventory, is.heartbeatTable());
                    Thread.sleep(200);
                }
                long[] base = {a.get()[0], b.get()[0]};
                Cpu before = Cpu.now();
                long start = System.nanoTime();
                Burst burst = traffic.burst(sameBuild ? "M" : "N", o.live);
                long done = awaitBare(a, b, burst.orderRows, burst.inventoryRows, base);
                return liveJson(burst, start, done, Cpu.now().minus(before));
            } finally {
                ((AutoCloseable) a).close();
                ((AutoCloseable) b).close();
            }
        }
    }

    private static void beat(TestDatabase db, String table) throws SQLException {
        db.execute("INSERT INTO " + table + " (id, beat) VALUES (1, NOW(3)) ON DUPLICATE KEY UPDATE beat = NOW(3)");
    }

    private static long awaitBare(Supplier<long[]> a, Supplier<long[]> b, long orderRows, long inventoryRows, long[] base)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        while (true) {
            long[] x = a.get();
            long[] y = b.get();
            if (x[3] != 0 || y[3] != 0) throw new IllegalStateException("bare Debezium failed");
            if (x[0] - base[0] >= orderRows && y[0] - base[1] >= inventoryRows) return Math.max(x[2], y[2]);
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("bare Debezium delivered " + (x[0] - base[0]) + "/" + orderRows + " and "
                        + (y[0] - base[1]) + "/" + inventoryRows + " in 10 min");
            }
            Thread.sleep(2);
        }
    }

    // ------------------------------------------------------------------------------------------------ reconciler

    private static long awaitEvents(EndToEndScenarios.Session s, Burst b, long start) throws InterruptedException {
        return awaitEvents(s, b, start, new long[]{0, 0});
    }

    private static long awaitEvents(EndToEndScenarios.Session s, Burst b, long start, long[] base) throws InterruptedException {
        long deadline = start + TimeUnit.MINUTES.toNanos(10);
        while (events(s.orderSource) - base[0] < b.orderRows || events(s.inventorySource) - base[1] < b.inventoryRows) {
            if (System.nanoTime() > deadline) throw new IllegalStateException("the reconciler did not read the burst in 10 min");
            Thread.sleep(10);
        }
        return System.nanoTime();
    }

    private static long events(DebeziumSource source) {
        return source.status().eventsByTable().values().stream().mapToLong(Long::longValue).sum();
    }

    private void steady(Traffic traffic, Outcomes outcomes) throws Exception {
        int perTick = Math.max(1, o.rate / 100);
        int ticks = o.seconds * 100;
        long[] committed = new long[ticks];
        long start = System.nanoTime();
        long behind = 0;
        Burst total = new Burst();
        for (int k = 0; k < ticks; k++) {
            long wait = start + k * 10_000_000L - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            else behind = Math.max(behind, -wait);
            Burst t = traffic.insertTick("S" + k + "_", perTick, k);
            total.add(t);
            committed[k] = System.nanoTime();
        }
        double offered = (double) ticks * perTick / ((System.nanoTime() - start) / 1e9);
        traffic.closeTicks();
        outcomes.awaitMatched("S", total.matched, Duration.ofMinutes(5));
        Thread.sleep(GRACE.toMillis() + 3_000);
        List<Double> match = new ArrayList<>();
        List<Double> late = new ArrayList<>();
        for (int k = 0; k < ticks; k++) {
            for (int j = 0; j < perTick; j++) {
                String id = "S" + k + "_" + j;
                Long m = outcomes.matched.get(id);
                if (m != null) match.add((m - committed[k]) / 1e6);
                Long d = outcomes.opened.get(id);
                if (d != null) {
                    // a missing side is due at grace; a wrong quantity as soon as both rows are in
                    boolean missing = Traffic.fault(j, k) == Fault.MISSING_RIGHT || Traffic.fault(j, k) == Fault.MISSING_LEFT;
                    late.add((d - committed[k]) / 1e6 - (missing ? GRACE.toMillis() : 0));
                }
            }
        }
        double[] m = match.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double[] d = late.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("offeredPairsPerSecond", offered);
        j.put("behindScheduleMsMax", behind / 1e6);
        j.put("matchLatencyMs", percentiles(m));
        j.put("discrepancyAfterGraceMs", percentiles(d));
        json.put("steady", j);
        System.out.println("  steady: " + j);
        row("commit → match at " + fmt(o.rate) + " pairs/s, p50 / p99 / max", ms(m, 50) + " / " + ms(m, 99) + " / "
                        + (m.length == 0 ? "—" : String.format(Locale.ROOT, "%.0f ms", m[m.length - 1])),
                "p99 < 1 s", fmt(m.length) + " pairs over " + o.seconds + " s, offered " + fmt(offered) + "/s", "warm (after catch-up)");
        row("commit → discrepancy, beyond grace (" + GRACE.toSeconds() + " s), p50 / p99 / max", ms(d, 50) + " / "
                        + ms(d, 99) + " / " + (d.length == 0 ? "—" : String.format(Locale.ROOT, "%.0f ms", d[d.length - 1])),
                "< 1 s", d.length + " discrepancies; clock skew " + o.clockSkew.toMillis() + " ms, heartbeat "
                        + o.heartbeat.toMillis() + " ms", "warm");
    }

    private void resources(EndToEndScenarios.Session s, Path dir, Outcomes outcomes, Traffic traffic) throws IOException {
        System.gc();
        long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        Map<String, Long> status = procStatus();
        long disk = du(dir.resolve("rocksdb"));
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("heapAfterGcBytes", heap);
        j.put("rssBytes", status.get("VmRSS"));
        j.put("peakRssBytes", status.get("VmHWM"));
        j.put("rocksDbBytes", disk);
        j.put("discrepanciesInjected", new java.util.TreeMap<>(traffic.injected));   // a copy: the bare bursts add later
        j.put("discrepanciesFound", outcomes.openedByType());
        j.put("pairsInStore", traffic.pairs);
        json.put("resources", j);
        row("heap after GC / RSS (peak) / RocksDB on disk", mib(heap) + " / " + mib(status.get("VmRSS")) + " ("
                + mib(status.get("VmHWM")) + ") / " + mib(disk), "—", fmt(traffic.pairs) + " pairs written in the run"
                + " (bench JVM: reconciler + bare engines)", "end of run");
        row("discrepancies found / injected", outcomes.opened.size() + " / " + traffic.injected.values().stream()
                .mapToLong(Long::longValue).sum(), "equal", "found " + outcomes.openedByType() + ", injected "
                + traffic.injected, "");
    }

    // ----------------------------------------------------------------------------------------------------- SQL

    private void sql(LocalMariaDb db, List<Map<String, Object>> catchUp) throws Exception {
        double reconcilerCpuPerEvent = catchUp.stream().filter(r -> "reconciler".equals(r.get("kind")))
                .mapToDouble(r -> (Double) r.get("cpuMicrosPerEvent")).sorted().skip(0).min().orElse(Double.NaN);
        List<Map<String, Object>> out = new ArrayList<>();
        long pid = Long.parseLong(Files.readString(db.dir.resolve("mysqld.pid")).trim());
        for (int n : o.sqlPairs) {
            String schema = "sqlbench";
            db.execute("DROP DATABASE IF EXISTS " + schema);
            EndToEndScenarios.createOrderSchema(db, schema);
            EndToEndScenarios.createInventorySchema(db, schema);
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("SET SESSION sql_log_bin = 0");
                s.execute("USE " + schema);
                // the UNION of the shards is materialised: in memory where it fits, as a team's tuned server would
                s.execute("SET SESSION tmp_table_size = 268435456, max_heap_table_size = 268435456");
                for (int k = 0; k < 4; k++) {
                    s.execute(String.format("ALTER TABLE %s.trade_order_stream_%04d ADD KEY (order_id)", schema, k));
                    s.execute(String.format("INSERT INTO %s.trade_order_stream_%04d (order_id, goods_id, goods_type,"
                            + " item_count, item_price, order_state, stream_type, stream_identifier) SELECT CONCAT('Q', seq),"
                            + " seq %% 1000, 'COLLECTION', 1, 9.9, 'CONFIRM', 'CREATE_AND_CONFIRM', CONCAT('req-Q', seq)"
                            + " FROM seq_0_to_%d WHERE seq %% 4 = %d AND seq %% 1000 <> 907", schema, k, n - 1, k));
                }
                s.execute("ALTER TABLE " + schema + ".collection_inventory_stream ADD KEY (identifier)");
                s.execute(String.format("INSERT INTO %s.collection_inventory_stream (collection_id, changed_quantity, price,"
                        + " stream_type, identifier) SELECT seq %% 1000, IF(seq %% 1000 = 507, 2, 1), 9.9, 'TRY_SALE',"
                        + " CONCAT('Q', seq) FROM seq_0_to_%d WHERE seq %% 1000 <> 7", schema, n - 1));
                s.execute("ANALYZE TABLE " + schema + ".collection_inventory_stream");
                String shards = "(SELECT * FROM " + schema + ".trade_order_stream_0000 UNION ALL SELECT * FROM " + schema
                        + ".trade_order_stream_0001 UNION ALL SELECT * FROM " + schema + ".trade_order_stream_0002"
                        + " UNION ALL SELECT * FROM " + schema + ".trade_order_stream_0003)";
                Map<String, String> queries = new LinkedHashMap<>();
                queries.put("SQL1", "SELECT o.order_id, o.goods_id, o.item_count, i.changed_quantity FROM " + shards + " o"
                        + " LEFT JOIN " + schema + ".collection_inventory_stream i ON o.order_id = i.identifier"
                        + " AND o.goods_id = i.collection_id AND o.goods_type = 'COLLECTION'"
                        + " AND i.stream_type IN ('TRY_SALE', 'UNFREEZE_AND_SALE')"
                        + " WHERE o.order_state = 'CONFIRM' AND o.deleted = 0 AND (i.deleted = 0 OR i.identifier IS NULL)"
                        + " AND (i.identifier IS NULL OR o.item_count > i.changed_quantity OR o.item_count < i.changed_quantity)");
                queries.put("SQL2", "SELECT i.identifier, i.collection_id, i.changed_quantity, o.item_count FROM " + schema
                        + ".collection_inventory_stream i LEFT JOIN " + shards + " o ON i.identifier = o.order_id"
                        + " AND i.collection_id = o.goods_id AND o.goods_type = 'COLLECTION'"
                        + " WHERE i.stream_type IN ('TRY_SALE', 'UNFREEZE_AND_SALE') AND i.deleted = 0"
                        + " AND (o.order_id IS NULL OR o.item_count <> i.changed_quantity)");
                queries.put("cancel", "SELECT o.order_id, i.changed_quantity FROM " + shards + " o LEFT JOIN " + schema
                        + ".collection_inventory_stream i ON o.order_id = i.identifier AND o.goods_id = i.collection_id"
                        + " AND i.stream_type = 'CANCEL_SALE' AND i.deleted = 0"
                        + " WHERE o.stream_type IN ('CANCEL', 'TIME_OUT') AND o.deleted = 0"
                        + " AND (i.identifier IS NULL OR o.item_count <> i.changed_quantity)");
                double totalCpu = 0;
                for (var q : queries.entrySet()) {
                    double cpu0 = processCpuSeconds(pid);
                    long t0 = System.nanoTime();
                    long found = 0;
                    try (ResultSet r = s.executeQuery(q.getValue())) {
                        while (r.next()) found++;
                    }
                    double wall = (System.nanoTime() - t0) / 1e9;
                    double cpu = processCpuSeconds(pid) - cpu0;
                    totalCpu += cpu;
                    out.add(Map.of("pairs", n, "query", q.getKey(), "wallSeconds", wall, "databaseCpuSeconds", cpu,
                            "rows", found));
                    row("SQL " + q.getKey() + ", " + fmt(n) + " pairs: wall / database CPU", sec(wall) + " / " + sec(cpu),
                            "—", fmt(found) + " rows found", "");
                }
                double reconcilerCpu = reconcilerCpuPerEvent * 2.0 * n / 1e6;
                out.add(Map.of("pairs", n, "query", "reconciler (CPU per event × events)", "cpuSeconds", reconcilerCpu,
                        "sqlCpuSeconds", totalCpu));
                row("reconciler CPU for " + fmt(n) + " pairs vs one run of the SQL (SQL1+SQL2+cancel)",
                        sec(reconcilerCpu) + " vs " + sec(totalCpu), "less",
                        "best catch-up pass's CPU per event × " + fmt(2L * n) + " events", "catch-up");
            } finally {
                db.execute("DROP DATABASE IF EXISTS " + schema);
            }
        }
        json.put("sql", out);
    }

    // ------------------------------------------------------------------------- heap and engine (reconciler-benchmarks)

    private static final Path BENCHMARKS_JAR = Path.of("reconciler-benchmarks/target/benchmarks.jar");

    /** {@code PendingHeap} in a JVM of its own with a 256 MB heap: heap with N pending pairs, then restart to ready. */
    private void pendingHeap() throws Exception {
        if (!Files.exists(BENCHMARKS_JAR)) {
            row("heap with pending pairs", "not run", "≤ 256 MB", BENCHMARKS_JAR + " not built", "");
            return;
        }
        List<String> out = child(List.of("java", "-Xmx256m", "-cp", BENCHMARKS_JAR.toString(),
                "dev.reconciler.bench.PendingHeap", "--pairs", Integer.toString(o.pending)));
        Map<String, Object> j = new LinkedHashMap<>();
        for (String l : out) {
            for (String kv : l.split(" ")) {
                int eq = kv.indexOf('=');
                if (eq > 0) j.put((l.contains("restart:") ? "restart." : "") + kv.substring(0, eq), kv.substring(eq + 1));
            }
        }
        json.put("pendingHeap", j);
        row("heap after GC with " + fmt(o.pending) + " pending pairs (-Xmx256m)", String.valueOf(j.get("heapUsedAfterGc")),
                "≤ 256 MB", "pending " + j.get("pending") + ", state " + j.get("stateDir") + ", feed " + j.get("feed"),
                "own JVM");
        row("restart to ready with " + fmt(o.pending) + " pending", String.valueOf(j.get("restart.restartToReady")),
                "< 10 s", "store open " + j.get("restart.storeOpen") + ", heap after " + j.get("restart.heapUsedAfterGc"),
                "own JVM");
    }

    /** JMH {@code EngineThroughputBenchmark.wholeSale} on RocksDB, 5 forks of one warm-up and one measured sale. */
    private void engineJmh() throws Exception {
        if (!Files.exists(BENCHMARKS_JAR)) {
            row("engine (JMH wholeSale, RocksDB)", "not run", "≥ 500,000 facts/s", BENCHMARKS_JAR + " not built", "");
            return;
        }
        Path result = o.json.toAbsolutePath().getParent().resolve("jmh-wholeSale.json");
        child(List.of("java", "-jar", BENCHMARKS_JAR.toString(), "EngineThroughputBenchmark.wholeSale", "-p",
                "store=rocksdb", "-f", "5", "-wi", "1", "-i", "1", "-rf", "json", "-rff", result.toString()));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> runs = new ObjectMapper().readValue(result.toFile(), List.class);
        List<Double> factsPerSecond = new ArrayList<>();
        for (Map<String, Object> r : runs) {
            @SuppressWarnings("unchecked") Map<String, Object> metric = (Map<String, Object>) r.get("primaryMetric");
            @SuppressWarnings("unchecked") List<List<Number>> raw = (List<List<Number>>) metric.get("rawData");
            for (List<Number> fork : raw) for (Number us : fork) factsPerSecond.add(1e6 / us.doubleValue());
        }
        double[] v = factsPerSecond.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        json.put("engine", Map.of("factsPerSecondPerFork", factsPerSecond));
        row("engine (JMH wholeSale, RocksDB): facts/s, median of forks", v.length == 0 ? "—" : fmt(v[v.length / 2]),
                "≥ 500,000", v.length == 0 ? "" : fmt(v[0]) + "–" + fmt(v[v.length - 1]) + " over " + v.length + " forks",
                "1 warm-up sale, 1 measured, per fork");
    }

    private static List<String> child(List<String> command) throws Exception {
        System.out.println("  running " + String.join(" ", command));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try (var r = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()))) {
            for (String l; (l = r.readLine()) != null; ) {
                lines.add(l);
                if (l.startsWith("PendingHeap") || l.startsWith("Result") || l.contains("wholeSale")) System.out.println("    " + l);
            }
        }
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", command) + " failed: " + lines);
        return lines;
    }

    private static double processCpuSeconds(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0; // utime, stime in USER_HZ
    }

    // ------------------------------------------------------------------------------------------- summaries

    private void summariseCatchUp(List<Map<String, Object>> runs) {
        for (String kind : List.of("bare, stock", "bare, same build", "reconciler")) {
            List<Map<String, Object>> k = runs.stream().filter(r -> kind.equals(r.get("kind"))).toList();
            if (k.isEmpty()) continue;
            row("catch-up events/s: " + kind, perPass(k, "eventsPerSecond", "%,.0f"),
                    kind.equals("reconciler") ? "≥ 80,000" : "—", range(k, "eventsPerSecond"), "passes 1.." + k.size());
            row("CPU µs per event: " + kind, perPass(k, "cpuMicrosPerEvent", "%.1f"), "—",
                    "GC " + perPass(k, "gcMicrosPerEvent", "%.1f") + ", JIT " + perPass(k, "jitMicrosPerEvent", "%.1f"),
                    "passes 1.." + k.size());
        }
        List<Map<String, Object>> stock = runs.stream().filter(r -> "bare, stock".equals(r.get("kind"))).toList();
        List<Map<String, Object>> same = runs.stream().filter(r -> "bare, same build".equals(r.get("kind"))).toList();
        List<Map<String, Object>> rec = runs.stream().filter(r -> "reconciler".equals(r.get("kind"))).toList();
        if (!rec.isEmpty() && stock.size() == rec.size()) {
            row("catch-up: reconciler / bare stock, events/s", ratios(rec, stock, "eventsPerSecond"), "≥ 1.0",
                    "per pass, same pass's runs", "passes 1.." + rec.size());
        }
        if (!rec.isEmpty() && same.size() == rec.size()) {
            row("CPU per event: reconciler / bare same build", ratios(rec, same, "cpuMicrosPerEvent"), "≤ 1.5",
                    "per pass", "passes 1.." + rec.size());
        }
    }

    private void summariseLive(Map<String, Object> live) {
        for (var e : live.entrySet()) {
            @SuppressWarnings("unchecked") Map<String, Object> r = (Map<String, Object>) e.getValue();
            String who = switch (e.getKey()) {
                case "bareStock" -> "bare, stock";
                case "bareSameBuild" -> "bare, same build";
                default -> e.getKey();
            };
            row("live events/s: " + who, fmt((Double) r.get("eventsPerSecond")),
                    e.getKey().equals("reconciler") ? "≥ 1.0 × bare stock" : "—",
                    "databases committed " + fmt((Double) r.get("databaseRowsPerSecond")) + " rows/s; done "
                            + String.format(Locale.ROOT, "%.2f s", (Double) r.get("doneAfterLastCommitSeconds"))
                            + " after the last commit" + (e.getKey().equals("reconciler") ? " (target ≤ 1 s)" : ""),
                    "one burst, warm");
        }
    }

    private static Map<String, Object> liveJson(Burst b, long start, long done, Cpu cpu) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("events", b.events());
        j.put("eventsPerSecond", b.events() / ((done - start) / 1e9));
        j.put("databaseRowsPerSecond", b.rows() / b.seconds());
        j.put("doneAfterLastCommitSeconds", (done - b.committedAt) / 1e9);
        j.put("cpuMicrosPerEvent", cpu.cpuNanos / 1e3 / b.events());
        return j;
    }

    // ----------------------------------------------------------------------------------------------- output

    private void row(String what, String measured, String target, String detail, String pass) {
        rows.add(new String[]{what, measured, target, detail, pass});
    }

    private String table() {
        StringBuilder b = new StringBuilder("| figure | measured | target | range, detail | pass |\n|---|---|---|---|---|\n");
        for (String[] r : rows) b.append("| ").append(String.join(" | ", r)).append(" |\n");
        return b.toString();
    }

    private void print() {
        System.out.println();
        System.out.print(table());
    }

    private void write(Map<String, Object> machine) throws IOException {
        json.put("table", rows.stream().map(r -> Map.of("figure", r[0], "measured", r[1], "target", r[2], "detail", r[3],
                "pass", r[4])).toList());
        Files.createDirectories(o.json.toAbsolutePath().getParent());
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(o.json.toFile(), json);
        System.out.println("raw figures: " + o.json);
        if (o.docs == null || !Files.exists(o.docs)) return;
        String begin = "<!-- bench.sh: begin (written by scripts/bench.sh; edits inside are overwritten) -->";
        String end = "<!-- bench.sh: end -->";
        String section = begin + "\n### Latest run of `scripts/bench.sh`\n\n"
                + "Run " + json.get("startedAt") + " to " + json.get("finishedAt") + ", commit " + machine.get("commit")
                + ": `" + o.command + "`\n\n"
                + "Machine: " + machine.get("cpu") + ", " + machine.get("cores") + " cores, " + machine.get("memory")
                + "; load average at start " + machine.get("loadAverageAtStart") + ", at end " + json.get("loadAverageAtEnd")
                + ". Java " + machine.get("java") + ", " + machine.get("mariadb") + ", Debezium " + machine.get("debezium")
                + ", RocksDB " + machine.get("rocksdb") + ". Raw figures: `" + o.json + "`.\n\n"
                + table() + end;
        String doc = Files.readString(o.docs);
        int i = doc.indexOf(begin);
        int k = doc.indexOf(end);
        if (i >= 0 && k > i) {
            doc = doc.substring(0, i) + section + doc.substring(k + end.length());
        } else {
            String anchor = "\n## Engine throughput (JMH)";
            int at = doc.indexOf(anchor);
            doc = at < 0 ? doc + "\n" + section + "\n" : doc.substring(0, at) + "\n" + section + "\n" + doc.substring(at);
        }
        Files.writeString(o.docs, doc);
        System.out.println("table written into " + o.docs);
    }

    private Map<String, Object> machine() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cores", Runtime.getRuntime().availableProcessors());
        m.put("cpu", cpuModel());
        m.put("memory", mib(OS.getTotalMemorySize()));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        m.put("jvmArgs", ManagementFactory.getRuntimeMXBean().getInputArguments());
        m.put("debezium", jarVersion(io.debezium.engine.DebeziumEngine.class, "debezium-api-"));
        m.put("rocksdb", jarVersion(org.rocksdb.RocksDB.class, "rocksdbjni-"));
        m.put("commit", git());
        m.put("loadAverageAtStart", loadAverage());
        return m;
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static String jarVersion(Class<?> c, String prefix) {
        String path = c.getProtectionDomain().getCodeSource().getLocation().getPath();
        String name = path.substring(path.lastIndexOf('/') + 1);
        return name.startsWith(prefix) ? name.substring(prefix.length(), name.length() - 4) : name;
    }

    private static String cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst().orElse("unknown CPU");
        } catch (IOException e) {
            return "unknown CPU";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String git() {
        try {
            Process p = new ProcessBuilder("git", "describe", "--always", "--dirty").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes()).trim();
            return p.waitFor() == 0 ? out : "unknown";
        } catch (IOException | InterruptedException e) {
            return "unknown";
        }
    }

    private static Map<String, Long> procStatus() throws IOException {
        Map<String, Long> m = new LinkedHashMap<>();
        for (String l : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (l.startsWith("VmRSS:") || l.startsWith("VmHWM:")) {
                m.put(l.substring(0, l.indexOf(':')), Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024);
            }
        }
        return m;
    }

    private static long du(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
        }
    }

    private static Path copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else if (!p.getFileName().toString().equals("LOCK")) Files.copy(p, t);
            }
        }
        return to;
    }

    private static String version(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT VERSION()")) {
            r.next();
            return "MariaDB " + r.getString(1);
        }
    }

    private static Map<String, Object> percentiles(double[] sorted) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", sorted.length);
        if (sorted.length == 0) return m;
        m.put("p50", pct(sorted, 50));
        m.put("p99", pct(sorted, 99));
        m.put("max", sorted[sorted.length - 1]);
        return m;
    }

    private static double pct(double[] sorted, double p) {
        return sorted[(int) Math.max(0, Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1))];
    }

    private static String ms(double[] sorted, double p) {
        return sorted.length == 0 ? "—" : String.format(Locale.ROOT, "%.0f ms", pct(sorted, p));
    }

    private static String perPass(List<Map<String, Object>> runs, String key, String format) {
        return String.join(" · ", runs.stream().map(r -> String.format(Locale.ROOT, format, (Double) r.get(key))).toList());
    }

    private static String range(List<Map<String, Object>> runs, String key) {
        double[] v = runs.stream().mapToDouble(r -> (Double) r.get(key)).sorted().toArray();
        return String.format(Locale.ROOT, "%,.0f–%,.0f", v[0], v[v.length - 1]);
    }

    private static String ratios(List<Map<String, Object>> a, List<Map<String, Object>> b, String key) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            out.add(String.format(Locale.ROOT, "%.2f", (Double) a.get(i).get(key) / (Double) b.get(i).get(key)));
        }
        return String.join(" · ", out);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%,.0f", v);
    }

    private static String sec(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String mib(Long bytes) {
        return bytes == null ? "—" : String.format(Locale.ROOT, "%,.0f MiB", bytes / 1048576.0);
    }

    // --------------------------------------------------------------------------------------------- types

    /** Process CPU, GC and JIT time of this JVM. */
    record Cpu(long cpuNanos, long gcMillis, long jitMillis) {
        static Cpu now() {
            long gc = 0;
            for (GarbageCollectorMXBean b : ManagementFactory.getGarbageCollectorMXBeans()) gc += Math.max(0, b.getCollectionTime());
            return new Cpu(OS.getProcessCpuTime(), gc, ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
        }

        Cpu minus(Cpu o) {
            return new Cpu(cpuNanos - o.cpuNanos, gcMillis - o.gcMillis, jitMillis - o.jitMillis);
        }
    }

    /** One catch-up run. */
    record Run(String kind, long events, double seconds, Cpu cpu) {
        Map<String, Object> json(int pass) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", kind);
            m.put("pass", pass);
            m.put("events", events);
            m.put("seconds", seconds);
            m.put("eventsPerSecond", events / seconds);
            m.put("cpuMicrosPerEvent", cpu.cpuNanos / 1e3 / events);
            m.put("gcMicrosPerEvent", cpu.gcMillis * 1e3 / events);
            m.put("jitMicrosPerEvent", cpu.jitMillis * 1e3 / events);
            return m;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-17s %,d events in %.1f s = %,.0f events/s, CPU %.1f µs/event (GC %d ms, JIT %d ms)",
                    kind, events, seconds, events / seconds, cpu.cpuNanos / 1e3 / events, cpu.gcMillis, cpu.jitMillis);
        }
    }

    enum Fault { NONE, MISSING_RIGHT, QUANTITY_MISMATCH, MISSING_LEFT }

    /** What one burst committed: rows per database, pairs that should match, when the last commit returned. */
    static final class Burst {
        long orderRows;
        long inventoryRows;
        long matched;
        long startedAt;
        long committedAt;

        void add(Burst b) {
            orderRows += b.orderRows;
            inventoryRows += b.inventoryRows;
            matched += b.matched;
        }

        long rows() {
            return orderRows + inventoryRows;
        }

        long events() {
            return rows();
        }

        double seconds() {
            return (committedAt - startedAt) / 1e9;
        }
    }

    /** The flash-sale history: multi-row INSERTs into four order shards and the inventory flow, faults at 0.3 %. */
    static final class Traffic {
        private final TestDatabase orders;
        private final TestDatabase inventory;
        private final int batch;
        final Map<String, Long> injected = new ConcurrentHashMap<>();
        long pairs;
        /** The steady phase's connections, one per database, kept across its ticks. */
        private Connection tickOrders;
        private Connection tickInventory;

        Traffic(TestDatabase orders, TestDatabase inventory, int batch) {
            this.orders = orders;
            this.inventory = inventory;
            this.batch = batch;
        }

        /** Order {@code i} of a burst: per 1,000 one of each fault. */
        static Fault fault(int i, int salt) {
            return switch ((i + salt) % 1000) {
                case 7 -> Fault.MISSING_RIGHT;
                case 507 -> Fault.QUANTITY_MISMATCH;
                case 907 -> Fault.MISSING_LEFT;
                default -> Fault.NONE;
            };
        }

        Burst burst(String prefix, int n) throws Exception {
            Burst b = new Burst();
            b.startedAt = System.nanoTime();
            ExecutorService threads = Executors.newFixedThreadPool(2);
            // The two clients go in step, one INSERT each per round: an order and its deduction are committed
            // within a round of each other, as in a sale (a free-running client would drift seconds ahead of the
            // other and turn pairs into MISSING_* past the grace).
            java.util.concurrent.CyclicBarrier step = new java.util.concurrent.CyclicBarrier(2);
            try {
                Future<Long> a = threads.submit(() -> {
                    long rows = 0;
                    try (Connection c = orders.connect(); Statement s = c.createStatement()) {
                        for (int from = 0, k = 0; from < n; from += batch, k++) {
                            StringBuilder sql = new StringBuilder(String.format(ORDER_INSERT, "orders", k % 4));
                            rows += orderRows(sql, prefix, from, Math.min(n, from + batch), 0);
                            s.executeUpdate(sql.toString());
                            step.await(5, TimeUnit.MINUTES);
                        }
                    }
                    return rows;
                });
                Future<Long> d = threads.submit(() -> {
                    long rows = 0;
                    try (Connection c = inventory.connect(); Statement s = c.createStatement()) {
                        for (int from = 0; from < n; from += batch) {
                            StringBuilder sql = new StringBuilder(String.format(DEDUCTION_INSERT, "inventory"));
                            rows += deductionRows(sql, prefix, from, Math.min(n, from + batch), 0);
                            s.executeUpdate(sql.toString());
                            step.await(5, TimeUnit.MINUTES);
                        }
                    }
                    return rows;
                });
                b.orderRows = a.get();
                b.inventoryRows = d.get();
            } finally {
                threads.shutdown();
            }
            b.committedAt = System.nanoTime();
            count(b, n, 0);
            return b;
        }

        /** One tick of the steady phase: {@code n} pairs, one INSERT per database. */
        Burst insertTick(String prefix, int n, int salt) throws Exception {
            Burst b = new Burst();
            StringBuilder o = new StringBuilder(String.format(ORDER_INSERT, "orders", salt % 4));
            StringBuilder d = new StringBuilder(String.format(DEDUCTION_INSERT, "inventory"));
            b.orderRows = orderRows(o, prefix, 0, n, salt);
            b.inventoryRows = deductionRows(d, prefix, 0, n, salt);
            if (tickOrders == null) {
                tickOrders = orders.connect();
                tickInventory = inventory.connect();
            }
            try (Statement s = tickOrders.createStatement()) {
                s.executeUpdate(o.toString());
            }
            try (Statement s = tickInventory.createStatement()) {
                s.executeUpdate(d.toString());
            }
            count(b, n, salt);
            return b;
        }

        /** Closes the steady phase's two connections. */
        void closeTicks() throws SQLException {
            if (tickOrders != null) tickOrders.close();
            if (tickInventory != null) tickInventory.close();
            tickOrders = tickInventory = null;
        }

        private void count(Burst b, int n, int salt) {
            for (int i = 0; i < n; i++) {
                Fault f = fault(i, salt);
                if (f == Fault.NONE) b.matched++;
                else injected.merge(f.name(), 1L, Long::sum);
            }
            pairs += n;
        }

        private static long orderRows(StringBuilder b, String prefix, int from, int to, int salt) {
            long rows = 0;
            for (int i = from; i < to; i++) {
                if (fault(i, salt) == Fault.MISSING_LEFT) continue;
                if (rows++ > 0) b.append(", ");
                b.append("('").append(prefix).append(i).append("', '").append(i % 1000)
                        .append("', 'COLLECTION', 1, 9.900000, 'CONFIRM', 'CREATE_AND_CONFIRM', 'req-").append(prefix)
                        .append(i).append("')");
            }
            return rows;
        }

        private static long deductionRows(StringBuilder b, String prefix, int from, int to, int salt) {
            long rows = 0;
            for (int i = from; i < to; i++) {
                Fault f = fault(i, salt);
                if (f == Fault.MISSING_RIGHT) continue;
                if (rows++ > 0) b.append(", ");
                b.append('(').append(i % 1000).append(", ").append(f == Fault.QUANTITY_MISMATCH ? 2 : 1)
                        .append(", 9.900000, 'TRY_SALE', '").append(prefix).append(i).append("')");
            }
            return rows;
        }
    }

    /** The engine's outcomes: when each order's pair was matched or its discrepancy opened (System.nanoTime()). */
    static final class Outcomes implements Consumer<List<Outcome>> {
        final ConcurrentHashMap<String, Long> matched = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, Long> opened = new ConcurrentHashMap<>();
        final ConcurrentHashMap<String, String> openedType = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, LongAdder> matchedByPrefix = new ConcurrentHashMap<>();
        private final ConcurrentHashMap<String, Long> lastByPrefix = new ConcurrentHashMap<>();

        @Override
        public void accept(List<Outcome> outcomes) {
            long now = System.nanoTime();
            for (Outcome o : outcomes) {
                if (o instanceof Outcome.PairMatched m) {
                    String id = m.key().get("order_id");
                    String p = id.substring(0, 1);
                    // per pair only in the steady phase: a map of every pair of a burst would be the bench's own
                    // allocation and GC, charged to the reconciler's run
                    if (p.equals("S")) matched.put(id, now);
                    matchedByPrefix.computeIfAbsent(p, x -> new LongAdder()).increment();
                    lastByPrefix.put(p, now);
                } else if (o instanceof Outcome.DiscrepancyOpened d) {
                    String id = d.discrepancy().key().get("order_id");
                    if (opened.putIfAbsent(id, now) == null) openedType.put(id, d.discrepancy().type().toString());
                }
            }
        }

        /** Forgets a prefix's outcomes (a catch-up pass reads the same backlog again). */
        void forget(String prefix) {
            matchedByPrefix.remove(prefix);
            lastByPrefix.remove(prefix);
            matched.keySet().removeIf(k -> k.startsWith(prefix));
            opened.keySet().removeIf(k -> k.startsWith(prefix));
            openedType.keySet().removeIf(k -> k.startsWith(prefix));
        }

        Map<String, Long> openedByType() {
            Map<String, Long> m = new java.util.TreeMap<>();
            openedType.values().forEach(t -> m.merge(t, 1L, Long::sum));
            return m;
        }

        /** Waits until {@code n} pairs of orders whose id starts with {@code prefix} matched; returns when the last did. */
        long awaitMatched(String prefix, long n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (true) {
                LongAdder a = matchedByPrefix.get(prefix);
                if (a != null && a.sum() >= n) return lastByPrefix.get(prefix);
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + (a == null ? 0 : a.sum()) + " of " + n + " '" + prefix
                            + "' pairs matched in " + timeout);
                }
                Thread.sleep(2);
            }
        }
    }
}
