package dev.reconciler.app.verify;

import java.sql.SQLException;
import java.time.LocalDateTime;
import java.util.List;

/**
 * One table's rows of a window, page by page: keyset pagination on (change time, primary key), so each page starts
 * where the last one ended however many rows share a change time, and no row is read twice or skipped.
 */
final class TableScan {
    private final DatabaseReader reader;
    private final DatabaseReader.Table table;
    private final String timeColumn;
    private final List<String> columns;
    private final LocalDateTime from;
    private final LocalDateTime to;
    private final int pageRows;
    private DatabaseReader.Cursor cursor;
    private boolean done;

    TableScan(DatabaseReader reader, DatabaseReader.Table table, String timeColumn, List<String> columns,
              LocalDateTime from, LocalDateTime to, int pageRows) {
        if (pageRows < 1) throw new IllegalArgumentException("page size must be at least 1, was " + pageRows);
        this.reader = reader;
        this.table = table;
        this.timeColumn = timeColumn;
        this.columns = columns;
        this.from = from;
        this.to = to;
        this.pageRows = pageRows;
    }

    /** The next page, empty once the window is read. */
    List<DatabaseReader.Row> next() throws SQLException {
        if (done) return List.of();
        List<DatabaseReader.Row> page = reader.page(table, timeColumn, columns, from, to, cursor, pageRows);
        if (page.size() < pageRows) done = true;
        if (!page.isEmpty()) {
            DatabaseReader.Row last = page.get(page.size() - 1);
            cursor = new DatabaseReader.Cursor(last.changed(), last.primaryKey());
        }
        return page;
    }

    DatabaseReader.Table table() {
        return table;
    }
}
