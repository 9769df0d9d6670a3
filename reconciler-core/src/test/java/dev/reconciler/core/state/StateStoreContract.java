package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The behaviour every {@link StateStore} must have. A store's test extends this class and supplies
 * {@link #newStore(Path)}; a durable store also overrides {@link #durable()} and {@link #reopen(StateStore, Path)},
 * which turns on the tests that close and reopen it.
 *
 * <p>Reused by other modules through the test jar.
 */
public abstract class StateStoreContract {

    /** A fresh, empty store in {@code dir} (an empty temporary directory; in-memory stores may ignore it). */
    protected abstract StateStore newStore(Path dir);

    /**
     * Closes {@code old} and opens the store in {@code dir} again; null (the default) means the store is not
     * durable and the reopen tests are skipped.
     */
    protected StateStore reopen(StateStore old, Path dir) {
        return null;
    }

    /** True if {@link #reopen} is implemented: the state must then survive close and reopen. */
    protected boolean durable() {
        return false;
    }

    @TempDir
    protected Path dir;

    protected StateStore store;

    @BeforeEach
    void openStore() {
        store = newStore(dir);
    }

    @AfterEach
    void closeStore() {
        if (store != null) store.close();
    }

    /** Closes and reopens {@link #store}; skips the test if the store is not durable. */
    protected void reopenStore() {
        assumeTrue(durable(), "store is not durable");
        StateStore reopened = reopen(store, dir);
        assertNotNull(reopened, "durable() is true but reopen(...) returned null");
        store = reopened;
    }

    // ================================================================ test data

    protected static final Instant T0 = Instant.parse("2024-03-01T10:15:30.123456789Z");

    protected static PairKey key(String rule, String... values) {
        return new PairKey(rule, List.of(values));
    }

    protected static RowImage image(String table, String pk, Instant eventTime, SourcePosition position,
                                    Map<String, String> columns) {
        return new RowImage(new RowId("db1", table, pk), columns, eventTime, position);
    }

    protected static Map<String, String> columns(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    /** A pair with everything set: live rows and a tombstone on both sides, open types, occurrences, timers. */
    protected static PairState richPair(PairKey key) {
        Map<String, String> cols = columns("order_no", "O123", "qty", "2.500", "note", null, "name", "Grüße 😀",
                "empty", "");
        List<StoredRow> rows = List.of(
                new StoredRow(Side.RIGHT, image("inventory_log", "77", T0.plusNanos(5),
                        new SourcePosition("mysql-bin.000012", 4_567_890L, 3), columns("qty", "-2")),
                        T0.plusSeconds(1), false),
                new StoredRow(Side.LEFT, image("orders", "10", T0, new SourcePosition("mysql-bin.000011", 120, 0),
                        cols), T0, true),
                new StoredRow(Side.LEFT, image("orders", "9", T0.minusNanos(1), new SourcePosition("mysql-bin.000009", 4, 0), Map.of()),
                        T0.minusSeconds(3600), true),
                new StoredRow(Side.RIGHT, image("inventory_log", "78", T0.plusMillis(7),
                        new SourcePosition("mysql-bin.000012", 4_567_999L, 0), columns("qty", "-0.5")),
                        T0.plusMillis(7), true));
        Map<DiscrepancyType, Integer> occ = new EnumMap<>(DiscrepancyType.class);
        occ.put(DiscrepancyType.QUANTITY_MISMATCH, 3);
        occ.put(DiscrepancyType.DUPLICATE_LEFT, 1);
        occ.put(DiscrepancyType.MISSING_RIGHT, Integer.MAX_VALUE);
        return new PairState(key, rows, EnumSet.of(DiscrepancyType.QUANTITY_MISMATCH, DiscrepancyType.DUPLICATE_LEFT),
                occ, false, T0.plusSeconds(30).plusNanos(1), Instant.parse("1969-07-20T20:17:40.000000001Z"),
                Instant.parse("2024-03-02T10:15:30.999999999Z"), T0.plusMillis(7).plusNanos(3));
    }

    /** A pair with a distinguishing event time and nothing else. */
    protected static PairState plainPair(PairKey key, long n) {
        return PairState.empty(key, T0.plusSeconds(n));
    }

    protected static Discrepancy openDiscrepancy(String id) {
        return new Discrepancy(id, "sale", DiscrepancyType.MISSING_RIGHT, columns("order_no", "O1", "line", null),
                1, Status.OPEN, T0, null, null, null, List.of(), List.of());
    }

    protected static Discrepancy resolvedDiscrepancy(String id) {
        RowImage left = image("orders", "10", T0, new SourcePosition("mysql-bin.000011", 120, 0),
                columns("qty", "2.500", "sku", "Ä-1"));
        RowImage right = image("inventory_log", "78", T0.plusMillis(7),
                new SourcePosition("mysql-bin.000012", 4_567_999L, 1), columns("qty", "-2"));
        return new Discrepancy(id, "sale", DiscrepancyType.QUANTITY_MISMATCH, columns("order_no", "O1", "sku", "Ä-1"),
                4, Status.RESOLVED, T0, T0.plusSeconds(12).plusNanos(34), Resolution.CORRECTED,
                new BigDecimal("-0.500"), List.of(left), List.of(right, left));
    }

    protected static TimerEntry timer(Lane lane, Instant due, PairKey pair) {
        return new TimerEntry(lane, due, pair);
    }

    protected void write(StateWrite w) {
        store.write(w);
    }

    protected List<PairState> pairsOf(String rule) {
        List<PairState> out = new ArrayList<>();
        store.forEachPair(rule, out::add);
        return out;
    }

    protected List<PairKey> keysOf(String rule) {
        List<PairKey> out = new ArrayList<>();
        store.forEachPair(rule, p -> out.add(p.key()));
        return out;
    }

    protected List<Discrepancy> allDiscrepancies() {
        List<Discrepancy> out = new ArrayList<>();
        store.forEachDiscrepancy(out::add);
        return out;
    }

    /** The latest {@code upTo} a due scan accepts ({@link StateCodec#timerUpperBound} adds a nanosecond). */
    protected static final Instant FAR_FUTURE = Instant.MAX.minusNanos(1);

    protected List<TimerEntry> allTimers(String rule, Lane lane) {
        return store.dueTimers(rule, lane, FAR_FUTURE, Integer.MAX_VALUE);
    }

    // ================================================================ pairs

    @Test
    void absentPairIsEmpty() {
        assertThat(store.pair(key("sale", "O1"))).isEmpty();
        assertThat(pairsOf("sale")).isEmpty();
    }

    @Test
    void pairRoundTripsWithRowsTombstonesOpenSetsOccurrencesAndTimers() {
        PairState p = richPair(key("sale", "O123", "42"));
        write(new StateWrite().putPair(p));

        PairState back = store.pair(p.key()).orElseThrow();
        assertThat(back).isEqualTo(p);
        assertThat(back.rows()).extracting(StoredRow::live).containsExactly(true, true, false, true);
        assertThat(back.rows()).extracting(r -> r.image().id().primaryKey()).containsExactly("9", "10", "77", "78");
        Map<String, String> cols = back.row(new RowId("db1", "orders", "10")).image().columns();
        assertThat(cols).containsEntry("note", null).containsEntry("empty", "").containsEntry("name", "Grüße 😀");
        assertThat(cols.keySet())
                .containsExactly("order_no", "qty", "note", "name", "empty");
        assertThat(back.open()).containsExactlyInAnyOrder(DiscrepancyType.QUANTITY_MISMATCH,
                DiscrepancyType.DUPLICATE_LEFT);
        assertThat(back.occurrence(DiscrepancyType.MISSING_RIGHT)).isEqualTo(Integer.MAX_VALUE);
        assertThat(back.waitLeft()).isEqualTo(T0.plusSeconds(30).plusNanos(1));
        assertThat(back.waitRight()).isEqualTo(Instant.parse("1969-07-20T20:17:40.000000001Z"));
        assertThat(back.expireAt()).isEqualTo(Instant.parse("2024-03-02T10:15:30.999999999Z"));
        assertThat(back.lastEventTime()).isEqualTo(T0.plusMillis(7).plusNanos(3));
    }

    @Test
    void pairWithoutRowsOrTimersRoundTrips() {
        PairState p = new PairState(key("sale", "O1"), List.of(), Set.of(), Map.of(), true, null, null, null,
                Instant.EPOCH.minusNanos(1));
        write(new StateWrite().putPair(p));
        PairState back = store.pair(p.key()).orElseThrow();
        assertThat(back).isEqualTo(p);
        assertThat(back.matched()).isTrue();
        assertThat(back.waitLeft()).isNull();
        assertThat(back.waitRight()).isNull();
        assertThat(back.expireAt()).isNull();
        assertThat(back.open()).isEmpty();
        assertThat(back.occurrences()).isEmpty();
    }

    @Test
    void putReplacesAndDeleteRemovesAPair() {
        PairKey k = key("sale", "O1");
        write(new StateWrite().putPair(richPair(k)));
        PairState next = plainPair(k, 5);
        write(new StateWrite().putPair(next));
        assertThat(store.pair(k)).contains(next);
        assertThat(pairsOf("sale")).containsExactly(next);

        write(new StateWrite().deletePair(k));
        assertThat(store.pair(k)).isEmpty();
        assertThat(pairsOf("sale")).isEmpty();
        // deleting what is not there is fine
        write(new StateWrite().deletePair(k).deletePair(key("other", "x")));
        assertThat(store.pair(k)).isEmpty();
    }

    /** Keys whose bytes need escaping; several would collide under a naive "join with 0x00" layout. */
    protected static List<PairKey> trickyKeys() {
        return List.of(
                key("sale", "a\u0000", "b"),
                key("sale", "a", "\u0000b"),
                key("sale", "a\u0000b"),
                key("sale", "a", "b"),
                key("sale", "ab"),
                key("sale", "\u0001"),
                key("sale", "\u0001\u0001"),
                key("sale", "\u0001\u0002"),
                key("sale", "\u0000"),
                key("sale", "\u0000", ""),
                key("sale", ""),
                key("sale", "", ""),
                key("sale"),
                key("sale", "Grüße", "😀", "日本"),
                key("sale", "\u00ff\uffff"),
                key("s\u0000le", "x"),
                key("sale\u0001", "x"),
                key("", "x"),
                key("règle", "x"));
    }

    @Test
    void trickyPairKeysRoundTripWithoutCollisions() {
        List<PairKey> keys = trickyKeys();
        StateWrite w = new StateWrite();
        for (int i = 0; i < keys.size(); i++) w.putPair(plainPair(keys.get(i), i));
        write(w);

        for (int i = 0; i < keys.size(); i++) {
            PairKey k = keys.get(i);
            assertThat(store.pair(k)).as("pair %s", k).contains(plainPair(k, i));
        }
        List<PairKey> sale = new ArrayList<>(keys.stream().filter(k -> k.rule().equals("sale")).toList());
        sale.sort((a, b) -> Arrays.compareUnsigned(StateCodec.pairKey(a), StateCodec.pairKey(b)));
        assertThat(keysOf("sale")).containsExactlyElementsOf(sale);
        assertThat(keysOf("s\u0000le")).containsExactly(key("s\u0000le", "x"));
        assertThat(keysOf("sale\u0001")).containsExactly(key("sale\u0001", "x"));
        assertThat(keysOf("")).containsExactly(key("", "x"));
        assertThat(keysOf("règle")).containsExactly(key("règle", "x"));

        // the two classic collision candidates are distinct entries
        write(new StateWrite().deletePair(key("sale", "a\u0000", "b")));
        assertThat(store.pair(key("sale", "a\u0000", "b"))).isEmpty();
        assertThat(store.pair(key("sale", "a", "\u0000b"))).isPresent();
        assertThat(store.pair(key("sale", "a\u0000b"))).isPresent();
    }

    @Test
    void forEachPairVisitsOnlyThatRuleInKeyOrder() {
        List<PairKey> inserted = List.of(
                key("sale2", "O1", "1"), key("sale", "O2", "1"), key("sal", "O1", "1"), key("sale", "O1", "2"),
                key("sale", "O10", "1"), key("salf", "O1", "1"), key("sale", "O1", "1"), key("sale ", "O1", "1"),
                key("sale", "O1", "10"), key("sald", "O0", "0"), key("sale", "O1"));
        StateWrite w = new StateWrite();
        for (int i = 0; i < inserted.size(); i++) w.putPair(plainPair(inserted.get(i), i));
        write(w);

        assertThat(keysOf("sale")).containsExactly(
                key("sale", "O1"), key("sale", "O1", "1"), key("sale", "O1", "10"), key("sale", "O1", "2"),
                key("sale", "O10", "1"), key("sale", "O2", "1"));
        assertThat(keysOf("sale2")).containsExactly(key("sale2", "O1", "1"));
        assertThat(keysOf("sal")).containsExactly(key("sal", "O1", "1"));
        assertThat(keysOf("sale ")).containsExactly(key("sale ", "O1", "1"));
        assertThat(keysOf("sa")).isEmpty();
        assertThat(keysOf("sale2x")).isEmpty();
        assertThat(pairsOf("sale").get(1)).isEqualTo(plainPair(key("sale", "O1", "1"), 6));
    }

    // ================================================================ timers

    @Test
    void dueTimersAreEarliestFirstInclusiveOfUpToAndExclusiveAfter() {
        PairKey a = key("sale", "A");
        PairKey b = key("sale", "B");
        PairKey c = key("sale", "C");
        PairKey d = key("sale", "D");
        write(new StateWrite()
                .putTimer(timer(Lane.WAIT_RIGHT, T0.plusSeconds(3), a))
                .putTimer(timer(Lane.WAIT_RIGHT, T0.plusSeconds(1), b))
                .putTimer(timer(Lane.WAIT_RIGHT, T0.plusSeconds(2).plusNanos(1), c))
                .putTimer(timer(Lane.WAIT_RIGHT, T0.plusSeconds(2), d)));

        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusSeconds(1).minusNanos(1), 100)).isEmpty();
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusSeconds(1), 100))
                .containsExactly(timer(Lane.WAIT_RIGHT, T0.plusSeconds(1), b));
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusSeconds(2), 100)).containsExactly(
                timer(Lane.WAIT_RIGHT, T0.plusSeconds(1), b),
                timer(Lane.WAIT_RIGHT, T0.plusSeconds(2), d));
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusSeconds(2).plusNanos(1), 100)).containsExactly(
                timer(Lane.WAIT_RIGHT, T0.plusSeconds(1), b),
                timer(Lane.WAIT_RIGHT, T0.plusSeconds(2), d),
                timer(Lane.WAIT_RIGHT, T0.plusSeconds(2).plusNanos(1), c));
        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0.plusSeconds(3), 100)).hasSize(4)
                .last().isEqualTo(timer(Lane.WAIT_RIGHT, T0.plusSeconds(3), a));
    }

    @Test
    void dueTimersCanStartAtAGivenTimeInclusive() {
        PairKey a = key("sale", "A");
        PairKey b = key("sale", "B");
        PairKey c = key("sale", "C");
        write(new StateWrite()
                .putTimer(timer(Lane.WAIT_LEFT, T0.plusSeconds(1), a))
                .putTimer(timer(Lane.WAIT_LEFT, T0.plusSeconds(2), b))
                .putTimer(timer(Lane.WAIT_LEFT, T0.plusSeconds(3), c))
                .putTimer(timer(Lane.WAIT_LEFT, T0.plusSeconds(2), key("sale2", "B"))));
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, T0.plusSeconds(2), T0.plusSeconds(3), 100)).containsExactly(
                timer(Lane.WAIT_LEFT, T0.plusSeconds(2), b),
                timer(Lane.WAIT_LEFT, T0.plusSeconds(3), c));
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, T0.plusSeconds(2).plusNanos(1), T0.plusSeconds(3), 100))
                .containsExactly(timer(Lane.WAIT_LEFT, T0.plusSeconds(3), c));
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, T0.plusSeconds(4), FAR_FUTURE, 100)).isEmpty();
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, T0.plusSeconds(3), T0.plusSeconds(2), 100))
                .as("a start after the end is an empty range").isEmpty();
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, null, T0.plusSeconds(1), 100))
                .containsExactly(timer(Lane.WAIT_LEFT, T0.plusSeconds(1), a));
    }

    @Test
    void severalPairsAreReadAtOnceLeavingAbsentOnesOut() {
        PairState one = plainPair(key("sale", "O1", "1"), 1);
        PairState two = plainPair(key("sale", "O2", "1"), 2);
        write(new StateWrite().putPair(one).putPair(two));
        Map<PairKey, PairState> read = store.pairs(List.of(two.key(), key("sale", "nope"), one.key()));
        assertThat(read).containsOnly(Map.entry(one.key(), one), Map.entry(two.key(), two));
        assertThat(store.pairs(List.of())).isEmpty();
    }

    @Test
    void dueTimersHonourTheLimit() {
        StateWrite w = new StateWrite();
        for (int i = 9; i >= 0; i--) w.putTimer(timer(Lane.EXPIRE, T0.plusMillis(i), key("sale", "P" + i)));
        write(w);

        assertThat(store.dueTimers("sale", Lane.EXPIRE, T0.plusSeconds(1), 3)).containsExactly(
                timer(Lane.EXPIRE, T0, key("sale", "P0")),
                timer(Lane.EXPIRE, T0.plusMillis(1), key("sale", "P1")),
                timer(Lane.EXPIRE, T0.plusMillis(2), key("sale", "P2")));
        assertThat(store.dueTimers("sale", Lane.EXPIRE, T0.plusSeconds(1), 1))
                .containsExactly(timer(Lane.EXPIRE, T0, key("sale", "P0")));
        assertThat(store.dueTimers("sale", Lane.EXPIRE, T0.plusSeconds(1), 0)).isEmpty();
        assertThat(store.dueTimers("sale", Lane.EXPIRE, T0.plusMillis(4), 100)).hasSize(5);
        assertThat(store.dueTimers("sale", Lane.EXPIRE, T0.plusSeconds(1), 10)).hasSize(10);
    }

    @Test
    void timerLanesAndRulesAreSeparate() {
        Instant t = T0;
        write(new StateWrite()
                .putTimer(timer(Lane.WAIT_LEFT, t, key("sale", "L")))
                .putTimer(timer(Lane.WAIT_RIGHT, t, key("sale", "R")))
                .putTimer(timer(Lane.EXPIRE, t, key("sale", "E")))
                .putTimer(timer(Lane.WAIT_LEFT, t, key("sale2", "L2")))
                .putTimer(timer(Lane.WAIT_LEFT, t, key("sal", "L3")))
                .putTimer(timer(Lane.WAIT_LEFT, t, key("sale\u0001", "L4")))
                .putTimer(timer(Lane.EXPIRE, t, key("s\u0000le", "E5"))));

        assertThat(allTimers("sale", Lane.WAIT_LEFT)).containsExactly(timer(Lane.WAIT_LEFT, t, key("sale", "L")));
        assertThat(allTimers("sale", Lane.WAIT_RIGHT)).containsExactly(timer(Lane.WAIT_RIGHT, t, key("sale", "R")));
        assertThat(allTimers("sale", Lane.EXPIRE)).containsExactly(timer(Lane.EXPIRE, t, key("sale", "E")));
        assertThat(allTimers("sale2", Lane.WAIT_LEFT)).containsExactly(timer(Lane.WAIT_LEFT, t, key("sale2", "L2")));
        assertThat(allTimers("sal", Lane.WAIT_LEFT)).containsExactly(timer(Lane.WAIT_LEFT, t, key("sal", "L3")));
        assertThat(allTimers("sale\u0001", Lane.WAIT_LEFT))
                .containsExactly(timer(Lane.WAIT_LEFT, t, key("sale\u0001", "L4")));
        assertThat(allTimers("s\u0000le", Lane.EXPIRE)).containsExactly(timer(Lane.EXPIRE, t, key("s\u0000le", "E5")));
        assertThat(allTimers("sale2", Lane.EXPIRE)).isEmpty();
        assertThat(allTimers("sa", Lane.WAIT_LEFT)).isEmpty();
        assertThat(allTimers("other", Lane.WAIT_RIGHT)).isEmpty();
    }

    /** Instants spanning the whole supported range, in time order. */
    protected static List<Instant> extremeInstants() {
        return List.of(
                Instant.MIN,
                Instant.ofEpochSecond(-62_135_596_800L), // 0001-01-01
                Instant.parse("1900-01-01T00:00:00.000000001Z"),
                Instant.EPOCH.minusSeconds(1),
                Instant.EPOCH.minusNanos(1),
                Instant.EPOCH,
                Instant.EPOCH.plusNanos(1),
                T0,
                Instant.ofEpochSecond(1L << 32), // beyond 32-bit seconds (year 2106)
                Instant.parse("9999-12-31T23:59:59.999999999Z"),
                Instant.MAX.minusSeconds(1));
    }

    @Test
    void timersBeforeEpochAndInTheFarFutureAreOrderedByTime() {
        List<Instant> times = extremeInstants();
        List<Instant> shuffled = new ArrayList<>(times);
        Collections.reverse(shuffled);
        Collections.swap(shuffled, 1, 5);
        StateWrite w = new StateWrite();
        for (Instant t : shuffled) w.putTimer(timer(Lane.WAIT_LEFT, t, key("sale", t.toString())));
        write(w);

        List<TimerEntry> all = store.dueTimers("sale", Lane.WAIT_LEFT, FAR_FUTURE, 1000);
        assertThat(all).extracting(TimerEntry::due).containsExactlyElementsOf(times);
        assertThat(all).allSatisfy(e -> assertThat(e.pair()).isEqualTo(key("sale", e.due().toString())));

        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, Instant.EPOCH.minusNanos(1), 1000))
                .extracting(TimerEntry::due)
                .containsExactlyElementsOf(times.subList(0, times.indexOf(Instant.EPOCH)));
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, Instant.MIN, 1000))
                .extracting(TimerEntry::due).containsExactly(Instant.MIN);
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, Instant.parse("9999-12-31T23:59:59.999999998Z"), 1000))
                .hasSize(times.size() - 2);
    }

    @Test
    void timersDueAtTheSameInstantAreOrderedByPairKey() {
        StateWrite w = new StateWrite();
        for (String v : List.of("c", "a\u0000", "b", "a", "A", "é", "")) w.putTimer(timer(Lane.WAIT_RIGHT, T0, key("sale", v)));
        w.putTimer(timer(Lane.WAIT_RIGHT, T0, key("sale", "a", "z")));
        w.putTimer(timer(Lane.WAIT_RIGHT, T0.minusNanos(1), key("sale", "zz")));
        write(w);

        assertThat(store.dueTimers("sale", Lane.WAIT_RIGHT, T0, 100)).extracting(TimerEntry::pair).containsExactly(
                key("sale", "zz"), key("sale", ""), key("sale", "A"), key("sale", "a"), key("sale", "a", "z"),
                key("sale", "a\u0000"), key("sale", "b"), key("sale", "c"), key("sale", "é"));
    }

    @Test
    void deleteTimerRemovesExactlyThatEntry() {
        PairKey a = key("sale", "A");
        PairKey b = key("sale", "B");
        TimerEntry aT0 = timer(Lane.WAIT_LEFT, T0, a);
        TimerEntry bT0 = timer(Lane.WAIT_LEFT, T0, b);
        TimerEntry aT1 = timer(Lane.WAIT_LEFT, T0.plusNanos(1), a);
        TimerEntry aRight = timer(Lane.WAIT_RIGHT, T0, a);
        TimerEntry a2 = timer(Lane.WAIT_LEFT, T0, key("sale2", "A"));
        write(new StateWrite().putTimer(aT0).putTimer(bT0).putTimer(aT1).putTimer(aRight).putTimer(a2)
                .putTimer(aT0)); // putting the same entry twice keeps one

        assertThat(allTimers("sale", Lane.WAIT_LEFT)).containsExactly(aT0, bT0, aT1);
        write(new StateWrite().deleteTimer(aT0));
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).containsExactly(bT0, aT1);
        assertThat(allTimers("sale", Lane.WAIT_RIGHT)).containsExactly(aRight);
        assertThat(allTimers("sale2", Lane.WAIT_LEFT)).containsExactly(a2);

        // deleting an entry that is not there (other time, other lane) changes nothing
        write(new StateWrite().deleteTimer(timer(Lane.WAIT_LEFT, T0.plusNanos(2), a))
                .deleteTimer(timer(Lane.EXPIRE, T0, b)));
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).containsExactly(bT0, aT1);
    }

    @Test
    void timersAndPairsAreIndependent() {
        PairKey k = key("sale", "O1");
        write(new StateWrite().putPair(richPair(k)).putTimer(timer(Lane.WAIT_LEFT, T0, k)));
        write(new StateWrite().deletePair(k));
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).containsExactly(timer(Lane.WAIT_LEFT, T0, k));
        write(new StateWrite().putPair(richPair(k)).deleteTimer(timer(Lane.WAIT_LEFT, T0, k)));
        assertThat(store.pair(k)).contains(richPair(k));
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).isEmpty();
    }

    // ================================================================ discrepancies

    @Test
    void discrepanciesRoundTripWithAndWithoutOptionalFields() {
        Discrepancy open = openDiscrepancy("0b3f9a11c2d4e5f6");
        Discrepancy resolved = resolvedDiscrepancy("a1b2c3d4e5f60718");
        write(new StateWrite().putDiscrepancy(open).putDiscrepancy(resolved));

        Discrepancy o = store.discrepancy(open.id()).orElseThrow();
        assertThat(o).isEqualTo(open);
        assertThat(o.difference()).isNull();
        assertThat(o.resolution()).isNull();
        assertThat(o.resolvedAt()).isNull();
        assertThat(o.key()).containsEntry("line", null);

        Discrepancy r = store.discrepancy(resolved.id()).orElseThrow();
        assertThat(r).isEqualTo(resolved);
        assertThat(r.difference()).isEqualTo(new BigDecimal("-0.500"));
        assertThat(r.resolution()).isEqualTo(Resolution.CORRECTED);
        assertThat(r.resolvedAt()).isEqualTo(T0.plusSeconds(12).plusNanos(34));
        assertThat(r.right()).hasSize(2);

        assertThat(store.discrepancy("ffffffffffffffff")).isEmpty();
    }

    @Test
    void discrepanciesAreVisitedInIdOrderAndCanBeReplacedAndDeleted() {
        List<String> ids = List.of("c0", "a1", "b2", "a0", "0f", "A9", "a10");
        StateWrite w = new StateWrite();
        for (String id : ids) w.putDiscrepancy(openDiscrepancy(id));
        write(w);
        assertThat(allDiscrepancies()).extracting(Discrepancy::id)
                .containsExactly("0f", "A9", "a0", "a1", "a10", "b2", "c0");

        Discrepancy resolved = openDiscrepancy("a1").resolve(T0.plusSeconds(5), Resolution.COUNTERPART_ARRIVED,
                List.of(), List.of());
        write(new StateWrite().putDiscrepancy(resolved).deleteDiscrepancy("c0").deleteDiscrepancy("nope"));
        assertThat(store.discrepancy("a1")).contains(resolved);
        assertThat(store.discrepancy("c0")).isEmpty();
        assertThat(allDiscrepancies()).extracting(Discrepancy::id).containsExactly("0f", "A9", "a0", "a1", "a10", "b2");
        assertThat(allDiscrepancies()).filteredOn(d -> d.status() == Status.RESOLVED).containsExactly(resolved);
    }

    @Test
    void realDiscrepancyIdsRoundTrip() {
        String id = Discrepancy.idOf("sale", List.of("O1", "42"), DiscrepancyType.MISSING_LEFT, 2);
        Discrepancy d = new Discrepancy(id, "sale", DiscrepancyType.MISSING_LEFT, columns("order_no", "O1", "line",
                "42"), 2, Status.OPEN, T0, null, null, null, List.of(), List.of());
        write(new StateWrite().putDiscrepancy(d));
        assertThat(store.discrepancy(id)).contains(d);
        assertThat(allDiscrepancies()).containsExactly(d);
    }

    // ================================================================ meta

    @Test
    void metaPutGetReplaceAndDeleteByNull() {
        assertThat(store.meta("watermark.left")).isEmpty();
        write(new StateWrite().putMeta("watermark.left", "2024-03-01T10:15:30.123456789Z")
                .putMeta("watermark.right", "").putMeta("stalled.ü", "true 😀"));
        assertThat(store.meta("watermark.left")).contains("2024-03-01T10:15:30.123456789Z");
        assertThat(store.meta("watermark.right")).contains("");
        assertThat(store.meta("stalled.ü")).contains("true 😀");

        write(new StateWrite().putMeta("watermark.left", "2").putMeta("stalled.ü", null).putMeta("absent", null));
        assertThat(store.meta("watermark.left")).contains("2");
        assertThat(store.meta("stalled.ü")).isEmpty();
        assertThat(store.meta("absent")).isEmpty();
        assertThat(store.meta("watermark.right")).contains("");
    }

    // ================================================================ batches

    @Test
    void aBatchAppliesItsOperationsInOrder() {
        PairKey gone = key("sale", "gone");
        PairKey kept = key("sale", "kept");
        TimerEntry t = timer(Lane.EXPIRE, T0, gone);
        TimerEntry t2 = timer(Lane.EXPIRE, T0, kept);
        write(new StateWrite()
                .putPair(richPair(gone)).deletePair(gone)
                .deletePair(kept).putPair(plainPair(kept, 1))
                .putPair(plainPair(kept, 2)) // the last put wins
                .putTimer(t).deleteTimer(t)
                .deleteTimer(t2).putTimer(t2)
                .putDiscrepancy(openDiscrepancy("d1")).deleteDiscrepancy("d1")
                .deleteDiscrepancy("d2").putDiscrepancy(openDiscrepancy("d2"))
                .putMeta("m1", "x").putMeta("m1", null)
                .putMeta("m2", null).putMeta("m2", "y")
                .putMeta("m3", "first").putMeta("m3", "second"));

        assertThat(store.pair(gone)).isEmpty();
        assertThat(store.pair(kept)).contains(plainPair(kept, 2));
        assertThat(pairsOf("sale")).containsExactly(plainPair(kept, 2));
        assertThat(allTimers("sale", Lane.EXPIRE)).containsExactly(t2);
        assertThat(store.discrepancy("d1")).isEmpty();
        assertThat(store.discrepancy("d2")).isPresent();
        assertThat(store.meta("m1")).isEmpty();
        assertThat(store.meta("m2")).contains("y");
        assertThat(store.meta("m3")).contains("second");
    }

    @Test
    void anEmptyBatchChangesNothing() {
        write(new StateWrite().putMeta("m", "v"));
        write(new StateWrite());
        assertThat(store.meta("m")).contains("v");
    }

    // ================================================================ lifecycle

    @Test
    void everyOperationAfterCloseThrowsAndCloseIsIdempotent() {
        write(new StateWrite().putPair(richPair(key("sale", "O1"))));
        store.close();
        assertThatCode(store::close).doesNotThrowAnyException();

        assertClosed(() -> store.pair(key("sale", "O1")));
        assertClosed(() -> store.dueTimers("sale", Lane.WAIT_LEFT, T0, 10));
        assertClosed(() -> store.discrepancy("x"));
        assertClosed(() -> store.forEachDiscrepancy(d -> { }));
        assertClosed(() -> store.forEachPair("sale", p -> { }));
        assertClosed(() -> store.meta("m"));
        assertClosed(() -> store.write(new StateWrite().putMeta("m", "v")));
        assertClosed(() -> store.write(new StateWrite()));
    }

    protected void assertClosed(org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    // ================================================================ durability

    /** Writes a bit of everything, including deletions, and returns nothing: {@link #assertFixture} checks it. */
    protected void writeFixture() {
        StateWrite w = new StateWrite();
        List<PairKey> tricky = trickyKeys();
        for (int i = 0; i < tricky.size(); i++) w.putPair(plainPair(tricky.get(i), i));
        w.putPair(richPair(key("sale", "O123", "42")));
        w.putPair(richPair(key("sale2", "O123", "42")));
        w.putPair(richPair(key("deleted", "x"))).deletePair(key("deleted", "x"));
        for (Instant t : extremeInstants()) {
            w.putTimer(timer(Lane.WAIT_LEFT, t, key("sale", "O123", "42")));
            w.putTimer(timer(Lane.EXPIRE, t, key("sale2", "t", t.toString())));
        }
        w.putTimer(timer(Lane.WAIT_RIGHT, T0, key("sale", "gone"))).deleteTimer(timer(Lane.WAIT_RIGHT, T0,
                key("sale", "gone")));
        w.putDiscrepancy(openDiscrepancy("b-open")).putDiscrepancy(resolvedDiscrepancy("a-resolved"))
                .putDiscrepancy(openDiscrepancy("c-deleted"));
        w.putMeta("watermark.left", T0.toString()).putMeta("watermark.right", "").putMeta("gone", "x");
        write(w);
        write(new StateWrite().deleteDiscrepancy("c-deleted").putMeta("gone", null));
    }

    protected void assertFixture() {
        List<PairKey> tricky = trickyKeys();
        for (int i = 0; i < tricky.size(); i++) {
            assertThat(store.pair(tricky.get(i))).as("pair %s", tricky.get(i)).contains(plainPair(tricky.get(i), i));
        }
        assertThat(store.pair(key("sale", "O123", "42"))).contains(richPair(key("sale", "O123", "42")));
        assertThat(pairsOf("sale2")).containsExactly(richPair(key("sale2", "O123", "42")));
        assertThat(store.pair(key("deleted", "x"))).isEmpty();
        assertThat(pairsOf("deleted")).isEmpty();
        List<PairKey> sale = new ArrayList<>(tricky.stream().filter(k -> k.rule().equals("sale")).toList());
        sale.add(key("sale", "O123", "42"));
        sale.sort((a, b) -> Arrays.compareUnsigned(StateCodec.pairKey(a), StateCodec.pairKey(b)));
        assertThat(keysOf("sale")).containsExactlyElementsOf(sale);

        assertThat(allTimers("sale", Lane.WAIT_LEFT)).extracting(TimerEntry::due)
                .containsExactlyElementsOf(extremeInstants());
        assertThat(allTimers("sale2", Lane.EXPIRE)).extracting(TimerEntry::pair)
                .containsExactlyElementsOf(extremeInstants().stream().map(t -> key("sale2", "t", t.toString())).toList());
        assertThat(allTimers("sale", Lane.WAIT_RIGHT)).isEmpty();
        assertThat(store.dueTimers("sale", Lane.WAIT_LEFT, Instant.EPOCH.minusNanos(1), 2))
                .extracting(TimerEntry::due).containsExactly(Instant.MIN, Instant.ofEpochSecond(-62_135_596_800L));

        assertThat(allDiscrepancies()).containsExactly(resolvedDiscrepancy("a-resolved"), openDiscrepancy("b-open"));
        assertThat(store.discrepancy("c-deleted")).isEmpty();
        assertThat(store.meta("watermark.left")).contains(T0.toString());
        assertThat(store.meta("watermark.right")).contains("");
        assertThat(store.meta("gone")).isEmpty();
    }

    /** Everything observable about the fixture's rules, lanes, ids and names, for a before/after comparison. */
    protected Map<String, Object> snapshot() {
        Map<String, Object> s = new LinkedHashMap<>();
        Set<String> rules = new java.util.TreeSet<>();
        trickyKeys().forEach(k -> rules.add(k.rule()));
        rules.addAll(List.of("sale", "sale2", "deleted"));
        for (String rule : rules) {
            s.put("pairs " + rule, pairsOf(rule));
            for (Lane lane : Lane.values()) s.put("timers " + rule + " " + lane, allTimers(rule, lane));
        }
        s.put("discrepancies", allDiscrepancies());
        for (String name : List.of("watermark.left", "watermark.right", "gone")) s.put("meta " + name, store.meta(name));
        return s;
    }

    @Test
    void fixtureReadsBackExactly() {
        writeFixture();
        assertFixture();
    }

    @Test
    void stateReopensExactlyAsItWas() {
        assumeTrue(durable(), "store is not durable");
        writeFixture();
        Map<String, Object> before = snapshot();
        reopenStore();
        assertFixture();
        assertThat(snapshot()).isEqualTo(before);
        // and once more, after a reopen that wrote nothing
        reopenStore();
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void aReopenedStoreTakesFurtherWrites() {
        assumeTrue(durable(), "store is not durable");
        writeFixture();
        reopenStore();
        PairKey k = key("sale", "O123", "42");
        write(new StateWrite().deletePair(k).putPair(plainPair(key("sale", "new"), 1))
                .deleteTimer(timer(Lane.WAIT_LEFT, Instant.MIN, k)).putMeta("watermark.left", null)
                .deleteDiscrepancy("b-open"));
        reopenStore();
        assertThat(store.pair(k)).isEmpty();
        assertThat(store.pair(key("sale", "new"))).contains(plainPair(key("sale", "new"), 1));
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).extracting(TimerEntry::due)
                .containsExactlyElementsOf(extremeInstants().subList(1, extremeInstants().size()));
        assertThat(store.meta("watermark.left")).isEmpty();
        assertThat(allDiscrepancies()).extracting(Discrepancy::id).containsExactly("a-resolved");
    }

    @Test
    void anEmptyStoreReopensEmpty() {
        assumeTrue(durable(), "store is not durable");
        reopenStore();
        assertThat(pairsOf("sale")).isEmpty();
        assertThat(allDiscrepancies()).isEmpty();
        assertThat(allTimers("sale", Lane.WAIT_LEFT)).isEmpty();
        assertThat(store.meta("watermark.left")).isEqualTo(Optional.empty());
    }

    // ================================================================ paging and acknowledgements (HTTP API)

    @Test
    void discrepanciesPageInIdOrderAfterACursorAndStopWhenTheVisitorSaysSo() {
        StateWrite w = new StateWrite();
        for (String id : List.of("0c", "0a", "ff", "0b", "1a")) w.putDiscrepancy(openDiscrepancy(id));
        write(w);
        List<String> all = new ArrayList<>();
        store.forEachDiscrepancyAfter(null, d -> all.add(d.id()));
        assertThat(all).containsExactly("0a", "0b", "0c", "1a", "ff");

        List<String> page = new ArrayList<>();
        store.forEachDiscrepancyAfter("0b", d -> {
            page.add(d.id());
            return page.size() < 2;
        });
        assertThat(page).as("starts after the cursor, stops when the visitor returns false").containsExactly("0c", "1a");

        List<String> fromAbsent = new ArrayList<>();
        store.forEachDiscrepancyAfter("0bb", d -> fromAbsent.add(d.id()));
        assertThat(fromAbsent).as("a cursor that is no longer stored still pages on").containsExactly("0c", "1a", "ff");
        List<String> pastEnd = new ArrayList<>();
        store.forEachDiscrepancyAfter("ff", d -> pastEnd.add(d.id()));
        assertThat(pastEnd).isEmpty();
    }

    @Test
    void anAcknowledgedDiscrepancyReadsBackWithItsAcknowledgement() {
        Discrepancy acked = resolvedDiscrepancy("c-acked").acknowledge(T0.plusSeconds(60), "on it — Grüße");
        write(new StateWrite().putDiscrepancy(acked).putDiscrepancy(openDiscrepancy("d-plain")));
        assertThat(store.discrepancy("c-acked")).contains(acked);
        assertThat(store.discrepancy("c-acked").orElseThrow().acknowledgement().note()).isEqualTo("on it — Grüße");
        assertThat(store.discrepancy("d-plain").orElseThrow().acknowledgement()).isNull();
        if (durable()) {
            reopenStore();
            assertThat(store.discrepancy("c-acked")).contains(acked);
        }
    }

    // ================================================================ outcome journal (the alerts' outbox)

    /** One of each journaled kind; the opened one uses names (table, column, binlog file) nothing else uses. */
    protected static List<Outcome> journalFixture() {
        RowImage own = new RowImage(new RowId("db-journal", "journal_only_table", "7"),
                columns("journal_only_column", "Grüße 😀", "nothing", null), T0.plusSeconds(2),
                new SourcePosition("journal-bin.000001", 99, 1));
        Discrepancy opened = new Discrepancy("j-open", "sale", DiscrepancyType.MISSING_LEFT, columns("order_no", "O9"),
                1, Status.OPEN, T0.plusSeconds(3), null, null, null, List.of(), List.of(own));
        return List.of(
                new Outcome.DiscrepancyOpened(opened),
                new Outcome.DiscrepancyResolved(resolvedDiscrepancy("j-resolved")),
                new Outcome.SourceStalled("inventory", null, Duration.ofSeconds(61, 5), T0.plusSeconds(4)),
                new Outcome.SourceRecovered("inventory", T0.plusSeconds(5), T0.plusSeconds(6)),
                new Outcome.SourceStalled("orders", T0.minusSeconds(100), Duration.ofMinutes(2), T0.plusSeconds(7)));
    }

    protected void appendJournalFixture() {
        List<Outcome> f = journalFixture();
        // two batches, the first with other changes too: numbering runs on across batches
        write(new StateWrite().putMeta("m", "v").appendJournal(f.get(0)).appendJournal(f.get(1))
                .putPair(plainPair(key("sale", "J"), 1)));
        write(new StateWrite().appendJournal(f.get(2)).appendJournal(f.get(3)).appendJournal(f.get(4)));
    }

    protected List<JournalEntry> wholeJournal() {
        return store.journal(0, Integer.MAX_VALUE);
    }

    @Test
    void anEmptyJournalHasNoEntriesAndSequenceZero() {
        assertThat(store.journalSeq()).isZero();
        assertThat(store.journal(1, 10)).isEmpty();
        store.trimJournal(10);
        assertThat(store.journalSeq()).isZero();
    }

    @Test
    void journaledOutcomesReadBackInOrderNumberedFromOneAcrossBatches() {
        appendJournalFixture();
        List<Outcome> f = journalFixture();
        assertThat(wholeJournal()).extracting(JournalEntry::seq).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(wholeJournal()).extracting(JournalEntry::outcome).containsExactlyElementsOf(f);
        assertThat(store.journalSeq()).isEqualTo(5);
        assertThat(store.pair(key("sale", "J"))).as("the rest of the batch").isPresent();
        assertThat(store.journal(3, 2)).extracting(JournalEntry::seq).containsExactly(3L, 4L);
        assertThat(store.journal(5, 10)).extracting(JournalEntry::seq).containsExactly(5L);
        assertThat(store.journal(6, 10)).isEmpty();
        assertThat(store.journal(1, 0)).isEmpty();
        assertThat(wholeJournal().get(0).at()).isEqualTo(T0.plusSeconds(3));
        assertThat(wholeJournal().get(1).at()).as("resolved-at").isEqualTo(T0.plusSeconds(12).plusNanos(34));

        write(new StateWrite().putMeta("m", "w"));
        assertThat(store.journalSeq()).as("a batch without appends keeps the counter").isEqualTo(5);
    }

    @Test
    void matchesAreNotJournaled() {
        Outcome matched = new Outcome.PairMatched("sale", columns("order_no", "O1"), List.of(), List.of(), T0, T0);
        assertThatThrownBy(() -> new StateWrite().appendJournal(matched))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("journaled");
    }

    @Test
    void trimmingDropsTheOldestEntriesAndKeepsTheCounter() {
        appendJournalFixture();
        store.trimJournal(2);
        assertThat(wholeJournal()).extracting(JournalEntry::seq).containsExactly(3L, 4L, 5L);
        assertThat(store.journal(1, 1)).extracting(JournalEntry::seq).containsExactly(3L);
        store.trimJournal(2);
        store.trimJournal(0);
        assertThat(wholeJournal()).hasSize(3);
        store.trimJournal(Long.MAX_VALUE);
        assertThat(wholeJournal()).isEmpty();
        assertThat(store.journalSeq()).isEqualTo(5);
        write(new StateWrite().appendJournal(journalFixture().get(3)));
        assertThat(wholeJournal()).extracting(JournalEntry::seq).containsExactly(6L);
    }

    @Test
    void theJournalAndItsCounterSurviveAReopen() {
        assumeTrue(durable(), "store is not durable");
        appendJournalFixture();
        reopenStore();
        assertThat(wholeJournal()).extracting(JournalEntry::outcome).containsExactlyElementsOf(journalFixture());
        assertThat(store.journalSeq()).isEqualTo(5);
        store.trimJournal(5);
        reopenStore();
        assertThat(wholeJournal()).isEmpty();
        assertThat(store.journalSeq()).as("trimming everything does not reset the numbering").isEqualTo(5);
        write(new StateWrite().appendJournal(journalFixture().get(0)));
        reopenStore();
        assertThat(wholeJournal()).extracting(JournalEntry::seq).containsExactly(6L);
        assertThat(wholeJournal().get(0).outcome()).isEqualTo(journalFixture().get(0));
    }

    @Test
    void journalOperationsAfterCloseThrow() {
        store.close();
        assertClosed(() -> store.journalSeq());
        assertClosed(() -> store.journal(1, 10));
        assertClosed(() -> store.trimJournal(1));
        assertClosed(() -> store.write(new StateWrite().appendJournal(journalFixture().get(2))));
    }

    @Test
    void rulePauseOutcomesReadBackFromTheJournalAndSurviveAReopen() {
        List<Outcome> pauses = List.of(
                new Outcome.RulePaused("sale", Side.LEFT, "orders", "trade_order_stream_0001", "item_count",
                        new SourcePosition("mariadb-bin.000003", 4711, 2), T0.plusSeconds(1)),
                new Outcome.RuleResumed("sale", Side.LEFT, "orders", "trade_order_stream_0001", "item_count",
                        Outcome.RuleResumed.Why.COLUMN_BACK, new SourcePosition("mariadb-bin.000003", 9000, 0),
                        T0.plusSeconds(1), 17, T0.plusSeconds(9)),
                new Outcome.RuleResumed("cancel", Side.RIGHT, "inventory", "collection_inventory_stream", "deleted",
                        Outcome.RuleResumed.Why.CONFIGURATION_CHANGED, null, T0, 0, T0.plusSeconds(10)));
        write(new StateWrite().appendJournal(pauses.get(0)).appendJournal(pauses.get(1)).appendJournal(pauses.get(2)));
        assertThat(wholeJournal()).extracting(JournalEntry::outcome).containsExactlyElementsOf(pauses);
        assertThat(wholeJournal()).extracting(JournalEntry::at)
                .containsExactly(T0.plusSeconds(1), T0.plusSeconds(9), T0.plusSeconds(10));
        if (!durable()) return;
        reopenStore();
        assertThat(wholeJournal()).extracting(JournalEntry::outcome).containsExactlyElementsOf(pauses);
    }
}
