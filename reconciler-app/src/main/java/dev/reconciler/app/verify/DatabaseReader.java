package dev.reconciler.app.verify;

import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceConnections;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A read-only JDBC session on one source for a window verification: {@code SET SESSION TRANSACTION READ ONLY},
 * autocommit (each page is its own short consistent read, no long transaction holding the undo log), a statement
 * timeout per query ({@code max_statement_time} on MariaDB, {@code max_execution_time} on MySQL), and the server's
 * offset from UTC, so that change-time columns (written by the server's {@code NOW()} in its time zone) compare with
 * instants. The offset is read once: a daylight-saving change inside the window shifts it by that hour.
 */
final class DatabaseReader implements AutoCloseable {

    /** A table of the source: database, name, its one-column primary key. */
    record Table(String database, String name, String primaryKey) {
        String quoted() {
            return quote(database) + "." + quote(name);
        }
    }

    /** One row as read: primary key (JDBC value, for the next page's cursor), change time, and the columns asked for. */
    record Row(Object primaryKey, LocalDateTime changed, Map<String, Object> columns) {
    }

    /** Where a table's keyset scan stands: after this (change time, primary key); null before the first page. */
    record Cursor(LocalDateTime changed, Object primaryKey) {
    }

    private final SourceConfig source;
    private final Connection connection;
    private final ZoneOffset offset;

    DatabaseReader(SourceConfig source, Duration statementTimeout) {
        this.source = source;
        try {
            this.connection = SourceConnections.open(source);
        } catch (SQLException e) {
            throw new IllegalStateException("source " + source.name() + " (" + source.host() + ":" + source.port()
                    + "): cannot connect (" + e.getMessage() + "); check that it is reachable and the credentials", e);
        }
        try {
            connection.setAutoCommit(true);
            connection.setReadOnly(true);
            try (Statement s = connection.createStatement()) {
                s.execute("SET SESSION TRANSACTION READ ONLY");
                long seconds = Math.max(1, statementTimeout.toSeconds());
                try {
                    s.execute("SET SESSION max_statement_time = " + seconds);            // MariaDB
                } catch (SQLException notMariaDb) {
                    s.execute("SET SESSION max_execution_time = " + seconds * 1000);     // MySQL (SELECT only)
                }
                try (ResultSet r = s.executeQuery("SELECT TIMESTAMPDIFF(SECOND, UTC_TIMESTAMP(), NOW())")) {
                    r.next();
                    // whole minutes: the two clocks are read a few microseconds apart
                    long diff = Math.round(r.getLong(1) / 60.0) * 60;
                    this.offset = ZoneOffset.ofTotalSeconds((int) diff);
                }
            }
        } catch (SQLException e) {
            close();
            throw new IllegalStateException("source " + source.name() + ": cannot set up a read-only session ("
                    + e.getMessage() + ")", e);
        }
    }

    String sourceName() {
        return source.name();
    }

    /** The server's wall time for an instant (the form its change-time columns hold). */
    LocalDateTime local(Instant t) {
        return LocalDateTime.ofInstant(t, offset);
    }

    Instant instant(LocalDateTime local) {
        return local.toInstant(offset);
    }

    /**
     * The source's captured tables (its databases, its table regexes) whose name {@code stream} accepts, with their
     * primary key column.
     *
     * @throws IllegalStateException for a table without a primary key, or with one of several columns
     */
    List<Table> tables(Predicate<String> stream) throws SQLException {
        Predicate<String> captured = source.capturedTable();
        Map<String, List<String>> keys = new LinkedHashMap<>();
        String in = source.databases().isEmpty() ? "" : " AND t.table_schema IN ("
                + String.join(", ", source.databases().stream().map(d -> "'" + d.replace("'", "''") + "'").toList())
                + ")";
        try (Statement s = connection.createStatement();
             ResultSet r = s.executeQuery("SELECT t.table_schema, t.table_name, k.column_name FROM information_schema.tables t"
                     + " LEFT JOIN information_schema.key_column_usage k ON k.table_schema = t.table_schema"
                     + " AND k.table_name = t.table_name AND k.constraint_name = 'PRIMARY'"
                     + " WHERE t.table_type = 'BASE TABLE'" + in + " ORDER BY 1, 2, k.ordinal_position")) {
            while (r.next()) {
                String db = r.getString(1);
                String table = r.getString(2);
                if (!captured.test(db + "." + table) || !stream.test(table)) continue;
                List<String> cols = keys.computeIfAbsent(db + "." + table, k -> new ArrayList<>());
                if (r.getString(3) != null) cols.add(r.getString(3));
            }
        }
        List<Table> out = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : keys.entrySet()) {
            String[] part = e.getKey().split("\\.", 2);
            if (e.getValue().size() != 1) {
                throw new IllegalStateException("source " + source.name() + ": table " + e.getKey() + " has "
                        + (e.getValue().isEmpty() ? "no primary key" : "a primary key of " + e.getValue().size()
                        + " columns") + "; verify pages through a table by its change time and a one-column primary key");
            }
            out.add(new Table(part[0], part[1], e.getValue().get(0)));
        }
        return out;
    }

    /**
     * One page of a table's rows whose {@code timeColumn} is in {@code [from, to)}, after {@code cursor}, in (change
     * time, primary key) order: keyset pagination, so every page is an index range read however deep the scan is
     * (with an index on the change-time column; without one each page scans the table).
     */
    List<Row> page(Table t, String timeColumn, List<String> columns, LocalDateTime from, LocalDateTime to,
                   Cursor cursor, int limit) throws SQLException {
        String tc = quote(timeColumn);
        String pk = quote(t.primaryKey());
        String sql = "SELECT " + select(t, timeColumn, columns) + " FROM " + t.quoted() + " WHERE " + tc + " >= ? AND "
                + tc + " < ?" + (cursor == null ? "" : " AND (" + tc + " > ? OR (" + tc + " = ? AND " + pk + " > ?))")
                + " ORDER BY " + tc + ", " + pk + " LIMIT " + limit;
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            ps.setObject(1, from);
            ps.setObject(2, to);
            if (cursor != null) {
                ps.setObject(3, cursor.changed());
                ps.setObject(4, cursor.changed());
                ps.setObject(5, cursor.primaryKey());
            }
            return rows(ps, t, timeColumn, columns);
        }
    }

    /** The rows of a table with these primary keys (absent ones are left out). */
    List<Row> byPrimaryKey(Table t, String timeColumn, List<String> columns, List<String> primaryKeys)
            throws SQLException {
        if (primaryKeys.isEmpty()) return List.of();
        String marks = String.join(", ", java.util.Collections.nCopies(primaryKeys.size(), "?"));
        String sql = "SELECT " + select(t, timeColumn, columns) + " FROM " + t.quoted() + " WHERE "
                + quote(t.primaryKey()) + " IN (" + marks + ")";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < primaryKeys.size(); i++) ps.setString(i + 1, primaryKeys.get(i));
            return rows(ps, t, timeColumn, columns);
        }
    }

    private static String select(Table t, String timeColumn, List<String> columns) {
        StringBuilder sb = new StringBuilder(quote(t.primaryKey())).append(", ").append(quote(timeColumn));
        for (String c : columns) sb.append(", ").append(quote(c));
        return sb.toString();
    }

    private static List<Row> rows(PreparedStatement ps, Table t, String timeColumn, List<String> columns)
            throws SQLException {
        List<Row> out = new ArrayList<>();
        try (ResultSet r = ps.executeQuery()) {
            while (r.next()) {
                Map<String, Object> values = new LinkedHashMap<>();
                for (int i = 0; i < columns.size(); i++) values.put(columns.get(i), r.getObject(3 + i));
                out.add(new Row(r.getObject(1), r.getObject(2, LocalDateTime.class), values));
            }
        }
        return out;
    }

    static String quote(String identifier) {
        return "`" + identifier.replace("`", "``") + "`";
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException | RuntimeException e) {
            // closing a read-only session: nothing to lose
        }
    }
}
