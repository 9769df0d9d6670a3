package dev.reconciler.core.rule;

import java.util.List;
import java.util.Objects;

/**
 * The composite key that pairs a left row with right rows, e.g. {@code order_id ↔ identifier} and
 * {@code goods_id ↔ collection_id}. Values are compared as canonical text after trimming.
 */
public record KeyMapping(List<Part> parts) {

    /**
     * One component of the key.
     *
     * @param name        the name the key is shown under in outcomes and the API (defaults to the left column)
     * @param leftColumn  the column on the left side
     * @param rightColumn the column on the right side
     */
    public record Part(String name, String leftColumn, String rightColumn) {
        public Part {
            Objects.requireNonNull(leftColumn, "leftColumn");
            Objects.requireNonNull(rightColumn, "rightColumn");
            if (name == null || name.isBlank()) name = leftColumn;
        }

        public String column(Side side) {
            return side == Side.LEFT ? leftColumn : rightColumn;
        }
    }

    public KeyMapping {
        parts = List.copyOf(parts);
        if (parts.isEmpty()) throw new IllegalArgumentException("a key mapping needs at least one column pair");
    }

    public static KeyMapping of(String leftColumn, String rightColumn) {
        return new KeyMapping(List.of(new Part(leftColumn, leftColumn, rightColumn)));
    }

    public KeyMapping and(String leftColumn, String rightColumn) {
        var p = new java.util.ArrayList<>(parts);
        p.add(new Part(leftColumn, leftColumn, rightColumn));
        return new KeyMapping(p);
    }

    public List<String> names() {
        return parts.stream().map(Part::name).toList();
    }
}
