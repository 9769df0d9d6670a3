package dev.reconciler.core.state.rocksdb;

import org.rocksdb.RocksDBException;
import org.rocksdb.Status;

import java.nio.file.Path;
import java.util.Locale;

/** Why RocksDB refused to open a store, and the way out, as one message for the operator. */
final class RocksDbOpenFailure {
    private RocksDbOpenFailure() {
    }

    static String describe(Path dir, RocksDBException e) {
        String rocks = e.getMessage();
        Status status = e.getStatus();
        Status.Code code = status == null ? null : status.getCode();
        String lower = rocks == null ? "" : rocks.toLowerCase(Locale.ROOT);
        String prefix = "cannot open the RocksDB state store at " + dir + ": ";
        if (lower.contains("lock")) {
            return prefix + "another reconciler process holds the lock on " + dir
                    + ": stop it or point state.dir elsewhere (RocksDB: " + rocks + ")";
        }
        if (code == Status.Code.Corruption) {
            return prefix + "the store is corrupt (RocksDB: " + rocks + "); nothing was changed. Ways out: restore"
                    + " the whole state.dir (the store and sources/ with the binlog offsets) from a backup taken while"
                    + " the reconciler was stopped; or move the whole state.dir aside (keep it for analysis) and start"
                    + " with an empty one: the sources then read what their snapshot settings say (snapshotLookback),"
                    + " and discrepancies, acknowledgements and pairs older than that are forgotten";
        }
        if (lower.contains("column famil")) {
            return prefix + "it was written by a different release with other column families (RocksDB: " + rocks
                    + "); run that release, or start with an empty state.dir";
        }
        return prefix + rocks + "; check that the directory is writable and the disk is not full";
    }
}
