package dev.reconciler.core.state;

import dev.reconciler.core.fact.Values;

import java.time.Instant;
import java.time.LocalDate;

/**
 * Column values of stored rows in fewer bytes than their text. Values are canonical text ({@link Values#canonical}),
 * and three kinds of text are common in flow tables and cheap to recognise exactly:
 * <ul>
 *   <li>whole numbers ({@code id}, {@code deleted}, quantities): written as the number;</li>
 *   <li>timestamps in {@link Values#iso} form ({@code gmt_create}, {@code gmt_modified}): epoch seconds and the
 *       fraction;</li>
 *   <li>enum-like constants ({@code CONFIRM}, {@code TRY_SALE}: capital letters and underscores): an id of the
 *       store's {@link NameTable}, like column names.</li>
 * </ul>
 * Everything else is written as text. Each form is chosen only when decoding gives back the same text, character
 * for character, so keys, filters and what people see never change. A flash-sale pair value is about a third
 * smaller, which is that much less to log, flush and compact.
 *
 * <p>Layout: one varint {@code p}; {@code p & 3} is the form and {@code p >>> 2} its payload:
 * 0 text ({@code payload - 1} UTF-8 bytes follow; payload 0 is SQL NULL), 1 whole number (the payload), 2 name id
 * (the payload), 3 timestamp (the payload is epoch seconds, zig-zag encoded; a varint follows: fraction digits {@code << 2 |} the
 * number of three-digit groups).
 */
final class ValueCodec {
    private static final int TEXT = 0;
    private static final int NUMBER = 1;
    private static final int NAME = 2;
    private static final int TIME = 3;
    /** Longer constants are rarely enum values; shorter ones save nothing. */
    private static final int MAX_CONSTANT = 32;

    private ValueCodec() {
    }

    static void write(Bytes.Writer out, String v, NameTable names) {
        write(out, v, names, true);
    }

    /**
     * @param constants whether enum-like text may become a name id; not for identifiers (primary keys), which would
     *                  fill the name table with one entry per row
     */
    static void write(Bytes.Writer out, String v, NameTable names, boolean constants) {
        if (v == null) {
            out.varLong(0);
            return;
        }
        long number = wholeNumber(v);
        if (number >= 0) {
            out.varLong(number << 2 | NUMBER);
            return;
        }
        if (constants && isConstant(v)) {
            int id = names.idOfValue(v);
            if (id > 0) {
                out.varLong((long) id << 2 | NAME);
                return;
            }
        }
        if (writeTime(out, v)) return;
        out.text(v, TEXT);
    }

    static String read(Bytes.Reader in, NameTable names) {
        long p = in.varLong();
        long payload = p >>> 2;
        return switch ((int) (p & 3)) {
            case TEXT -> payload == 0 ? null : in.text((int) Math.min(Integer.MAX_VALUE, payload - 1));
            case NUMBER -> Long.toString(payload);
            case NAME -> names.name((int) payload);
            default -> {
                long fraction = in.varLong();
                int groups = (int) (fraction & 3);
                long digits = fraction >>> 2;
                long nanos = groups == 0 ? 0 : groups == 1 ? digits * 1_000_000 : groups == 2 ? digits * 1000 : digits;
                yield Values.iso(Instant.ofEpochSecond((payload >>> 1) ^ -(payload & 1), nanos));
            }
        };
    }

    /** The value of a canonical non-negative whole number below 2^61 ("0", "42"; not "007", "-1", "1.5"), else -1. */
    static long wholeNumber(String v) {
        int n = v.length();
        if (n == 0 || n > 18 || (n > 1 && v.charAt(0) == '0')) return -1;
        long x = 0;
        for (int i = 0; i < n; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') return -1;
            x = x * 10 + (c - '0');
        }
        return x;
    }

    /** Capital letters and underscores, starting with a letter: an enum constant, not an identifier or a name. */
    static boolean isConstant(String v) {
        int n = v.length();
        if (n < 2 || n > MAX_CONSTANT || v.charAt(0) < 'A' || v.charAt(0) > 'Z') return false;
        for (int i = 1; i < n; i++) {
            char c = v.charAt(i);
            if ((c < 'A' || c > 'Z') && c != '_') return false;
        }
        return true;
    }

    /**
     * Writes {@code v} as a timestamp if it is exactly what {@link Values#iso} writes for some instant:
     * {@code yyyy-MM-ddTHH:mm:ss[.fff|.ffffff|.fffffffff]Z} with the shortest fraction that holds the value.
     */
    private static boolean writeTime(Bytes.Writer out, String v) {
        int n = v.length();
        if (n < 20 || n > 30 || v.charAt(n - 1) != 'Z' || v.charAt(4) != '-' || v.charAt(7) != '-'
                || v.charAt(10) != 'T' || v.charAt(13) != ':' || v.charAt(16) != ':') {
            return false;
        }
        int year = digits(v, 0, 4);
        int month = digits(v, 5, 2);
        int day = digits(v, 8, 2);
        int hour = digits(v, 11, 2);
        int minute = digits(v, 14, 2);
        int second = digits(v, 17, 2);
        if (year < 0 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59
                || second < 0 || second > 59) {
            return false;
        }
        if (day > LocalDate.of(year, month, 1).lengthOfMonth()) return false;
        int groups;
        long fraction;
        if (n == 20) {
            groups = 0;
            fraction = 0;
        } else {
            if (v.charAt(19) != '.') return false;
            int width = n - 21;
            fraction = width == 3 || width == 6 || width == 9 ? digits(v, 20, width) : -1;
            if (fraction < 0) return false;
            groups = width / 3;
            // Only the width Values.iso would choose: no fraction of zero, no trailing group of zeros.
            if (fraction == 0 || (groups > 1 && fraction % 1000 == 0)) return false;
        }
        long epochDay = LocalDate.of(year, month, day).toEpochDay();
        long seconds = epochDay * 86_400L + hour * 3600L + minute * 60L + second;
        long zigZag = (seconds << 1) ^ (seconds >> 63);   // years before 1970 are negative
        out.varLong(zigZag << 2 | TIME);
        out.varLong(fraction << 2 | groups);
        return true;
    }

    /** The decimal number of {@code width} digits at {@code from}, or -1 if one is not a digit. */
    private static int digits(String v, int from, int width) {
        int x = 0;
        for (int i = from; i < from + width; i++) {
            char c = v.charAt(i);
            if (c < '0' || c > '9') return -1;
            x = x * 10 + (c - '0');
        }
        return x;
    }
}
