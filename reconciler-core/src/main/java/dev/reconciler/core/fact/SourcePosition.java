package dev.reconciler.core.fact;

import java.util.Objects;

/**
 * Where in its source's change log a row image came from: binlog file, offset of the transaction or event, and
 * the row's index within the event. Ordered within one source, so an image older than the one already applied
 * to a row (a replay after a crash) can be recognised and ignored.
 *
 * <p>Binlog file names carry a zero-padded sequence number, so comparing them as text orders them. Rows read by a
 * snapshot must carry the binlog position the snapshot is consistent with (Debezium gives it), so that a snapshot
 * taken after streamed changes is newer than them.
 */
public record SourcePosition(String file, long offset, long row) implements Comparable<SourcePosition> {
    public SourcePosition {
        Objects.requireNonNull(file, "file");
    }

    @Override
    public int compareTo(SourcePosition o) {
        int c = file.compareTo(o.file);
        if (c != 0) return c;
        c = Long.compare(offset, o.offset);
        if (c != 0) return c;
        return Long.compare(row, o.row);
    }

    @Override
    public String toString() {
        return file + ":" + offset + ":" + row;
    }
}
