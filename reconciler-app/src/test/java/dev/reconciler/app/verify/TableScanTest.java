package dev.reconciler.app.verify;

import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.source.SourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The keyset pages of a window on a real MariaDB: every row of the window exactly once, in (change time, primary
 * key) order, however many rows share a change time across page boundaries; nothing outside the window; a read-only
 * session; tables without a usable primary key refused with the reason.
 */
class TableScanTest {
    private static Path dir;
    private static LocalMariaDbServer db;
    private static SourceConfig source;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("reconciler-verify-scan-");
        db = LocalMariaDbServer.start(dir.resolve("db"), 63);
        List<String> ddl = new ArrayList<>(List.of("CREATE DATABASE flows",
                "CREATE TABLE flows.stream_0000 (id BIGINT PRIMARY KEY, gmt_modified DATETIME(3) NOT NULL, v VARCHAR(8))",
                "CREATE TABLE flows.nokey_0001 (id BIGINT, gmt_modified DATETIME(3) NOT NULL)"));
        // 3 rows before the window, 10 rows at one instant, 7 more spread, 2 after; ids not in time order
        for (int i = 1; i <= 3; i++) ddl.add(row(100 + i, "2026-12-01 21:59:59.999"));
        for (int i = 1; i <= 10; i++) ddl.add(row(50 - i, "2026-12-01 22:00:00.000"));
        for (int i = 1; i <= 7; i++) ddl.add(row(i, "2026-12-01 22:00:0" + i + ".500"));
        ddl.add(row(200, "2026-12-01 23:00:00.000"));
        ddl.add(row(201, "2026-12-02 00:00:00.000"));
        db.execute(null, ddl);
        source = new SourceConfig("flows", SourceConfig.Flavour.MARIADB, "127.0.0.1", db.port(), "root", "",
                List.of("flows"), List.of("flows\\.\\w+"), 1, SourceConfig.Snapshot.INITIAL, null, null);
    }

    private static String row(long id, String changed) {
        return "INSERT INTO flows.stream_0000 VALUES (" + id + ", '" + changed + "', 'x')";
    }

    @AfterAll
    static void stop() throws Exception {
        if (db != null) db.close();
        dev.reconciler.app.TempDirs.delete(dir);
    }

    @Test
    void pagesReadEveryRowOfTheWindowOnceInTimeThenKeyOrder() throws Exception {
        try (DatabaseReader reader = new DatabaseReader(source, Duration.ofSeconds(5))) {
            DatabaseReader.Table table = reader.tables(t -> t.startsWith("stream_")).get(0);
            assertThat(table).isEqualTo(new DatabaseReader.Table("flows", "stream_0000", "id"));
            for (int pageRows : List.of(1, 3, 10, 17, 1000)) {
                TableScan scan = new TableScan(reader, table, "gmt_modified", List.of("v"),
                        LocalDateTime.parse("2026-12-01T22:00:00"), LocalDateTime.parse("2026-12-01T23:00:00"), pageRows);
                List<Long> ids = new ArrayList<>();
                int pages = 0;
                for (List<DatabaseReader.Row> page = scan.next(); !page.isEmpty(); page = scan.next()) {
                    assertThat(page.size()).isLessThanOrEqualTo(pageRows);
                    pages++;
                    for (DatabaseReader.Row r : page) ids.add(((Number) r.primaryKey()).longValue());
                }
                assertThat(ids).as("page size %d", pageRows)
                        .containsExactly(40L, 41L, 42L, 43L, 44L, 45L, 46L, 47L, 48L, 49L, 1L, 2L, 3L, 4L, 5L, 6L, 7L);
                assertThat(pages).isEqualTo((17 + pageRows - 1) / pageRows);
                assertThat(scan.next()).isEmpty();
            }
        }
    }

    @Test
    void theSessionIsReadOnlyAndTimesConvertWithTheServersOffset() throws Exception {
        try (DatabaseReader reader = new DatabaseReader(source, Duration.ofSeconds(5))) {
            Instant t = Instant.parse("2026-12-01T22:00:00Z");
            assertThat(reader.instant(reader.local(t))).isEqualTo(t);
            DatabaseReader.Table table = reader.tables(x -> x.startsWith("stream_")).get(0);
            assertThat(reader.byPrimaryKey(table, "gmt_modified", List.of("v"), List.of("1", "200", "999")))
                    .extracting(r -> ((Number) r.primaryKey()).longValue()).containsExactlyInAnyOrder(1L, 200L);
        }
        try (java.sql.Connection c = dev.reconciler.app.source.SourceConnections.open(source);
             java.sql.Statement s = c.createStatement()) {
            s.execute("SET SESSION TRANSACTION READ ONLY");
            assertThatThrownBy(() -> s.execute("INSERT INTO flows.stream_0000 VALUES (999, NOW(), 'x')"))
                    .as("what the verifier's session does to a write").isInstanceOf(SQLException.class);
        }
    }

    @Test
    void aTableWithoutAOneColumnPrimaryKeyIsRefusedWithTheReason() throws Exception {
        try (DatabaseReader reader = new DatabaseReader(source, Duration.ofSeconds(5))) {
            assertThatThrownBy(() -> reader.tables(t -> t.startsWith("nokey_")))
                    .hasMessageContaining("table flows.nokey_0001 has no primary key");
        }
    }
}
