package dev.reconciler.app.source;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a source before Debezium is started, so that the usual mistakes come back as one clear line each, naming
 * the source and the fix, instead of a stack trace from deep inside the connector: unreachable host, wrong
 * password, binlog off or not ROW/FULL, missing privileges, table regexes that match nothing, and columns a stream
 * needs that a table lacks. Reports every problem it can find, not just the first.
 */
public final class SourceValidator {
    private static final List<String> REPLICATION_PRIVILEGES = List.of("REPLICATION SLAVE", "REPLICATION CLIENT");

    private SourceValidator() {
    }

    /**
     * @param requiredColumns for each table regex of the source, the columns its rows must have (the rules' key,
     *                        filter and quantity columns); may be empty
     * @return the problems found; empty when the source is ready
     */
    public static List<String> validate(SourceConfig source, Map<String, Set<String>> requiredColumns) {
        List<String> problems = new ArrayList<>();
        String url = source.jdbcUrl() + "?connectTimeout=5000";
        try (Connection c = DriverManager.getConnection(url, source.user(), source.password());
             Statement s = c.createStatement()) {
            checkBinlog(source, s, problems);
            checkPrivileges(source, s, problems);
            checkTables(source, s, requiredColumns, problems);
        } catch (SQLException e) {
            problems.add(connectProblem(source, e));
        }
        return problems;
    }

    private static String connectProblem(SourceConfig source, SQLException e) {
        String msg = String.valueOf(e.getMessage());
        String lower = msg.toLowerCase(Locale.ROOT);
        String where = "source " + source.name() + " (" + source.host() + ":" + source.port() + "): ";
        if (lower.contains("access denied")) {
            return where + "access denied for user '" + source.user() + "': check the user name and password"
                    + " (password from the configuration or its environment variable)";
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
            if (grants.stream().noneMatch(g -> g.contains(p) && g.contains(" ON *.*"))) missing.add(p);
        }
        if (grants.stream().noneMatch(g -> g.contains("SELECT"))) missing.add("SELECT");
        if (!missing.isEmpty()) {
            problems.add("source " + source.name() + ": user '" + source.user() + "' lacks " + String.join(", ", missing)
                    + "; run GRANT " + String.join(", ", missing) + " ON *.* TO '" + source.user() + "'");
        }
    }

    private static void checkTables(SourceConfig source, Statement s, Map<String, Set<String>> requiredColumns,
                                    List<String> problems) throws SQLException {
        List<String> tables = new ArrayList<>();
        try (ResultSet r = s.executeQuery("SELECT CONCAT(table_schema, '.', table_name) FROM information_schema.tables"
                + " WHERE table_type = 'BASE TABLE'")) {
            while (r.next()) tables.add(r.getString(1));
        }
        for (String regex : source.tables()) {
            Pattern p = Pattern.compile(regex);
            List<String> matched = tables.stream().filter(t -> p.matcher(t).matches()).toList();
            if (matched.isEmpty()) {
                problems.add("source " + source.name() + ": table pattern '" + regex + "' matches no table in "
                        + source.databases() + "; check the database name and the pattern (it must match"
                        + " database.table, e.g. orders\\.trade_order_stream_\\d{4})");
                continue;
            }
            Set<String> needed = requiredColumns.getOrDefault(regex, Set.of());
            for (String table : matched) {
                List<String> columns = new ArrayList<>();
                String[] parts = table.split("\\.", 2);
                try (ResultSet r = s.executeQuery("SELECT column_name FROM information_schema.columns WHERE"
                        + " table_schema = '" + parts[0].replace("'", "''") + "' AND table_name = '"
                        + parts[1].replace("'", "''") + "'")) {
                    while (r.next()) columns.add(r.getString(1));
                }
                for (String col : needed) {
                    if (!columns.contains(col)) {
                        problems.add("source " + source.name() + ": table " + table + " has no column '" + col
                                + "', which a rule reads; fix the rule's column name or the table pattern");
                    }
                }
            }
        }
    }

    private static String firstLine(String s) {
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
