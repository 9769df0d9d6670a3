package dev.reconciler.core.rule;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A flow: the tables whose rows form one logical stream. A regex such as {@code trade_order_stream_\d{4}} unions
 * shards; several selectors may spread the shards over several sources.
 *
 * @param columns the columns of its rows worth keeping for people (shown in discrepancies and the API), besides
 *                those the rules read, which are always kept; null keeps every column of the row. Keeping only what
 *                matters keeps the state small and the engine fast.
 */
public record StreamDef(String name, List<TableSelector> tables, List<String> columns) {

    /** Tables of one source whose full name matches {@code table}. */
    public record TableSelector(String source, Pattern table) {
        public TableSelector {
            Objects.requireNonNull(source, "source");
            Objects.requireNonNull(table, "table");
        }

        public static TableSelector of(String source, String tableRegex) {
            return new TableSelector(source, Pattern.compile(tableRegex));
        }

        public boolean matches(String source, String table) {
            return this.source.equals(source) && this.table.matcher(table).matches();
        }
    }

    public StreamDef {
        Objects.requireNonNull(name, "name");
        tables = List.copyOf(tables);
        columns = columns == null ? null : List.copyOf(columns);
        if (tables.isEmpty()) {
            throw new IllegalArgumentException("stream '" + name + "' selects no table: add at least one source/table");
        }
    }

    /** A stream of the matching tables of one source, keeping every column. */
    public static StreamDef of(String name, String source, String tableRegex) {
        return new StreamDef(name, List.of(TableSelector.of(source, tableRegex)), null);
    }

    public StreamDef keeping(List<String> columns) {
        return new StreamDef(name, tables, columns);
    }

    public boolean contains(String source, String table) {
        for (TableSelector t : tables) {
            if (t.matches(source, table)) return true;
        }
        return false;
    }

    /** The sources this stream reads; its watermark is the lowest of theirs. */
    public Set<String> sources() {
        Set<String> s = new TreeSet<>();
        for (TableSelector t : tables) s.add(t.source());
        return s;
    }
}
