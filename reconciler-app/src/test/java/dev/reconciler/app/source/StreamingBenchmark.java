package dev.reconciler.app.source;

import dev.reconciler.app.TempDirs;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;

/**
 * <b>Question:</b> how many change events per second go from the binlogs of two databases through embedded Debezium
 * into the engine (RocksDB), and how long does a committed row take to be applied? A bench command, not a test:
 * it prints figures and asserts nothing about speed. See docs/benchmarks.md ("Streaming through Debezium").
 *
 * <p>Two private MariaDB servers (scripts/local-mariadb.sh): orders with four shards, inventory. The article's
 * {@code sale} and {@code cancel} rules. Every order has its deduction, so every pair is matched; the figures are
 * taken from the engine's {@code PairMatched} outcomes, which are handed out right after the engine committed the
 * batch that completed the pair. Phases, each with its own order ids:
 * <ol>
 *   <li><b>warm-up</b>: 10,000 pairs, not reported;</li>
 *   <li><b>live</b>: {@code --pairs} orders and as many deductions inserted as fast as two client threads can
 *       (multi-row INSERTs of {@code --batch} rows) while the reconciler streams: events/s from the first insert to
 *       the last pair matched;</li>
 *   <li><b>catch-up</b>: the reconciler is stopped, {@code --backlog} pairs are committed, it is started again from
 *       its offsets: events/s through the backlog (the rate without inserts competing for the cores);</li>
 *   <li><b>steady</b>: {@code --rate} pairs per second for {@code --seconds}, one order INSERT and one deduction
 *       INSERT every 10 ms: latency from the commit of a pair's second row (the client's commit returned) to the pair
 *       matched (both facts applied and the engine's state committed), p50/p90/p99/max.</li>
 * </ol>
 *
 * <pre>
 * scripts/bench-streaming.sh [--pairs 100000] [--backlog 50000] [--batch 1000] [--rate 1000] [--seconds 20]
 * </pre>
 */
public final class StreamingBenchmark {
    private static final String ORDER_INSERT = "INSERT INTO orders.trade_order_stream_%04d (order_id, goods_id,"
            + " goods_type, item_count, item_price, order_state, stream_type, stream_identifier) VALUES ";
    private static final String DEDUCTION_INSERT = "INSERT INTO inventory.collection_inventory_stream (collection_id,"
            + " changed_quantity, price, stream_type, identifier) VALUES ";

    /** The binlog client logs every connect at INFO through java.util.logging; held so the level sticks. */
    private static final java.util.logging.Logger BINLOG_CLIENT = java.util.logging.Logger.getLogger("com.github.shyiko");

    private StreamingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int pairs = 100_000;
        int backlog = 50_000;
        int batch = 1_000;
        int rate = 1_000;
        int seconds = 20;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--pairs" -> pairs = Integer.parseInt(args[++i].replace("_", ""));
                case "--backlog" -> backlog = Integer.parseInt(args[++i].replace("_", ""));
                case "--batch" -> batch = Integer.parseInt(args[++i].replace("_", ""));
                case "--rate" -> rate = Integer.parseInt(args[++i].replace("_", ""));
                case "--seconds" -> seconds = Integer.parseInt(args[++i].replace("_", ""));
                default -> {
                    System.err.println("usage: StreamingBenchmark [--pairs N] [--backlog N] [--batch ROWS]"
                            + " [--rate PAIRS_PER_S] [--seconds S]");
                    System.exit(2);
                }
            }
        }
        BINLOG_CLIENT.setLevel(java.util.logging.Level.WARNING);
        Path state = Files.createTempDirectory("reconciler-streaming-bench-");
        try (LocalMariaDb orders = LocalMariaDb.start(61); LocalMariaDb inventory = LocalMariaDb.start(62)) {
            EndToEndScenarios.createSchemas(orders, inventory);
            System.out.printf("%d cores, Java %s, %s; pairs %,d, backlog %,d, batch %,d, steady %,d pairs/s for %d s%n",
                    Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"),
                    version(orders), pairs, backlog, batch, rate, seconds);
            EngineConfig config = new EngineConfig(
                    List.of(ArticleRules.orderStream("orders"), ArticleRules.inventoryStream("inventory")),
                    List.of(ArticleRules.sale(Duration.ofSeconds(60), Multiplicity.ONE_TO_ONE),
                            ArticleRules.cancel(Duration.ofSeconds(60))),
                    Duration.ofSeconds(1), Duration.ofMinutes(10), Duration.ofDays(7));
            SourceConfig orderSource = EndToEndScenarios.source("orders", orders, "orders",
                    "orders\\.trade_order_stream_\\d{4}", 5461);
            SourceConfig inventorySource = EndToEndScenarios.source("inventory", inventory, "inventory",
                    "inventory\\.collection_inventory_stream", 5462);
            Matches matches = new Matches();

            EndToEndScenarios.Session session = new EndToEndScenarios.Session(config, state, matches, orderSource,
                    inventorySource);
            try {
                burst(orders, inventory, "W", 10_000, batch);
                matches.await(10_000, Duration.ofMinutes(2));

                // live
                long start = System.nanoTime();
                long[] counted = {events(session.orderSource), events(session.inventorySource)};
                long inserted = burst(orders, inventory, "P", pairs, batch);
                long[] sourceDone = matches.awaitSources(session, counted, pairs, Duration.ofMinutes(5));
                long last = matches.await(10_000 + pairs, Duration.ofMinutes(5));
                report("live", 2L * pairs, start, last, sourceDone, matches);
                System.out.printf("  inserts took %.1f s (%,.0f rows/s over both databases)%n", (inserted - start) / 1e9,
                        2L * pairs / ((inserted - start) / 1e9));

                // catch-up: stopped while the backlog is committed
                session.close();
                burst(orders, inventory, "C", backlog, batch);
                start = System.nanoTime();
                session = new EndToEndScenarios.Session(config, state, matches, orderSource, inventorySource);
                sourceDone = matches.awaitSources(session, new long[]{0, 0}, backlog, Duration.ofMinutes(5));
                last = matches.await(10_000 + pairs + backlog, Duration.ofMinutes(5));
                report("catch-up (from start())", 2L * backlog, start, last, sourceDone, matches);

                // steady rate, latency
                steady(orders, inventory, matches, 10_000 + pairs + backlog, rate, seconds);
            } finally {
                session.close();
            }
        } finally {
            TempDirs.delete(state);
        }
    }

    /**
     * Inserts {@code n} orders (spread over the four shards) and their {@code n} deductions from two threads, one per
     * database, in INSERTs of {@code batch} rows. Returns when both are committed (System.nanoTime()).
     */
    private static long burst(TestDatabase orders, TestDatabase inventory, String prefix, int n, int batch)
            throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            Future<?> o = threads.submit(() -> {
                try (Connection c = orders.connect(); Statement s = c.createStatement()) {
                    for (int from = 0, k = 0; from < n; from += batch, k++) {
                        s.executeUpdate(String.format(ORDER_INSERT, k % 4) + orderRows(prefix, from, Math.min(n, from + batch)));
                    }
                }
                return null;
            });
            Future<?> d = threads.submit(() -> {
                try (Connection c = inventory.connect(); Statement s = c.createStatement()) {
                    for (int from = 0; from < n; from += batch) {
                        s.executeUpdate(DEDUCTION_INSERT + deductionRows(prefix, from, Math.min(n, from + batch)));
                    }
                }
                return null;
            });
            o.get();
            d.get();
            return System.nanoTime();
        } finally {
            threads.shutdown();
        }
    }

    private static String orderRows(String prefix, int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (i > from) b.append(", ");
            b.append("('").append(prefix).append(i).append("', '").append(i % 1000)
                    .append("', 'COLLECTION', 1, 9.900000, 'CONFIRM', 'CREATE_AND_CONFIRM', 'req-").append(prefix)
                    .append(i).append("')");
        }
        return b.toString();
    }

    private static String deductionRows(String prefix, int from, int to) {
        StringBuilder b = new StringBuilder();
        for (int i = from; i < to; i++) {
            if (i > from) b.append(", ");
            b.append('(').append(i % 1000).append(", 1, 9.900000, 'TRY_SALE', '").append(prefix).append(i).append("')");
        }
        return b.toString();
    }

    /** {@code rate} pairs per second in ticks of 10 ms; latency from each tick's last commit to its pairs matched. */
    private static void steady(TestDatabase orders, TestDatabase inventory, Matches matches, int before, int rate,
                               int seconds) throws Exception {
        int perTick = Math.max(1, rate / 100);
        int ticks = seconds * 100;
        long[] committed = new long[ticks];
        long start = System.nanoTime();
        long behind = 0;
        try (Connection oc = orders.connect(); Statement os = oc.createStatement();
             Connection ic = inventory.connect(); Statement is = ic.createStatement()) {
            for (int k = 0; k < ticks; k++) {
                long due = start + k * 10_000_000L;
                long wait = due - System.nanoTime();
                if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
                else behind = Math.max(behind, -wait);
                os.executeUpdate(String.format(ORDER_INSERT, k % 4) + orderRows("S" + k + "_", 0, perTick));
                is.executeUpdate(DEDUCTION_INSERT + deductionRows("S" + k + "_", 0, perTick));
                committed[k] = System.nanoTime();
            }
        }
        long inserted = System.nanoTime();
        matches.await(before + ticks * perTick, Duration.ofMinutes(5));
        double[] latencyMs = new double[ticks * perTick];
        int n = 0;
        for (int k = 0; k < ticks; k++) {
            for (int j = 0; j < perTick; j++) {
                latencyMs[n++] = (matches.at.get("S" + k + "_" + j) - committed[k]) / 1e6;
            }
        }
        Arrays.sort(latencyMs);
        System.out.printf(Locale.ROOT, "steady: %,d pairs (%,d events) at %,.0f pairs/s offered (inserts took %.1f s,"
                        + " at most %.0f ms behind schedule)%n", n, 2L * n, n / ((inserted - start) / 1e9),
                (inserted - start) / 1e9, behind / 1e6);
        System.out.printf(Locale.ROOT, "  commit -> pair matched: p50 %.0f ms, p90 %.0f ms, p99 %.0f ms, max %.0f ms%n",
                pct(latencyMs, 50), pct(latencyMs, 90), pct(latencyMs, 99), latencyMs[n - 1]);
        System.out.printf("  discrepancies opened in all phases: %d (expected 0)%n", matches.opened.sum());
    }

    private static double pct(double[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    private static void report(String phase, long events, long start, long last, long[] sourceDone, Matches m) {
        double s = (last - start) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %,d events in %.1f s = %,.0f events/s into the engine;"
                        + " orders source %,.0f events/s (done at %.1f s), inventory source %,.0f events/s (done at %.1f s)%n",
                phase, events, s, events / s, events / 2 / ((sourceDone[0] - start) / 1e9), (sourceDone[0] - start) / 1e9,
                events / 2 / ((sourceDone[1] - start) / 1e9), (sourceDone[1] - start) / 1e9);
    }

    private static long events(DebeziumSource source) {
        return source.status().eventsByTable().values().stream().mapToLong(Long::longValue).sum();
    }

    private static String version(TestDatabase db) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT VERSION()")) {
            r.next();
            return "MariaDB " + r.getString(1);
        }
    }

    /** Receives the engine's outcomes: when each order's pair was matched (System.nanoTime()). */
    private static final class Matches implements Consumer<List<Outcome>> {
        final ConcurrentHashMap<String, Long> at = new ConcurrentHashMap<>();
        final LongAdder opened = new LongAdder();
        private volatile long last;

        @Override
        public void accept(List<Outcome> outcomes) {
            long now = System.nanoTime();
            for (Outcome o : outcomes) {
                if (o instanceof Outcome.PairMatched m) {
                    at.put(m.key().get("order_id"), now);
                    last = now;
                } else if (o instanceof Outcome.DiscrepancyOpened) {
                    opened.increment();
                }
            }
        }

        /** Waits until {@code total} pairs were matched; returns when the last one was. */
        long await(int total, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (at.size() < total) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + at.size() + " of " + total + " pairs matched in " + timeout);
                }
                Thread.sleep(5);
            }
            return last;
        }

        /** Polls both sources until each delivered {@code n} more events than {@code base}; returns when each did. */
        long[] awaitSources(EndToEndScenarios.Session s, long[] base, int n, Duration timeout) throws InterruptedException {
            long[] done = new long[2];
            long deadline = System.nanoTime() + timeout.toNanos();
            while (done[0] == 0 || done[1] == 0) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("sources did not deliver " + n + " events");
                long now = System.nanoTime();
                if (done[0] == 0 && events(s.orderSource) - base[0] >= n) done[0] = now;
                if (done[1] == 0 && events(s.inventorySource) - base[1] >= n) done[1] = now;
                Thread.sleep(5);
            }
            return done;
        }
    }
}
