package dev.reconciler.core.rule;

import java.time.Duration;
import java.util.Objects;

/**
 * One reconciliation rule: rows of the left side must have a counterpart on the right side with the same key
 * (and agreeing quantity), and the reverse, within {@code grace}.
 *
 * @param quantity null when the rule compares no quantity
 */
public record Rule(String name, SideSpec left, SideSpec right, KeyMapping key, QuantityCheck quantity,
                   Multiplicity multiplicity, Duration grace) {

    public Rule {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(left, "left");
        Objects.requireNonNull(right, "right");
        Objects.requireNonNull(key, "key");
        multiplicity = multiplicity == null ? Multiplicity.ONE_TO_ONE : multiplicity;
        Objects.requireNonNull(grace, "grace");
        if (name.isBlank()) throw new IllegalArgumentException("a rule needs a name");
        if (grace.isNegative()) throw new IllegalArgumentException("rule '" + name + "': grace must be >= 0, was " + grace);
        if (multiplicity == Multiplicity.SUM && quantity == null) {
            throw new IllegalArgumentException("rule '" + name + "': multiplicity SUM adds up quantities,"
                    + " so it needs a quantity check (left and right quantity columns)");
        }
    }

    public SideSpec side(Side side) {
        return side == Side.LEFT ? left : right;
    }

    /** The columns this rule reads on one side: key, filter and quantity columns. */
    public java.util.Set<String> columnsRead(Side side) {
        java.util.Set<String> cols = new java.util.LinkedHashSet<>();
        for (KeyMapping.Part p : key.parts()) cols.add(p.column(side));
        for (Condition c : side(side).filter().all()) cols.add(c.column());
        if (quantity != null) cols.add(quantity.column(side));
        return cols;
    }
}
