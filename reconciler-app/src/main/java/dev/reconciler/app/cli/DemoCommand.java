package dev.reconciler.app.cli;

import ch.qos.logback.classic.Level;
import dev.reconciler.app.config.Durations;
import dev.reconciler.app.demo.Demo;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Starts two private MariaDB servers (orders with four shards, inventory), a flash-sale traffic"
                + " generator that injects each kind of drift (docs/domain.md) at a low rate, and the reconciler with"
                + " deploy/config/order-inventory.yml against them; shows a live view (events/s, pending,"
                + " discrepancies by type, the latest ones with their keys) and the API and /metrics URLs.",
                "Ctrl-C stops everything it started and removes its temp data. Needs MariaDB"
                        + " (scripts/local-mariadb.sh installs it from apt when missing and run as root)."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler demo",
                "  reconciler demo --duration 2m --port 8080",
                "  reconciler demo --rate 500 --fault-rate 0.001",
                "",
                "Exit codes: 0 --duration ran out, 130 stopped by Ctrl-C, 2 usage error, 3 could not start (e.g. no MariaDB and not root to install it)."})
final class DemoCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--duration", paramLabel = "DURATION", description = "Stop after this long (e.g. 60s, 5m); default: until Ctrl-C.")
    String duration;

    @Option(names = "--port", defaultValue = "0", description = "Port of the HTTP API and /metrics; 0 (default) takes a free one.")
    int port;

    @Option(names = "--rate", defaultValue = "100", description = "Orders per second (default ${DEFAULT-VALUE}).")
    double rate;

    @Option(names = "--fault-rate", defaultValue = "0.01", description = "Share of orders with a fault (default ${DEFAULT-VALUE}).")
    double faultRate;

    @Option(names = "--grace", defaultValue = "5s", description = "The rules' grace period (default ${DEFAULT-VALUE}).")
    String grace;

    @Option(names = "--plain", description = "Print a status line every 5 s instead of redrawing the screen"
            + " (the default when the output is not a terminal).")
    boolean plain;

    @Override
    public Integer call() throws Exception {
        Duration d;
        Duration g;
        try {
            d = duration == null ? null : Durations.parse(duration);
            g = Durations.parse(grace);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (rate <= 0 || faultRate < 0 || faultRate > 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--rate must be > 0 and --fault-rate from 0 to 1");
        }
        boolean ansi = !plain && System.console() != null;
        if (ansi) {
            // The live view owns the screen: only warnings and errors are logged meanwhile.
            ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.WARN);
        }
        Demo demo = new Demo();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            demo.stop();
            try {
                finished.await(60, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "demo-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        PrintStream out = System.out;
        try {
            demo.run(new Demo.Options(d, port, rate, faultRate, g, ansi), out);
            return Main.OK;
        } catch (IllegalStateException e) {
            spec.commandLine().getErr().println("demo: " + e.getMessage());
            return Main.FAILED;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for us
            }
        }
    }
}
