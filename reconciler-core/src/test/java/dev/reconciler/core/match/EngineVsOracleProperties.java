package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.match.BatchJoinOracle.Expected;
import dev.reconciler.core.match.BatchJoinOracle.MatchedKey;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import net.jqwik.api.AfterFailureMode;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.EdgeCasesMode;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.GenerationMode;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.RandomDistribution;
import net.jqwik.api.statistics.Statistics;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The engine against {@link BatchJoinOracle}, on random histories of the two flow tables: inserts into four order
 * shards and the inventory table, updates (logical delete and undelete, quantity, state, KEY changes, all with
 * their before image), deletes. Each source's changes are delivered in its log order, the two sources randomly
 * interleaved (each event arrives some seconds after its commit), in random batches, with at-least-once replays of
 * an already delivered suffix (as Debezium does after a crash, sometimes after a restart of the engine on its
 * store), and watermarks that never run ahead of what their source delivered (sometimes a source lags for a long
 * stretch). At the end every watermark passes every event and the engine must say what the batch join says.
 *
 * <p>Checked on every history:
 * <ul>
 *   <li>the open discrepancies (rule, key, type, difference) equal the oracle's;</li>
 *   <li>the outcomes fold to the store's open set, Opened and Resolved alternating per id, Opened first;</li>
 *   <li>exactly the keys the oracle matches have a matched pair;</li>
 *   <li>a replay (and, after the end, a second delivery of the whole history) reports nothing;</li>
 *   <li>no MISSING_* (nor a SUM shortfall) is reported before the other side's watermark reached
 *       {@code since + grace + clockSkew} of the pair's earliest row, where {@code since} (when the row last
 *       entered the pair) is recomputed from the history, not read from the engine.</li>
 * </ul>
 *
 * <p>Runs are random every time ({@link AfterFailureMode#RANDOM_SEED}: a sample stored by an earlier failing run is
 * not replayed first, so a result never depends on a local jqwik database). A failure prints the shrunk history
 * (both sources' events with log positions and commit times), the engine calls it was delivered by, the outcomes,
 * and jqwik's seed (to rerun the same samples, temporarily add {@code seed = "..."} to the property).
 */
class EngineVsOracleProperties {

    // ------------------------------------------------------------------------------------------------ properties

    // Edge cases off: jqwik's are near-empty histories (all choices 0), a sixth of the tries spent on nothing.
    @Property(tries = 1000, afterFailure = AfterFailureMode.RANDOM_SEED, generation = GenerationMode.RANDOMIZED,
            edgeCases = EdgeCasesMode.NONE)
    void engineAgreesWithTheBatchJoin(@ForAll("scenarios") Scenario scenario) {
        Run run = new Run(scenario);
        run.execute();
        collectStatistics(run);
    }

    /** The same checks with a source lagging from the start and watermarks moving often: the no-false-MISSING focus. */
    @Property(tries = 300, afterFailure = AfterFailureMode.RANDOM_SEED, generation = GenerationMode.RANDOMIZED)
    void nothingIsMissingBeforeTheOtherSideCaughtUp(@ForAll("laggingScenarios") Scenario scenario) {
        new Run(scenario).execute();
    }

    // ------------------------------------------------------------------------------------------------ the oracle itself

    @Example
    void oracleMatchesAConfirmedOrderWithItsDeduction() {
        EngineConfig config = OrderInventory.config(Duration.ZERO);
        List<Fact> facts = List.of(
                order(1, 0, "O1", "1001", "CREATE_AND_CONFIRM", "CONFIRM", 2, 0, 1),
                inventory(1, "O1", 1001, "TRY_SALE", 2, 0, 1));
        BatchJoinOracle.Result r = BatchJoinOracle.judge(config, facts);
        check(r.discrepancies().isEmpty(), "no discrepancy expected: " + r.discrepancies());
        check(r.matched().equals(Set.of(new MatchedKey("sale", List.of("O1", "1001")))), "matched: " + r.matched());
    }

    @Example
    void oracleJudgesFinalContentsOnly() {
        EngineConfig config = OrderInventory.config(Duration.ZERO);
        Map<String, Object> o = OrderInventory.orderRow(1, "O1", "1001", "CONFIRM", "CONFIRM", 2, 0);
        Map<String, Object> moved = new LinkedHashMap<>(o);
        moved.put("goods_id", "1002");
        Map<String, Object> i1 = OrderInventory.inventoryRow(1, "O1", 1001, "TRY_SALE", 2, 0);
        Map<String, Object> i2 = OrderInventory.inventoryRow(2, "O1", 1002, "TRY_SALE", 1, 0);
        Map<String, Object> i3 = OrderInventory.inventoryRow(3, "O1", 1002, "TRY_SALE", 5, 0);
        Map<String, Object> i3deleted = new LinkedHashMap<>(i3);
        i3deleted.put("deleted", 1);
        List<Fact> facts = List.of(
                OrderInventory.fact("orders", OrderInventory.shard(0), Operation.INSERT, o, null, OrderInventory.T0, 1),
                OrderInventory.fact("orders", OrderInventory.shard(0), Operation.UPDATE, moved, o, OrderInventory.T0, 2),
                OrderInventory.fact("inventory", OrderInventory.INVENTORY_TABLE, Operation.INSERT, i1, null, OrderInventory.T0, 1),
                OrderInventory.fact("inventory", OrderInventory.INVENTORY_TABLE, Operation.INSERT, i2, null, OrderInventory.T0, 2),
                OrderInventory.fact("inventory", OrderInventory.INVENTORY_TABLE, Operation.INSERT, i3, null, OrderInventory.T0, 3),
                OrderInventory.fact("inventory", OrderInventory.INVENTORY_TABLE, Operation.UPDATE, i3deleted, i3, OrderInventory.T0, 4));
        BatchJoinOracle.Result r = BatchJoinOracle.judge(config, facts);
        Set<Expected> expected = Set.of(
                new Expected("sale", List.of("O1", "1001"), DiscrepancyType.MISSING_LEFT, null),
                new Expected("sale", List.of("O1", "1002"), DiscrepancyType.QUANTITY_MISMATCH, "-1"));
        check(r.discrepancies().equals(expected), "discrepancies: " + r.discrepancies());
        check(r.matched().isEmpty(), "matched: " + r.matched());
    }

    @Example
    void oracleDuplicatesAndSums() {
        Duration g = Duration.ZERO;
        EngineConfig oneToOne = OrderInventory.config(g);
        EngineConfig sum = new EngineConfig(List.of(OrderInventory.orderStream(), OrderInventory.inventoryStream()),
                List.of(OrderInventory.sale(g, Multiplicity.SUM), OrderInventory.cancel(g)),
                Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofDays(7));
        // Two order rows on two shards (row 9 of shard 1 and row 10 of shard 0: shard 0 is the lower row id),
        // two deductions 10 and 9 (9 is the lower id: numeric order); a non-numeric quantity quarantines its row (no member of the pair).
        List<Fact> facts = List.of(
                order(10, 0, "O1", "1001", "CONFIRM", "CONFIRM", 3, 0, 1),
                order(9, 1, "O1", "1001", "CONFIRM", "CONFIRM", 1, 0, 2),
                inventory(10, "O1", 1001, "TRY_SALE", 2, 0, 1),
                inventory(9, "O1", 1001, "UNFREEZE_AND_SALE", 1, 0, 2),
                inventory(11, "O1", 1001, "TRY_SALE", "n/a", 0, 3),
                inventory(12, "O1", 1001, "FREEZE_INVENTORY", 7, 0, 4));
        BatchJoinOracle.Result r1 = BatchJoinOracle.judge(oneToOne, facts);
        check(r1.discrepancies().equals(Set.of(
                new Expected("sale", List.of("O1", "1001"), DiscrepancyType.DUPLICATE_LEFT, null),
                new Expected("sale", List.of("O1", "1001"), DiscrepancyType.DUPLICATE_RIGHT, null),
                new Expected("sale", List.of("O1", "1001"), DiscrepancyType.QUANTITY_MISMATCH, "-2"))),
                "one-to-one: " + r1.discrepancies());
        BatchJoinOracle.Result r2 = BatchJoinOracle.judge(sum, facts);
        check(r2.discrepancies().equals(Set.of(
                new Expected("sale", List.of("O1", "1001"), DiscrepancyType.DUPLICATE_LEFT, null))),
                "sum: " + r2.discrepancies());
    }

    // ------------------------------------------------------------------------------------------------ generators

    private static final Duration[] GRACES = {Duration.ZERO, Duration.ofSeconds(5), Duration.ofSeconds(30)};
    /** Commit-time steps between two events of one source, seconds; index 0 (what shrinking aims at) is 0 s. */
    private static final int[] STEPS = {0, 1, 0, 2, 3, 5, 8, 13, 31, 45};
    /** stream_type and the order_state after it; the ones the default rules read come twice. */
    private static final String[][] ORDER_TYPES = {
            {"CREATE", "CREATE"}, {"CONFIRM", "CONFIRM"}, {"CREATE_AND_CONFIRM", "CONFIRM"},
            {"PAY", "PAID"}, {"CANCEL", "CLOSED"}, {"TIME_OUT", "CLOSED"},
            {"CONFIRM", "CONFIRM"}, {"CREATE_AND_CONFIRM", "CONFIRM"}, {"CANCEL", "CLOSED"}};
    private static final String[] ORDER_STATES = {"CREATE", "CONFIRM", "PAID", "CLOSED", "FINISH"};
    private static final String[] INVENTORY_TYPES =
            {"TRY_SALE", "UNFREEZE_AND_SALE", "CANCEL_SALE", "FREEZE_INVENTORY", "MODIFY_PRICE"};
    /** Quantities an update may set: mostly small numbers, sometimes 0, SQL NULL, not a number, or 2.000000. */
    private static final Object[] QUANTITIES = {1, 2, 3, 2, 1, 3, 0, null, "n/a", new BigDecimal("2.000000")};
    private static final int[] ID_BASES = {1, 8, 98};

    /**
     * One change of one source, as raw choices; {@link History#of} turns the list into concrete facts.
     *
     * @param source 0 orders, 1 inventory
     * @param kind   0..4 insert, 5..8 update, 9 delete (insert when the source has no row yet); an inventory
     *               insert of kind 0..2 is the counterpart of an existing order row (key, type, quantity)
     * @param target which order id (insert) or which existing row (update, delete)
     * @param step   index into {@link #STEPS}: seconds since the source's previous commit
     */
    record Change(int source, int kind, int target, int v1, int v2, int v3, int step) {
    }

    /**
     * How one event travels to the engine. Every choice shrinks towards 0: no lag, one event per batch, nothing
     * happening in between.
     *
     * @param lateness seconds the event arrives after its commit; the two sources are merged by arrival (commit
     *                 time + lateness, never overtaking an earlier event of the same source)
     * @param batch    3 or 4: the next event to arrive joins this one's batch (up to 5 facts a batch)
     * @param action   after the batch: 5, 6 advance a watermark; 7 make a source lag (or none); 8, 9 a replay
     *                 (sometimes after a restart of the engine)
     * @param arg      the action's choices (which source, how far back, ...)
     */
    record Delivery(int lateness, int batch, int action, int arg) {
    }

    record Step(Change change, Delivery delivery) {
    }

    /** A random history and a random delivery of it. */
    record Scenario(int grace, boolean sum, int orderIds, int goodsIds, int idBase, int initialLag,
                    List<Step> steps) {
        @Override
        public String toString() {
            History h = History.of(this);
            return h.describe() + "\n" + Plan.of(h, this).describe(-1);
        }
    }

    @Provide
    Arbitrary<Scenario> scenarios() {
        return scenarios(Arbitraries.integers().between(0, 2), Arbitraries.integers().between(0, 9));
    }

    @Provide
    Arbitrary<Scenario> laggingScenarios() {
        // Half of the events are followed by a watermark move or a lag toggle; a source lags from the start.
        return scenarios(Arbitraries.integers().between(1, 2), Arbitraries.oneOf(
                Arbitraries.integers().between(0, 9), Arbitraries.integers().between(5, 7)));
    }

    private static Arbitrary<Scenario> scenarios(Arbitrary<Integer> initialLag, Arbitrary<Integer> action) {
        Arbitrary<Change> change = Combinators.combine(
                Arbitraries.integers().between(0, 1),
                Arbitraries.integers().between(0, 9),
                Arbitraries.integers().between(0, 99),
                Arbitraries.integers().between(0, 999),
                Arbitraries.integers().between(0, 999),
                Arbitraries.integers().between(0, 999),
                Arbitraries.integers().between(0, STEPS.length - 1)).as(Change::new);
        Arbitrary<Delivery> delivery = Combinators.combine(
                Arbitraries.of(0, 0, 0, 1, 2, 5, 10, 40),
                Arbitraries.integers().between(0, 4),
                action,
                Arbitraries.integers().between(0, 999)).as(Delivery::new);
        Arbitrary<Step> step = Combinators.combine(change, delivery).as(Step::new);
        return Combinators.combine(
                Arbitraries.integers().between(0, GRACES.length - 1),
                Arbitraries.of(false, true),
                Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(0, ID_BASES.length - 1),
                initialLag,
                step.list().ofMinSize(1).ofMaxSize(25).withSizeDistribution(RandomDistribution.uniform()))
                .as(Scenario::new);
    }

    // ------------------------------------------------------------------------------------------------ histories

    private static final String[] SOURCES = {OrderInventory.ORDERS, OrderInventory.INVENTORY};
    private static final int ORD = 0;
    private static final int INV = 1;

    /** The concrete facts of a scenario, per source in log order, and the configuration they run under. */
    static final class History {
        final EngineConfig config;
        final Duration grace;
        final boolean sum;
        final List<List<Fact>> logs = List.of(new ArrayList<>(), new ArrayList<>());
        /** How each event of {@link #logs} is delivered. */
        final List<List<Delivery>> deliveries = List.of(new ArrayList<>(), new ArrayList<>());

        private History(EngineConfig config, Duration grace, boolean sum) {
            this.config = config;
            this.grace = grace;
            this.sum = sum;
        }

        private static final class GenRow {
            final String table;
            Map<String, Object> image;
            boolean exists = true;

            GenRow(String table, Map<String, Object> image) {
                this.table = table;
                this.image = image;
            }
        }

        static History of(Scenario s) {
            Duration grace = GRACES[s.grace()];
            EngineConfig config = s.sum()
                    ? new EngineConfig(List.of(OrderInventory.orderStream(), OrderInventory.inventoryStream()),
                    List.of(OrderInventory.sale(grace, Multiplicity.SUM), OrderInventory.cancel(grace)),
                    Duration.ofSeconds(2), Duration.ofMinutes(1), Duration.ofDays(7))
                    : OrderInventory.config(grace);
            History h = new History(config, grace, s.sum());
            int base = ID_BASES[s.idBase()];
            long[] shardIds = {base, base, base, base};
            long inventoryId = base;
            long[] seconds = {0, 0};
            long[] positions = {0, 0};
            List<List<GenRow>> rows = List.of(new ArrayList<>(), new ArrayList<>());
            for (Step st : s.steps()) {
                Change op = st.change();
                int src = op.source();
                List<GenRow> alive = rows.get(src).stream().filter(r -> r.exists).toList();
                seconds[src] += STEPS[op.step()];
                Instant at = OrderInventory.T0.plusSeconds(seconds[src]);
                long pos = ++positions[src];
                Fact fact;
                if (alive.isEmpty() || op.kind() <= 4) {
                    GenRow row;
                    if (src == ORD) {
                        int shard = op.v1() % 4;
                        String[] type = ORDER_TYPES[op.v3() % ORDER_TYPES.length];
                        Map<String, Object> m = OrderInventory.orderRow(shardIds[shard]++,
                                orderId(op.target(), s.orderIds()), goodsText(op.v2(), s.goodsIds()), type[0], type[1],
                                1 + (op.v3() / ORDER_TYPES.length) % 3, (op.v1() / 4) % 10 == 9 ? 1 : 0);
                        if ((op.v1() / 40) % 10 == 9) m.put("goods_type", "BLIND_BOX");
                        row = new GenRow(OrderInventory.shard(shard), m);
                    } else if (op.kind() <= 2 && !rows.get(ORD).isEmpty()) {
                        // The inventory flow that the order service's call caused, most of the time right.
                        Map<String, Object> o = rows.get(ORD).get(op.target() % rows.get(ORD).size()).image;
                        String type = switch (String.valueOf(o.get("stream_type"))) {
                            case "CANCEL", "TIME_OUT" -> "CANCEL_SALE";
                            case "CREATE", "PAY" -> op.v3() % 3 == 0 ? "FREEZE_INVENTORY" : "TRY_SALE";
                            default -> op.v3() % 2 == 0 ? "TRY_SALE" : "UNFREEZE_AND_SALE";
                        };
                        BigDecimal count = Values.quantity(Values.canonical(o.get("item_count")));
                        long quantity = (count == null ? 1 : count.longValue()) + ((op.v3() / 10) % 10 == 9 ? 1 : 0);
                        String goods = Values.canonical(o.get("goods_id"));
                        Map<String, Object> m = OrderInventory.inventoryRow(inventoryId++, (String) o.get("order_id"),
                                0, type, quantity, (op.v1() / 4) % 10 == 9 ? 1 : 0);
                        m.put("collection_id", goods == null || goods.isEmpty() ? null : Long.valueOf(goods));
                        row = new GenRow(OrderInventory.INVENTORY_TABLE, m);
                    } else {
                        row = new GenRow(OrderInventory.INVENTORY_TABLE, OrderInventory.inventoryRow(inventoryId++,
                                orderId(op.target(), s.orderIds()), goodsNumber(op.v2(), s.goodsIds()),
                                INVENTORY_TYPES[op.v3() % INVENTORY_TYPES.length],
                                1 + (op.v3() / INVENTORY_TYPES.length) % 3, (op.v1() / 4) % 10 == 9 ? 1 : 0));
                    }
                    rows.get(src).add(row);
                    fact = OrderInventory.fact(SOURCES[src], row.table, Operation.INSERT, row.image, null, at, pos);
                } else if (op.kind() <= 8) {
                    GenRow row = alive.get(op.target() % alive.size());
                    Map<String, Object> before = row.image;
                    Map<String, Object> after = new LinkedHashMap<>(before);
                    if (src == ORD) {
                        switch (op.v1() % 6) {
                            case 0 -> after.put("deleted", 1 - ((Number) before.get("deleted")).intValue());
                            case 1 -> after.put("item_count", QUANTITIES[op.v2() % QUANTITIES.length]);
                            case 2, 5 -> after.put("goods_id", (op.v2() / 10) % 10 == 9 ? null
                                    : goodsText(op.v2(), s.goodsIds()));
                            case 3 -> after.put("order_state", ORDER_STATES[op.v2() % ORDER_STATES.length]);
                            default -> after.put("order_id", orderId(op.v2(), s.orderIds()));
                        }
                    } else {
                        switch (op.v1() % 5) {
                            case 0, 4 -> after.put("deleted", 1 - ((Number) before.get("deleted")).intValue());
                            case 1 -> after.put("changed_quantity", QUANTITIES[op.v2() % QUANTITIES.length]);
                            case 2 -> after.put("collection_id", (op.v2() / 10) % 10 == 9 ? null
                                    : goodsNumber(op.v2(), s.goodsIds()));
                            default -> after.put("identifier", orderId(op.v2(), s.orderIds()));
                        }
                    }
                    row.image = after;
                    fact = OrderInventory.fact(SOURCES[src], row.table, Operation.UPDATE, after, before, at, pos);
                } else {
                    GenRow row = alive.get(op.target() % alive.size());
                    row.exists = false;
                    fact = OrderInventory.fact(SOURCES[src], row.table, Operation.DELETE, row.image, null, at, pos);
                }
                h.logs.get(src).add(fact);
                h.deliveries.get(src).add(st.delivery());
            }
            return h;
        }

        private static String orderId(int choice, int count) {
            return "O" + (1 + choice % count);
        }

        /** The order side's varchar goods id; sometimes padded with blanks (the key compares trimmed text). */
        private static String goodsText(int choice, int count) {
            String id = String.valueOf(1001 + choice % count);
            return (choice / 100) % 10 == 7 ? " " + id + " " : id;
        }

        private static long goodsNumber(int choice, int count) {
            return 1001 + choice % count;
        }

        List<Fact> log(String source) {
            return logs.get(source.equals(SOURCES[ORD]) ? ORD : INV);
        }

        List<Fact> all() {
            List<Fact> all = new ArrayList<>(logs.get(ORD));
            all.addAll(logs.get(INV));
            return all;
        }

        Instant lastEventTime() {
            Instant max = OrderInventory.T0;
            for (Fact f : all()) if (f.eventTime().isAfter(max)) max = f.eventTime();
            return max;
        }

        String describe() {
            StringBuilder sb = new StringBuilder();
            sb.append("history: rules ").append(sum ? "sale(SUM)" : "sale(ONE_TO_ONE)").append(" + cancel, grace ")
                    .append(grace.toSeconds()).append("s, clock skew ").append(config.clockSkew().toSeconds())
                    .append("s, times in seconds after T0");
            for (int s = 0; s < 2; s++) {
                sb.append("\n  source ").append(SOURCES[s]).append(':');
                if (logs.get(s).isEmpty()) sb.append(" (no event)");
                for (Fact f : logs.get(s)) sb.append("\n    ").append(describe(f));
            }
            return sb.toString();
        }

        static String describe(Fact f) {
            StringBuilder sb = new StringBuilder();
            sb.append(label(f)).append(" t+").append(Duration.between(OrderInventory.T0, f.eventTime()).toSeconds())
                    .append("s ").append(f.operation()).append(' ').append(f.table()).append('#')
                    .append(f.row().primaryKey()).append(' ');
            if (f.operation() == Operation.UPDATE && f.before() != null) {
                Map<String, String> changed = new LinkedHashMap<>();
                f.columns().forEach((k, v) -> {
                    Object old = f.before().get(k);
                    if (!String.valueOf(old).equals(String.valueOf(v))) changed.put(k, old + " -> " + v);
                });
                sb.append("set ").append(changed.isEmpty() ? "(nothing)" : changed).append(" now ");
            }
            Map<String, Object> shown = new LinkedHashMap<>(f.columns());
            shown.remove("id");
            if ("COLLECTION".equals(shown.get("goods_type"))) shown.remove("goods_type");
            return sb.append(quoteBlanks(shown)).toString();
        }

        private static Map<String, Object> quoteBlanks(Map<String, Object> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(k, v instanceof String s && !s.equals(s.trim()) ? "'" + s + "'" : v));
            return out;
        }

        static String label(Fact f) {
            return (f.source().equals(SOURCES[ORD]) ? "o" : "i") + f.position().offset();
        }
    }

    // ------------------------------------------------------------------------------------------------ delivery

    /** One call into the engine (or a remark for the reader), computed from the scenario alone. */
    sealed interface Call {
    }

    /** {@code engine.apply(facts)}; {@code replayOnly}: every fact was delivered before. */
    record Apply(List<Fact> facts, boolean replayOnly) implements Call {
    }

    record Advance(int source, Instant to) implements Call {
    }

    /** The reconciler process restarts: a new engine on the same store (as after the crash behind a replay). */
    record Restart() implements Call {
    }

    /** Moves the wall clock (only at the end, so that no source looks stalled). */
    record SetClock(Instant to) implements Call {
    }

    record Note(String text) implements Call {
    }

    /**
     * The delivery of a history: the two sources merged by arrival, batches, and after each batch the actions of
     * its events: watermark moves (never beyond the commit time of the source's last delivered event), lag
     * toggles (a lagging source's watermark is held), and replays of an already delivered suffix of a source (its
     * batches sometimes carrying new events of the other source along). Ends with every watermark a day past the
     * last commit.
     */
    static final class Plan {
        private static final int[] HOLD_BACK = {0, 0, 1, 3};

        final List<Call> calls = new ArrayList<>();
        private final History h;
        private final List<int[]> order = new ArrayList<>();   // {source, index} in arrival order
        private final int[] delivered = {0, 0};
        private final Instant[] watermark = {null, null};
        private int next;
        private int lagging;
        int replays;

        private Plan(History h, Scenario s) {
            this.h = h;
            this.lagging = s.initialLag() - 1;
        }

        static Plan of(History h, Scenario s) {
            Plan p = new Plan(h, s);
            p.build();
            return p;
        }

        private void build() {
            List<long[]> arrivals = new ArrayList<>();   // {arrival ms, source, index}
            for (int s = 0; s < 2; s++) {
                long previous = Long.MIN_VALUE;
                for (int i = 0; i < h.logs.get(s).size(); i++) {
                    Fact f = h.logs.get(s).get(i);
                    long arrival = Math.max(previous, f.eventTime().toEpochMilli()
                            + 1000L * h.deliveries.get(s).get(i).lateness());
                    previous = arrival;
                    arrivals.add(new long[]{arrival, s, i});
                }
            }
            arrivals.sort((a, b) -> a[0] != b[0] ? Long.compare(a[0], b[0])
                    : a[1] != b[1] ? Long.compare(a[1], b[1]) : Long.compare(a[2], b[2]));
            for (long[] a : arrivals) order.add(new int[]{(int) a[1], (int) a[2]});

            if (lagging >= 0) calls.add(new Note(SOURCES[lagging] + " lags (its watermark is held)"));
            while (next < order.size()) {
                List<Fact> batch = new ArrayList<>();
                List<Delivery> actions = new ArrayList<>();
                Delivery d;
                do {
                    d = take(batch);
                    actions.add(d);
                } while (next < order.size() && d.batch() >= 3 && batch.size() < 5);
                calls.add(new Apply(batch, false));
                for (int i = 0; i < actions.size(); i++) actions.addAll(act(actions.get(i)));
            }
            Instant end = h.lastEventTime().plus(Duration.ofDays(1));
            calls.add(new SetClock(end));
            for (int s = 0; s < 2; s++) calls.add(new Advance(s, end));
        }

        /** Delivers the next arriving event into {@code batch}; returns how it is delivered. */
        private Delivery take(List<Fact> batch) {
            int[] e = order.get(next++);
            batch.add(h.logs.get(e[0]).get(e[1]));
            delivered[e[0]]++;
            return h.deliveries.get(e[0]).get(e[1]);
        }

        /** Performs an event's action; returns the deliveries of events a replay carried along (to act on next). */
        private List<Delivery> act(Delivery d) {
            int arg = d.arg();
            switch (d.action()) {
                case 5, 6 -> advance(arg % 2, HOLD_BACK[(arg / 2) % HOLD_BACK.length]);
                case 7 -> {
                    lagging = arg % 3 - 1;
                    calls.add(new Note(lagging < 0 ? "no source lags" : SOURCES[lagging] + " lags (its watermark is held)"));
                }
                case 8, 9 -> {
                    return replay(arg % 2, arg / 2, 1 + (arg / 20) % 3, (arg / 60) % 2 == 1, (arg / 120) % 2 == 1);
                }
                default -> {
                }
            }
            return List.of();
        }

        /**
         * Moves a source's watermark to (at most) the commit time of the last event it delivered, never beyond;
         * when its next, undelivered event committed at that same instant, to just before it, so that the
         * watermark still means "everything committed up to here was delivered".
         */
        private void advance(int s, int holdBackSeconds) {
            if (lagging == s || delivered[s] == 0) return;
            Instant last = h.logs.get(s).get(delivered[s] - 1).eventTime();
            Instant to = last;
            if (delivered[s] < h.logs.get(s).size() && h.logs.get(s).get(delivered[s]).eventTime().equals(last)) {
                to = last.minusMillis(1);
            }
            to = to.minusSeconds(holdBackSeconds);
            if (watermark[s] != null && !to.isAfter(watermark[s])) return;   // the engine would ignore it
            watermark[s] = to;
            calls.add(new Advance(s, to));
        }

        /**
         * Re-delivers the last {@code 1 + back % delivered} events of a source, as after a crash (sometimes of the
         * reconciler itself: then the engine restarts on its store first).
         */
        private List<Delivery> replay(int s, int back, int batchSize, boolean carryOther, boolean restart) {
            if (delivered[s] == 0) return List.of();
            replays++;
            int from = delivered[s] - 1 - back % delivered[s];
            int upTo = delivered[s];
            if (restart) calls.add(new Restart());
            calls.add(new Note(SOURCES[s] + " re-delivers from " + History.label(h.logs.get(s).get(from))));
            List<Delivery> carried = new ArrayList<>();
            for (int i = from; i < upTo; ) {
                List<Fact> batch = new ArrayList<>();
                while (batch.size() < batchSize && i < upTo) batch.add(h.logs.get(s).get(i++));
                boolean replayOnly = true;
                if (carryOther && next < order.size() && order.get(next)[0] != s) {
                    carried.add(take(batch));
                    replayOnly = false;
                }
                calls.add(new Apply(batch, replayOnly));
            }
            return carried;
        }

        String describe(int failedAt) {
            StringBuilder sb = new StringBuilder("delivery (engine calls in order):");
            for (int i = 0; i < calls.size(); i++) {
                Call c = calls.get(i);
                sb.append("\n  ");
                if (c instanceof Apply a) {
                    sb.append(a.replayOnly() ? "redeliver " : "apply ")
                            .append(a.facts().stream().map(History::label).collect(Collectors.joining(", ", "[", "]")));
                } else if (c instanceof Advance a) {
                    sb.append("watermark ").append(SOURCES[a.source()]).append(" -> ").append(at(a.to()));
                } else if (c instanceof SetClock t) {
                    sb.append("wall clock -> ").append(at(t.to()));
                } else if (c instanceof Restart) {
                    sb.append("restart the engine on its store");
                } else if (c instanceof Note n) {
                    sb.append("(").append(n.text()).append(")");
                }
                if (i == failedAt) sb.append("    <== the check failed after this call");
            }
            return sb.toString();
        }
    }

    // ------------------------------------------------------------------------------------------------ one run

    /** Delivers one scenario's plan to a fresh engine, checking as it goes and at the end. */
    static final class Run {
        final History h;
        final Plan plan;
        final EngineTestDriver driver;
        final Instant[] watermark = {null, null};
        int current = -1;
        BatchJoinOracle.Result oracle;

        Run(Scenario scenario) {
            this.h = History.of(scenario);
            this.plan = Plan.of(h, scenario);
            this.driver = new EngineTestDriver(h.config);
        }

        void execute() {
            try {
                for (current = 0; current < plan.calls.size(); current++) {
                    Call c = plan.calls.get(current);
                    if (c instanceof Apply a) {
                        List<Outcome> out = driver.pipe(a.facts());
                        if (a.replayOnly() && !out.isEmpty()) {
                            fail("re-delivering facts the engine already applied must change nothing, but it"
                                    + " reported:\n    " + describe(out));
                        }
                        checkTiming(out);
                    } else if (c instanceof Advance a) {
                        watermark[a.source()] = a.to();
                        checkTiming(driver.watermark(SOURCES[a.source()], a.to()));
                    } else if (c instanceof SetClock t) {
                        driver.clock().set(t.to());
                    } else if (c instanceof Restart) {
                        driver.restart();
                    }
                }
                current = -1;
                oracle = BatchJoinOracle.judge(h.config, h.all());
                checkAgainstOracle();
                checkOutcomeFold();
                checkMatched();
                checkRedeliveryIsSilent();
            } finally {
                driver.close();
            }
        }

        // -------------------------------------------------------------------------------------------- checks

        /** No MISSING_* and no SUM shortfall before the other side's watermark passed the pair's grace. */
        private void checkTiming(List<Outcome> outcomes) {
            for (Outcome o : outcomes) {
                if (!(o instanceof Outcome.DiscrepancyOpened opened)) continue;
                Discrepancy d = opened.discrepancy();
                Rule rule = h.config.rule(d.rule()).orElseThrow();
                switch (d.type()) {
                    case MISSING_RIGHT -> requireWaited(d, rule, Side.LEFT, d.left());
                    case MISSING_LEFT -> requireWaited(d, rule, Side.RIGHT, d.right());
                    case QUANTITY_MISMATCH -> {
                        if (rule.multiplicity() == Multiplicity.SUM && d.difference() != null
                                && d.difference().signum() < 0) {
                            requireWaited(d, rule, Side.LEFT, d.left());
                        }
                    }
                    default -> {
                    }
                }
            }
        }

        /**
         * The rows of {@code side} shown with the discrepancy must really be live rows of its pair (recomputed from
         * the history at each image's position) and the other side's watermark must have reached the earliest one's
         * {@code since + grace + clockSkew}, {@code since} being when that row last entered the pair.
         */
        private void requireWaited(Discrepancy d, Rule rule, Side side, List<RowImage> rows) {
            List<String> key = List.copyOf(d.key().values());
            if (rows.isEmpty()) fail(d.type() + " " + d.rule() + key + " opened without a " + side.label() + " row");
            Instant earliest = null;
            for (RowImage img : rows) {
                Instant since = BatchJoinOracle.liveSince(h.config, rule, side, key, img.id(),
                        h.log(img.id().source()), img.position());
                if (since == null) {
                    fail(d.type() + " " + d.rule() + key + " shows " + img.id() + " at " + img.position()
                            + " as a live " + side.label() + " row of the pair, but at that position it is not one");
                }
                if (earliest == null || since.isBefore(earliest)) earliest = since;
            }
            Instant due = earliest.plus(rule.grace()).plus(h.config.clockSkew());
            int other = side == Side.LEFT ? INV : ORD;   // the sources of the other side's stream
            if (watermark[other] == null || watermark[other].isBefore(due)) {
                fail("FALSE " + d.type() + " for " + d.rule() + key + (d.difference() == null ? ""
                        : " (difference " + d.difference() + ")") + ": the " + side.label()
                        + " side's earliest row has been in the pair since " + at(earliest) + ", so it is due at "
                        + at(due) + ", but the " + SOURCES[other] + " watermark was only "
                        + (watermark[other] == null ? "unset" : at(watermark[other])));
            }
        }

        private void checkAgainstOracle() {
            List<Expected> open = new ArrayList<>();
            for (Discrepancy d : driver.discrepancies(Status.OPEN)) {
                open.add(new Expected(d.rule(), List.copyOf(d.key().values()), d.type(),
                        d.type() != DiscrepancyType.QUANTITY_MISMATCH ? null
                                : d.difference() == null ? "null" : Values.plain(d.difference())));
            }
            Set<Expected> actual = new LinkedHashSet<>(open);
            if (actual.size() != open.size()) fail("the store holds the same discrepancy open twice: " + open);
            if (!actual.equals(oracle.discrepancies())) {
                Set<Expected> missing = new LinkedHashSet<>(oracle.discrepancies());
                missing.removeAll(actual);
                Set<Expected> unexpected = new LinkedHashSet<>(actual);
                unexpected.removeAll(oracle.discrepancies());
                fail("open discrepancies differ from the batch join of the final tables"
                        + "\n  expected but not open: " + missing
                        + "\n  open but not expected: " + unexpected
                        + "\n  expected (oracle):     " + oracle.discrepancies());
            }
        }

        private void checkOutcomeFold() {
            Map<String, List<String>> lifecycles = new LinkedHashMap<>();
            Map<String, Discrepancy> last = new HashMap<>();
            for (Outcome o : driver.history()) {
                Discrepancy d;
                String event;
                if (o instanceof Outcome.DiscrepancyOpened x) {
                    d = x.discrepancy();
                    event = "Opened";
                } else if (o instanceof Outcome.DiscrepancyResolved x) {
                    d = x.discrepancy();
                    event = "Resolved";
                } else {
                    continue;
                }
                List<String> seq = lifecycles.computeIfAbsent(d.id(), k -> new ArrayList<>());
                String want = seq.size() % 2 == 0 ? "Opened" : "Resolved";
                seq.add(event);
                last.put(d.id(), d);
                if (!event.equals(want)) {
                    fail("discrepancy " + d.id() + " (" + d.rule() + d.key().values() + " " + d.type()
                            + ", occurrence " + d.occurrence() + ") got " + seq + ": Opened and Resolved must"
                            + " alternate, starting with Opened");
                }
            }
            Set<String> foldOpen = new TreeSet<>();
            lifecycles.forEach((id, seq) -> {
                if (seq.get(seq.size() - 1).equals("Opened")) foldOpen.add(id);
            });
            Set<String> storeOpen = new TreeSet<>();
            for (Discrepancy d : driver.discrepancies(Status.OPEN)) storeOpen.add(d.id());
            if (!foldOpen.equals(storeOpen)) {
                Set<String> onlyFold = new TreeSet<>(foldOpen);
                onlyFold.removeAll(storeOpen);
                Set<String> onlyStore = new TreeSet<>(storeOpen);
                onlyStore.removeAll(foldOpen);
                fail("the outcomes fold to another open set than the store holds"
                        + "\n  open per outcomes only: " + onlyFold.stream().map(id -> id + " " + brief(last.get(id))).toList()
                        + "\n  open in the store only: " + onlyStore);
            }
        }

        private void checkMatched() {
            for (MatchedKey k : oracle.matched()) {
                boolean matched = driver.store().pair(new PairKey(k.rule(), k.key())).map(PairState::matched)
                        .orElse(false);
                if (!matched) fail("the batch join matches " + k + " but the engine's pair is not matched");
            }
            for (Rule rule : h.config.rules()) {
                List<PairKey> wrong = new ArrayList<>();
                driver.store().forEachPair(rule.name(), p -> {
                    if (p.matched() && !oracle.matched().contains(new MatchedKey(rule.name(), p.key().values()))) {
                        wrong.add(p.key());
                    }
                });
                if (!wrong.isEmpty()) fail("the engine holds " + wrong + " as matched; the batch join does not");
            }
        }

        /** Everything again, each source in log order (merged by commit time), in batches of 3: no outcome. */
        private void checkRedeliveryIsSilent() {
            List<Fact> all = new ArrayList<>(h.all());
            all.sort(Comparator.comparing(Fact::eventTime));   // stable: each source keeps its log order
            for (int i = 0; i < all.size(); i += 3) {
                List<Fact> batch = all.subList(i, Math.min(all.size(), i + 3));
                List<Outcome> out = driver.pipe(batch);
                if (!out.isEmpty()) {
                    fail("after the final check, re-delivering the whole history must report nothing, but "
                            + batch.stream().map(History::label).toList() + " reported:\n    " + describe(out));
                }
            }
            checkAgainstOracle();
        }

        // -------------------------------------------------------------------------------------------- reporting

        private void fail(String message) {
            throw new AssertionError(message + "\n\n" + h.describe() + "\n" + plan.describe(current)
                    + "\n\noutcomes so far:\n    " + describe(driver.history()));
        }

        private static String brief(Discrepancy d) {
            if (d == null) return "?";
            return d.rule() + d.key().values() + " " + d.type() + "#" + d.occurrence()
                    + (d.difference() == null ? "" : " diff " + Values.plain(d.difference()));
        }

        private static String describe(List<Outcome> outcomes) {
            if (outcomes.isEmpty()) return "(none)";
            List<String> lines = new ArrayList<>();
            for (Outcome o : outcomes) {
                if (o instanceof Outcome.DiscrepancyOpened x) {
                    lines.add("Opened   " + brief(x.discrepancy()) + " left " + labels(x.discrepancy().left())
                            + " right " + labels(x.discrepancy().right()));
                } else if (o instanceof Outcome.DiscrepancyResolved x) {
                    lines.add("Resolved " + brief(x.discrepancy()) + " (" + x.discrepancy().resolution() + ")");
                } else if (o instanceof Outcome.PairMatched x) {
                    lines.add("Matched  " + x.rule() + x.key().values());
                } else {
                    lines.add(o.toString());
                }
            }
            return String.join("\n    ", lines);
        }

        private static List<String> labels(List<RowImage> images) {
            return images.stream().map(i -> i.id().table() + "#" + i.id().primaryKey() + "@"
                    + (i.id().source().equals(SOURCES[ORD]) ? "o" : "i") + i.position().offset()).toList();
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static void collectStatistics(Run run) {
        Set<String> types = new TreeSet<>();
        for (Expected e : run.oracle.discrepancies()) types.add(e.type().name());
        Statistics.label("final discrepancy types (oracle)").collect(types.isEmpty() ? "none" : String.join(",", types));
        Statistics.label("matched keys (oracle)").collect(Math.min(run.oracle.matched().size(), 3));
        Statistics.label("replays").collect(Math.min(run.plan.replays, 2));
        boolean opened = run.driver.history().stream().anyMatch(o -> o instanceof Outcome.DiscrepancyOpened);
        boolean resolved = run.driver.history().stream().anyMatch(o -> o instanceof Outcome.DiscrepancyResolved);
        Statistics.label("outcomes").collect(opened ? (resolved ? "opened+resolved" : "opened only") : "none opened");
    }

    private static Fact order(long id, int shard, String orderId, String goodsId, String streamType, String state,
                              int count, int deleted, long position) {
        return OrderInventory.fact("orders", OrderInventory.shard(shard), Operation.INSERT,
                OrderInventory.orderRow(id, orderId, goodsId, streamType, state, count, deleted), null,
                OrderInventory.T0, position);
    }

    private static Fact inventory(long id, String identifier, long collectionId, String streamType, Object quantity,
                                  int deleted, long position) {
        Map<String, Object> row = OrderInventory.inventoryRow(id, identifier, collectionId, streamType, 0, deleted);
        row.put("changed_quantity", quantity);
        return OrderInventory.fact("inventory", OrderInventory.INVENTORY_TABLE, Operation.INSERT, row, null,
                OrderInventory.T0, position);
    }

    /** An instant as seconds (or milliseconds) after {@link OrderInventory#T0}, as the history shows them. */
    private static String at(Instant t) {
        Duration d = Duration.between(OrderInventory.T0, t);
        return "t+" + (d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms");
    }

    private static void check(boolean condition, String message) {
        if (!condition) throw new AssertionError(message);
    }
}
