package dev.reconciler.app.runtime;

import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceConnections;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.function.Predicate;

/** About how many rows an initial snapshot reads (the servers' table statistics), for progress percentages. */
final class SnapshotEstimate {
    private SnapshotEstimate() {
    }

    /** -1 when unknown (no snapshot, or the statistics cannot be read). */
    static long rows(SourceConfig source) {
        if (source.snapshot() != SourceConfig.Snapshot.INITIAL) return -1;
        try (Connection c = SourceConnections.probe(source);
             Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT CONCAT(table_schema, '.', table_name), table_rows"
                     + " FROM information_schema.tables WHERE table_type = 'BASE TABLE'")) {
            Predicate<String> captured = source.capturedTable();
            long total = 0;
            while (r.next()) {
                if (captured.test(r.getString(1))) total += r.getLong(2);
            }
            return total;
        } catch (SQLException e) {
            return -1;
        }
    }
}
