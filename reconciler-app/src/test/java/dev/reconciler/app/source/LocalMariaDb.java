package dev.reconciler.app.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private MariaDB with the binlog on, started by scripts/local-mariadb.sh on a free loopback port in a temp
 * directory, removed again by {@link #close()}. Root logs in over TCP with an empty password.
 */
final class LocalMariaDb implements TestDatabase, AutoCloseable {
    /** From the module directory (the tests) or the repository root (the streaming benchmark). */
    private static final Path SCRIPT = Stream.of(Path.of("..", "scripts", "local-mariadb.sh"),
                    Path.of("scripts", "local-mariadb.sh"))
            .filter(Files::isRegularFile).findFirst().orElse(Path.of("..", "scripts", "local-mariadb.sh"))
            .toAbsolutePath().normalize();
    final Path dir;
    final int port;

    final int serverId;
    private final String[] extraArgs;
    private final SourceConfig.Flavour flavour;

    private LocalMariaDb(Path dir, int port, int serverId, String[] extraArgs, SourceConfig.Flavour flavour) {
        this.dir = dir;
        this.port = port;
        this.serverId = serverId;
        this.extraArgs = extraArgs;
        this.flavour = flavour;
    }

    static LocalMariaDb start(int serverId, String... extraArgs) throws IOException, InterruptedException {
        return start(SourceConfig.Flavour.MARIADB, serverId, extraArgs);
    }

    /**
     * A MariaDB that passes for MySQL 5.7 ({@code --version=5.7.19-log}), to be read with the {@code mysql} flavour
     * (debezium-connector-mysql), since MySQL itself cannot be installed here. A later version string breaks the
     * bundled MySQL JDBC driver, one with "MariaDB" in it makes the MySQL binlog client lose rows.
     */
    static LocalMariaDb startPosingAsMySql57(int serverId) throws IOException, InterruptedException {
        return start(SourceConfig.Flavour.MYSQL, serverId, "--version=5.7.19-log");
    }

    private static LocalMariaDb start(SourceConfig.Flavour flavour, int serverId, String... extraArgs)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("reconciler-mariadb-");
        try {
            return new LocalMariaDb(dir, run("start", dir, 0, serverId, extraArgs), serverId, extraArgs, flavour);
        } catch (IllegalStateException e) {
            deleteTree(dir);
            throw e;
        }
    }

    /** Stops the server, keeping its data (a database outage). */
    void stop() throws IOException, InterruptedException {
        new ProcessBuilder("bash", SCRIPT.toString(), "stop", dir.toString()).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
    }

    /** Starts it again on the same port with the same data. */
    void restart() throws IOException, InterruptedException {
        run("start", dir, port, serverId, extraArgs);
    }

    private static int run(String command, Path dir, int port, int serverId, String... extraArgs)
            throws IOException, InterruptedException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of("bash", SCRIPT.toString(), command,
                dir.toString(), Integer.toString(port), Integer.toString(serverId)));
        cmd.addAll(java.util.List.of(extraArgs));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("could not start MariaDB with " + SCRIPT + ": " + err);
        }
        return Integer.parseInt(out.lines().reduce((a, b) -> b).orElseThrow());
    }

    /** Kills the server at once (SIGKILL): connections drop mid-statement, as in a crash. Data stays. */
    void kill() throws IOException, InterruptedException {
        long pid = Long.parseLong(Files.readString(dir.resolve("mysqld.pid")).trim());
        ProcessHandle server = ProcessHandle.of(pid).orElse(null);
        if (server == null) return;
        server.destroyForcibly();
        try {
            server.onExit().get(30, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("MariaDB (pid " + pid + ") did not exit after SIGKILL", e);
        }
    }

    /** The connector that reads it: {@code mariadb}, or {@code mysql} when it poses as MySQL 5.7. */
    @Override
    public SourceConfig.Flavour flavour() {
        return flavour;
    }

    @Override
    public String host() {
        return "127.0.0.1";
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return "root";
    }

    @Override
    public String password() {
        return "";
    }

    @Override
    public Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", "");
    }

    @Override
    public void close() throws IOException {
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "stop", dir.toString()).inheritIO().start();
        try {
            p.waitFor(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(dir);
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(x);
        }
    }
}
