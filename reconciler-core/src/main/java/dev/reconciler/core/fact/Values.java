package dev.reconciler.core.fact;

import java.math.BigDecimal;
import java.time.Instant;

/**
 * Canonical text of column values. Keys and filters compare values as text after trimming, because one side of a
 * pair is often {@code varchar} and the other {@code bigint} ({@code goods_id ↔ collection_id}); decimals lose
 * trailing zeros so that {@code 2.000000} equals {@code 2}.
 */
public final class Values {
    private Values() {
    }

    /** The canonical text of a value, or null for SQL NULL. */
    public static String canonical(Object value) {
        if (value == null) return null;
        if (value instanceof String s) return s.trim();
        if (value instanceof BigDecimal d) return plain(d);
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            // NaN and the infinities have no decimal form (BigDecimal.valueOf throws): their Java names as text.
            return Double.isFinite(d) ? plain(BigDecimal.valueOf(d)) : Double.toString(d);
        }
        if (value instanceof Number n) return n.toString();
        if (value instanceof Boolean b) return b ? "1" : "0";
        if (value instanceof Instant i) return iso(i);
        return value.toString().trim();
    }

    /**
     * Bounds of a quantity. Wider than any SQL column a quantity comes from (MariaDB's widest DECIMAL has 65 digits, 30
     * of them decimals; a BIGINT 20 characters), and narrow enough that sums and differences stay cheap: without them
     * {@code 1e999999999}, which BigDecimal parses, makes a subtraction throw and {@code 1e99999999} builds a number
     * of a hundred million digits.
     */
    public static final int QUANTITY_MAX_TEXT = 100;
    public static final int QUANTITY_MAX_INTEGER_DIGITS = 40;
    public static final int QUANTITY_MAX_SCALE = 30;
    /** The most characters the columns a rule keeps of one row may add up to (see QuarantineReason.ROW_TOO_LARGE). */
    public static final int MAX_IMAGE_CHARS = 65_536;

    /**
     * Parses a canonical quantity, or returns null when the text is missing, not a number, or a number beyond the
     * bounds above ({@link #quantityProblem} says which).
     */
    public static BigDecimal quantity(String canonical) {
        if (canonical == null || canonical.isEmpty()) return null;
        // The common case, a small whole number ("1", "-2"), without BigDecimal's general parser.
        int n = canonical.length();
        if (n <= 18) {
            boolean negative = canonical.charAt(0) == '-';
            int i = negative ? 1 : 0;
            if (i < n) {
                long v = 0;
                for (; i < n; i++) {
                    char c = canonical.charAt(i);
                    if (c < '0' || c > '9') break;
                    v = v * 10 + (c - '0');
                }
                if (i == n) return BigDecimal.valueOf(negative ? -v : v);
            }
        }
        if (n > QUANTITY_MAX_TEXT) return null;
        try {
            BigDecimal d = new BigDecimal(canonical);
            return inRange(d) ? d : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Integer digits and decimal places within bounds; computed without expanding the number. */
    private static boolean inRange(BigDecimal d) {
        if (d.signum() == 0) return true;
        BigDecimal s = d.stripTrailingZeros();
        long integerDigits = (long) s.precision() - s.scale();
        return integerDigits <= QUANTITY_MAX_INTEGER_DIGITS && s.scale() <= QUANTITY_MAX_SCALE;
    }

    /**
     * Why {@link #quantity} returns null for this text: {@link QuarantineReason#QUANTITY_MISSING} (null or blank),
     * {@link QuarantineReason#QUANTITY_NOT_A_NUMBER} or {@link QuarantineReason#QUANTITY_OUT_OF_RANGE}; null when
     * it is a quantity.
     */
    public static QuarantineReason quantityProblem(String canonical) {
        if (canonical == null || canonical.isEmpty()) return QuarantineReason.QUANTITY_MISSING;
        if (quantity(canonical) != null) return null;
        if (canonical.length() > QUANTITY_MAX_TEXT) {
            // Too long to parse cheaply: a run of digits (with sign, point, exponent) is a number out of range.
            for (int i = 0; i < canonical.length(); i++) {
                char c = canonical.charAt(i);
                if (!(c >= '0' && c <= '9' || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E')) {
                    return QuarantineReason.QUANTITY_NOT_A_NUMBER;
                }
            }
            return QuarantineReason.QUANTITY_OUT_OF_RANGE;
        }
        try {
            new BigDecimal(canonical);
            return QuarantineReason.QUANTITY_OUT_OF_RANGE;
        } catch (NumberFormatException e) {
            return QuarantineReason.QUANTITY_NOT_A_NUMBER;
        }
    }

    private static final long YEAR_0 = -62167219200L;       // 0000-01-01T00:00:00Z
    private static final long YEAR_10000 = 253402300800L;   // 10000-01-01T00:00:00Z

    /**
     * The same text as {@link Instant#toString()} (ISO-8601, UTC, fraction in groups of three digits), written
     * directly: rows carry timestamps (gmt_create, gmt_modified) and the formatter machinery behind
     * {@code toString} was a tenth of the engine's time per fact.
     */
    public static String iso(Instant t) {
        long sec = t.getEpochSecond();
        if (sec < YEAR_0 || sec >= YEAR_10000) return t.toString();
        java.time.LocalDate d = java.time.LocalDate.ofEpochDay(Math.floorDiv(sec, 86_400L));
        int sod = (int) Math.floorMod(sec, 86_400L);
        byte[] b = new byte[30];
        int i = digits(b, 0, d.getYear(), 4);
        b[i++] = '-';
        i = digits(b, i, d.getMonthValue(), 2);
        b[i++] = '-';
        i = digits(b, i, d.getDayOfMonth(), 2);
        b[i++] = 'T';
        i = digits(b, i, sod / 3600, 2);
        b[i++] = ':';
        i = digits(b, i, sod / 60 % 60, 2);
        b[i++] = ':';
        i = digits(b, i, sod % 60, 2);
        int nano = t.getNano();
        if (nano != 0) {
            b[i++] = '.';
            if (nano % 1_000_000 == 0) i = digits(b, i, nano / 1_000_000, 3);
            else if (nano % 1000 == 0) i = digits(b, i, nano / 1000, 6);
            else i = digits(b, i, nano, 9);
        }
        b[i++] = 'Z';
        return new String(b, 0, i, java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** Writes {@code v} as exactly {@code width} decimal digits, zero-padded; returns the next index. */
    private static int digits(byte[] b, int at, int v, int width) {
        for (int k = at + width - 1; k >= at; k--) {
            b[k] = (byte) ('0' + v % 10);
            v /= 10;
        }
        return at + width;
    }

    public static String plain(BigDecimal d) {
        if (d.signum() == 0) return "0";
        return d.stripTrailingZeros().toPlainString();
    }
}
