package dev.reconciler.app.source;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A private MariaDB with the binlog on, started by scripts/local-mariadb.sh on a free loopback port in a temp
 * directory, removed again by {@link #close()}. Root logs in over TCP with an empty password.
 */
final class LocalMariaDb implements AutoCloseable {
    private static final Path SCRIPT = Path.of("..", "scripts", "local-mariadb.sh").toAbsolutePath().normalize();
    final Path dir;
    final int port;

    private LocalMariaDb(Path dir, int port) {
        this.dir = dir;
        this.port = port;
    }

    static LocalMariaDb start(int serverId) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("reconciler-mariadb-");
        Process p = new ProcessBuilder("bash", SCRIPT.toString(), "start", dir.toString(), "0", Integer.toString(serverId))
                .redirectErrorStream(false).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
            deleteTree(dir);
            throw new IllegalStateException("could not start MariaDB with " + SCRIPT + ": " + err);
        }
        return new LocalMariaDb(dir, Integer.parseInt(out.lines().reduce((a, b) -> b).orElseThrow()));
    }

    Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:mariadb://127.0.0.1:" + port + "/", "root", "");
    }

    void execute(String... sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
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
