package dev.reconciler.core.state;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The primitives of the value format: varints, strings as varint length + UTF-8 (the JDK's fast path for ASCII,
 * unlike {@code DataOutputStream.writeUTF}), instants as varint seconds + nanos. Not thread-safe.
 */
final class Bytes {
    private Bytes() {
    }

    static final class Writer {
        private byte[] buf;
        private int len;

        Writer(int capacity) {
            buf = new byte[capacity];
        }

        byte[] toArray() {
            return Arrays.copyOf(buf, len);
        }

        /** Empties the writer, keeping its buffer (a reused scratch writer). */
        void reset() {
            len = 0;
        }

        /** The buffer; its first {@link #length()} bytes are what was written. */
        byte[] buffer() {
            return buf;
        }

        int length() {
            return len;
        }

        private void ensure(int more) {
            if (len + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + more));
        }

        Writer b(int v) {
            ensure(1);
            buf[len++] = (byte) v;
            return this;
        }

        Writer bool(boolean v) {
            return b(v ? 1 : 0);
        }

        /** Unsigned LEB128. */
        Writer varLong(long v) {
            ensure(10);
            while ((v & ~0x7FL) != 0) {
                buf[len++] = (byte) ((v & 0x7F) | 0x80);
                v >>>= 7;
            }
            buf[len++] = (byte) v;
            return this;
        }

        /** Zig-zag, for values that may be negative. */
        Writer signedVarLong(long v) {
            return varLong((v << 1) ^ (v >> 63));
        }

        Writer string(String s) {
            return text(s, 1, 0);
        }

        /** Length + 1, so 0 stands for null. */
        Writer nullableString(String s) {
            return s == null ? varLong(0) : text(s, 1, 1);
        }

        /**
         * Text whose UTF-8 length shares a varint with a 2-bit tag: {@code (length + 1) << 2 | tag}, then the bytes
         * (see {@link ValueCodec}).
         */
        Writer text(String s, int tag) {
            return text(s, 4, 4 + tag);
        }

        Writer raw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
            return this;
        }

        /**
         * A varint prefix of {@code scale * UTF-8 length + offset}, then the UTF-8 bytes. The common case, a short
         * ASCII string (its UTF-8 is its chars, its prefix one byte), is written without an intermediate byte array.
         */
        private Writer text(String s, int scale, int offset) {
            int n = s.length();
            if ((long) n * scale + offset < 0x80) {
                ensure(1 + n);
                int start = len;
                buf[len++] = (byte) (n * scale + offset);
                int i = 0;
                for (; i < n; i++) {
                    char c = s.charAt(i);
                    if (c >= 0x80) break;
                    buf[len++] = (byte) c;
                }
                if (i == n) return this;
                len = start;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varLong((long) b.length * scale + offset);
            return raw(b);
        }

        Writer instant(Instant t) {
            signedVarLong(t.getEpochSecond());
            return varLong(t.getNano());
        }

        Writer nullableInstant(Instant t) {
            bool(t != null);
            return t == null ? this : instant(t);
        }
    }

    static final class Reader {
        /** Column names and other short repeated strings, shared instead of allocated per decoded row. */
        private static final ConcurrentHashMap<String, String> NAMES = new ConcurrentHashMap<>();
        private static final int MAX_NAMES = 4096;
        private final byte[] buf;
        private int pos;

        Reader(byte[] buf) {
            this(buf, 0);
        }

        /** Reads {@code buf} from {@code from} on. */
        Reader(byte[] buf, int from) {
            this.buf = buf;
            this.pos = from;
        }

        int position() {
            return pos;
        }

        int b() {
            if (pos >= buf.length) throw new IllegalStateException("value ends early at byte " + pos);
            return buf[pos++];
        }

        boolean bool() {
            return b() != 0;
        }

        long varLong() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int x = b();
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) return v;
            }
            throw new IllegalStateException("varint longer than 10 bytes at byte " + pos);
        }

        long signedVarLong() {
            long v = varLong();
            return (v >>> 1) ^ -(v & 1);
        }

        /** Skips {@code n} bytes (a length read already), e.g. a field this release does not know. */
        void skip(int n) {
            if (n < 0 || n > buf.length - pos) throw new IllegalStateException("length " + n + " runs past the value");
            pos += n;
        }

        int length() {
            long n = varLong();
            if (n < 0 || n > buf.length - pos) throw new IllegalStateException("length " + n + " runs past the value");
            return (int) n;
        }

        String string() {
            return text(length());
        }

        /** {@code n} bytes of UTF-8 text (the length was read already). */
        String text(int n) {
            if (n < 0 || n > buf.length - pos) throw new IllegalStateException("length " + n + " runs past the value");
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
        }

        String nullableString() {
            long n = varLong();
            return n == 0 ? null : text((int) Math.min(Integer.MAX_VALUE, n - 1));
        }

        /** A string likely to repeat across rows (a column name): one shared instance per distinct name. */
        String name() {
            String s = string();
            String shared = NAMES.get(s);
            if (shared != null) return shared;
            if (NAMES.size() < MAX_NAMES) NAMES.putIfAbsent(s, s);
            return s;
        }

        Instant instant() {
            long sec = signedVarLong();
            return Instant.ofEpochSecond(sec, varLong());
        }

        Instant nullableInstant() {
            return bool() ? instant() : null;
        }
    }
}
