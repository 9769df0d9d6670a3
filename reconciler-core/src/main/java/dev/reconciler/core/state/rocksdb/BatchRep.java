package dev.reconciler.core.state.rocksdb;

import org.rocksdb.WriteBatch;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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
 *
 * <p>One instance is reused for every batch ({@link #reset}) and its buffer is handed to RocksDB with its used
 * length ({@link #toWriteBatch}), without an exact-length copy. A batch of a Debezium batch is 0.5–1.3 MB: with a
 * fresh buffer per batch and a copy of it, each batch made two arrays that G1 (1 MB regions with a 1 GiB heap)
 * allocates as humongous objects, and the reconciler spent seconds of GC per catch-up pass on them (see
 * docs/benchmarks.md, levers). The public {@code new WriteBatch(byte[])} only takes a whole array, so the length
 * is passed to the native constructor it calls ({@code newWriteBatch(byte[], int)}, which copies that many bytes
 * into its own string) through a method handle; if a RocksDB upgrade removes it, the batch falls back to the
 * public constructor and a copy (slower, same result), and {@code BatchRepTest} fails so the upgrade is noticed.
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

    /** {@code newWriteBatch(byte[] serialized, int length)} and {@code WriteBatch(long handle)}, or null. */
    private static final MethodHandle NEW_NATIVE_BATCH;
    private static final MethodHandle WRAP_NATIVE_BATCH;

    static {
        MethodHandle create = null;
        MethodHandle wrap = null;
        try {
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(WriteBatch.class, MethodHandles.lookup());
            create = lookup.findStatic(WriteBatch.class, "newWriteBatch",
                    MethodType.methodType(long.class, byte[].class, int.class));
            wrap = lookup.findConstructor(WriteBatch.class, MethodType.methodType(void.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            create = null;
            wrap = null;
        }
        NEW_NATIVE_BATCH = create;
        WRAP_NATIVE_BATCH = wrap;
    }

    BatchRep(int capacity) {
        buf = new byte[Math.max(HEADER + 16, capacity)];
    }

    /** Whether batches are handed to RocksDB without a copy (the native constructor was found). */
    static boolean handsOverWithoutCopy() {
        return NEW_NATIVE_BATCH != null && WRAP_NATIVE_BATCH != null;
    }

    /** Empties the batch, keeping its buffer for the next one. */
    void reset() {
        len = HEADER;
        count = 0;
    }

    /** Bytes the buffer holds, used or not. */
    int capacity() {
        return buf.length;
    }

    void put(int cf, byte[] key, byte[] value) {
        record(cf, VALUE, CF_VALUE, key);
        bytes(value);
    }

    /** A put whose value is {@code length} bytes of {@code value} from {@code offset}. */
    void put(int cf, byte[] key, byte[] value, int offset, int length) {
        record(cf, VALUE, CF_VALUE, key);
        varint(length);
        ensure(length);
        System.arraycopy(value, offset, buf, len, length);
        len += length;
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

    /** The serialized batch, as a new array of its exact length. */
    byte[] toArray() {
        writeCount();
        return Arrays.copyOf(buf, len);
    }

    /**
     * Below this many bytes a batch is handed over as an exact-length copy, unless it fills half the buffer: the
     * native constructor reads the array with JNI's {@code GetByteArrayElements}, which on HotSpot copies the whole
     * array, used or not. Handing a small batch (a watermark's meta write, a page of deadlines) a buffer grown to
     * the largest batch made RocksDB copy (and malloc) that whole buffer for every small write; this was most of
     * the engine's per-fact regression found in the JMH benchmark (docs/benchmarks.md, "Engine throughput"). A copy
     * of at most this size is never a humongous object (G1's regions are at least 1 MB).
     */
    static final int COPY_BELOW = 256 * 1024;

    /** A RocksDB write batch of these records (the caller closes it); this batch can be reset afterwards. */
    WriteBatch toWriteBatch() {
        if (!handsOverWhole()) return new WriteBatch(toArray());
        writeCount();
        try {
            return (WriteBatch) WRAP_NATIVE_BATCH.invokeExact((long) NEW_NATIVE_BATCH.invokeExact(buf, len));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("RocksDB's native write batch constructor failed", e);
        }
    }

    /**
     * Whether {@link #toWriteBatch} hands RocksDB the whole buffer (else an exact-length copy): when the batch is
     * large or fills at least half the buffer. Either way RocksDB copies at most twice the used bytes, or a small
     * batch's bytes twice.
     */
    boolean handsOverWhole() {
        return handsOverWithoutCopy() && (len >= COPY_BELOW || 2 * len >= buf.length);
    }

    private void writeCount() {
        for (int i = 0; i < 4; i++) buf[8 + i] = (byte) (count >>> (8 * i));   // fixed32, little-endian
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
