package dev.reconciler.app.cli;

import dev.reconciler.app.config.Durations;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.source.DebeziumSource;
import dev.reconciler.app.source.ResyncRequest;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.Callable;

@Command(name = "resync", mixinStandardHelpOptions = true,
        description = {"Makes the next `run` re-read one source's rows changed since an instant, then stream from the"
                + " binlog's current end: the way out of a binlog purged past the stored position (BINLOG_GAP), without"
                + " re-reading the whole history.",
                "Run it while the reconciler is stopped (a running one takes POST /api/sources/NAME/resync?since=T)."
                        + " Rows are selected by the source's snapshotLookbackColumn; facts already held are"
                        + " idempotent. A window between the source's last observed event and the instant is not"
                        + " re-read: it is reported once as a coverage gap, never as MISSING_* (docs/operations.md)."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler resync --config config/order-inventory.yml --source inventory --since 2026-12-01T22:00:00Z",
                "  reconciler resync -c config/order-inventory.yml --source inventory --since 6h",
                "",
                "Exit codes: 0 the resync is set up for the next run, 1 configuration or argument problems,"
                        + " 2 usage error, 3 the state directory is in use (the reconciler runs) or unreadable."})
final class ResyncCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Option(names = "--source", required = true, paramLabel = "NAME", description = "The source to re-read.")
    String source;

    @Option(names = "--since", required = true, paramLabel = "T",
            description = "An ISO-8601 instant (2026-12-01T22:00:00Z) or a duration back from now (6h, 2d).")
    String since;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ReconcilerConfig c = config.load(err);
        if (c == null) return Main.PROBLEMS;
        SourceSpec s = c.sources().stream().filter(x -> x.name().equals(source)).findFirst().orElse(null);
        if (s == null) {
            err.println("--source " + source + ": no such source; the configuration has "
                    + c.sources().stream().map(SourceSpec::name).toList());
            return Main.PROBLEMS;
        }
        Instant now = Instant.now();
        Instant at;
        try {
            at = Durations.instantOrAgo(since, now);
        } catch (IllegalArgumentException e) {
            err.println("--since: " + e.getMessage());
            return Main.PROBLEMS;
        }
        if (at.isAfter(now)) {
            err.println("--since: " + at + " is in the future; give an instant in the past, e.g. 6h");
            return Main.PROBLEMS;
        }
        Path sourceDir = c.state().dir().resolve("sources").resolve(source);
        if (!Files.exists(sourceDir.resolve("offsets.dat"))) {
            err.println("source " + source + ": state.dir " + c.state().dir() + " holds no binlog offsets for it: there"
                    + " is nothing to resync; its first start reads what its snapshot settings say (snapshotLookback)");
            return Main.PROBLEMS;
        }
        Instant watermark;
        try (RocksDbStateStore store = RocksDbStateStore.open(c.state().storeDir(), c.state().storeOptions())) {
            watermark = ReconciliationEngine.storedWatermark(store, source).orElse(null);
        } catch (RuntimeException e) {
            String msg = String.valueOf(e.getMessage());
            err.println("state.dir " + c.state().dir() + ": cannot open the state store (" + msg + ")"
                    + (msg.toLowerCase().contains("lock") ? "; the reconciler is running: ask it instead with"
                    + " POST /api/sources/" + source + "/resync?since=" + at + " (with the API token), or stop it first"
                    : ""));
            return Main.FAILED;
        }
        ResyncRequest request = ResyncRequest.of(at, now, "cli", DebeziumSource.lastObserved(sourceDir, watermark));
        try {
            request.write(sourceDir);
        } catch (IOException e) {
            err.println("state.dir " + c.state().dir() + ": cannot write the resync request (" + e.getMessage()
                    + "); check that the directory is writable");
            return Main.FAILED;
        }
        out.println("source " + source + ": the next run re-reads its rows with " + s.config().snapshotLookbackColumn()
                + " >= " + at + ", then streams from the binlog's current end.");
        out.println(request.hasGap()
                ? "Not re-read, reported once as a coverage gap: " + request.gapFrom() + " to " + request.gapTo()
                        + " (the source's last observed event to --since); check it later with reconciler verify."
                : "Nothing is left unread: --since is at or before the source's last observed event"
                        + (watermark == null ? "" : " (" + watermark + ")") + ".");
        return Main.OK;
    }
}
