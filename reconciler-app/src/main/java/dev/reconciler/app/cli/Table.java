package dev.reconciler.app.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/** A plain text table: a header and rows, columns as wide as their widest cell (cut at {@link #MAX} characters). */
final class Table {
    static final int MAX = 60;
    private final List<String[]> rows = new ArrayList<>();

    Table(String... header) {
        rows.add(header);
    }

    Table row(Object... cells) {
        String[] r = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            String c = cells[i] == null ? "-" : cells[i].toString().replace('\n', ' ').replace('\t', ' ');
            r[i] = c.length() > MAX ? c.substring(0, MAX - 1) + "…" : c;
        }
        rows.add(r);
        return this;
    }

    int size() {
        return rows.size() - 1;
    }

    void print(PrintWriter out) {
        int[] width = new int[rows.get(0).length];
        for (String[] r : rows) for (int i = 0; i < r.length; i++) width[i] = Math.max(width[i], r[i].length());
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                line.append(r[i]);
                if (i < r.length - 1) line.append(" ".repeat(width[i] - r[i].length() + 2));
            }
            out.println(line.toString().stripTrailing());
        }
        out.flush();
    }
}
