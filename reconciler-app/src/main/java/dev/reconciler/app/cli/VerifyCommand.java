package dev.reconciler.app.cli;

import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.verify.FindingSink;
import dev.reconciler.app.verify.VerifySummary;
import dev.reconciler.app.verify.WindowBounds;
import dev.reconciler.app.verify.WindowVerifier;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Verifies one rule over a time window straight from the databases: reads both sides' rows"
                + " changed in the window (read-only, page by page, throttled), compares them with what the reconciler"
                + " concluded, and records differences - rows the binlog never showed (UNOBSERVED_LEFT/RIGHT), pairs the"
                + " databases hold inconsistent that the reconciler saw consistent (UNREPORTED_INCONSISTENCY) - as"
                + " discrepancies, which the API, the metrics and the alerts show like any other.",
                "For a stopped reconciler (it opens the state directory itself). While the reconciler runs, use its API:"
                        + " POST /api/rules/{rule}/verify?since=...&until=... (docs/api.md)."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler verify --config reconciler.yml --rule sale --since 6h",
                "  reconciler verify -c reconciler.yml --rule cancel --since 2026-12-01T22:00:00Z --until 2026-12-02T02:00:00Z --json",
                "",
                "Exit codes: 0 no differences, 4 differences found (listed), 1 configuration problems or an unknown rule,"
                        + " 2 usage error, 3 failure (a database unreadable, the state directory in use by a running reconciler)."})
final class VerifyCommand implements Callable<Integer> {
    /** Differences found: distinct from every failure code, so scripts can tell "found" from "could not look". */
    static final int DIFFERENCES = 4;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Option(names = "--rule", required = true, paramLabel = "RULE", description = "The rule to verify.")
    String rule;

    @Option(names = "--since", required = true, paramLabel = "T",
            description = "Start of the window: an ISO-8601 instant (2026-12-01T22:00:00Z) or a duration back from now (6h).")
    String since;

    @Option(names = "--until", paramLabel = "U", description = "End of the window (exclusive), same forms; default now.")
    String until;

    @Option(names = "--json", description = "Print the summary as JSON (for scripts).")
    boolean json;

    @Option(names = "--page-rows", paramLabel = "N", defaultValue = "" + WindowVerifier.Options.DEFAULT_PAGE_ROWS,
            description = "Rows per query (default ${DEFAULT-VALUE}); memory holds about one page.")
    int pageRows;

    @Option(names = "--rows-per-second", paramLabel = "N", defaultValue = "" + WindowVerifier.Options.DEFAULT_ROWS_PER_SECOND,
            description = "Read at most N rows per second over both databases (default ${DEFAULT-VALUE}; 0: no limit).")
    long rowsPerSecond;

    @Option(names = "--statement-timeout", paramLabel = "D", defaultValue = "30s",
            description = "The server stops any one query after this long (default ${DEFAULT-VALUE}).")
    String statementTimeout;

    @Override
    public Integer call() throws InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Instant now = Instant.now();
        Instant from;
        Instant to;
        WindowVerifier.Options options;
        try {
            from = WindowBounds.parse("--since", since, now);
            to = until == null ? now : WindowBounds.parse("--until", until, now);
            options = new WindowVerifier.Options(pageRows, rowsPerSecond,
                    dev.reconciler.app.config.Durations.parse(statementTimeout));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ReconcilerConfig c = config.load(err);
        if (c == null) return Main.PROBLEMS;
        if (c.engine().rule(rule).isEmpty()) {
            err.println(config.path + ": no rule '" + rule + "'; the rules are "
                    + c.engine().rules().stream().map(r -> r.name()).toList());
            return Main.PROBLEMS;
        }
        if (!Files.isDirectory(c.state().storeDir())) {
            err.println("reconciler verify: no state at " + c.state().storeDir() + "; the reconciler has not run with"
                    + " this state.dir yet, so there is nothing to compare with: run it first");
            return Main.FAILED;
        }
        RocksDbStateStore store;
        try {
            store = RocksDbStateStore.open(c.state().storeDir(), c.state().storeOptions());
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            err.println("reconciler verify: cannot open the state at " + c.state().storeDir() + " (" + msg + ")"
                    + (msg.toLowerCase().contains("lock") ? "; a running reconciler uses it: verify through its API"
                    + " instead: POST /api/rules/" + rule + "/verify?since=...&until=... with the API token"
                    + " (docs/api.md)" : ""));
            return Main.FAILED;
        }
        try (store) {
            ReconciliationEngine engine = new ReconciliationEngine(c.engine(), store, Clock.systemUTC());
            WindowVerifier verifier = new WindowVerifier(c.engine(),
                    c.sources().stream().map(SourceSpec::config).toList(), store, FindingSink.direct(engine), options);
            VerifySummary summary;
            try {
                summary = verifier.verify(rule, from, to, engine.reconciledUntil(rule).orElse(null));
            } catch (WindowVerifier.BadRequest e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
            } catch (IllegalStateException e) {
                err.println("reconciler verify: " + e.getMessage());
                return Main.FAILED;
            }
            out.print(json ? summary.json() + "\n" : summary.text());
            out.flush();
            return summary.differencesFound() ? DIFFERENCES : Main.OK;
        }
    }
}
