package dev.reconciler.app.source;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/** What a server still holds of its binlog, for messages about a purged position. */
final class ServerBinlog {
    private ServerBinlog() {
    }

    /**
     * The oldest binlog the server has, e.g. {@code mariadb-bin.000004 (GTID 0-1-1200)}: the first of
     * {@code SHOW BINARY LOGS} with, on MariaDB, the GTID position at its start ({@code BINLOG_GTID_POS}), on MySQL
     * {@code @@gtid_purged}. Null when the server cannot be asked.
     */
    static String oldest(SourceConfig source) {
        try (Connection c = SourceConnections.probe(source); Statement s = c.createStatement()) {
            String file;
            try (ResultSet r = s.executeQuery("SHOW BINARY LOGS")) {
                if (!r.next()) return null;
                file = r.getString(1);
            }
            String gtid = null;
            try {
                if (source.flavour() == SourceConfig.Flavour.MARIADB) {
                    try (PreparedStatement p = c.prepareStatement("SELECT BINLOG_GTID_POS(?, 4)")) {
                        p.setString(1, file);
                        try (ResultSet r = p.executeQuery()) {
                            if (r.next()) gtid = r.getString(1);
                        }
                    }
                } else {
                    try (ResultSet r = s.executeQuery("SELECT @@GLOBAL.gtid_purged")) {
                        if (r.next()) gtid = r.getString(1);
                    }
                }
            } catch (SQLException ignored) {
                // no GTIDs on this server: the file name says enough
            }
            return file + (gtid == null || gtid.isBlank() ? "" : " (GTID " + gtid + ")");
        } catch (SQLException e) {
            return null;
        }
    }
}
