package dev.reconciler.app.verify;

import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.match.DatabaseVerdict;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.match.VerificationFinding;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.StreamDef;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StoredRow;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * Verifies one rule over a time window straight from the databases: reads both sides' rows whose change-time column
 * (the source's {@code snapshotLookbackColumn}, {@code gmt_modified} by default) lies in the window, page by page,
 * applies the rule's filters and key mapping, and compares each pair with what the reconciler holds in its state
 * store. Findings go to a {@link FindingSink} (the engine), as discrepancies of the verification types:
 * <ul>
 *   <li>{@code UNOBSERVED_LEFT/RIGHT}: a row in the rule that the pair's state does not hold, holds as left the
 *       rule, or holds with another quantity: the binlog never showed the reconciler this row (or this version).</li>
 *   <li>{@code UNREPORTED_INCONSISTENCY}: every row was observed, the reconciler holds the pair as consistent with
 *       nothing open or pending, but the pair's rows as the databases hold them now are inconsistent (a change the
 *       binlog never carried, such as a row deleted without a binlog event).</li>
 * </ul>
 *
 * <p>Memory is bounded by one page: each page of one table is judged on its own. A pair's rows outside the page
 * that the state knows (the counterpart, another shard's row) are read by primary key; rows the state does not know
 * are judged in their own page. Only rows up to the rule's reconciled-until are judged (newer ones may still be on
 * their way through the binlog), and only rows since the state's retention horizon (older pairs may have been
 * dropped from the state).
 *
 * <p>Read-only and gentle: read-only sessions, a statement timeout, pages of {@link Options#pageRows} rows and a
 * rows-per-second throttle over everything read. One verification at a time per verifier.
 */
public final class WindowVerifier {
    private static final Logger log = LoggerFactory.getLogger(WindowVerifier.class);
    static final int EXAMPLES = 20;
    private static final SourcePosition FROM_DATABASE = new SourcePosition("database", 0, 0);

    /**
     * @param pageRows         rows per page (one query); memory holds about one page
     * @param rowsPerSecond    read at most this many rows per second over both databases (0: no limit)
     * @param statementTimeout each query is stopped by the server after this long
     */
    public record Options(int pageRows, long rowsPerSecond, Duration statementTimeout) {
        public static final int DEFAULT_PAGE_ROWS = 2000;
        public static final long DEFAULT_ROWS_PER_SECOND = 20_000;
        public static final Duration DEFAULT_STATEMENT_TIMEOUT = Duration.ofSeconds(30);

        public Options {
            if (pageRows < 1 || pageRows > 100_000) {
                throw new IllegalArgumentException("page rows must be between 1 and 100000, was " + pageRows);
            }
            if (rowsPerSecond < 0) throw new IllegalArgumentException("rows per second must be 0 (no limit) or more");
            Objects.requireNonNull(statementTimeout, "statementTimeout");
        }

        public static Options defaults() {
            return new Options(DEFAULT_PAGE_ROWS, DEFAULT_ROWS_PER_SECOND, DEFAULT_STATEMENT_TIMEOUT);
        }
    }

    /** A request that cannot be served as asked (unknown rule, empty window); the message names the fix. */
    public static final class BadRequest extends RuntimeException {
        public BadRequest(String message) {
            super(message);
        }
    }

    private final EngineConfig config;
    private final Map<String, SourceConfig> sources = new HashMap<>();
    private final StateStore store;
    private final FindingSink sink;
    private final Options options;

    public WindowVerifier(EngineConfig config, List<SourceConfig> sources, StateStore store, FindingSink sink,
                          Options options) {
        this.config = config;
        for (SourceConfig s : sources) this.sources.put(s.name(), s);
        this.store = store;
        this.sink = sink;
        this.options = options;
    }

    /** The rule, or {@link BadRequest} naming the rules there are. */
    public Rule rule(String name) {
        return config.rule(name).orElseThrow(() -> new BadRequest("no rule '" + name + "'; the rules are "
                + config.rules().stream().map(Rule::name).toList()));
    }

    /**
     * Verifies {@code rule} over {@code [since, until)}.
     *
     * @param reconciledUntil the rule's reconciled-until now (from the engine); null when not known yet
     * @throws BadRequest            for an unknown rule or an inverted window
     * @throws IllegalStateException when a database cannot be read, naming it
     */
    public synchronized VerifySummary verify(String ruleName, Instant since, Instant until, Instant reconciledUntil)
            throws InterruptedException {
        Rule rule = rule(ruleName);
        if (!since.isBefore(until)) {
            throw new BadRequest("the window is empty: since " + since + " is not before until " + until
                    + "; give an earlier --since or a later --until");
        }
        long started = System.nanoTime();
        List<String> notes = new ArrayList<>();
        Instant from = since;
        Instant to = until;
        if (reconciledUntil == null) {
            notes.add("the reconciler has not reconciled anything of rule " + rule.name() + " yet (no watermark from"
                    + " both sides): nothing judged; run verify once it streams");
            to = since;
        } else {
            if (reconciledUntil.isBefore(to)) {
                to = reconciledUntil;
                notes.add("rows changed after the rule's reconciled-until " + reconciledUntil + " are not judged:"
                        + " they may still be on their way through the binlog");
            }
            // Pairs are dropped once both watermarks passed their last event by the retention.
            Instant horizon = reconciledUntil.plus(rule.grace()).plus(config.clockSkew()).minus(config.retention())
                    .plus(Duration.ofMinutes(1));
            if (horizon.isAfter(from)) {
                from = horizon;
                notes.add("rows changed before " + horizon + " are not judged: the reconciler keeps finished pairs"
                        + " for its retention (" + config.retention() + ") only");
            }
        }
        Run run = new Run(rule, from, to);
        if (from.isBefore(to)) {
            try (Readers readers = new Readers()) {
                for (Side side : Side.values()) run.side(readers, side);
            } catch (SQLException e) {
                throw new IllegalStateException("verify " + rule.name() + ": reading a database failed ("
                        + e.getMessage() + "); check the source's reachability, or lower the page size if a query hit"
                        + " the statement timeout", e);
            }
            ReconciliationEngine.VerificationResult closed = sink.close(rule.name(), from, to, run.found);
            run.resolved += closed.resolved();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        VerifySummary summary = new VerifySummary(rule.name(), since, until, from, to, reconciledUntil,
                Map.of("left", run.read[0], "right", run.read[1]), Map.of("left", run.inRule[0], "right", run.inRule[1]),
                run.counterparts, run.findings, run.opened, run.alreadyOpen, run.resolved, seconds,
                run.throttle.sleptMillis() / 1000.0, run.examples, notes);
        log.debug("verify {} [{} .. {}): {} rows read, {} findings ({} new), {} resolved, {} s", rule.name(), from, to,
                run.throttle.rows(), summary.totalFindings(), run.opened, run.resolved, String.format("%.1f", seconds));
        return summary;
    }

    /** One read-only session per source, opened when first needed, closed together. */
    private final class Readers implements AutoCloseable {
        private final Map<String, DatabaseReader> open = new HashMap<>();

        DatabaseReader of(String source) {
            return open.computeIfAbsent(source, s -> {
                SourceConfig c = sources.get(s);
                if (c == null) throw new IllegalStateException("no source '" + s + "' in the configuration");
                return new DatabaseReader(c, options.statementTimeout());
            });
        }

        @Override
        public void close() {
            open.values().forEach(DatabaseReader::close);
        }
    }

    /** A table of a side: its source, its reader, its description. */
    private record SideTable(Side side, String source, DatabaseReader reader, DatabaseReader.Table table) {
    }

    /** One verification's progress and counts. */
    private final class Run {
        final Rule rule;
        final Instant from;
        final Instant to;
        final Throttle throttle = new Throttle(options.rowsPerSecond());
        final long[] read = new long[2];
        final long[] inRule = new long[2];
        long counterparts;
        final Map<DiscrepancyType, Long> findings = new EnumMap<>(DiscrepancyType.class);
        final Set<String> found = new HashSet<>();
        final List<String> examples = new ArrayList<>();
        long opened;
        long alreadyOpen;
        long resolved;
        /** Every table of both sides by (side, source, table name), for reads by primary key. */
        final Map<String, SideTable> tables = new HashMap<>();

        Run(Rule rule, Instant from, Instant to) {
            this.rule = rule;
            this.from = from;
            this.to = to;
        }

        List<SideTable> tables(Readers readers, Side side) throws SQLException {
            StreamDef stream = config.streamOf(rule, side);
            List<SideTable> out = new ArrayList<>();
            for (String source : stream.sources()) {
                DatabaseReader reader = readers.of(source);
                for (DatabaseReader.Table t : reader.tables(name -> stream.contains(source, name))) {
                    SideTable st = new SideTable(side, source, reader, t);
                    out.add(st);
                    tables.putIfAbsent(side + "/" + source + "/" + t.name(), st);
                }
            }
            return out;
        }

        void side(Readers readers, Side side) throws SQLException, InterruptedException {
            // both sides' tables are listed first: a page may need the other side's rows by primary key
            if (tables.isEmpty()) for (Side s : Side.values()) tables(readers, s);
            for (SideTable st : List.copyOf(tables.values())) {
                if (st.side() != side) continue;
                String timeColumn = sources.get(st.source()).snapshotLookbackColumn();
                TableScan scan = new TableScan(st.reader(), st.table(), timeColumn, columns(side), st.reader().local(from),
                        st.reader().local(to), options.pageRows());
                while (true) {
                    List<DatabaseReader.Row> page = scan.next();
                    if (page.isEmpty()) break;
                    read[side.ordinal()] += page.size();
                    throttle.read(page.size());
                    judge(st, page);
                    if (Thread.interrupted()) throw new InterruptedException("verify interrupted");
                }
            }
        }

        List<String> columns(Side side) {
            return List.copyOf(rule.columnsRead(side));
        }

        /** Judges one page of one table: unobserved rows, then the pairs whose every row was observed. */
        void judge(SideTable st, List<DatabaseReader.Row> page) throws SQLException, InterruptedException {
            Side side = st.side();
            Map<PairKey, List<RowImage>> byKey = new LinkedHashMap<>();
            for (DatabaseReader.Row row : page) {
                RowImage image = image(st, row);
                PairKey key = inRule(side, image);
                if (key == null) continue;
                inRule[side.ordinal()]++;
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(image);
            }
            if (byKey.isEmpty()) return;
            Map<PairKey, PairState> states = store.pairs(byKey.keySet());
            List<VerificationFinding> out = new ArrayList<>();
            List<PairKey> candidates = new ArrayList<>();
            for (Map.Entry<PairKey, List<RowImage>> e : byKey.entrySet()) {
                PairState state = states.get(e.getKey());
                List<RowImage> unobserved = new ArrayList<>();
                for (RowImage db : e.getValue()) if (!observed(side, db, state)) unobserved.add(db);
                if (!unobserved.isEmpty()) {
                    List<RowImage> other = state == null ? List.of() : images(state.liveRows(other(side)));
                    DiscrepancyType type = side == Side.LEFT ? DiscrepancyType.UNOBSERVED_LEFT
                            : DiscrepancyType.UNOBSERVED_RIGHT;
                    out.add(new VerificationFinding(rule.name(), e.getKey().values(), type,
                            side == Side.LEFT ? unobserved : other, side == Side.LEFT ? other : unobserved, null));
                } else if (state != null && state.open().isEmpty() && state.waitLeft() == null
                        && state.waitRight() == null && !(side == Side.RIGHT && judgedFromLeft(state))) {
                    candidates.add(e.getKey());
                }
            }
            out.addAll(unreported(candidates, states, byKey, side));
            if (!out.isEmpty()) record(out);
        }

        /**
         * The candidates whose rows, as the databases hold them, are inconsistent: the page's rows of the pair plus
         * every live row the state holds for it elsewhere, read by primary key.
         */
        List<VerificationFinding> unreported(List<PairKey> candidates, Map<PairKey, PairState> states,
                                             Map<PairKey, List<RowImage>> byKey, Side side) throws SQLException,
                InterruptedException {
            if (candidates.isEmpty()) return List.of();
            Map<String, List<String>> wanted = new TreeMap<>();   // "side/source/table" -> primary keys
            for (PairKey k : candidates) {
                Set<RowId> inPage = new HashSet<>();
                for (RowImage i : byKey.get(k)) inPage.add(i.id());
                for (StoredRow r : states.get(k).rows()) {
                    if (!r.live() || inPage.contains(r.image().id())) continue;
                    RowId id = r.image().id();
                    wanted.computeIfAbsent(r.side() + "/" + id.source() + "/" + id.table(), x -> new ArrayList<>())
                            .add(id.primaryKey());
                }
            }
            Map<RowId, RowImage> fetched = new HashMap<>();
            for (Map.Entry<String, List<String>> e : wanted.entrySet()) {
                SideTable st = tables.get(e.getKey());
                if (st == null) continue;   // a table no longer captured: its rows count as gone
                List<DatabaseReader.Row> rows = st.reader().byPrimaryKey(st.table(),
                        sources.get(st.source()).snapshotLookbackColumn(), columns(st.side()), e.getValue());
                counterparts += rows.size();
                throttle.read(rows.size());
                for (DatabaseReader.Row row : rows) {
                    RowImage image = image(st, row);
                    fetched.put(image.id(), image);
                }
            }
            List<VerificationFinding> out = new ArrayList<>();
            for (PairKey k : candidates) {
                Map<Side, List<RowImage>> rows = new EnumMap<>(Side.class);
                rows.put(Side.LEFT, new ArrayList<>());
                rows.put(Side.RIGHT, new ArrayList<>());
                rows.get(side).addAll(byKey.get(k));
                Set<RowId> inPage = new HashSet<>();
                for (RowImage i : byKey.get(k)) inPage.add(i.id());
                for (StoredRow r : states.get(k).rows()) {
                    if (!r.live() || inPage.contains(r.image().id())) continue;
                    RowImage db = fetched.get(r.image().id());
                    // gone, out of the rule, or moved to another pair: not one of this pair's rows any more
                    if (db != null && k.equals(inRule(r.side(), db))) rows.get(r.side()).add(db);
                }
                DatabaseVerdict v = DatabaseVerdict.of(rule, rows.get(Side.LEFT), rows.get(Side.RIGHT));
                if (v.consistent()) continue;
                out.add(new VerificationFinding(rule.name(), k.values(), DiscrepancyType.UNREPORTED_INCONSISTENCY,
                        rows.get(Side.LEFT), rows.get(Side.RIGHT), v.difference()));
            }
            return out;
        }

        void record(List<VerificationFinding> out) {
            ReconciliationEngine.VerificationResult result = sink.record(out);
            for (int i = 0; i < out.size(); i++) {
                VerificationFinding f = out.get(i);
                String id = result.ids().get(i);
                if (!found.add(id)) continue;   // the same pair found again from the other side or another page
                findings.merge(f.type(), 1L, Long::sum);
                if (examples.size() < EXAMPLES) examples.add(id + " " + f.type() + " " + f.key());
            }
            opened += result.opened();
            // an id found for the first time in this run but not opened by it was open before the run
            alreadyOpen = found.size() - opened;
        }

        /**
         * Whether the left pass already judged this pair as a whole: one of its live left rows changed inside the
         * window (by its binlog commit time, which the database's change time follows within the clock skew). Saves
         * reading every matched pair's rows by primary key twice.
         */
        boolean judgedFromLeft(PairState state) {
            for (StoredRow r : state.liveRows(Side.LEFT)) {
                Instant t = r.image().eventTime();
                if (!t.isBefore(from) && t.isBefore(to)) return true;
            }
            return false;
        }

        /** Whether the state holds this row, live, with this quantity: the binlog showed the reconciler this version. */
        boolean observed(Side side, RowImage db, PairState state) {
            if (state == null) return false;
            StoredRow stored = state.row(db.id());
            if (stored == null || !stored.live() || stored.side() != side) return false;
            if (rule.quantity() == null) return true;
            String column = rule.quantity().column(side);
            return quantity(db.column(column)).compareTo(quantity(stored.image().column(column))) == 0;
        }

        /** The pair a row belongs to, or null when it does not match the side's filter or has a blank key part. */
        PairKey inRule(Side side, RowImage image) {
            if (!rule.side(side).filter().matchesCanonical(image.columns())) return null;
            List<KeyMapping.Part> parts = rule.key().parts();
            List<String> values = new ArrayList<>(parts.size());
            for (KeyMapping.Part p : parts) {
                String v = image.column(p.column(side));
                if (v == null || v.isEmpty()) return null;
                values.add(v);
            }
            return new PairKey(rule.name(), values);
        }

        /** A database row as the engine would see it: canonical values, its change time as the event time. */
        RowImage image(SideTable st, DatabaseReader.Row row) {
            Map<String, String> columns = new LinkedHashMap<>();
            for (Map.Entry<String, Object> c : row.columns().entrySet()) {
                Object v = c.getValue() instanceof LocalDateTime t ? st.reader().instant(t) : c.getValue();
                columns.put(c.getKey(), Values.canonical(v));
            }
            Instant changed = st.reader().instant(row.changed());
            String timeColumn = sources.get(st.source()).snapshotLookbackColumn();
            columns.putIfAbsent(timeColumn, Values.iso(changed));
            // the primary key as the binlog reader writes it (String.valueOf of the key column's value)
            return new RowImage(new RowId(st.source(), st.table().name(), String.valueOf(row.primaryKey())), columns,
                    changed, FROM_DATABASE);
        }
    }

    private static BigDecimal quantity(String canonical) {
        BigDecimal q = Values.quantity(canonical);
        return q == null ? BigDecimal.ZERO : q;
    }

    private static Side other(Side side) {
        return side == Side.LEFT ? Side.RIGHT : Side.LEFT;
    }

    private static List<RowImage> images(List<StoredRow> rows) {
        return rows.stream().map(StoredRow::image).toList();
    }
}
