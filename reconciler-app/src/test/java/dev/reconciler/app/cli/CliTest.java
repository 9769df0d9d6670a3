package dev.reconciler.app.cli;

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
        for (String command : List.of("run", "validate", "verify", "demo", "traffic", "version")) {
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
    void runExitsWithThreeWhenADatabaseIsNotThere(@TempDir Path dir) throws Exception {
        String example = Files.readString(Path.of("../deploy/config/order-inventory.yml"));
        Path config = dir.resolve("unreachable.yml");
        Files.writeString(config, example.replace("${RECONCILER_STATE_DIR:-./state}", dir.resolve("state").toString())
                .replace("${RECONCILER_HTTP_PORT:-8080}", "0")
                .replace("${ORDER_DB_PORT:-3306}", "1").replace("${INVENTORY_DB_PORT:-3307}", "1"));
        PrintStream saved = System.out;
        ByteArrayOutputStream logs = new ByteArrayOutputStream();
        Run r;
        try {
            System.setOut(new PrintStream(logs, true, StandardCharsets.UTF_8));
            r = run("run", "--config", config.toString());
        } finally {
            System.setOut(saved);
        }
        assertThat(r.code()).isEqualTo(Main.FAILED);
        assertThat(logs.toString(StandardCharsets.UTF_8)).contains("could not start", "source orders (127.0.0.1:1):"
                + " cannot connect", "source inventory (127.0.0.1:1): cannot connect", "stopped: state store closed");
    }
}
