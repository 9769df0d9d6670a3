package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.FormatVersion;
import dev.reconciler.core.state.StateStoreException;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.fixture.StateFixtureGenerator;
import dev.reconciler.core.state.fixture.StateFixtures;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Upgrades keep the state: a store written by the release of format 3 (the fixture {@code state-fixtures/format-3},
 * see {@link StateFixtureGenerator}) opens in this release, is migrated to format 4 in place, and reads back
 * exactly as the old release read it; a store of an unknown format is refused with the way out. Every test opens
 * a copy of the fixture in a temp directory.
 */
class StateFormatUpgradeTest {
    @TempDir
    Path tmp;

    private final List<String> log = new ArrayList<>();

    private Path fixture() {
        return StateFixtures.copy("format-3", tmp.resolve("state")).resolve(StateFixtures.STORE);
    }

    private static String expected(Path storeDir) throws IOException {
        return Files.readString(storeDir.resolveSibling(StateFixtures.EXPECTED), StandardCharsets.UTF_8);
    }

    /** What this release reads from the store in {@code dir}, in the fixture's description, marker left out. */
    private String read(Path dir) {
        String described;
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add)) {
            assertThat(store.format()).isEqualTo(FormatVersion.CURRENT);
            described = StateFixtures.describe(store, StateFixtureGenerator.CONFIG.rules());
        }
        return described + StateFixtures.describeMeta(dir, StoreFormat.META_FORMAT::equals);
    }

    @Test
    void aFormat3StoreIsMigratedInPlaceAndReadsBackExactlyAsTheReleaseThatWroteItReadIt() throws IOException {
        Path dir = fixture();
        assertThat(read(dir)).isEqualTo(expected(dir));
        assertThat(log).containsExactly(
                "state store " + dir + ": format 3 → 4: migrating in place (no format marker: written by a release"
                        + " before format 4); values already in format 4 (an interrupted earlier migration) are kept",
                "state store " + dir + ": format 3 → 4: discrepancies: 5 re-encoded, 0 already in format 4 ("
                        + millis(log, 1) + " ms)",
                "state store " + dir + ": format 3 → 4: journal entries: 10 re-encoded, 0 already in format 4 ("
                        + millis(log, 2) + " ms)",
                "state store " + dir + ": format 3 → 4: pairs: same layout in format 4, read as they are and"
                        + " rewritten as they change",
                "state store " + dir + ": format 3 → 4: done; the store is now format 4 (releases that read only"
                        + " format 3 can no longer read it)");

        // Reopened: format 4 recorded, nothing to migrate, the same state.
        log.clear();
        assertThat(read(dir)).isEqualTo(expected(dir));
        assertThat(log).isEmpty();
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add)) {
            assertThat(store.meta(StoreFormat.META_FORMAT)).contains("4");
        }
    }

    private static String millis(List<String> log, int line) {
        String l = log.get(line);
        return l.substring(l.lastIndexOf('(') + 1, l.lastIndexOf(" ms)"));
    }

    @Test
    void aMigrationInterruptedByACrashResumesAtTheNextStartAndFinishes() throws IOException {
        Path dir = fixture();
        // Two batches of two discrepancies written, then the process "dies" (the store is closed, no marker).
        assertThatThrownBy(() -> RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add,
                new StoreFormat.Run(2, 2))).hasMessageContaining("simulated crash after 2 migration batches");
        assertThat(log).noneMatch(l -> l.contains("done"));

        log.clear();
        assertThat(read(dir)).isEqualTo(expected(dir));
        assertThat(log).anyMatch(l -> l.contains("discrepancies: 1 re-encoded, 4 already in format 4"))
                .anyMatch(l -> l.contains("journal entries: 10 re-encoded, 0 already in format 4"))
                .anyMatch(l -> l.contains("done; the store is now format 4"));
    }

    @Test
    void aNewStoreIsCreatedInTheCurrentFormat() {
        Path dir = tmp.resolve("new");
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add)) {
            assertThat(store.format()).isEqualTo(4);
            assertThat(store.meta(StoreFormat.META_FORMAT)).contains("4");
        }
        assertThat(log).containsExactly("state store " + dir.toAbsolutePath() + ": created in format 4");
        log.clear();
        RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add).close();
        assertThat(log).isEmpty();
    }

    @Test
    void aStoreOfANewerOrUnreadableFormatIsRefusedWithTheWayOutAndLeftAsItIs() throws IOException {
        Path dir = fixture();
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add)) {
            store.write(new StateWrite().putMeta(StoreFormat.META_FORMAT, "9"));
        }
        for (int attempt = 0; attempt < 2; attempt++) {   // the second: the first released the lock
            assertThatThrownBy(() -> RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessage("the state store at " + dir + " has format 9, but this release reads formats 3 and 4"
                            + " (a newer release wrote it); run a release that reads format 9, or restore a backup of"
                            + " the state directory taken before it was upgraded. Starting with an empty state"
                            + " directory also works but loses every open discrepancy and pending pair");
        }
        // Nothing was read or rewritten: the store still holds what it held (read past the marker, raw).
        assertThat(StateFixtures.describeMeta(dir, StoreFormat.META_FORMAT::equals))
                .isEqualTo(expected(dir).substring(expected(dir).indexOf("meta ")));
        assertThat(StateFixtures.describeMeta(dir, k -> !k.equals(StoreFormat.META_FORMAT)))
                .isEqualTo("meta format = 9\n");

        rawPut(dir, "meta", StoreFormat.META_FORMAT, "four".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add))
                .hasMessageStartingWith("the state store at " + dir + " has format 'four' (unreadable), but this"
                        + " release reads formats 3 and 4; run a release");
    }

    @Test
    void aValueOfAnUnknownFormatIsRefusedWhenReadNamingTheStoreAndTheWayOut() {
        Path dir = fixture();
        RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add).close();
        rawPut(dir, "discrepancies", "ffffffffffffffff", new byte[]{9, 1, 2, 3});
        try (RocksDbStateStore store = RocksDbStateStore.open(dir, EngineTestDriver.SMALL_ROCKSDB, log::add)) {
            assertThatThrownBy(() -> store.discrepancy("ffffffffffffffff"))
                    .isInstanceOf(StateStoreException.class)
                    .hasMessageContaining("RocksDB state store at " + dir + ": read discrepancy ffffffffffffffff:")
                    .hasMessageContaining("format version 9 but this release reads 3 and 4; a newer release wrote it")
                    .hasMessageContaining("restore a backup of the state directory, or run the release that wrote it");
        }
    }

    @Test
    void theEngineContinuesOnAnUpgradedStore() {
        Path dir = fixture();
        try (EngineTestDriver d = EngineTestDriver.onRocksDb(StateFixtureGenerator.CONFIG, dir)) {
            Discrepancy acknowledged = d.discrepancies(Status.OPEN).stream()
                    .filter(x -> x.key().containsValue("o-3")).findFirst().orElseThrow();
            assertThat(acknowledged.acknowledgement()).isNotNull();
            // The engine resumes at the watermarks the old release committed.
            assertThat(d.engine().watermark(ORDERS)).contains(T0.plusSeconds(153));

            // o-3's inventory finally arrives: the open (and acknowledged) discrepancy resolves.
            d.clock().set(T0.plusSeconds(154));
            List<Outcome> out = d.insert(INVENTORY, INVENTORY_TABLE,
                    inventoryRow(21, "o-3", 103, "TRY_SALE", 1, 0), T0.plusSeconds(154));
            assertThat(out).filteredOn(o -> !(o instanceof Outcome.PairMatched)).singleElement()
                    .isInstanceOfSatisfying(Outcome.DiscrepancyResolved.class, r -> {
                assertThat(r.discrepancy().id()).isEqualTo(acknowledged.id());
                assertThat(r.discrepancy().resolution()).isEqualTo(Resolution.COUNTERPART_ARRIVED);
                assertThat(r.discrepancy().acknowledgement()).isEqualTo(acknowledged.acknowledgement());
            });
            // o-8 waited for its inventory, which arrives; a new order is never matched: opened in format 4.
            d.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(22, "o-8", 108, "TRY_SALE", 1, 0), T0.plusSeconds(154));
            d.insert(ORDERS, shard(1), orderRow(10, "o-10", "110", "CREATE_AND_CONFIRM", "CONFIRM", 1, 0),
                    T0.plusSeconds(154));
            d.watermarkAll(T0.plusSeconds(170));
            d.tick(T0.plusSeconds(170));

            d.restart();   // closed and reopened from disk
            assertThat(d.discrepancies(Status.OPEN)).extracting(x -> x.key().get("order_id") + " " + x.type())
                    .containsExactlyInAnyOrder("o-2 QUANTITY_MISMATCH", "o-4 MISSING_LEFT", "o-6 DUPLICATE_RIGHT",
                            "o-9 MISSING_LEFT", "o-10 MISSING_RIGHT");
            assertThat(d.discrepancies(Status.RESOLVED)).extracting(x -> x.key().get("order_id"))
                    .containsExactlyInAnyOrder("o-3", "o-5");
            assertThat(d.store().journal(0, 100)).hasSize((int) d.store().journalSeq())
                    .last().satisfies(e -> assertThat(e.seq()).isEqualTo(d.store().journalSeq()));
            assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.MISSING_LEFT)).isEqualTo(2);
        }
    }

    /** Writes one value straight into a column family of the closed store in {@code dir}. */
    private static void rawPut(Path dir, String cf, String key, byte[] value) {
        try (Options o = new Options()) {
            List<ColumnFamilyDescriptor> descriptors = new ArrayList<>();
            List<byte[]> names = RocksDB.listColumnFamilies(o, dir.toString());
            for (byte[] n : names) descriptors.add(new ColumnFamilyDescriptor(n));
            List<ColumnFamilyHandle> handles = new ArrayList<>();
            try (DBOptions dbo = new DBOptions();
                 RocksDB db = RocksDB.open(dbo, dir.toString(), descriptors, handles)) {
                for (int i = 0; i < names.size(); i++) {
                    if (new String(names.get(i), StandardCharsets.UTF_8).equals(cf)) {
                        db.put(handles.get(i), key.getBytes(StandardCharsets.UTF_8), value);
                    }
                }
                handles.forEach(ColumnFamilyHandle::close);
            }
        } catch (org.rocksdb.RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }
}
