package dev.reconciler.app.source;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a source before Debezium is started, so that the usual mistakes come back as one clear line each, naming
 * the source and the fix, instead of a stack trace from deep inside the connector: unreachable host, wrong
 * password, binlog off or not ROW/FULL, missing privileges, table regexes that match nothing, stream selectors that
 * match none of the captured tables, columns a rule reads or a stream keeps that a table lacks, and a missing
 * snapshot look-back column. Reports every problem it can find, not just the first.
 */
public final class SourceValidator {
    private static final List<String> REPLICATION_PRIVILEGES = List.of("REPLICATION SLAVE", "REPLICATION CLIENT");

    private SourceValidator() {
    }

    /**
     * @param required what the rules and streams need on this source's tables ({@link RequiredColumns#of}); may be
     *                 empty
     * @return the problems found; empty when the source is ready
     */
    public static List<String> validate(SourceConfig source, List<RequiredColumns> required) {
        try {
            Checked checked = check(source, required);
            List<String> all = new ArrayList<>(checked.problems());
            all.addAll(checked.missingColumns());
            return all;
        } catch (SQLException e) {
            return List.of(connectProblem(source, e));
        }
    }

    /**
     * What {@link #check} found.
     *
     * @param problems       what keeps the source from reading at all (binlog, privileges, tables)
     * @param missingColumns columns a rule reads or a stream keeps that a table lacks: not a reason to stop the
     *                       source (its other rules can run); a rule reading such a column pauses when the rows
     *                       arrive (RulePaused), and {@code validate --connect} reports them as problems
     */
    /** @param withoutPrimaryKey captured tables ({@code db.table}) without a primary key, whose rows Debezium reads whole */
    record Checked(List<String> problems, List<String> missingColumns, List<String> withoutPrimaryKey) {
    }

    /**
     * {@link #validate} for a source that retries: the problems found once connected, or the connection's failure
     * as it is (the caller tells "unreachable" from "refused" and waits).
     *
     * @throws SQLException when the server cannot be reached or logged into, or a check's query fails
     */
    static Checked check(SourceConfig source, List<RequiredColumns> required) throws SQLException {
        List<String> problems = new ArrayList<>();
        List<String> missingColumns = new ArrayList<>();
        try (Connection c = SourceConnections.probe(source);
             Statement s = c.createStatement()) {
            checkBinlog(source, s, problems);
            checkPrivileges(source, s, problems);
            checkTables(source, c, required, problems, missingColumns);
            return new Checked(problems, missingColumns, withoutPrimaryKey(source, c));
        }
    }

    /**
     * The base tables ({@code db.table}) the source captures: in one of its databases (any, when it names none) and
     * matching one of its table regexes. Sorted.
     */
    static List<String> capturedTables(SourceConfig source, Connection c) throws SQLException {
        return baseTables(source, c).stream().filter(source.capturedTable()).toList();
    }

    /**
     * The captured tables without a primary key: a row of such a table is identified by its whole image (see
     * {@code RecordNormalizer}), so Debezium must read all of its columns ({@link RequiredColumns#columnIncludeList}).
     */
    static List<String> withoutPrimaryKey(SourceConfig source, Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT CONCAT(t.table_schema, '.', t.table_name) FROM information_schema.tables t"
                     + " WHERE t.table_type = 'BASE TABLE'" + inDatabases(source, "t.table_schema")
                     + " AND NOT EXISTS (SELECT 1 FROM information_schema.table_constraints k"
                     + " WHERE k.table_schema = t.table_schema AND k.table_name = t.table_name"
                     + " AND k.constraint_type = 'PRIMARY KEY') ORDER BY 1")) {
            while (r.next()) tables.add(r.getString(1));
        }
        return tables.stream().filter(source.capturedTable()).toList();
    }

    private static List<String> baseTables(SourceConfig source, Connection c) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables"
                     + " WHERE table_type = 'BASE TABLE'" + inDatabases(source, "table_schema")
                     + " ORDER BY 1")) {
            while (r.next()) tables.add(r.getString(1));
        }
        return tables;
    }

    /** {@code AND column IN ('db1', ...)} for the source's databases; empty when it names none (all databases). */
    private static String inDatabases(SourceConfig source, String column) {
        if (source.databases().isEmpty()) return "";
        List<String> quoted = source.databases().stream().map(d -> "'" + d.replace("'", "''") + "'").toList();
        return " AND " + column + " IN (" + String.join(", ", quoted) + ")";
    }

    private static String connectProblem(SourceConfig source, SQLException e) {
        String msg = String.valueOf(e.getMessage());
        String lower = msg.toLowerCase(Locale.ROOT);
        String where = "source " + source.name() + " (" + source.host() + ":" + source.port() + "): ";
        String tls = Failure.tlsReason(e);
        if (tls != null) return where + "TLS: " + tls;
        if (lower.contains("access denied")) {
            return where + "access denied for user '" + source.user() + "': check the user name and password"
                    + " (password from the configuration, its environment variable or its secret file)"
                    + Failure.loginHint(source.tls()).replaceFirst("^; check the user and password, and", "; check")
                    .replaceFirst("^; check the user, the password and", "; check");
        }
        if (lower.contains("connection refused") || lower.contains("socket fail") || lower.contains("timed out")
                || lower.contains("unknownhost") || lower.contains("communications link failure")) {
            return where + "cannot connect (" + firstLine(msg) + "): check host and port, and that the database"
                    + " accepts connections from this machine";
        }
        return where + "cannot connect: " + firstLine(msg);
    }

    private static void checkBinlog(SourceConfig source, Statement s, List<String> problems) throws SQLException {
        try (ResultSet r = s.executeQuery("SELECT @@log_bin, @@binlog_format, @@binlog_row_image")) {
            r.next();
            String where = "source " + source.name() + ": ";
            if (!"1".equals(r.getString(1)) && !"ON".equalsIgnoreCase(r.getString(1))) {
                problems.add(where + "the binary log is off; start the server with log-bin (and server-id), e.g."
                        + " log_bin=mysql-bin in its configuration");
            }
            if (!"ROW".equalsIgnoreCase(r.getString(2))) {
                problems.add(where + "binlog_format is " + r.getString(2) + ", the reconciler needs ROW: run"
                        + " SET GLOBAL binlog_format=ROW and set it in the server configuration");
            }
            if (!"FULL".equalsIgnoreCase(r.getString(3))) {
                problems.add(where + "binlog_row_image is " + r.getString(3) + ", the reconciler needs FULL: run"
                        + " SET GLOBAL binlog_row_image=FULL and set it in the server configuration");
            }
        }
    }

    private static void checkPrivileges(SourceConfig source, Statement s, List<String> problems) throws SQLException {
        List<String> grants = new ArrayList<>();
        try (ResultSet r = s.executeQuery("SHOW GRANTS FOR CURRENT_USER()")) {
            while (r.next()) grants.add(r.getString(1).toUpperCase(Locale.ROOT));
        }
        boolean all = grants.stream().anyMatch(g -> g.startsWith("GRANT ALL PRIVILEGES ON *.*"));
        if (all) return;
        List<String> missing = new ArrayList<>();
        for (String p : REPLICATION_PRIVILEGES) {
            // MariaDB 10.5+ shows REPLICATION CLIENT, once granted, as its new name BINLOG MONITOR.
            if (grants.stream().noneMatch(g -> (g.contains(p) || p.equals("REPLICATION CLIENT")
                    && g.contains("BINLOG MONITOR")) && g.contains(" ON *.*"))) {
                missing.add(p);
            }
        }
        if (grants.stream().noneMatch(g -> g.contains("SELECT"))) missing.add("SELECT");
        if (!missing.isEmpty()) {
            problems.add("source " + source.name() + ": user '" + source.user() + "' lacks " + String.join(", ", missing)
                    + "; run GRANT " + String.join(", ", missing) + " ON *.* TO '" + source.user() + "'");
        }
    }

    private static void checkTables(SourceConfig source, Connection c, List<RequiredColumns> required,
                                    List<String> problems, List<String> missingColumns) throws SQLException {
        String where = "source " + source.name() + ": ";
        List<String> tables = baseTables(source, c);
        for (String regex : source.tables()) {
            Pattern p = Pattern.compile(regex);
            if (tables.stream().noneMatch(t -> p.matcher(t).matches())) {
                problems.add(where + "table pattern '" + regex + "' matches no table in " + source.databases()
                        + "; check the database name and the pattern (it must match database.table, e.g."
                        + " orders\\.trade_order_stream_\\d{4})");
            }
        }
        List<String> captured = tables.stream().filter(source.capturedTable()).toList();
        if (captured.isEmpty()) return;
        Map<String, Set<String>> columns = columnsOf(source, c);

        for (RequiredColumns need : required) {
            // Stream selectors match the bare table name, as the engine routes facts.
            List<String> selected = captured.stream()
                    .filter(t -> need.table().matcher(t.substring(t.indexOf('.') + 1)).matches()).toList();
            if (selected.isEmpty()) {
                problems.add(where + "stream '" + need.stream() + "' reads tables matching '" + need.table()
                        + "' from this source, but none of the tables it captures matches (" + names(captured)
                        + "); fix the stream's table pattern, or the source's tables");
                continue;
            }
            for (RequiredColumns.Column col : need.columns()) {
                List<String> lacking = selected.stream()
                        .filter(t -> !columns.getOrDefault(t, Set.of()).contains(col.name())).toList();
                if (!lacking.isEmpty()) {
                    missingColumns.add(where + (lacking.size() == 1 ? "table " + lacking.get(0) + " has"
                            : lacking.size() + " tables (" + names(lacking) + ") have") + " no column '"
                            + col.name() + "', which " + col.neededBy() + "; " + col.fix());
                }
            }
        }

        if (source.snapshot() == SourceConfig.Snapshot.INITIAL && source.snapshotLookback() != null) {
            String col = source.snapshotLookbackColumn();
            List<String> lacking = captured.stream()
                    .filter(t -> !columns.getOrDefault(t, Set.of()).contains(col)).toList();
            if (!lacking.isEmpty()) {
                problems.add(where + (lacking.size() == 1 ? "table " + lacking.get(0) + " has"
                        : lacking.size() + " tables (" + names(lacking) + ") have") + " no column '" + col
                        + "' to limit the initial snapshot to the look-back; set snapshotLookbackColumn to the"
                        + " column holding each row's last change time, or remove snapshotLookback");
            }
        }
    }

    /** Columns of every table in the source's databases, by {@code db.table}: one query, however many shards. */
    private static Map<String, Set<String>> columnsOf(SourceConfig source, Connection c) throws SQLException {
        Map<String, Set<String>> columns = new HashMap<>();
        try (Statement s = c.createStatement();
             ResultSet r = s.executeQuery("SELECT table_schema, table_name, column_name FROM information_schema.columns"
                     + " WHERE 1 = 1" + inDatabases(source, "table_schema"))) {
            while (r.next()) {
                columns.computeIfAbsent(r.getString(1) + "." + r.getString(2), k -> new HashSet<>()).add(r.getString(3));
            }
        }
        return columns;
    }

    /** Up to three table names, then how many more. */
    private static String names(List<String> tables) {
        String shown = String.join(", ", tables.subList(0, Math.min(3, tables.size())));
        return tables.size() <= 3 ? shown : shown + " and " + (tables.size() - 3) + " more";
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
