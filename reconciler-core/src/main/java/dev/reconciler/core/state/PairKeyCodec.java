package dev.reconciler.core.state;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The pair key: {@code rule 0x00 value₁ 0x00 value₂ 0x00 …} — each string's bytes with 0x00 and 0x01 escaped
 * (0x01 0x01 and 0x01 0x02), so keys sort as unsigned bytes in the order of (rule, values) and no value can run
 * into the next. The layout is canonical: a decoded key's bytes are the ones it was decoded from.
 */
public final class PairKeyCodec {
    private PairKeyCodec() {
    }

    /** The key's bytes (cached in the key: do not change the array). */
    public static byte[] pairKey(PairKey key) {
        return key.encoded();
    }

    static byte[] encode(PairKey key) {
        byte[] ascii = asciiPairKey(key);
        if (ascii != null) return ascii;
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        escaped(out, key.rule());
        for (String v : key.values()) escaped(out, v);
        return out.toByteArray();
    }

    /** The common case, written directly: every character ASCII and none of them 0x00 or 0x01 (nothing to escape). */
    private static byte[] asciiPairKey(PairKey key) {
        List<String> values = key.values();
        int n = key.rule().length() + 1;
        for (String v : values) n += v.length() + 1;
        byte[] out = new byte[n];
        int at = asciiPart(out, 0, key.rule());
        for (int i = 0; at >= 0 && i < values.size(); i++) at = asciiPart(out, at, values.get(i));
        return at < 0 ? null : out;
    }

    /** Writes {@code s} and its 0x00 terminator at {@code at}; the next index, or -1 if {@code s} needs escaping. */
    private static int asciiPart(byte[] out, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x02 || c >= 0x80) return -1;
            out[at++] = (byte) c;
        }
        out[at] = 0;
        return at + 1;
    }

    public static PairKey decode(byte[] bytes) {
        return decode(bytes, 0);
    }

    /** The key laid out from {@code from} to the end (a deadline key ends with one). */
    static PairKey decode(byte[] bytes, int from) {
        List<String> parts = new ArrayList<>(3);
        ByteArrayOutputStream cur = new ByteArrayOutputStream(32);
        for (int i = from; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == 0) {
                parts.add(cur.toString(StandardCharsets.UTF_8));
                cur.reset();
            } else if (b == 1) {
                cur.write(bytes[++i] == 1 ? 0 : 1);
            } else {
                cur.write(b);
            }
        }
        // The layout is canonical: the decoded key's bytes are the ones it was decoded from.
        return new PairKey(parts.get(0), parts.subList(1, parts.size()),
                from == 0 ? bytes : Arrays.copyOfRange(bytes, from, bytes.length));
    }

    /** Prefix of every pair key of one rule. */
    public static byte[] rulePrefix(String rule) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        escaped(out, rule);
        return out.toByteArray();
    }

    /** {@code s}'s UTF-8 bytes, escaped, and its 0x00 terminator. */
    static void escaped(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int plain = 0;
        while (plain < b.length && b[plain] != 0 && b[plain] != 1) plain++;
        out.write(b, 0, plain);   // the common case: nothing to escape
        for (int i = plain; i < b.length; i++) {
            byte x = b[i];
            if (x == 0) {
                out.write(1);
                out.write(1);
            } else if (x == 1) {
                out.write(1);
                out.write(2);
            } else {
                out.write(x);
            }
        }
        out.write(0);
    }
}
