package dev.reconciler.core.rule;

import java.math.BigDecimal;
import java.util.Objects;

/**
 * Compares a quantity column of each side, e.g. {@code item_count ↔ changed_quantity}. Two quantities agree when
 * {@code |right - left| <= tolerance} (exact by default).
 */
public record QuantityCheck(String leftColumn, String rightColumn, BigDecimal tolerance) {
    public QuantityCheck {
        Objects.requireNonNull(leftColumn, "leftColumn");
        Objects.requireNonNull(rightColumn, "rightColumn");
        tolerance = tolerance == null ? BigDecimal.ZERO : tolerance;
        if (tolerance.signum() < 0) {
            throw new IllegalArgumentException("quantity tolerance must be >= 0, was " + tolerance);
        }
    }

    public static QuantityCheck exact(String leftColumn, String rightColumn) {
        return new QuantityCheck(leftColumn, rightColumn, BigDecimal.ZERO);
    }

    public String column(Side side) {
        return side == Side.LEFT ? leftColumn : rightColumn;
    }

    public boolean agree(BigDecimal left, BigDecimal right) {
        return right.subtract(left).abs().compareTo(tolerance) <= 0;
    }
}
