package dev.reconciler.core.state.rocksdb;

import java.util.Arrays;

/**
 * A RocksDB write batch in its serialized form, built in Java and handed to RocksDB in one JNI call
 * ({@code new WriteBatch(byte[])}) instead of one call, and two array copies, per key: a batch of a thousand facts
 * writes some 2,500 keys.
 *
 * <p>The layout is RocksDB's own ({@code db/write_batch.cc}, the form {@code WriteBatch::Data()} returns and
 * replication relies on): a fixed64 sequence number (0: RocksDB assigns it), a fixed32 record count, then per
 * record a type byte, the column family id as a varint32 (omitted for the default family, which has its own type
 * bytes), the key and, for a put, the value, each as a varint32 length and the bytes. The store's contract tests
 * read back every kind of record written this way, so a change of layout in a RocksDB upgrade fails the build.
 */
final class BatchRep {
    private static final int HEADER = 12;
    // ValueType in db/dbformat.h
    private static final byte DELETION = 0x0;
    private static final byte VALUE = 0x1;
    private static final byte CF_DELETION = 0x4;
    private static final byte CF_VALUE = 0x5;
    private static final byte SINGLE_DELETION = 0x7;
    private static final byte CF_SINGLE_DELETION = 0x8;

    private byte[] buf;
    private int len = HEADER;
    private int count;

    BatchRep(int capacity) {
        buf = new byte[Math.max(HEADER + 16, capacity)];
    }

    void put(int cf, byte[] key, byte[] value) {
        record(cf, VALUE, CF_VALUE, key);
        bytes(value);
    }

    void delete(int cf, byte[] key) {
        record(cf, DELETION, CF_DELETION, key);
    }

    void singleDelete(int cf, byte[] key) {
        record(cf, SINGLE_DELETION, CF_SINGLE_DELETION, key);
    }

    int count() {
        return count;
    }

    /** The serialized batch. */
    byte[] toArray() {
        byte[] out = Arrays.copyOf(buf, len);
        for (int i = 0; i < 4; i++) out[8 + i] = (byte) (count >>> (8 * i));   // fixed32, little-endian
        return out;
    }

    private void record(int cf, byte defaultType, byte cfType, byte[] key) {
        if (cf == 0) {
            b(defaultType);
        } else {
            b(cfType);
            varint(cf);
        }
        bytes(key);
        count++;
    }

    private void bytes(byte[] b) {
        varint(b.length);
        ensure(b.length);
        System.arraycopy(b, 0, buf, len, b.length);
        len += b.length;
    }

    private void b(byte v) {
        ensure(1);
        buf[len++] = v;
    }

    private void varint(int v) {
        ensure(5);
        while ((v & ~0x7F) != 0) {
            buf[len++] = (byte) ((v & 0x7F) | 0x80);
            v >>>= 7;
        }
        buf[len++] = (byte) v;
    }

    private void ensure(int more) {
        if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
    }
}
