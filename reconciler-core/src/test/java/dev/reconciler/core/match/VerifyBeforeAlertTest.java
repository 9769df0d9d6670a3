package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static dev.reconciler.core.match.CounterpartLookup.Answer.Found.ABSENT;
import static dev.reconciler.core.match.CounterpartLookup.Answer.Found.FAILED;
import static dev.reconciler.core.match.CounterpartLookup.Answer.Found.PRESENT;
import static dev.reconciler.core.match.ReconciliationEngineTest.at;
import static dev.reconciler.core.match.ReconciliationEngineTest.confirm;
import static dev.reconciler.core.match.ReconciliationEngineTest.kinds;
import static dev.reconciler.core.match.ReconciliationEngineTest.trySale;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verify before alert, the engine's part, with a fake lookup port and a manual clock: a due MISSING_* is held while
 * its counterpart is looked up, opens "verified absent" or "not verified", waits (bounded) for a counterpart found in
 * the database, and is never lost across a restart.
 */
class VerifyBeforeAlertTest {
    static final Duration MAX_WAIT = Duration.ofSeconds(60);

    /** The port: records requests; the test answers them. */
    static final class FakeLookup implements CounterpartLookup {
        final List<Request> requests = new ArrayList<>();

        @Override
        public void request(Request request) {
            requests.add(request);
        }

        Request last() {
            return requests.get(requests.size() - 1);
        }
    }

    final FakeLookup lookup = new FakeLookup();
    EngineTestDriver d;

    EngineTestDriver driver(EngineTestDriver driver, int maxPending) {
        d = driver.verifyBeforeAlert(lookup, new CounterpartLookup.Policy(Set.of("sale"), MAX_WAIT, maxPending));
        return d;
    }

    EngineTestDriver driver() {
        return driver(new EngineTestDriver(OrderInventory.config(ReconciliationEngineTest.GRACE)), 100);
    }

    @AfterEach
    void close() {
        if (d != null) d.close();
    }

    List<Outcome> order(String id, int second) {
        return d.insert(ORDERS, shard(1), confirm(id.hashCode() & 0xffff, id, 1), at(second));
    }

    List<Outcome> deduction(String id, int second) {
        return d.insert(INVENTORY, INVENTORY_TABLE, trySale(id.hashCode() & 0xffff, id, 1), at(second));
    }

    @Test
    void aDueMissingRightIsHeldWhileItsCounterpartIsLookedUpThenOpensVerifiedAbsent() {
        driver();
        order("O1", 0);
        assertThat(d.watermarkAll(at(40))).as("due at 32 s: held, not opened").isEmpty();
        assertThat(lookup.requests).hasSize(1);
        CounterpartLookup.Request r = lookup.last();
        assertThat(r.type()).isEqualTo(DiscrepancyType.MISSING_RIGHT);
        assertThat(r.lookIn()).isEqualTo(Side.RIGHT);
        assertThat(r.pair().values()).containsExactly("O1", "42");
        assertThat(d.engine().verifying("sale")).isEqualTo(1);
        assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.MISSING_RIGHT)).isZero();
        assertThat(d.engine().pending("sale", Side.LEFT)).as("no longer waiting on a watermark").isZero();

        d.clock().advance(Duration.ofMillis(300));
        List<Outcome> out = d.answer(r.answer(ABSENT, d.clock().instant(), "inventory: 1 table"));
        assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
        Discrepancy x = ReconciliationEngineTest.opened(out);
        assertThat(x.id()).isEqualTo(r.discrepancyId());
        assertThat(x.verification().result()).isEqualTo(Verification.Result.ABSENT);
        assertThat(x.verification().summary()).startsWith("verified absent at " + d.clock().instant());
        assertThat(d.store().discrepancy(x.id()).orElseThrow().verification()).isEqualTo(x.verification());
        assertThat(d.engine().verifying("sale")).isZero();
        assertThat(d.engine().openDiscrepancies("sale", DiscrepancyType.MISSING_RIGHT)).isEqualTo(1);
        assertThat(lookup.requests).as("asked once").hasSize(1);
    }

    @Test
    void aCounterpartFoundInTheDatabaseIsAwaitedInTheBinlogAndNothingAlerts() {
        driver();
        order("O1", 0);
        d.watermarkAll(at(40));
        assertThat(d.answer(lookup.last().answer(PRESENT, d.clock().instant(), "inventory.collection_inventory_stream")))
                .isEmpty();
        assertThat(d.engine().awaitingBinlog("sale")).isEqualTo(1);
        d.tick(Duration.ofSeconds(30));
        // the deduction, committed at 1 s, arrives late through the binlog
        assertThat(kinds(deduction("O1", 1))).containsExactly("matched sale");
        d.tick(MAX_WAIT.multipliedBy(2));   // (the sources look stalled by now: the watermarks stay at 40 s)
        assertThat(d.history()).noneMatch(o -> o instanceof Outcome.DiscrepancyOpened);
        assertThat(d.engine().awaitingBinlog("sale")).isZero();
        assertThat(d.store().meta(VerifyBeforeAlert.META + "sale")).isEmpty();
    }

    @Test
    void aCounterpartFoundButNeverDeliveredOpensAfterTheMaxWaitAsPresentButNotInTheBinlog() {
        driver();
        order("O1", 0);
        d.watermarkAll(at(40));
        Instant found = d.clock().instant();
        d.answer(lookup.last().answer(PRESENT, found, "inventory.collection_inventory_stream"));
        assertThat(d.tick(MAX_WAIT.minusSeconds(1))).isEmpty();
        List<Outcome> out = d.tick(Duration.ofSeconds(1));
        assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
        Verification v = ReconciliationEngineTest.opened(out).verification();
        assertThat(v.result()).isEqualTo(Verification.Result.PRESENT_NOT_IN_BINLOG);
        assertThat(v.at()).isEqualTo(found);
        assertThat(v.summary()).isEqualTo("present in the database (inventory.collection_inventory_stream, found at "
                + found + ") but not seen in the binlog after 60 s");
    }

    @Test
    void aLookupThatFailsOpensAtOnceMarkedNotVerified() {
        driver();
        order("O1", 0);
        d.watermarkAll(at(40));
        List<Outcome> out = d.answer(lookup.last().answer(FAILED, d.clock().instant(),
                "inventory: timeout after 2 s"));
        Verification v = ReconciliationEngineTest.opened(out).verification();
        assertThat(v.result()).isEqualTo(Verification.Result.NOT_VERIFIED);
        assertThat(v.summary()).isEqualTo("not verified: inventory: timeout after 2 s");
    }

    @Test
    void aLookupThatNeverAnswersOpensAfterTheMaxWaitMarkedNotVerified() {
        driver();
        order("O1", 0);
        d.watermarkAll(at(40));
        assertThat(d.tick(MAX_WAIT.minusSeconds(1))).isEmpty();
        Verification v = ReconciliationEngineTest.opened(d.tick(Duration.ofSeconds(1))).verification();
        assertThat(v.summary()).isEqualTo("not verified: no answer from the lookup within 60 s");
        // the late answer changes nothing
        assertThat(d.answer(lookup.last().answer(ABSENT, d.clock().instant(), ""))).isEmpty();
    }

    @Test
    void aPortThatRefusesARequestOpensItAtOnceMarkedNotVerified() {
        d = new EngineTestDriver(OrderInventory.config(ReconciliationEngineTest.GRACE)).verifyBeforeAlert(r -> {
            throw new IllegalStateException("closed");
        }, new CounterpartLookup.Policy(Set.of("sale"), MAX_WAIT, 100));
        order("O1", 0);
        List<Outcome> out = d.watermarkAll(at(40));
        assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
        assertThat(ReconciliationEngineTest.opened(out).verification().summary())
                .startsWith("not verified: the lookup refused the request (java.lang.IllegalStateException");
    }

    @Test
    void beyondTheMostHeldADueMissingOpensAtOnceMarkedNotVerified() {
        driver(new EngineTestDriver(OrderInventory.config(ReconciliationEngineTest.GRACE)), 1);
        order("O1", 0);
        order("O2", 0);
        List<Outcome> out = d.watermarkAll(at(40));
        assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
        assertThat(ReconciliationEngineTest.opened(out).verification().summary())
                .isEqualTo("not verified: 1 lookups already waiting (the most the engine holds)");
        assertThat(lookup.requests).hasSize(1);
    }

    @Test
    void aHeldMissingLeftLooksInTheLeftSide() {
        driver();
        deduction("O9", 0);
        d.watermarkAll(at(40));
        assertThat(lookup.last().type()).isEqualTo(DiscrepancyType.MISSING_LEFT);
        assertThat(lookup.last().lookIn()).isEqualTo(Side.LEFT);
        // the order arrives late while the lookup is in flight: matched, and the answer changes nothing
        assertThat(kinds(order("O9", 1))).containsExactly("matched sale");
        assertThat(d.answer(lookup.last().answer(PRESENT, d.clock().instant(), "orders"))).isEmpty();
        assertThat(d.engine().awaitingBinlog("sale") + d.engine().verifying("sale")).isZero();
    }

    @Test
    void aRuleThatDoesNotVerifyOpensAsBeforeWithoutAVerification() {
        driver();
        List<Outcome> out = d.insert(ORDERS, shard(1), ReconciliationEngineTest.cancel(5, "C1", 1), at(0));
        out = d.watermarkAll(at(40));
        assertThat(kinds(out)).containsExactly("opened cancel MISSING_RIGHT");
        assertThat(ReconciliationEngineTest.opened(out).verification()).isNull();
        assertThat(lookup.requests).isEmpty();
    }

    @Test
    void aHeldMissingSurvivesARestartAndIsLookedUpAgain(@TempDir Path dir) {
        driver(EngineTestDriver.onRocksDb(OrderInventory.config(ReconciliationEngineTest.GRACE), dir), 100);
        order("O1", 0);
        order("O2", 0);
        d.watermarkAll(at(40));
        d.answer(lookup.requests.get(1).answer(PRESENT, d.clock().instant(), "found"));
        assertThat(lookup.requests).hasSize(2);
        d.clock().advance(Duration.ofSeconds(5));
        d.restart();   // the answer for O1 in flight is lost with the process
        assertThat(d.engine().verifying("sale")).isEqualTo(2);
        assertThat(d.tick(Duration.ofSeconds(1))).isEmpty();
        assertThat(lookup.requests).as("both asked again at the start").hasSize(4);
        List<Outcome> out = d.answer(lookup.requests.get(2).answer(ABSENT, d.clock().instant(), "inventory"));
        assertThat(kinds(out)).containsExactly("opened sale MISSING_RIGHT");
        d.restart();
        Discrepancy stored = d.discrepancies(Status.OPEN).get(0);
        assertThat(stored.verification().result()).as("stored with the discrepancy").isEqualTo(Verification.Result.ABSENT);
        assertThat(d.engine().verifying("sale")).as("O2 still held").isEqualTo(1);
    }

    @Test
    void aHeldMissingWhoseRowIsDeletedNeverOpens() {
        driver();
        order("O1", 0);
        d.watermarkAll(at(40));
        d.delete(ORDERS, shard(1), confirm("O1".hashCode() & 0xffff, "O1", 1), at(41));
        assertThat(d.answer(lookup.last().answer(ABSENT, d.clock().instant(), ""))).isEmpty();
        d.tick(MAX_WAIT.multipliedBy(2));   // (the sources look stalled by now: the watermarks stay at 40 s)
        assertThat(d.history()).noneMatch(o -> o instanceof Outcome.DiscrepancyOpened);
    }
}
