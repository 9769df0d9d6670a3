package dev.reconciler.app.demo;

import dev.reconciler.app.TempDirs;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import dev.reconciler.core.discrepancy.DiscrepancyType;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * {@code reconciler demo}: two private MariaDB servers (orders with four shards, inventory), the shipped
 * order-inventory configuration pointed at them, flash-sale traffic with injected faults, and the live view; at the
 * end (the duration, or Ctrl-C) everything it started is stopped and its temp directory removed.
 */
public final class Demo {
    /**
     * @param duration  how long to run; null until stopped
     * @param httpPort  the API's port; 0 for a free one
     * @param rate      orders per second
     * @param faultRate the share of orders that carry a fault
     * @param grace     the rules' grace period
     * @param ansi      redraw the view in place (a terminal)
     */
    public record Options(Duration duration, int httpPort, double rate, double faultRate, Duration grace, boolean ansi) {
    }

    /** Summary of a finished demo, for tests and the last lines printed. */
    public record Result(long orders, Map<String, Long> injected, Map<String, Long> open) {
    }

    private final AtomicBoolean stop = new AtomicBoolean();

    /** Asks a running demo to stop (Ctrl-C). */
    public void stop() {
        stop.set(true);
    }

    public Result run(Options o, PrintStream out) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("reconciler-demo-");
        LocalMariaDbServer orders = null;
        LocalMariaDbServer inventory = null;
        ReconcilerRuntime runtime = null;
        FlashSaleTraffic traffic = null;
        try {
            out.println("demo: starting two MariaDB servers with the binlog on (first run: installing MariaDB may take"
                    + " a minute) ...");
            orders = LocalMariaDbServer.start(dir.resolve("orders-db"), 1);
            inventory = LocalMariaDbServer.start(dir.resolve("inventory-db"), 2);
            try {
                DemoSchema.create(orders, inventory);
            } catch (SQLException e) {
                throw new IllegalStateException("demo: cannot create the schema: " + e.getMessage(), e);
            }
            out.printf("demo: orders on 127.0.0.1:%d (4 shards), inventory on 127.0.0.1:%d; temp data in %s%n",
                    orders.port(), inventory.port(), dir);

            Map<String, String> env = new HashMap<>(System.getenv());
            env.put("ORDER_DB_HOST", "127.0.0.1");
            env.put("ORDER_DB_PORT", Integer.toString(orders.port()));
            env.put("ORDER_DB_USER", "root");
            env.put("ORDER_DB_PASSWORD", "");
            env.put("ORDER_DB_DATABASE", DemoSchema.ORDERS_DB);
            env.put("INVENTORY_DB_HOST", "127.0.0.1");
            env.put("INVENTORY_DB_PORT", Integer.toString(inventory.port()));
            env.put("INVENTORY_DB_USER", "root");
            env.put("INVENTORY_DB_PASSWORD", "");
            env.put("INVENTORY_DB_DATABASE", DemoSchema.INVENTORY_DB);
            env.put("RECONCILER_STATE_DIR", dir.resolve("state").toString());
            env.put("RECONCILER_HTTP_PORT", Integer.toString(o.httpPort()));
            env.put("RECONCILER_GRACE", o.grace().toMillis() + "ms");
            ReconcilerConfig config = new ConfigLoader(env::get).load(exampleConfig(), "order-inventory.yml");

            LiveView[] view = new LiveView[1];
            runtime = ReconcilerRuntime.start(config, outcomes -> {
                LiveView v = view[0];
                if (v != null) v.accept(outcomes);
            });
            LocalMariaDbServer od = orders;
            LocalMariaDbServer id = inventory;
            traffic = new FlashSaleTraffic(connections(od, DemoSchema.ORDERS_DB), connections(id, DemoSchema.INVENTORY_DB),
                    o.rate(), o.faultRate(), 7).start();
            ReconcilerRuntime r = runtime;
            view[0] = new LiveView(out, o.ansi(), runtime.api().url(), () -> r.pipeline().snapshot(), r::statuses, traffic);
            out.printf("demo: reconciling; console %s/ , API %s/api/discrepancies, metrics %s/metrics%n",
                    runtime.api().url(), runtime.api().url(), runtime.api().url());

            long end = o.duration() == null ? Long.MAX_VALUE : System.nanoTime() + o.duration().toNanos();
            int frames = 0;
            while (!stop.get() && System.nanoTime() < end) {
                Thread.sleep(1000);
                frames++;
                if (o.ansi() || frames % 5 == 0) view[0].frame();
            }
            traffic.stop();
            Map<String, Long> injected = traffic.injectedByRuleType();
            Map<String, Long> open = new java.util.TreeMap<>();
            runtime.pipeline().snapshot().rules().forEach((rule, n) -> {
                for (DiscrepancyType t : DiscrepancyType.values()) {
                    long c = n.open().getOrDefault(t, 0L);
                    if (c > 0) open.put(rule + "/" + t, c);
                }
            });
            out.printf("demo: %,d orders; faults injected %s; discrepancies open %s%n", traffic.orders(), injected, open);
            out.println("demo: (faults injected in the last grace period may not be reported yet)");
            return new Result(traffic.orders(), injected, open);
        } finally {
            if (traffic != null) traffic.stop();
            if (runtime != null) runtime.close();
            if (orders != null) orders.close();
            if (inventory != null) inventory.close();
            TempDirs.delete(dir);
            out.println("demo: stopped; removed " + dir);
        }
    }

    private static Supplier<Connection> connections(LocalMariaDbServer db, String database) {
        return () -> {
            try {
                return db.connect(database);
            } catch (SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    /** The shipped deploy/config/order-inventory.yml, from the class path. */
    public static String exampleConfig() {
        try (InputStream in = Demo.class.getResourceAsStream("/reconciler/config/order-inventory.yml")) {
            if (in == null) throw new IllegalStateException("reconciler/config/order-inventory.yml is not on the class path");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
