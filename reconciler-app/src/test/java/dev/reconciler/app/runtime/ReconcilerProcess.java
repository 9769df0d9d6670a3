package dev.reconciler.app.runtime;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code reconciler run --config FILE} in a JVM of its own: the module's classes and runtime class path. Shared by
 * the process-level tests (kill -9, SIGTERM) so they all start, wait for and stop the process the same way.
 */
final class ReconcilerProcess {
    private static final Pattern LISTENING = Pattern.compile("HTTP API listening on [^:\\s]+:(\\d+)");
    private static final Duration START = Duration.ofSeconds(90);

    final Process process;
    final Path logFile;

    private ReconcilerProcess(Process process, Path logFile) {
        this.process = process;
        this.logFile = logFile;
    }

    /**
     * The environment the shipped deploy/config/order-inventory.yml reads, pointed at two local servers with the demo
     * schema and the capture user {@code reconciler}: any free HTTP port (read back from the log), grace 2 s. Mutable,
     * for a test's own additions.
     */
    static Map<String, String> exampleEnvironment(dev.reconciler.app.demo.LocalMariaDbServer orders,
                                                  dev.reconciler.app.demo.LocalMariaDbServer inventory,
                                                  String password, Path stateDir) {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("ORDER_DB_HOST", "127.0.0.1");
        env.put("ORDER_DB_PORT", Integer.toString(orders.port()));
        env.put("ORDER_DB_USER", "reconciler");
        env.put("ORDER_DB_PASSWORD", password);
        env.put("ORDER_DB_DATABASE", dev.reconciler.app.demo.DemoSchema.ORDERS_DB);
        env.put("INVENTORY_DB_HOST", "127.0.0.1");
        env.put("INVENTORY_DB_PORT", Integer.toString(inventory.port()));
        env.put("INVENTORY_DB_USER", "reconciler");
        env.put("INVENTORY_DB_PASSWORD", password);
        env.put("INVENTORY_DB_DATABASE", dev.reconciler.app.demo.DemoSchema.INVENTORY_DB);
        env.put("RECONCILER_STATE_DIR", stateDir.toString());
        env.put("RECONCILER_HTTP_PORT", "0");
        env.put("RECONCILER_GRACE", "2s");
        return env;
    }

    static ReconcilerProcess start(Path config, Map<String, String> env, Path logFile) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = List.of(java, "-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", classPath(), "dev.reconciler.app.cli.Main", "run", "--config", config.toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        pb.environment().putAll(env);
        return new ReconcilerProcess(pb.start(), logFile);
    }

    /**
     * The class path Maven resolved for this test run without test classes and test jars (so the shipped
     * logback.xml applies, not logback-test.xml): this module's target/classes, reconciler-core and every
     * dependency of this build — never a distribution left over from an earlier one.
     */
    private static String classPath() {
        Path classes = Path.of("target", "classes").toAbsolutePath().normalize();
        List<String> entries = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path p = Path.of(e).toAbsolutePath().normalize();
            if (e.isBlank() || p.endsWith("test-classes") || p.getFileName().toString().endsWith("-tests.jar")) {
                continue;
            }
            entries.add(p.toString());
        }
        assertThat(entries).as("this module's classes on the class path the test runs with")
                .contains(classes.toString());
        return String.join(File.pathSeparator, entries);
    }

    /** The API's base URL once the log names its port, else null (without waiting). */
    String apiUrlIfListening() {
        Matcher m = LISTENING.matcher(log());
        return m.find() ? "http://127.0.0.1:" + m.group(1) : null;
    }

    /** Waits for the API's port in the log, then for /health/ready; returns the API's base URL. */
    String awaitReady() {
        String[] url = new String[1];
        await("the HTTP API listening").atMost(START).pollInterval(Duration.ofMillis(200))
                .failFast("the reconciler exited (" + logFile + ")", () -> !process.isAlive())
                .until(() -> {
                    Matcher m = LISTENING.matcher(log());
                    if (m.find()) url[0] = "http://127.0.0.1:" + m.group(1);
                    return url[0] != null;
                });
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        await("/health/ready").atMost(START).pollInterval(Duration.ofMillis(300))
                .failFast("the reconciler exited (" + logFile + ")", () -> !process.isAlive())
                .ignoreExceptionsInstanceOf(IOException.class)
                .until(() -> http.send(HttpRequest.newBuilder(URI.create(url[0] + "/health/ready"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.discarding())
                        .statusCode() == 200);
        return url[0];
    }

    /** A test's scenario, given the list it adds every process it starts to. */
    interface Scenario {
        void run(List<ReconcilerProcess> processes) throws Exception;
    }

    /**
     * Runs {@code scenario}; when it fails, prints the log of every process it started; in any case terminates
     * them all (before the caller's servers and receivers go).
     */
    static void supervise(Scenario scenario) throws Exception {
        List<ReconcilerProcess> processes = new java.util.ArrayList<>();
        try {
            scenario.run(processes);
        } catch (Throwable t) {
            for (ReconcilerProcess p : processes) System.err.println("---- " + p.logFile.getFileName() + "\n" + p.log());
            throw t;
        } finally {
            for (ReconcilerProcess p : processes) p.terminate();
        }
    }

    /** SIGKILL; returns the exit code once it is gone. */
    int kill() throws InterruptedException {
        process.destroyForcibly();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("dead within 30 s of SIGKILL").isTrue();
        return process.exitValue();
    }

    /** SIGTERM, then SIGKILL if it does not stop within 30 s; returns the exit code. Idempotent. */
    int terminate() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(30, TimeUnit.SECONDS);
            }
        }
        return process.exitValue();
    }

    String log() {
        try {
            return Files.exists(logFile) ? Files.readString(logFile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(cannot read " + logFile + ": " + e.getMessage() + ")";
        }
    }
}
