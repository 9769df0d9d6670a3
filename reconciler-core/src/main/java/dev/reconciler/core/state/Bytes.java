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
            if (ascii(s, 0)) return this;
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varLong(b.length);
            return raw(b);
        }

        /** Length + 1, so 0 stands for null. */
        Writer nullableString(String s) {
            if (s == null) return varLong(0);
            if (ascii(s, 1)) return this;
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            varLong(b.length + 1L);
            return raw(b);
        }

        /**
         * Text whose UTF-8 length shares a varint with a 2-bit tag: {@code (length + 1) << 2 | tag}, then the bytes
         * (see {@link ValueCodec}). Short ASCII text is written directly, with a one-byte prefix.
         */
        Writer text(String s, int tag) {
            int n = s.length();
            if (n < 31) {
                ensure(1 + n);
                int start = len;
                buf[len++] = (byte) ((n + 1) << 2 | tag);
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
            varLong(((long) b.length + 1) << 2 | tag);
            return raw(b);
        }

        Writer raw(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
            return this;
        }

        /**
         * The common case, written without an intermediate byte array: a short ASCII string (its UTF-8 is its
         * chars, its length prefix one byte). Returns false, having written nothing, for anything else.
         */
        private boolean ascii(String s, int lengthBias) {
            int n = s.length();
            if (n + lengthBias >= 0x80) return false;
            ensure(1 + n);
            int start = len;
            buf[len++] = (byte) (n + lengthBias);
            for (int i = 0; i < n; i++) {
                char c = s.charAt(i);
                if (c >= 0x80) {
                    len = start;
                    return false;
                }
                buf[len++] = (byte) c;
            }
            return true;
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
            this.buf = buf;
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

        int length() {
            long n = varLong();
            if (n < 0 || n > buf.length - pos) throw new IllegalStateException("length " + n + " runs past the value");
            return (int) n;
        }

        String string() {
            int n = length();
            String s = new String(buf, pos, n, StandardCharsets.UTF_8);
            pos += n;
            return s;
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
            if (n == 0) return null;
            long len = n - 1;
            if (len > buf.length - pos) throw new IllegalStateException("length " + len + " runs past the value");
            String s = new String(buf, pos, (int) len, StandardCharsets.UTF_8);
            pos += (int) len;
            return s;
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
