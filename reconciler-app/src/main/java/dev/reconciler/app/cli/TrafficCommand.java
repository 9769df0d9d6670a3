package dev.reconciler.app.cli;

import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.FlashSaleTraffic;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceConnections;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.sql.Connection;
import java.util.Properties;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import java.util.function.Supplier;

@Command(name = "traffic", mixinStandardHelpOptions = true,
        description = {"Writes flash-sale traffic with injected faults into the flow tables (docs/domain.md) of the two databases"
                + " a configuration names (the demo's generator, for a compose stack or a staging setup). The"
                + " configured users need INSERT on the flow tables. Runs until stopped."},
        footerHeading = "%nExample:%n",
        footer = {"  ORDER_DB_USER=root ORDER_DB_PASSWORD=... INVENTORY_DB_USER=root INVENTORY_DB_PASSWORD=... \\",
                "    reconciler traffic --config deploy/config/order-inventory.yml --rate 50",
                "",
                "Exit codes: 0 stopped, 1 configuration problems, 2 usage error."})
final class TrafficCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Option(names = "--orders-source", defaultValue = "orders", description = "The source holding the order shards (default ${DEFAULT-VALUE}).")
    String ordersSource;

    @Option(names = "--inventory-source", defaultValue = "inventory", description = "The source holding the inventory flow (default ${DEFAULT-VALUE}).")
    String inventorySource;

    @Option(names = "--rate", defaultValue = "20", description = "Orders per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--fault-rate", defaultValue = "0.01", description = "Share of orders with a fault (default ${DEFAULT-VALUE}).")
    double faultRate;

    @Override
    public Integer call() throws InterruptedException {
        ReconcilerConfig c = config.load(spec.commandLine().getErr());
        if (c == null) return Main.PROBLEMS;
        SourceConfig orders;
        SourceConfig inventory;
        try {
            orders = c.source(ordersSource).config();
            inventory = c.source(inventorySource).config();
        } catch (IllegalArgumentException e) {
            spec.commandLine().getErr().println(config.path + ": " + e.getMessage() + "; name it with --orders-source or"
                    + " --inventory-source");
            return Main.PROBLEMS;
        }
        FlashSaleTraffic traffic = new FlashSaleTraffic(connections(orders), connections(inventory), rate, faultRate,
                System.nanoTime()).start();
        spec.commandLine().getOut().printf("traffic: %.0f orders/s, fault rate %.3f; Ctrl-C stops%n", rate, faultRate);
        return Main.untilSignal("traffic-shutdown", traffic::stop);
    }

    private static Supplier<Connection> connections(SourceConfig s) {
        return () -> {
            Properties extra = new Properties();
            extra.setProperty("allowPublicKeyRetrieval", "true");
            extra.setProperty("useSSL", "false");   // unless the source's tls says otherwise (its sslMode wins)
            try {
                return SourceConnections.open(s.withFlavour(SourceConfig.Flavour.MYSQL), s.databases().get(0), null,
                        extra);
            } catch (SQLException e) {
                throw new IllegalStateException("source " + s.name() + " (" + s.host() + ":" + s.port()
                        + "): cannot connect: " + e.getMessage(), e);
            }
        };
    }
}
