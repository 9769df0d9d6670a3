package dev.reconciler.app.cli;

import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.runtime.ServerVersion;
import dev.reconciler.app.source.SourceValidator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {"Checks a configuration file and reports every problem at once, each with its path and the fix.",
                "With --connect, also connects to every source and checks reachability, credentials, binlog settings,"
                        + " replication privileges, the tables and the columns the rules read."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler validate --config deploy/config/order-inventory.yml",
                "  ORDER_DB_PASSWORD=... INVENTORY_DB_PASSWORD=... reconciler validate --config reconciler.yml --connect",
                "",
                "Exit codes: 0 no problem, 1 problems found (listed), 2 usage error."})
final class ValidateCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Option(names = "--connect", description = "Also connect to every source and check it.")
    boolean connect;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReconcilerConfig c = config.load(err);
        if (c == null) return Main.PROBLEMS;
        out.println(config.path + ": configuration OK: " + c.summary());
        if (!connect) return Main.OK;
        List<String> problems = new ArrayList<>();
        for (SourceSpec s : c.sources()) {
            ServerVersion.Resolved r = ServerVersion.resolve(s);
            if (r.version() != null) {
                out.printf("source %s: %s at %s:%d (flavour %s%s)%n", s.name(), r.version().describe(),
                        s.config().host(), s.config().port(), s.autoFlavour() ? "auto: " : "",
                        r.config().flavour().name().toLowerCase());
            }
            if (r.mismatch() != null) problems.add("sources: source " + s.name() + " is " + r.mismatch());
            problems.addAll(SourceValidator.validate(r.config(), c.requiredColumns(s)));
        }
        if (!problems.isEmpty()) {
            err.println(config.path + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + " with the databases:\n  - " + String.join("\n  - ", problems));
            return Main.PROBLEMS;
        }
        out.println("every source is reachable and ready: binlog ROW/FULL, privileges, tables and columns");
        return Main.OK;
    }
}
