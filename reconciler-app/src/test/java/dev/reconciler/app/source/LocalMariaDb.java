package dev.reconciler.app.source;

import dev.reconciler.app.TempDirs;
import dev.reconciler.app.demo.LocalMariaDbServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private MariaDB with the binlog on, started by scripts/local-mariadb.sh on a free loopback port in a temp
 * directory, removed again by {@link #close()}. Root logs in over TCP with an empty password.
 */
public final class LocalMariaDb implements TestDatabase, AutoCloseable {
    private final LocalMariaDbServer server;
    final Path dir;
    final int port;
    private final SourceConfig.Flavour flavour;

    private LocalMariaDb(LocalMariaDbServer server, SourceConfig.Flavour flavour) {
        this.server = server;
        this.dir = server.dir();
        this.port = server.port();
        this.flavour = flavour;
    }

    public static LocalMariaDb start(int serverId, String... extraArgs) throws IOException, InterruptedException {
        return start(SourceConfig.Flavour.MARIADB, serverId, extraArgs);
    }

    /**
     * A MariaDB that passes for MySQL 5.7 ({@code --version=5.7.19-log}), to be read with the {@code mysql} flavour
     * (debezium-connector-mysql), since MySQL itself cannot be installed here. A later version string breaks the
     * bundled MySQL JDBC driver, one with "MariaDB" in it makes the MySQL binlog client lose rows.
     */
    public static LocalMariaDb startPosingAsMySql57(int serverId) throws IOException, InterruptedException {
        return start(SourceConfig.Flavour.MYSQL, serverId, "--version=5.7.19-log");
    }

    private static LocalMariaDb start(SourceConfig.Flavour flavour, int serverId, String... extraArgs)
            throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("reconciler-mariadb-");
        try {
            return new LocalMariaDb(LocalMariaDbServer.start(dir, serverId, List.of(extraArgs)), flavour);
        } catch (IllegalStateException e) {
            TempDirs.delete(dir);
            throw e;
        }
    }

    /** Stops the server, keeping its data (a database outage). */
    public void stop() {
        server.close();
    }

    /** Starts it again on the same port with the same data. */
    public void restart() throws IOException, InterruptedException {
        server.restart();
    }

    /** Kills the server at once (SIGKILL): connections drop mid-statement, as in a crash. Data stays. */
    public void kill() throws IOException, InterruptedException {
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
        return server.connect(null);
    }

    @Override
    public void close() throws IOException {
        server.close();
        TempDirs.delete(dir);
    }
}
