package dev.reconciler.core.state.rocksdb;

import dev.reconciler.core.state.NameTable;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksIterator;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where the {@link NameTable} lives on disk: the names stored rows refer to by id are {@code meta} entries
 * {@value #PREFIX}id → name (both UTF-8). New names are written by the batch whose values first use them
 * ({@link BatchWriter}), so no value outlives its names.
 */
final class PersistentNames {
    static final String PREFIX = "name-table/";

    private PersistentNames() {
    }

    /** The meta key of name {@code id}. */
    static byte[] key(int id) {
        return (PREFIX + id).getBytes(StandardCharsets.UTF_8);
    }

    /** The name table as stored in {@code meta}, every entry persisted. */
    static NameTable load(RocksDB db, ColumnFamilyHandle meta) {
        NameTable names = new NameTable();
        byte[] prefix = PREFIX.getBytes(StandardCharsets.UTF_8);
        try (RocksIterator it = db.newIterator(meta)) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                String key = new String(it.key(), StandardCharsets.UTF_8);
                names.load(Integer.parseInt(key.substring(PREFIX.length())),
                        new String(it.value(), StandardCharsets.UTF_8));
            }
        }
        return names;
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
