package dev.reconciler.core.fact;

import java.util.Objects;

/**
 * Identity of one row: source (database instance), table and primary key (several key columns joined as
 * {@code a|b}). Ordered, so that "the first row of a side" is well defined and independent of arrival order.
 */
public record RowId(String source, String table, String primaryKey) implements Comparable<RowId> {
    public RowId {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(primaryKey, "primaryKey");
    }

    @Override
    public int compareTo(RowId o) {
        int c = source.compareTo(o.source);
        if (c != 0) return c;
        c = table.compareTo(o.table);
        if (c != 0) return c;
        // Numeric primary keys compare as numbers (9 before 10), anything else as text.
        c = Integer.compare(primaryKey.length(), o.primaryKey.length());
        if (c != 0 && isDigits(primaryKey) && isDigits(o.primaryKey)) return c;
        return primaryKey.compareTo(o.primaryKey);
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return source + "/" + table + "#" + primaryKey;
    }
}
