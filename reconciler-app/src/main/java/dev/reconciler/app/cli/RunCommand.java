package dev.reconciler.app.cli;

import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = {"Runs the reconciler: tails every source's binlog, reconciles the rules, serves the HTTP API"
                + " and /metrics, until stopped (SIGTERM or Ctrl-C stop it cleanly).",
                "Logs one line per lifecycle step (state, sources connecting, snapshot progress, streaming, ready),"
                        + " then only problems."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler run --config deploy/config/order-inventory.yml",
                "  ORDER_DB_HOST=orders.db INVENTORY_DB_HOST=stock.db RECONCILER_STATE_DIR=/var/lib/reconciler \\",
                "    ORDER_DB_PASSWORD=... INVENTORY_DB_PASSWORD=... reconciler run -c deploy/config/order-inventory.yml",
                "",
                "A database that is down, refuses the login or is not ready does not stop it: the source waits and retries,"
                        + " and says why in /api/status, the metrics and the log.",
                "",
                "Exit codes: 143/130 stopped by SIGTERM/Ctrl-C after a clean shutdown, 1 configuration problems (listed), 2 usage error,"
                        + " 3 could not start (the HTTP port taken, the state directory in use or unreadable)."})
final class RunCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Override
    public Integer call() throws InterruptedException {
        ReconcilerConfig c = config.load(spec.commandLine().getErr());
        if (c == null) return Main.PROBLEMS;
        ReconcilerRuntime runtime;
        try {
            runtime = ReconcilerRuntime.start(c, null);
        } catch (ReconcilerRuntime.ConfigurationException e) {
            log.error("configuration problems:\n  - {}", e.getMessage().replace("\n", "\n  - "));
            return Main.PROBLEMS;
        } catch (ReconcilerRuntime.StartupException e) {
            log.error("could not start:\n  - {}", e.getMessage().replace("\n", "\n  - "));
            return Main.FAILED;
        }
        return Main.untilSignal("reconciler-shutdown", () -> {
            log.info("stopping (signal)");
            runtime.close();
        });
    }
}
