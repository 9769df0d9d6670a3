package dev.reconciler.core.rule;

import dev.reconciler.core.fact.Values;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * One test on one column of a row image, on the column's canonical text ({@link Values#canonical}). A missing
 * column or SQL NULL equals nothing, is in no set, and is "not equal" to every value (SQL would say unknown;
 * a flow row without the column cannot be meant by a filter that names a value).
 */
public sealed interface Condition {
    String column();

    boolean test(String canonicalValue);

    record Equals(String column, String value) implements Condition {
        public Equals {
            Objects.requireNonNull(column, "column");
            value = Values.canonical(Objects.requireNonNull(value, "value"));
        }

        @Override
        public boolean test(String v) {
            return value.equals(v);
        }

        @Override
        public String toString() {
            return column + " = " + value;
        }
    }

    record In(String column, Set<String> values) implements Condition {
        public In {
            Objects.requireNonNull(column, "column");
            values = values.stream().map(Values::canonical).collect(Collectors.toUnmodifiableSet());
            if (values.isEmpty()) {
                throw new IllegalArgumentException("filter on '" + column + "': 'in' needs at least one value");
            }
        }

        @Override
        public boolean test(String v) {
            return v != null && values.contains(v);
        }

        @Override
        public String toString() {
            return column + " in " + values.stream().sorted().toList();
        }
    }

    record NotEquals(String column, String value) implements Condition {
        public NotEquals {
            Objects.requireNonNull(column, "column");
            value = Values.canonical(Objects.requireNonNull(value, "value"));
        }

        @Override
        public boolean test(String v) {
            return v != null && !value.equals(v);
        }

        @Override
        public String toString() {
            return column + " != " + value;
        }
    }

    static Condition eq(String column, Object value) {
        return new Equals(column, Values.canonical(value));
    }

    static Condition in(String column, Object... values) {
        return new In(column, List.of(values).stream().map(Values::canonical).collect(Collectors.toSet()));
    }

    static Condition ne(String column, Object value) {
        return new NotEquals(column, Values.canonical(value));
    }
}
