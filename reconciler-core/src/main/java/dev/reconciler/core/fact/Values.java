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
        if (value instanceof Double || value instanceof Float) return plain(BigDecimal.valueOf(((Number) value).doubleValue()));
        if (value instanceof Number n) return n.toString();
        if (value instanceof Boolean b) return b ? "1" : "0";
        if (value instanceof Instant i) return i.toString();
        return value.toString().trim();
    }

    /** Parses a canonical quantity, or returns null when the text is not a number. */
    public static BigDecimal quantity(String canonical) {
        if (canonical == null || canonical.isEmpty()) return null;
        try {
            return new BigDecimal(canonical);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    public static String plain(BigDecimal d) {
        if (d.signum() == 0) return "0";
        return d.stripTrailingZeros().toPlainString();
    }
}
