package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.StoredRow;
import dev.reconciler.core.state.TimerEntry;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Random operations on a {@link RocksDbStateStore} and on {@link InMemoryStateStore} as the model: after every
 * step, one random read must answer the same on both, and at the end (and after every reopen) all of the state.
 * Reopening the RocksDB store is one of the operations, so the codec, the name table and the journal sequence are
 * judged across restarts too. Seeded, so a failure names its seed and replays.
 *
 * <p>The generator keeps the store's write contract: a key at most once per batch, and a deadline entry put only
 * when it is absent (the single-delete rule, see {@link BatchWriter}).
 */
class RocksDbStateStoreModelTest {
    private static final int STEPS = 600;
    private static final Instant T0 = Instant.parse("2024-03-01T10:15:30.123456789Z");
    private static final List<String> RULES = List.of("sale", "return");
    private static final RocksDbStateStore.Options OPTIONS = RocksDbStateStore.Options.defaults()
            .withBlockCacheBytes(8L * 1024 * 1024)
            .withWriteBufferBytes(256L * 1024);

    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}")
    @ValueSource(longs = {1, 2, 3, 20261203})
    void randomOperationsAnswerLikeTheModel(long seed) {
        Random rnd = new Random(seed);
        Path stateDir = dir.resolve("state");
        InMemoryStateStore model = new InMemoryStateStore();
        RocksDbStateStore store = RocksDbStateStore.open(stateDir, OPTIONS, line -> { });
        Set<TimerEntry> timers = new HashSet<>();
        try {
            for (int step = 0; step < STEPS; step++) {
                String at = "seed " + seed + ", step " + step;
                int op = rnd.nextInt(100);
                if (op < 70) {
                    StateWrite w = batch(rnd, timers);
                    model.write(w);
                    store.write(w);
                } else if (op < 78) {
                    long upTo = rnd.nextInt((int) model.journalSeq() + 3) - 1;
                    model.trimJournal(upTo);
                    store.trimJournal(upTo);
                } else if (op < 81) {
                    store.close();
                    store = RocksDbStateStore.open(stateDir, OPTIONS, line -> { });
                    assertSameState(at + " (after reopen)", model, store);
                } else {
                    assertSameRead(at, rnd, model, store);
                }
            }
            assertSameState("seed " + seed + ", end", model, store);
        } finally {
            store.close();
        }
    }

    // ---------------------------------------------------------------- generator

    private static StateWrite batch(Random rnd, Set<TimerEntry> timers) {
        StateWrite w = new StateWrite();
        Set<Object> used = new HashSet<>();
        int n = 1 + rnd.nextInt(8);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(100);
            if (kind < 35) {
                PairKey k = pairKey(rnd);
                if (!used.add(k)) continue;
                if (rnd.nextInt(4) == 0) w.deletePair(k);
                else w.putPair(pair(rnd, k));
            } else if (kind < 60) {
                TimerEntry t = new TimerEntry(Lane.values()[rnd.nextInt(Lane.values().length)],
                        T0.plusSeconds(rnd.nextInt(6)).plusNanos(rnd.nextInt(3)), pairKey(rnd));
                if (!used.add(t)) continue;
                if (timers.contains(t) || rnd.nextInt(5) == 0) {
                    w.deleteTimer(t);   // a delete of an absent entry is fine (a blind delete)
                    timers.remove(t);
                } else {
                    w.putTimer(t);
                    timers.add(t);
                }
            } else if (kind < 75) {
                String id = "d" + rnd.nextInt(10);
                if (!used.add(id)) continue;
                if (rnd.nextInt(4) == 0) w.deleteDiscrepancy(id);
                else w.putDiscrepancy(discrepancy(rnd, id));
            } else if (kind < 85) {
                String name = "meta-" + rnd.nextInt(5);
                if (!used.add(name)) continue;
                w.putMeta(name, rnd.nextInt(4) == 0 ? null : "v" + rnd.nextInt(1000));
            } else {
                Discrepancy d = discrepancy(rnd, "j" + rnd.nextInt(1000));
                w.appendJournal(rnd.nextBoolean() ? new Outcome.DiscrepancyOpened(d)
                        : new Outcome.DiscrepancyResolved(d));
            }
        }
        return w;
    }

    private static PairKey pairKey(Random rnd) {
        String rule = RULES.get(rnd.nextInt(RULES.size()));
        return switch (rnd.nextInt(10)) {
            case 0 -> new PairKey(rule, List.of("a\u0000", "b"));
            case 1 -> new PairKey(rule, List.of("Grüße", "😀"));
            case 2 -> new PairKey(rule, List.of());
            default -> new PairKey(rule, List.of("O" + rnd.nextInt(15)));
        };
    }

    private static PairState pair(Random rnd, PairKey k) {
        if (rnd.nextBoolean()) return PairState.empty(k, T0.plusSeconds(rnd.nextInt(1000)));
        List<StoredRow> rows = new ArrayList<>();
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            Side side = rnd.nextBoolean() ? Side.LEFT : Side.RIGHT;
            // Fresh column and table names now and then, so batches also carry new entries of the name table.
            String table = side == Side.LEFT ? "orders" : "inventory_log_" + rnd.nextInt(4);
            RowImage image = new RowImage(new RowId("db1", table, Integer.toString(i)),
                    columns("qty", Integer.toString(rnd.nextInt(50)), "c" + rnd.nextInt(40), rnd.nextBoolean() ? null : "x"),
                    T0.plusMillis(rnd.nextInt(5000)), new SourcePosition("mysql-bin.00000" + (1 + rnd.nextInt(3)),
                    rnd.nextInt(100_000), rnd.nextInt(3)));
            rows.add(new StoredRow(side, image, image.eventTime(), rnd.nextInt(5) != 0));
        }
        Map<DiscrepancyType, Integer> occurrences = new LinkedHashMap<>();
        if (rnd.nextBoolean()) occurrences.put(DiscrepancyType.QUANTITY_MISMATCH, 1 + rnd.nextInt(3));
        return new PairState(k, rows, Set.copyOf(occurrences.keySet()), occurrences, rnd.nextBoolean(),
                rnd.nextBoolean() ? null : T0.plusSeconds(rnd.nextInt(60)),
                rnd.nextBoolean() ? null : T0.plusSeconds(rnd.nextInt(60)),
                rnd.nextBoolean() ? null : T0.plusSeconds(rnd.nextInt(600)), T0.plusMillis(rnd.nextInt(5000)));
    }

    private static Discrepancy discrepancy(Random rnd, String id) {
        if (rnd.nextBoolean()) {
            return new Discrepancy(id, "sale", DiscrepancyType.MISSING_RIGHT, columns("order_no", "O" + rnd.nextInt(9)),
                    1, Status.OPEN, T0, null, null, null, List.of(), List.of());
        }
        RowImage left = new RowImage(new RowId("db1", "orders", "10"), columns("qty", "2.500", "sku", "Ä-1"), T0,
                new SourcePosition("mysql-bin.000011", 120, 0));
        return new Discrepancy(id, "sale", DiscrepancyType.QUANTITY_MISMATCH, columns("order_no", "O1"),
                1 + rnd.nextInt(4), Status.RESOLVED, T0, T0.plusSeconds(rnd.nextInt(100)), Resolution.CORRECTED,
                new BigDecimal("-0.500"), List.of(left), List.of());
    }

    private static Map<String, String> columns(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1]);
        return m;
    }

    // ---------------------------------------------------------------- checks

    private static void assertSameRead(String at, Random rnd, StateStore model, StateStore store) {
        switch (rnd.nextInt(9)) {
            case 0 -> {
                PairKey k = pairKey(rnd);
                assertThat(store.pair(k)).as(at + ": pair " + k).isEqualTo(model.pair(k));
            }
            case 1 -> {
                List<PairKey> keys = new ArrayList<>();
                for (int i = 0; i < 1 + rnd.nextInt(6); i++) keys.add(pairKey(rnd));
                assertThat(store.pairs(keys)).as(at + ": pairs " + keys).isEqualTo(model.pairs(keys));
            }
            case 2 -> {
                String rule = RULES.get(rnd.nextInt(RULES.size()));
                Lane lane = Lane.values()[rnd.nextInt(Lane.values().length)];
                int upToSecond = rnd.nextInt(7);
                Instant upTo = T0.plusSeconds(upToSecond);
                Instant from = rnd.nextBoolean() ? null : T0.plusSeconds(rnd.nextInt(upToSecond + 1));   // from <= upTo
                int limit = rnd.nextInt(6);
                assertThat(store.dueTimers(rule, lane, from, upTo, limit)).as(at + ": due timers")
                        .isEqualTo(model.dueTimers(rule, lane, from, upTo, limit));
            }
            case 3 -> {
                String id = "d" + rnd.nextInt(10);
                assertThat(store.discrepancy(id)).as(at + ": discrepancy " + id).isEqualTo(model.discrepancy(id));
            }
            case 4 -> {
                String after = rnd.nextBoolean() ? null : "d" + rnd.nextInt(10);
                int max = 1 + rnd.nextInt(4);
                assertThat(discrepanciesAfter(store, after, max)).as(at + ": discrepancies after " + after)
                        .isEqualTo(discrepanciesAfter(model, after, max));
            }
            case 5 -> {
                String rule = RULES.get(rnd.nextInt(RULES.size()));
                assertThat(pairsOf(store, rule)).as(at + ": pairs of " + rule).isEqualTo(pairsOf(model, rule));
            }
            case 6 -> {
                String name = "meta-" + rnd.nextInt(5);
                assertThat(store.meta(name)).as(at + ": meta " + name).isEqualTo(model.meta(name));
            }
            case 7 -> assertThat(store.journalSeq()).as(at + ": journal sequence").isEqualTo(model.journalSeq());
            default -> {
                long from = rnd.nextInt((int) model.journalSeq() + 2);
                int limit = rnd.nextInt(5);
                assertThat(store.journal(from, limit)).as(at + ": journal from " + from)
                        .isEqualTo(model.journal(from, limit));
            }
        }
    }

    private static void assertSameState(String at, StateStore model, StateStore store) {
        for (String rule : RULES) {
            assertThat(pairsOf(store, rule)).as(at + ": pairs of " + rule).isEqualTo(pairsOf(model, rule));
            for (Lane lane : Lane.values()) {
                assertThat(store.dueTimers(rule, lane, Instant.MAX.minusNanos(1), Integer.MAX_VALUE))
                        .as(at + ": timers of " + rule + "/" + lane)
                        .isEqualTo(model.dueTimers(rule, lane, Instant.MAX.minusNanos(1), Integer.MAX_VALUE));
            }
        }
        assertThat(discrepanciesAfter(store, null, Integer.MAX_VALUE)).as(at + ": discrepancies")
                .isEqualTo(discrepanciesAfter(model, null, Integer.MAX_VALUE));
        for (int i = 0; i < 5; i++) {
            assertThat(store.meta("meta-" + i)).as(at + ": meta-" + i).isEqualTo(model.meta("meta-" + i));
        }
        assertThat(store.journalSeq()).as(at + ": journal sequence").isEqualTo(model.journalSeq());
        assertThat(store.journal(0, Integer.MAX_VALUE)).as(at + ": journal")
                .isEqualTo(model.journal(0, Integer.MAX_VALUE));
    }

    private static List<PairState> pairsOf(StateStore s, String rule) {
        List<PairState> out = new ArrayList<>();
        s.forEachPair(rule, out::add);
        return out;
    }

    private static List<Discrepancy> discrepanciesAfter(StateStore s, String after, int max) {
        List<Discrepancy> out = new ArrayList<>();
        s.forEachDiscrepancyAfter(after, d -> {
            out.add(d);
            return out.size() < max;
        });
        return out;
    }
}
