package dev.reconciler.app.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private MariaDB server with the binlog on, in a directory of its own, started and stopped with
 * {@code scripts/local-mariadb.sh} (which installs the server from apt when missing and run as root). Root logs in
 * over TCP on 127.0.0.1 with an empty password.
 */
public final class LocalMariaDbServer implements AutoCloseable {
    private final Path script;
    private final Path dir;
    private final int port;
    private final int serverId;
    private final List<String> extraArgs;

    private LocalMariaDbServer(Path script, Path dir, int port, int serverId, List<String> extraArgs) {
        this.script = script;
        this.dir = dir;
        this.port = port;
        this.serverId = serverId;
        this.extraArgs = extraArgs;
    }

    /** Starts a server on a free loopback port. */
    public static LocalMariaDbServer start(Path dir, int serverId) throws IOException, InterruptedException {
        return start(dir, serverId, List.of());
    }

    /** Starts a server on a free loopback port with extra {@code mariadbd} arguments. */
    public static LocalMariaDbServer start(Path dir, int serverId, List<String> extraArgs)
            throws IOException, InterruptedException {
        Path script = script();
        int port = run(script, dir, 0, serverId, extraArgs);
        return new LocalMariaDbServer(script, dir, port, serverId, List.copyOf(extraArgs));
    }

    /** Starts the stopped server again, on the same port with the same data and arguments. */
    public void restart() throws IOException, InterruptedException {
        run(script, dir, port, serverId, extraArgs);
    }

    private static int run(Path script, Path dir, int port, int serverId, List<String> extraArgs)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("bash", script.toString(), "start", dir.toString(),
                Integer.toString(port), Integer.toString(serverId)));
        cmd.addAll(extraArgs);
        Process p = new ProcessBuilder(cmd).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(180, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("could not start a local MariaDB server with " + script + ": " + err);
        }
        String last = out.lines().reduce((a, b) -> b).orElse("");
        return Integer.parseInt(last.trim());
    }

    /**
     * scripts/local-mariadb.sh: under {@code reconciler.home} (the distribution; set by bin/reconciler), else in the
     * working directory or one of its parents (a source checkout).
     */
    public static Path script() {
        List<Path> tried = new ArrayList<>();
        String home = System.getProperty("reconciler.home");
        if (home != null) tried.add(Path.of(home, "scripts", "local-mariadb.sh"));
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            tried.add(d.resolve("scripts").resolve("local-mariadb.sh"));
        }
        for (Path p : tried) {
            if (Files.isRegularFile(p)) return p;
        }
        throw new IllegalStateException("scripts/local-mariadb.sh not found; run the demo from the distribution"
                + " (bin/reconciler demo) or from the source checkout");
    }

    public int port() {
        return port;
    }

    /** The server's directory (data, binlog, pid file). */
    public Path dir() {
        return dir;
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/" + (database == null ? "" : database),
                "root", "");
    }

    public void execute(String database, List<String> statements) throws SQLException {
        try (Connection c = connect(database); Statement s = c.createStatement()) {
            for (String q : statements) s.execute(q);
        }
    }

    /** Stops the server (waits for it) and leaves its directory to the caller. Idempotent. */
    @Override
    public void close() {
        try {
            Process p = new ProcessBuilder("bash", script.toString(), "stop", dir.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
