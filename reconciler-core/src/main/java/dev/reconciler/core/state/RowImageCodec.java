package dev.reconciler.core.state;

import dev.reconciler.core.fact.Columns;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A row image inside a value (a pair's rows, a discrepancy's left and right rows): source, table, binlog file and
 * column names as ids of the store's {@link NameTable} (or 0 and the text when the table is full), the primary key
 * and column values in {@link ValueCodec}'s forms. No version byte of its own: it is part of the value holding it.
 */
public final class RowImageCodec {
    private RowImageCodec() {
    }

    /** One row image in the form a pair value holds it, to be copied in later. */
    public static EncodedImage encode(RowImage image, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(256);
        write(out, image, names);
        return new EncodedImage(names, out.toArray());
    }

    static void write(Bytes.Writer out, RowImage image, NameTable names) {
        RowId id = image.id();
        name(out, id.source(), names);
        name(out, id.table(), names);
        ValueCodec.write(out, id.primaryKey(), names, false);   // an identifier: never a name-table entry
        SourcePosition p = image.position();
        name(out, p.file(), names);
        out.signedVarLong(p.offset());
        out.signedVarLong(p.row());
        out.instant(image.eventTime());
        Map<String, String> cols = image.columns();
        out.varLong(cols.size());
        cols.forEach((column, value) -> {
            name(out, column, names);
            ValueCodec.write(out, value, names);
        });
    }

    static RowImage read(Bytes.Reader in, NameTable names) {
        String source = name(in, names);
        String table = name(in, names);
        String primaryKey = ValueCodec.read(in, names);
        if (primaryKey == null) throw new IllegalStateException("row of " + table + " without a primary key");
        RowId id = new RowId(source, table, primaryKey);
        SourcePosition p = new SourcePosition(name(in, names), in.signedVarLong(), in.signedVarLong());
        Instant eventTime = in.instant();
        int n = (int) in.varLong();
        String[] columnNames = new String[n];
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            columnNames[i] = name(in, names);
            values[i] = ValueCodec.read(in, names);
        }
        return new RowImage(id, Columns.wrap(columnNames, values), eventTime, p);
    }

    static void writeAll(Bytes.Writer out, List<RowImage> images, NameTable names) {
        out.varLong(images.size());
        for (RowImage i : images) write(out, i, names);
    }

    static List<RowImage> readAll(Bytes.Reader in, NameTable names) {
        int n = (int) in.varLong();
        List<RowImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(read(in, names));
        return out;
    }

    /** A name as its id in the table, or 0 and the text when the table is full. */
    private static void name(Bytes.Writer out, String name, NameTable names) {
        int id = names.idOf(name);
        out.varLong(id);
        if (id == 0) out.string(name);
    }

    private static String name(Bytes.Reader in, NameTable names) {
        int id = (int) in.varLong();
        return id == 0 ? in.name() : names.name(id);
    }
}
