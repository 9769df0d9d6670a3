package dev.reconciler.app.config;

import dev.reconciler.app.config.ConfigKey.Kind;

import java.nio.file.Path;
import java.util.List;

/**
 * The {@code state} section: where and how the state is kept ({@link StateConfig}). Each key is declared here once,
 * with its docs row: docs/configuration.md, the JSON Schema and {@code reconciler config print} are made from these
 * declarations.
 */
public final class StateSection {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("state",
            ConfigKey.of("dir", Kind.TEXT, "path", "`state`", "`/var/lib/reconciler`",
                "The state directory: the RocksDB store in `rocksdb/` (pairs, timers, discrepancies, watermarks) and"
                + " each source's binlog offsets and schema history in `sources/NAME/`. Must survive restarts (a"
                + " volume in a container); one process at a time."),
            ConfigKey.of("cacheSize", Kind.SIZE, "size", "`256MiB`", "`1GiB`",
                "The RocksDB block cache shared by all column families; memtables are charged to it. The process"
                + " needs about this much off-heap memory. At least `8MiB`."),
            ConfigKey.of("writeBufferSize", Kind.SIZE, "size", "`64MiB`", "`128MiB`",
                "The memtable size for pairs; at most half of `cacheSize`."),
            ConfigKey.of("syncWrites", Kind.BOOLEAN, "boolean", "`false`", "`true`",
                "fsync the write-ahead log on every batch. Off, a machine crash may lose the last batches, which the"
                + " sources then read again from the binlog (their offsets are written after the state).")));

    /** The {@code state} section; null (with problems) when it is wrong. */
    static StateConfig bind(Section s) {
        StateConfig d = StateConfig.defaults();
        String dir = s.text("dir", d.dir().toString());
        if (dir != null && dir.isBlank()) {
            s.problem("dir", "is empty; set a directory the reconciler may write, e.g. /var/lib/reconciler");
        }
        Long cache = s.size("cacheSize", d.cacheSize());
        Long buffer = s.size("writeBufferSize", d.writeBufferSize());
        boolean sync = s.bool("syncWrites", d.syncWrites());
        if (cache != null && cache < (8L << 20)) s.problem("cacheSize", "must be at least 8MiB, was " + Sizes.format(cache));
        if (buffer != null && buffer < (1L << 20)) {
            s.problem("writeBufferSize", "must be at least 1MiB, was " + Sizes.format(buffer));
        }
        if (cache != null && buffer != null && buffer > cache / 2) {
            s.problem("writeBufferSize", Sizes.format(buffer) + " is more than half of cacheSize ("
                    + Sizes.format(cache) + "), which holds the memtables too; lower it or raise cacheSize");
        }
        if (dir == null || dir.isBlank() || cache == null || buffer == null) return null;
        return new StateConfig(Path.of(dir), cache, buffer, sync);
    }

    private StateSection() {
    }
}
