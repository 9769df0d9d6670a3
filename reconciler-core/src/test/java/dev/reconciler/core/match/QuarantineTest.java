package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.TimerEntry;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Predicate;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.config;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/** Poison rows: quarantined with their reason, never matched, never blocking the facts after them. */
class QuarantineTest {
    private static final Duration GRACE = Duration.ofSeconds(5);

    private static Map<String, Object> trySale(long id, String order, Object quantity) {
        Map<String, Object> row = inventoryRow(id, order, 42, "TRY_SALE", 0, 0);
        row.put("changed_quantity", quantity);
        return row;
    }

    private static Map<String, Object> confirm(long id, String order, Object count) {
        Map<String, Object> row = orderRow(id, order, "42", "CONFIRM", "CONFIRM", 1, 0);
        row.put("item_count", count);
        return row;
    }

    private static Instant at(long s) {
        return T0.plusSeconds(s);
    }

    private static List<Quarantined> quarantined(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.FactQuarantined)
                .map(o -> ((Outcome.FactQuarantined) o).fact()).toList();
    }

    private static List<String> matched(List<Outcome> outcomes) {
        return outcomes.stream().filter(o -> o instanceof Outcome.PairMatched)
                .map(o -> ((Outcome.PairMatched) o).key().get("order_id")).toList();
    }

    @Test
    void badQuantitiesAreQuarantinedWithTheirReasonAndTheNextPairMatches() {
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE))) {
            Object[] bad = {"1e999999999", "1e99999999", "NaN", "abc", "1" + "0".repeat(100), "1e400", null, " ",
                    "Infinity", Double.NaN, "0.1e-400"};
            QuarantineReason[] reasons = {QuarantineReason.QUANTITY_OUT_OF_RANGE, QuarantineReason.QUANTITY_OUT_OF_RANGE,
                    QuarantineReason.QUANTITY_NOT_A_NUMBER, QuarantineReason.QUANTITY_NOT_A_NUMBER,
                    QuarantineReason.QUANTITY_OUT_OF_RANGE, QuarantineReason.QUANTITY_OUT_OF_RANGE,
                    QuarantineReason.QUANTITY_MISSING, QuarantineReason.QUANTITY_MISSING,
                    QuarantineReason.QUANTITY_NOT_A_NUMBER, QuarantineReason.QUANTITY_NOT_A_NUMBER,
                    QuarantineReason.QUANTITY_OUT_OF_RANGE};
            List<Fact> batch = new ArrayList<>();
            for (int i = 0; i < bad.length; i++) {
                batch.add(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(100 + i, "B" + i, bad[i]), null, at(0)));
            }
            batch.add(d.fact(ORDERS, shard(0), Operation.INSERT, confirm(1, "O1", 2), null, at(0)));
            batch.add(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(1, "O1", 2), null, at(1)));
            List<Outcome> out = d.pipe(batch);

            assertThat(quarantined(out)).extracting(Quarantined::reason).containsExactly(reasons);
            assertThat(quarantined(out)).allSatisfy(q -> {
                assertThat(q.rule()).isEqualTo("sale");
                assertThat(q.detail()).isEqualTo("changed_quantity");
                assertThat(q.table()).isEqualTo(INVENTORY_TABLE);
            });
            assertThat(quarantined(out).get(0).primaryKey()).isEqualTo("100");
            assertThat(matched(out)).containsExactly("O1");
            // Never a pair's member: no MISSING_LEFT for the bad deductions, whatever the watermarks.
            d.watermarkAll(at(3600));
            assertThat(d.discrepancies(null)).isEmpty();
            assertThat(d.engine().pending("sale", dev.reconciler.core.rule.Side.RIGHT)).isZero();

            // Alerted once per (source, reason): three reasons here; the rest only counted.
            assertThat(out).filteredOn(o -> o instanceof Outcome.FactQuarantined q && q.alert()).hasSize(3);
            Quarantine.View view = ReconciliationEngine.quarantined(d.store(), null, 100);
            assertThat(view.total()).isEqualTo(bad.length);
            assertThat(view.entries()).hasSize(bad.length);
            assertThat(view.entries().get(0).fact().primaryKey()).isEqualTo(String.valueOf(100 + bad.length - 1));
            assertThat(view.counts()).extracting(Quarantine.Count::reason).containsExactlyInAnyOrder(
                    QuarantineReason.QUANTITY_MISSING, QuarantineReason.QUANTITY_NOT_A_NUMBER,
                    QuarantineReason.QUANTITY_OUT_OF_RANGE);
        }
    }

    @Test
    void anUpdateToABadQuantityTakesTheRowOutOfItsPairAndAFixBringsItBack() {
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE))) {
            d.insert(ORDERS, shard(0), confirm(1, "O1", 2), at(0));
            assertThat(matched(d.insert(INVENTORY, INVENTORY_TABLE, trySale(1, "O1", 2), at(1)))).containsExactly("O1");
            List<Outcome> out = d.update(INVENTORY, INVENTORY_TABLE, trySale(1, "O1", 2), trySale(1, "O1", "2x"), at(2));
            assertThat(quarantined(out)).extracting(Quarantined::reason).containsExactly(QuarantineReason.QUANTITY_NOT_A_NUMBER);
            // Not a wrong match, and not a QUANTITY_MISMATCH against 0: the row is out, so the order waits for it...
            d.watermarkAll(at(3600));
            assertThat(d.discrepancies(dev.reconciler.core.discrepancy.Status.OPEN)).extracting(Discrepancy::type)
                    .containsExactly(DiscrepancyType.MISSING_RIGHT);
            // ... and a fixed row comes back into its pair.
            out = d.update(INVENTORY, INVENTORY_TABLE, trySale(1, "O1", "2x"), trySale(1, "O1", 2), at(3601));
            assertThat(out).anyMatch(o -> o instanceof Outcome.DiscrepancyResolved);
            assertThat(matched(out)).containsExactly("O1");
        }
    }

    @Test
    void keysWithoutValueOrTooLargeRowsAreQuarantinedToo() {
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE))) {
            List<Outcome> out = d.pipe(
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(1, null, 1), null, at(0)),
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(2, "  ", 1), null, at(0)),
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(3, "O" + "x".repeat(70_000), 1), null, at(0)));
            assertThat(quarantined(out)).extracting(Quarantined::reason).containsExactly(
                    QuarantineReason.KEY_MISSING, QuarantineReason.KEY_MISSING, QuarantineReason.ROW_TOO_LARGE);
            assertThat(quarantined(out).get(0).detail()).isEqualTo("order_id");
            d.watermarkAll(at(3600));
            assertThat(d.discrepancies(null)).isEmpty();
        }
    }

    @Test
    void keysCompareTrimmedButCaseAndUnicodeFormSensitive() {
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE))) {
            d.insert(ORDERS, shard(0), confirm(1, " O1\t", 1), at(0));
            assertThat(matched(d.insert(INVENTORY, INVENTORY_TABLE, trySale(1, "O1", 1), at(0)))).containsExactly("O1");
            d.insert(ORDERS, shard(0), confirm(2, "o2", 1), at(0));
            assertThat(matched(d.insert(INVENTORY, INVENTORY_TABLE, trySale(2, "O2", 1), at(0)))).isEmpty();
            // "é" precomposed (NFC) and "e" + combining acute (NFD) are different keys.
            d.insert(ORDERS, shard(0), confirm(3, "caf\u00e9", 1), at(0));
            assertThat(matched(d.insert(INVENTORY, INVENTORY_TABLE, trySale(3, "cafe\u0301", 1), at(0)))).isEmpty();
            assertThat(matched(d.insert(INVENTORY, INVENTORY_TABLE, trySale(4, "caf\u00e9", 1), at(0))))
                    .containsExactly("caf\u00e9");
            d.watermarkAll(at(3600));
            assertThat(d.discrepancies(dev.reconciler.core.discrepancy.Status.OPEN)).extracting(Discrepancy::type)
                    .containsExactlyInAnyOrder(DiscrepancyType.MISSING_RIGHT, DiscrepancyType.MISSING_LEFT,
                            DiscrepancyType.MISSING_LEFT);
        }
    }

    @Test
    void aReplayedBadRowIsNotQuarantinedTwiceAndTheAlertIsJournaledOnce(@TempDir Path dir) {
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(config(GRACE), dir)) {
            Fact bad = d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(1, "O1", "abc"), null, at(0));
            assertThat(quarantined(d.pipe(bad))).hasSize(1);
            d.restart();
            assertThat(quarantined(d.pipe(bad))).isEmpty();
            List<JournalEntry> journal = d.store().journal(1, 100);
            assertThat(journal).singleElement().satisfies(e -> {
                Outcome.FactQuarantined q = (Outcome.FactQuarantined) e.outcome();
                assertThat(q.fact().reason()).isEqualTo(QuarantineReason.QUANTITY_NOT_A_NUMBER);
                assertThat(q.fact().position()).isEqualTo(bad.position());
                assertThat(q.since()).isEqualTo(1);
            });
            // A second bad row of the same reason within a day only counts; a day later it alerts again with the
            // number since the last alert.
            d.pipe(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(2, "O2", "abd"), null, at(1)));
            d.clock().set(at(0).plus(Duration.ofHours(25)));
            List<Outcome> out = d.pipe(d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(3, "O3", "abe"),
                    null, at(2)));
            assertThat(out).singleElement().satisfies(o -> {
                assertThat(((Outcome.FactQuarantined) o).alert()).isTrue();
                assertThat(((Outcome.FactQuarantined) o).since()).isEqualTo(2);
            });
            assertThat(ReconciliationEngine.quarantined(d.store(), null, 10).total()).isEqualTo(3);
        }
    }

    /** A store that fails to read one discrepancy: the kind of fault no check foresees (a bug, a bad value). */
    private static final class PoisonedStore implements StateStore {
        final InMemoryStateStore delegate = new InMemoryStateStore();
        volatile String poisonId;

        @Override
        public Optional<PairState> pair(PairKey key) {
            return delegate.pair(key);
        }

        @Override
        public Map<PairKey, PairState> pairs(Collection<PairKey> keys) {
            return delegate.pairs(keys);
        }

        @Override
        public List<TimerEntry> dueTimers(String rule, Lane lane, Instant from, Instant upTo, int limit) {
            return delegate.dueTimers(rule, lane, from, upTo, limit);
        }

        @Override
        public Optional<Discrepancy> discrepancy(String id) {
            if (id.equals(poisonId)) throw new ArithmeticException("poison");
            return delegate.discrepancy(id);
        }

        @Override
        public void forEachDiscrepancyAfter(String afterId, Predicate<Discrepancy> visitor) {
            delegate.forEachDiscrepancyAfter(afterId, visitor);
        }

        @Override
        public void forEachPair(String rule, Consumer<PairState> visitor) {
            delegate.forEachPair(rule, visitor);
        }

        @Override
        public Optional<String> meta(String name) {
            return delegate.meta(name);
        }

        @Override
        public void write(StateWrite write) {
            delegate.write(write);
        }

        @Override
        public long journalSeq() {
            return delegate.journalSeq();
        }

        @Override
        public List<JournalEntry> journal(long fromSeq, int limit) {
            return delegate.journal(fromSeq, limit);
        }

        @Override
        public void trimJournal(long upToSeq) {
            delegate.trimJournal(upToSeq);
        }

        @Override
        public void close() {
            delegate.close();
        }
    }

    @Test
    void aFactThatThrowsInTheMiddleOfABatchIsQuarantinedAndTheFactsAfterItAreApplied() {
        PoisonedStore store = new PoisonedStore();
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE), store, null)) {
            d.insert(ORDERS, shard(0), confirm(1, "P", 2), at(0));
            List<Outcome> opened = d.insert(INVENTORY, INVENTORY_TABLE, trySale(1, "P", 3), at(0));
            Discrepancy mismatch = ((Outcome.DiscrepancyOpened) opened.get(0)).discrepancy();
            store.poisonId = mismatch.id();

            Fact poison = d.fact(INVENTORY, INVENTORY_TABLE, Operation.UPDATE, trySale(1, "P", 2), trySale(1, "P", 3), at(1));
            List<Outcome> out = d.pipe(
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(2, "A", 1), null, at(1)),
                    d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(2, "A", 1), null, at(1)),
                    poison,
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(3, "B", 1), null, at(1)),
                    d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(3, "B", 1), null, at(1)));

            assertThat(matched(out)).containsExactly("A", "B");
            assertThat(quarantined(out)).singleElement().satisfies(q -> {
                assertThat(q.reason()).isEqualTo(QuarantineReason.INTERNAL_ERROR);
                assertThat(q.primaryKey()).isEqualTo("1");
                assertThat(q.position()).isEqualTo(poison.position());
                assertThat(q.detail()).startsWith("applying: java.lang.ArithmeticException at ");
            });
            // The gauges are those of the committed state, not of the failed attempt counted twice.
            assertThat(d.engine().pending("sale", dev.reconciler.core.rule.Side.LEFT)).isZero();
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.QUANTITY_MISMATCH)).isEqualTo(1);
            // Once the fault is gone, the same fact (delivered again, e.g. by a resync) applies: it never was.
            store.poisonId = null;
            out = d.pipe(poison);
            assertThat(quarantined(out)).isEmpty();
            assertThat(out).anyMatch(o -> o instanceof Outcome.DiscrepancyResolved);
        }
    }

    @Test
    void aFactThatCannotBePreparedIsQuarantinedAndTheOthersGoOn() {
        try (EngineTestDriver d = new EngineTestDriver(config(GRACE))) {
            // A column value of a type no conversion foresaw, whose text cannot even be read.
            Map<String, Object> hostile = confirm(9, "H", 1);
            hostile.put("order_id", new Object() {
                @Override
                public String toString() {
                    throw new IllegalStateException("hostile value");
                }
            });
            List<Outcome> out = d.pipe(
                    d.fact(ORDERS, shard(0), Operation.INSERT, hostile, null, at(0)),
                    d.fact(ORDERS, shard(0), Operation.INSERT, confirm(2, "A", 1), null, at(1)),
                    d.fact(INVENTORY, INVENTORY_TABLE, Operation.INSERT, trySale(2, "A", 1), null, at(1)));
            assertThat(matched(out)).containsExactly("A");
            assertThat(quarantined(out)).singleElement().satisfies(q -> {
                assertThat(q.reason()).isEqualTo(QuarantineReason.INTERNAL_ERROR);
                assertThat(q.detail()).startsWith("preparing: java.lang.IllegalStateException");
            });
        }
    }
}
