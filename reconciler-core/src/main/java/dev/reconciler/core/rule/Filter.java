package dev.reconciler.core.rule;

import dev.reconciler.core.fact.Values;

import java.util.List;
import java.util.Map;

/** Conditions combined with AND. The empty filter matches every row. */
public record Filter(List<Condition> all) {
    public static final Filter ANY = new Filter(List.of());

    public Filter {
        all = List.copyOf(all);
    }

    public static Filter of(Condition... conditions) {
        return new Filter(List.of(conditions));
    }

    public boolean matches(Map<String, Object> row) {
        for (Condition c : all) {
            if (!c.test(Values.canonical(row.get(c.column())))) return false;
        }
        return true;
    }

    /** The same test on a row already in canonical text ({@link Values#canonical}), e.g. a row image's columns. */
    public boolean matchesCanonical(Map<String, String> row) {
        for (Condition c : all) {
            if (!c.test(row.get(c.column()))) return false;
        }
        return true;
    }

    @Override
    public String toString() {
        return all.isEmpty() ? "(any row)" : String.join(" and ", all.stream().map(Condition::toString).toList());
    }
}
