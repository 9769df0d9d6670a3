package dev.reconciler.app.source;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link HeartbeatWriter} against a real MariaDB: creates its table when asked, writes one upserted row, says an
 * outage in its state (and keeps its start) instead of failing, writes again once the server is back, and a missing
 * grant is named with the fix.
 */
class HeartbeatWriterTest {

    private static SourceConfig source(LocalMariaDb db, String user, String password) {
        return new SourceConfig("orders", db.flavour(), db.host(), db.port(), user, password, List.of("hb"),
                List.of("hb\\.t"), 7101, SourceConfig.Snapshot.INITIAL, "hb.reconciler_heartbeat",
                Duration.ofSeconds(1));
    }

    @Test
    void writesOneRowSaysAnOutageAndWritesAgainOnceTheServerIsBack() throws Exception {
        try (LocalMariaDb db = LocalMariaDb.start(7101)) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE hb");
            }
            SourceConfig config = source(db, db.user(), db.password());
            try (HeartbeatWriter writer = new HeartbeatWriter(config, () -> config, InstantSource.system(), true, true)) {
                assertThat(writer.beat()).isTrue();
                assertThat(writer.beat()).isTrue();
                assertThat(rows(db)).as("one upserted row").isEqualTo(1);
                assertThat(writer.state().beats()).isEqualTo(2);
                assertThat(writer.state().failing()).isFalse();

                db.stop();
                assertThat(writer.beat()).isFalse();
                HeartbeatWriter.State down = writer.state();
                assertThat(down.failing()).isTrue();
                assertThat(down.lastError()).contains(db.host() + ":" + db.port());
                assertThat(writer.beat()).isFalse();
                assertThat(writer.state().failures()).isEqualTo(2);
                assertThat(writer.state().failingSince()).as("the outage's start is kept").isEqualTo(down.failingSince());

                db.restart();
                assertThat(writer.beat()).isTrue();
                assertThat(writer.state().failing()).isFalse();
                assertThat(writer.state().beats()).isEqualTo(3);
            }
        }
    }

    @Test
    void aMissingGrantIsNamedWithTheFix() throws Exception {
        try (LocalMariaDb db = LocalMariaDb.start(7102)) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE hb");
                s.execute("CREATE USER 'nogrant'@'%' IDENTIFIED BY 'pw'");
                s.execute("GRANT SELECT ON hb.* TO 'nogrant'@'%'");
            }
            SourceConfig config = source(db, "nogrant", "pw");
            try (HeartbeatWriter writer = new HeartbeatWriter(config, () -> config, InstantSource.system(), true, true)) {
                assertThat(writer.beat()).isFalse();
                assertThat(writer.state().lastError()).contains("grant CREATE, INSERT and UPDATE on hb.reconciler_heartbeat");
            }
        }
    }

    private static long rows(LocalMariaDb db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT COUNT(*) FROM hb.reconciler_heartbeat")) {
            r.next();
            return r.getLong(1);
        }
    }
}
