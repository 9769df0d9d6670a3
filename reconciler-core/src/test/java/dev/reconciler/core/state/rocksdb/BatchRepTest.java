package dev.reconciler.core.state.rocksdb;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBatch;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The serialized batch must be byte for byte what RocksDB itself builds from the same calls. */
class BatchRepTest {
    static {
        RocksDB.loadLibrary();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void isTheBatchRocksDbBuildsForTheSameRecordsInEveryColumnFamily(@TempDir Path dir) throws Exception {
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true);
             RocksDB db = RocksDB.open(options, dir.toString(), List.of(
                     new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY),
                     new ColumnFamilyDescriptor(b("pairs"))), handles)) {
            ColumnFamilyHandle defaults = handles.get(0);
            ColumnFamilyHandle pairs = handles.get(1);
            byte[] longValue = new byte[300];   // a length that takes two varint bytes
            java.util.Arrays.fill(longValue, (byte) 7);
            try (WriteBatch expected = new WriteBatch()) {
                BatchRep rep = new BatchRep(16);   // small on purpose: it has to grow
                expected.put(pairs, b("k1"), longValue);
                rep.put(pairs.getID(), b("k1"), longValue);
                expected.delete(pairs, b("k2"));
                rep.delete(pairs.getID(), b("k2"));
                expected.singleDelete(pairs, b("k3"));
                rep.singleDelete(pairs.getID(), b("k3"));
                expected.put(defaults, b("d1"), b("v"));
                rep.put(defaults.getID(), b("d1"), b("v"));
                expected.delete(defaults, b("d2"));
                rep.delete(defaults.getID(), b("d2"));
                expected.singleDelete(defaults, b("d3"));
                rep.singleDelete(defaults.getID(), b("d3"));
                assertThat(rep.toArray()).isEqualTo(expected.data());
                try (WriteBatch fromRep = new WriteBatch(rep.toArray())) {
                    assertThat(fromRep.count()).isEqualTo(6).isEqualTo(rep.count());
                }
                // From a buffer longer than the batch: RocksDB takes the used part.
                assertThat(BatchRep.handsOverWithoutCopy())
                        .as("RocksDB's native WriteBatch(byte[], int) constructor is reachable").isTrue();
                assertThat(rep.capacity()).isGreaterThan(expected.data().length);
                try (WriteBatch handedOver = rep.toWriteBatch()) {
                    assertThat(handedOver.data()).isEqualTo(expected.data());
                }
                // Reused: a second, smaller batch in the same buffer is exactly that batch.
                rep.reset();
                rep.put(defaults.getID(), b("d1"), b("v"));
                try (WriteBatch second = new WriteBatch(); WriteBatch reused = rep.toWriteBatch()) {
                    second.put(defaults, b("d1"), b("v"));
                    assertThat(reused.data()).isEqualTo(second.data());
                    assertThat(reused.count()).isEqualTo(1);
                }
                // A large batch is handed over as the whole (longer) buffer; a small one after it in the same
                // buffer as an exact copy (RocksDB would otherwise copy the whole buffer for a few bytes).
                byte[] large = new byte[BatchRep.COPY_BELOW];
                BatchRep big = new BatchRep(4 * BatchRep.COPY_BELOW);
                big.put(pairs.getID(), b("big"), large);
                assertThat(big.handsOverWhole()).isTrue();
                try (WriteBatch e = new WriteBatch(); WriteBatch handedOver = big.toWriteBatch()) {
                    e.put(pairs, b("big"), large);
                    assertThat(handedOver.data()).isEqualTo(e.data());
                }
                big.reset();
                big.delete(pairs.getID(), b("k2"));
                assertThat(big.handsOverWhole()).isFalse();
                try (WriteBatch e = new WriteBatch(); WriteBatch copied = big.toWriteBatch()) {
                    e.delete(pairs, b("k2"));
                    assertThat(copied.data()).isEqualTo(e.data());
                }
            } finally {
                for (ColumnFamilyHandle h : handles) h.close();
            }
        }
    }
}
