package dev.reconciler.app.alert;

import dev.reconciler.app.metrics.Scrape;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.ManualClock;
import dev.reconciler.core.testing.OrderInventory;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;

/**
 * The engine (driven by hand on the test thread, as the pipeline's thread would) on a store, and an
 * {@link AlertService} delivering its journal. The alert side has its own clock the test moves.
 */
final class AlertRig implements AutoCloseable {
    static final Duration GRACE = Duration.ofSeconds(30);

    final EngineTestDriver driver;
    /** The dispatchers' wall clock. */
    final ManualClock clock = new ManualClock(T0);
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    AlertService service;
    /** How the sinks' threads wait between attempts: really, unless a test simulates time. */
    volatile Sleeper sleeper = Sleeper.REAL;
    private long rowId;
    /** The engine's event time: moved forward by each step so that nothing waits on an old watermark. */
    private Instant time = T0;

    /** Over an in-memory store, which a restart keeps. */
    AlertRig() {
        this(new InMemoryStateStore(), null);
    }

    AlertRig(StateStore store, Supplier<StateStore> reopen) {
        driver = new EngineTestDriver(OrderInventory.config(GRACE), store, reopen);
    }

    /** Engine time (event times, watermarks, the engine's clock) from {@code start} instead of the fixtures' T0. */
    AlertRig startingAt(Instant start) {
        time = start;
        driver.clock().set(start);
        return this;
    }

    AlertService start(AlertsConfig config) {
        service = new AlertService(config, driver.store(), registry, clock, sleeper).start();
        return service;
    }

    /** Orders without their deduction, reported missing in one engine batch; returns the discrepancies opened. */
    List<Discrepancy> openMissing(String... orders) {
        List<Fact> facts = new ArrayList<>();
        for (String o : orders) {
            facts.add(driver.fact(ORDERS, shard(0), Operation.INSERT, orderRow(++rowId, o, "42", "CONFIRM", "CONFIRM", 1, 0),
                    null, time));
        }
        wake(driver.pipe(facts));
        time = time.plus(GRACE).plusSeconds(10);
        List<Outcome> out = wake(driver.watermarkAll(time));
        List<Discrepancy> opened = new ArrayList<>();
        for (Outcome x : out) if (x instanceof Outcome.DiscrepancyOpened d) opened.add(d.discrepancy());
        return opened;
    }

    /** An order row whose table lost {@code column} (dropped while running), or got it back when null. */
    List<Outcome> orderRowOfShard1(String order, String missingColumn) {
        time = time.plusSeconds(1);
        java.util.Map<String, Object> row = orderRow(++rowId, order, "42", "CONFIRM", "CONFIRM", 1, 0);
        if (missingColumn != null) row.remove(missingColumn);
        return wake(driver.insert(ORDERS, shard(1), row, time));
    }

    /** The late deduction of an order: resolves its MISSING_RIGHT. */
    void deduct(String order) {
        time = time.plusSeconds(1);
        wake(driver.insert(INVENTORY, INVENTORY_TABLE, inventoryRow(++rowId, order, 42, "TRY_SALE", 1, 0), time));
    }

    /** Moves the engine's wall clock on and checks the sources for stalls (watermarks stay). */
    List<Outcome> tick(Duration later) {
        return wake(driver.tick(later));
    }

    /** A new engine and alert service on the reopened store, as after a process restart. */
    AlertService restart(AlertsConfig config) {
        service.close();
        driver.restart();
        return start(config);
    }

    List<Outcome> wake(List<Outcome> outcomes) {
        if (service != null) service.accept(outcomes);
        return outcomes;
    }

    Scrape scrape() {
        return new Scrape(registry.scrape());
    }

    double sent(String sink, String outcome) {
        return scrape().value("reconciler_alerts_sent_total", "sink", sink, "outcome", outcome);
    }

    @Override
    public void close() {
        if (service != null) service.close();
        driver.close();
        registry.close();
    }
}
