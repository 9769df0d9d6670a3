package dev.reconciler.app.cli;

import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import dev.reconciler.app.source.ResyncRequest;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class CliTest {
    record Run(int code, String out, String err) {
    }

    static Run run(String... args) {
        CommandLine cl = Main.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String command : List.of("run", "validate", "config", "resync", "verify", "demo", "traffic", "status", "discrepancies", "version")) {
            Run r = run(command, "--help");
            assertThat(r.code()).as(command).isZero();
            assertThat(r.out()).as(command).contains("Usage: reconciler " + command).contains("Example")
                    .contains("reconciler " + command);
        }
        Run top = run("--help");
        assertThat(top.out()).contains("run", "validate", "verify", "demo", "version", "Examples:", "Exit codes");
    }

    @Test
    void versionPrintsTheStampedVersion() {
        Run r = run("version");
        assertThat(r.code()).isZero();
        assertThat(r.out()).startsWith("reconciler ").doesNotContain("${project.version}").doesNotContain("unknown");
        assertThat(run("--version").out()).startsWith("reconciler ");
    }

    @Test
    void validateAcceptsTheShippedExampleAndListsEveryProblemOfABadFile(@TempDir Path dir) throws Exception {
        Run ok = run("validate", "--config", "../deploy/config/order-inventory.yml");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).contains("configuration OK").contains("rules [sale, cancel]");

        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, """
                sources:
                  - {name: orders, host: h, user: u, databases: [orders], password: hunter2-secret, port: nope}
                streams:
                  - {name: s, tables: [{source: orders, table: t}]}
                rules:
                  - {name: r, left: {stream: s}, right: {stream: inv}, key: {a: b}, grace: soon}
                """);
        Run r = run("validate", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(Main.PROBLEMS);
        assertThat(r.err()).contains("3 problems", "sources[0].port: 'nope' is not a whole number",
                "rules[0].right.stream: unknown stream 'inv'", "rules[0].grace: 'soon' is not a duration")
                .doesNotContain("hunter2");
    }

    @Test
    void usageErrorsExitWithTwo() {
        assertThat(run("validate").code()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run("frobnicate").code()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run().code()).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(run("demo", "--duration", "soon").code()).isEqualTo(CommandLine.ExitCode.USAGE);
    }

    @Test
    void runRefusesABadConfigurationWithExitOne(@TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yml");
        Files.writeString(bad, "state: {dir: x}\n");
        Run r = run("run", "--config", bad.toString());
        assertThat(r.code()).isEqualTo(Main.PROBLEMS);
        assertThat(r.err()).contains("sources: none declared");
    }

    @Test
    void runStaysUpWithItsApiWhenNoDatabaseIsThereAndEachSourceSaysWhy(@TempDir Path dir) throws Exception {
        String example = Files.readString(Path.of("../deploy/config/order-inventory.yml"));
        Path config = dir.resolve("unreachable.yml");
        Files.writeString(config, example.replace("${RECONCILER_STATE_DIR:-./state}", dir.resolve("state").toString())
                .replace("${RECONCILER_HTTP_PORT:-8080}", "0")
                .replace("${ORDER_DB_PORT:-3306}", "1").replace("${INVENTORY_DB_PORT:-3307}", "1"));
        ReconcilerConfig c = ConfigLoader.fromEnvironment().load(config);
        try (ReconcilerRuntime runtime = ReconcilerRuntime.start(c, null)) {
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).untilAsserted(() -> {
                for (SourceStatus st : runtime.statuses()) {
                    assertThat(st.phase()).as(st.name()).isEqualTo(SourceStatus.Phase.WAITING);
                    assertThat(st.reason()).as(st.name()).isEqualTo("127.0.0.1:1 connection refused");
                }
            });
            java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
            java.net.http.HttpResponse<String> ready = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(runtime.api().url() + "/health/ready")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(ready.statusCode()).as("the API serves while the databases are away").isEqualTo(200);
            String metrics = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(runtime.api().url() + "/metrics")).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
            assertThat(metrics).contains("reconciler_source_state{source=\"orders\",state=\"WAITING\"} 1",
                    "reconciler_source_connected{source=\"inventory\"} 0");
        }
    }

    @Test
    void resyncSetsUpABoundedReReadForTheNextRunOfAStoppedReconciler(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("state");
        Path config = dir.resolve("c.yml");
        String example = Files.readString(Path.of("../deploy/config/order-inventory.yml"));
        Files.writeString(config, example.replace("${RECONCILER_STATE_DIR:-./state}", state.toString()));

        Run none = run("resync", "--config", config.toString(), "--source", "inventory", "--since", "6h");
        assertThat(none.code()).isEqualTo(Main.PROBLEMS);
        assertThat(none.err()).contains("holds no binlog offsets for it: there is nothing to resync");

        Files.createDirectories(state.resolve("sources/inventory"));
        Files.write(state.resolve("sources/inventory/offsets.dat"), new byte[0]);
        Run unknown = run("resync", "--config", config.toString(), "--source", "stock", "--since", "6h");
        assertThat(unknown.code()).isEqualTo(Main.PROBLEMS);
        assertThat(unknown.err()).contains("--source stock: no such source; the configuration has [orders, inventory]");
        Run bad = run("resync", "--config", config.toString(), "--source", "inventory", "--since", "last night");
        assertThat(bad.code()).isEqualTo(Main.PROBLEMS);
        assertThat(bad.err()).contains("--since: 'last night' is neither an ISO-8601 instant");

        ReconcilerConfig c = ConfigLoader.fromEnvironment().load(config);
        try (RocksDbStateStore running = RocksDbStateStore.open(c.state().storeDir(), c.state().storeOptions())) {
            Run locked = run("resync", "--config", config.toString(), "--source", "inventory", "--since", "6h");
            assertThat(locked.code()).isEqualTo(Main.FAILED);
            assertThat(locked.err()).contains("the reconciler is running: ask it instead with POST"
                    + " /api/sources/inventory/resync?since=");
        }
        Run ok = run("resync", "--config", config.toString(), "--source", "inventory", "--since",
                "2026-12-01T22:00:00Z");
        assertThat(ok.code()).isZero();
        assertThat(ok.out()).contains("the next run re-reads its rows with gmt_modified >= 2026-12-01T22:00:00Z",
                "Nothing is left unread");
        ResyncRequest request = ResyncRequest.read(state.resolve("sources/inventory")).orElseThrow();
        assertThat(request.since()).isEqualTo(java.time.Instant.parse("2026-12-01T22:00:00Z"));
        assertThat(request.requestedBy()).isEqualTo("cli");
        assertThat(request.hasGap()).isFalse();
    }
}
