package dev.reconciler.app.verify;

import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceConnections;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.match.CounterpartLookup;
import dev.reconciler.core.rule.Condition;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.SideSpec;
import dev.reconciler.core.rule.StreamDef;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * Verify before alert, the database part: the {@link CounterpartLookup} port of the engine, answering "is the
 * missing counterpart in the other database?" with a read-only point query on the missing side's tables.
 *
 * <ul>
 *   <li><b>Never blocks the engine.</b> {@link #request} only queues: a bounded pool ({@code verify.threads}) with a
 *       bounded queue ({@code verify.queueSize}); a full queue answers "not verified" at once.</li>
 *   <li><b>Bounded.</b> Each lookup starts under a rate limit ({@code verify.ratePerSecond}, over all sources) and
 *       has {@code verify.timeout}: as connect timeout, socket timeout, JDBC query timeout and the server's statement
 *       time limit. A lookup that exceeds it fails.</li>
 *   <li><b>Read-only, with the source's own user.</b> Each worker thread keeps one connection per source,
 *       {@code SET SESSION TRANSACTION READ ONLY}, autocommit, opened through {@link SourceConnections} (TLS,
 *       secrets); a connection that failed is closed and opened again for the next lookup.</li>
 *   <li><b>Same judgement as the engine.</b> The query selects the rows of each table of the side's stream (the
 *       tables the source captures whose names the stream's regex matches) with the key columns equal to the
 *       pair's key; the rows are then checked in Java with the rule side's filter and the engine's key comparison
 *       (canonical, trimmed text), so a {@code _ci} collation or a row outside the filter does not count.</li>
 *   <li><b>Never suppresses an alert.</b> Any failure (down, timeout, privilege, unknown table) answers FAILED with
 *       the reason, and the engine opens the discrepancy at once, "not verified: reason".</li>
 * </ul>
 * Answers go to the engine through {@code answers} (the pipeline's engine thread). Logs name the source, rule and
 * discrepancy id, never key or row values.
 */
public final class CounterpartVerifier implements CounterpartLookup, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(CounterpartVerifier.class);
    /** Rows read per table at most: a key has one row per side in a one-to-one rule, a few in a sum rule. */
    static final int ROW_LIMIT = 50;
    /** How long the list of a source's tables is reused before it is read again (new shards). */
    static final Duration TABLES_FRESH = Duration.ofMinutes(1);

    private final EngineConfig engine;
    private final Map<String, SourceConfig> sources;
    private final VerifyConfig config;
    private final InstantSource clock;
    private final LookupMetrics metrics;
    private final ThreadPoolExecutor pool;
    private final RateLimit rate;
    private final Map<String, TableList> tables = new ConcurrentHashMap<>();
    /** Per worker thread, its connection per source. */
    private final ThreadLocal<Map<String, Connection>> connections = ThreadLocal.withInitial(HashMap::new);
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    private volatile Consumer<Answer> answers;
    private volatile boolean closed;

    private record TableList(List<String> tables, long readAtNanos) {
    }

    /**
     * @param sources the sources by name, as lookups should reach them (the capture user; normally the same
     *                settings as the binlog reader's)
     * @param metrics where lookups are counted and timed; null for none
     */
    public CounterpartVerifier(EngineConfig engine, Map<String, SourceConfig> sources, VerifyConfig config,
                               InstantSource clock, LookupMetrics metrics) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.sources = Map.copyOf(sources);
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.metrics = metrics;
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(config.threads(), config.threads(), 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(config.queueSize()), r -> {
                    Thread t = new Thread(r, "reconciler-verify-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        this.rate = new RateLimit(config.ratePerSecond());
    }

    /** Where answers go (on any thread; the pipeline hands them to the engine's thread). Set before requests come. */
    public void answerTo(Consumer<Answer> answers) {
        this.answers = Objects.requireNonNull(answers, "answers");
    }

    @Override
    public void request(Request request) {
        // Stopping: the held discrepancy is in the state, and the next start looks it up again. (Refusing would make
        // the engine open it "not verified" during a clean stop.)
        if (closed) return;
        long queuedAt = System.nanoTime();
        try {
            pool.execute(() -> answer(request, lookup(request), queuedAt));
        } catch (RejectedExecutionException e) {
            answer(request, request.answer(Answer.Found.FAILED, clock.instant(), "lookup queue full ("
                    + config.queueSize() + " waiting; raise verify.queueSize or verify.threads)"), queuedAt);
        }
    }

    private void answer(Request request, Answer answer, long queuedAt) {
        if (metrics != null) metrics.record(request.pair().rule(), answer.found(), System.nanoTime() - queuedAt);
        if (answer.found() == Answer.Found.FAILED) {
            log.warn("verify before alert: rule {}, discrepancy {}: not verified: {}", request.pair().rule(),
                    request.discrepancyId(), answer.detail());
        } else {
            log.info("verify before alert: rule {}, discrepancy {}: counterpart {} ({})", request.pair().rule(),
                    request.discrepancyId(), answer.found() == Answer.Found.PRESENT ? "present in the database,"
                            + " awaited in the binlog" : "verified absent", answer.detail());
        }
        Consumer<Answer> to = answers;
        if (to == null) {
            log.error("verify before alert: an answer has nowhere to go (not attached to the pipeline); the engine"
                    + " opens the discrepancy after verify.maxWait");
            return;
        }
        try {
            to.accept(answer);
        } catch (RuntimeException e) {
            log.error("verify before alert: handing an answer to the engine failed; it opens the discrepancy after"
                    + " verify.maxWait", e);
        }
    }

    /** Worker thread: one lookup, bounded by the timeout; never throws. */
    Answer lookup(Request request) {
        Rule rule = engine.rule(request.pair().rule()).orElse(null);
        if (rule == null) {
            return request.answer(Answer.Found.FAILED, clock.instant(), "rule '" + request.pair().rule()
                    + "' is no longer configured");
        }
        try {
            // the rate limit's slot must come within the timeout: a lookup never waits longer than that for it
            if (!rate.acquire(System.nanoTime() + config.timeout().toNanos())) {
                return request.answer(Answer.Found.FAILED, clock.instant(), "rate limit (verify.ratePerSecond "
                        + config.ratePerSecond() + "): no slot within " + human(config.timeout()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return request.answer(Answer.Found.FAILED, clock.instant(), "the reconciler is stopping");
        }
        SideSpec side = rule.side(request.lookIn());
        StreamDef stream = engine.stream(side.stream()).orElseThrow();
        List<String> searched = new ArrayList<>();
        long started = System.nanoTime();
        for (StreamDef.TableSelector selector : stream.tables()) {
            SourceConfig source = sources.get(selector.source());
            if (source == null) {
                return request.answer(Answer.Found.FAILED, clock.instant(), "source " + selector.source()
                        + " is not configured for lookups");
            }
            try {
                for (String table : tablesOf(source, selector.table())) {
                    searched.add(table);
                    if (found(source, table, rule, request)) {
                        return request.answer(Answer.Found.PRESENT, clock.instant(), "source " + source.name()
                                + ", table " + table);
                    }
                    if (System.nanoTime() - started > config.timeout().toNanos()) {
                        throw new SQLTimeoutException("timeout after " + human(config.timeout()) + " ("
                                + searched.size() + " tables searched)");
                    }
                }
            } catch (SQLException | RuntimeException e) {
                forget(source);
                return request.answer(Answer.Found.FAILED, clock.instant(), "source " + source.name() + ": "
                        + reason(e));
            }
        }
        if (searched.isEmpty()) {
            return request.answer(Answer.Found.FAILED, clock.instant(), "no table of stream " + stream.name()
                    + " found on its sources");
        }
        return request.answer(Answer.Found.ABSENT, clock.instant(), searched.size() == 1 ? searched.get(0)
                : searched.size() + " tables (" + searched.get(0) + ", …)");
    }

    /** Whether {@code table} holds a live row of the side with the pair's key that passes the side's filter. */
    private boolean found(SourceConfig source, String table, Rule rule, Request request) throws SQLException {
        Side side = request.lookIn();
        List<KeyMapping.Part> parts = rule.key().parts();
        Set<String> columns = new LinkedHashSet<>();
        for (KeyMapping.Part p : parts) columns.add(p.column(side));
        for (Condition c : rule.side(side).filter().all()) columns.add(c.column());
        StringBuilder sql = new StringBuilder("SELECT ");
        sql.append(String.join(", ", columns.stream().map(CounterpartVerifier::quote).toList()));
        String[] dbTable = table.split("\\.", 2);
        sql.append(" FROM ").append(quote(dbTable[0])).append('.').append(quote(dbTable[1])).append(" WHERE ");
        for (int i = 0; i < parts.size(); i++) {
            if (i > 0) sql.append(" AND ");
            sql.append(quote(parts.get(i).column(side))).append(" = ?");
        }
        sql.append(" LIMIT ").append(ROW_LIMIT);
        Connection c = connection(source);
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            ps.setQueryTimeout((int) Math.max(1, (config.timeout().toMillis() + 999) / 1000));
            List<String> key = request.pair().values();
            for (int i = 0; i < key.size(); i++) ps.setString(i + 1, key.get(i));
            try (ResultSet r = ps.executeQuery()) {
                while (r.next()) {
                    Map<String, Object> row = new LinkedHashMap<>();
                    int i = 1;
                    for (String col : columns) row.put(col, r.getObject(i++));
                    if (sameKey(row, parts, side, key) && rule.side(side).filter().matches(row)) return true;
                }
            }
        }
        return false;
    }

    /** The engine's key comparison: canonical trimmed text, exactly (a {@code _ci} collation may match more). */
    private static boolean sameKey(Map<String, Object> row, List<KeyMapping.Part> parts, Side side, List<String> key) {
        for (int i = 0; i < parts.size(); i++) {
            if (!Objects.equals(Values.canonical(row.get(parts.get(i).column(side))), key.get(i))) return false;
        }
        return true;
    }

    /** {@code db.table} names of the source's captured tables that the stream's regex matches; cached a minute. */
    private List<String> tablesOf(SourceConfig source, Pattern regex) throws SQLException {
        String cacheKey = source.name() + "\u0000" + regex.pattern();
        TableList cached = tables.get(cacheKey);
        if (cached != null && System.nanoTime() - cached.readAtNanos() < TABLES_FRESH.toNanos()) return cached.tables();
        List<String> out = new ArrayList<>();
        var captured = source.capturedTable();
        String in = source.databases().isEmpty() ? "" : " AND table_schema IN ("
                + String.join(", ", source.databases().stream().map(d -> "'" + d.replace("'", "''") + "'").toList())
                + ")";
        try (Statement s = connection(source).createStatement();
             ResultSet r = s.executeQuery("SELECT table_schema, table_name FROM information_schema.tables"
                     + " WHERE table_type = 'BASE TABLE'" + in + " ORDER BY 1, 2")) {
            while (r.next()) {
                String name = r.getString(1) + "." + r.getString(2);
                if (captured.test(name) && regex.matcher(r.getString(2)).matches()) out.add(name);
            }
        }
        tables.put(cacheKey, new TableList(List.copyOf(out), System.nanoTime()));
        return out;
    }

    private Connection connection(SourceConfig source) throws SQLException {
        Map<String, Connection> mine = connections.get();
        Connection c = mine.get(source.name());
        if (c != null) return c;
        Properties p = new Properties();
        long timeoutMillis = config.timeout().toMillis();
        p.setProperty("socketTimeout", Long.toString(timeoutMillis + 1000));   // a silent server cannot hold a worker
        c = SourceConnections.open(source, null, config.timeout(), p);
        try {
            c.setAutoCommit(true);
            c.setReadOnly(true);
            try (Statement s = c.createStatement()) {
                s.execute("SET SESSION TRANSACTION READ ONLY");
                double seconds = Math.max(0.1, timeoutMillis / 1000.0);
                try {
                    s.execute("SET SESSION max_statement_time = " + seconds);                    // MariaDB
                } catch (SQLException notMariaDb) {
                    s.execute("SET SESSION max_execution_time = " + Math.max(100, timeoutMillis));   // MySQL
                }
            }
        } catch (SQLException e) {
            close(c);
            throw e;
        }
        mine.put(source.name(), c);
        open.add(c);
        return c;
    }

    /** Closes this thread's connection to a source after a failure; the next lookup opens a new one. */
    private void forget(SourceConfig source) {
        Connection c = connections.get().remove(source.name());
        if (c != null) close(c);
    }

    private void close(Connection c) {
        open.remove(c);
        try {
            c.close();
        } catch (SQLException | RuntimeException ignored) {
            // a failed connection: nothing to keep
        }
    }

    /** A failure as people read it: timeout, privilege, unreachable; the driver's message cut short, no values. */
    static String reason(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().replace('\n', ' ');
        if (m.length() > 200) m = m.substring(0, 200) + "…";
        String lower = m.toLowerCase(java.util.Locale.ROOT);
        if (e instanceof SQLTimeoutException || lower.contains("max_statement_time") || lower.contains("timed out")
                || lower.contains("timeout") || lower.contains("interrupted")) {
            return "timeout (" + m + ")";
        }
        if (lower.contains("denied")) return "no privilege: " + m + "; grant the source's user SELECT on the table";
        if (e instanceof SQLException s && s.getSQLState() != null && s.getSQLState().startsWith("08")) {
            return "cannot connect: " + m;
        }
        return m;
    }

    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    /** Idempotent: stops the workers (a lookup in progress ends with its timeout) and closes the connections. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        pool.shutdownNow();
        try {
            pool.awaitTermination(config.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Connection c : List.copyOf(open)) close(c);
    }

    /** Lookups started per second at most, over all workers: each takes the next slot, spaced 1/rate apart. */
    static final class RateLimit {
        private final long spacingNanos;
        private long next = System.nanoTime();

        RateLimit(int perSecond) {
            this.spacingNanos = 1_000_000_000L / perSecond;
        }

        /** Waits for a slot; false when the slot would come after {@code deadline} (nanoTime). */
        boolean acquire(long deadline) throws InterruptedException {
            long slot;
            synchronized (this) {
                long now = System.nanoTime();
                slot = Math.max(now, next);
                if (slot > deadline) return false;
                next = slot + spacingNanos;
            }
            long wait = slot - System.nanoTime();
            if (wait > 0) TimeUnit.NANOSECONDS.sleep(wait);
            return true;
        }
    }
}
