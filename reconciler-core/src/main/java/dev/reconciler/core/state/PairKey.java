package dev.reconciler.core.state;

import java.util.List;
import java.util.Objects;

/**
 * The unit of state: one rule and one key value tuple (e.g. {@code sale}, {@code [O123, 42]}). Everything the
 * engine stores is reached through it, so the state can be partitioned by it (Kafka Streams style).
 */
public record PairKey(String rule, List<String> values) {
    public PairKey {
        Objects.requireNonNull(rule, "rule");
        values = List.copyOf(values);
    }

    @Override
    public String toString() {
        return rule + values;
    }
}
