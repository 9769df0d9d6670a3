package dev.reconciler.streams;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One instance of the Streams application as its own JVM, started as an operator starts it
 * ({@code java -cp … dev.reconciler.streams.StreamsMain reconciler.yaml streams.properties}) with its own state
 * directory; its output goes to {@code <dir>/out.log}. {@link #kill} is {@code kill -9}; {@link #close} ends it
 * (forcibly if needed) and is idempotent, so a test can close every instance in a finally block.
 */
final class StreamsProcess implements AutoCloseable {
    /** StreamsMain's state listener line: {@code ... streams state REBALANCING -> RUNNING}. */
    private static final Pattern STATE = Pattern.compile(
            "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}) .*streams state (\\w+) -> (\\w+)");
    /** Kafka Streams' own line when a store's changelog is restored (logged at INFO by StoreChangelogReader). */
    private static final Pattern RESTORED = Pattern.compile(
            "^(\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2}\\.\\d{3}) .*Finished restoring changelog (\\S+) to store (\\S+)"
                    + " with a total number of (\\d+) records");

    final String name;
    final Path dir;
    private final Process process;
    private boolean closed;

    private StreamsProcess(String name, Path dir, Process process) {
        this.name = name;
        this.dir = dir;
        this.process = process;
    }

    /**
     * Starts an instance: writes {@code streams.properties} (the given settings plus its own {@code state.dir}) and
     * {@code logback.xml} (ours, with Streams' restore and thread lines at INFO) under {@code dir}.
     *
     * @param jvmOptions e.g. {@code -Xmx512m}
     */
    static StreamsProcess start(String name, Path dir, Path yaml, Properties settings, List<String> jvmOptions) {
        try {
            Files.createDirectories(dir.resolve("state"));
            Properties p = new Properties();
            p.putAll(settings);
            p.put("state.dir", dir.resolve("state").toString());
            p.putIfAbsent("client.id", name);
            Path props = dir.resolve("streams.properties");
            try (var out = Files.newBufferedWriter(props)) {
                p.store(out, "instance " + name);
            }
            Path logback = dir.resolve("logback.xml");
            Files.writeString(logback, """
                    <configuration>
                      <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                        <encoder><pattern>%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{24} - %msg%n</pattern></encoder>
                      </appender>
                      <logger name="org.apache.kafka" level="WARN"/>
                      <logger name="org.apache.kafka.streams.processor.internals.StoreChangelogReader" level="INFO"/>
                      <root level="INFO"><appender-ref ref="OUT"/></root>
                    </configuration>
                    """);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(jvmOptions);
            cmd.add("-Dlogback.configurationFile=" + logback);
            cmd.add("-cp");
            cmd.add(classpath());
            cmd.add(StreamsMain.class.getName());
            cmd.add(yaml.toString());
            cmd.add(props.toString());
            ProcessBuilder b = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(dir.resolve("out.log").toFile());
            b.environment().keySet().removeIf(k -> k.startsWith("RECONCILER_"));
            Process process = b.start();
            // Should the test JVM itself be ended, its children go with it (a shutdown hook runs on SIGTERM).
            Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "stop-" + name));
            return new StreamsProcess(name, dir, process);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Streams instance " + name + " in " + dir, e);
        }
    }

    /** The test's runtime classpath (Surefire runs tests from a manifest-only jar, and says the real one here). */
    static String classpath() {
        return Optional.ofNullable(System.getProperty("surefire.test.class.path"))
                .orElse(System.getProperty("java.class.path"));
    }

    boolean alive() {
        return process.isAlive();
    }

    long pid() {
        return process.pid();
    }

    /** CPU time of the process so far (empty once it is gone, or where the OS does not say). */
    Optional<Duration> cpu() {
        return process.toHandle().info().totalCpuDuration();
    }

    /** {@code kill -9}: no shutdown hook, no commit, no leave-group. Returns the instant the process was gone. */
    Instant kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) throw new IllegalStateException(name + " survived kill -9");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Instant.now();
    }

    String log() {
        try {
            Path f = dir.resolve("out.log");
            return Files.exists(f) ? Files.readString(f) : "";
        } catch (IOException e) {
            return "(unreadable log: " + e + ")";
        }
    }

    /** The instants the application entered {@code state} (StreamsMain's state listener lines). */
    List<Instant> entered(String state) {
        List<Instant> out = new ArrayList<>();
        for (String line : log().split("\n")) {
            Matcher m = STATE.matcher(line);
            if (m.find() && m.group(3).equals(state)) out.add(local(m.group(1)));
        }
        return out;
    }

    /** A changelog restored by this instance: when it finished, the store, and how many records it read. */
    record Restore(Instant finished, String changelog, String store, long records) {
    }

    List<Restore> restores() {
        List<Restore> out = new ArrayList<>();
        for (String line : log().split("\n")) {
            Matcher m = RESTORED.matcher(line);
            if (m.find()) out.add(new Restore(local(m.group(1)), m.group(2), m.group(3), Long.parseLong(m.group(4))));
        }
        return out;
    }

    private static Instant local(String timestamp) {
        return java.time.LocalDateTime.parse(timestamp.replace(' ', 'T')).atZone(java.time.ZoneId.systemDefault())
                .toInstant();
    }

    /** Ends the process (SIGTERM, then SIGKILL after 10 s); idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (!process.isAlive()) return;
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** Closes every instance, each even if another fails. */
    static void closeAll(Iterable<StreamsProcess> instances) {
        for (StreamsProcess p : instances) {
            try {
                p.close();
            } catch (RuntimeException e) {
                // keep closing the others
            }
        }
    }
}
