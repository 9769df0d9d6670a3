package dev.reconciler.core.state;

import java.util.List;
import java.util.Objects;

/**
 * The unit of state: one rule and one key value tuple (e.g. {@code sale}, {@code [O123, 42]}). Everything the
 * engine stores is reached through it, so the state can be partitioned by it (Kafka Streams style).
 *
 * <p>A value class rather than a record so that it can keep its hash and its encoded bytes: one key is hashed and
 * encoded several times per fact (read, write, deadline index).
 */
public final class PairKey {
    private final String rule;
    private final List<String> values;
    private final int hash;
    private byte[] encoded;

    public PairKey(String rule, List<String> values) {
        this.rule = Objects.requireNonNull(rule, "rule");
        this.values = List.copyOf(values);
        this.hash = 31 * rule.hashCode() + this.values.hashCode();
    }

    public String rule() {
        return rule;
    }

    public List<String> values() {
        return values;
    }

    /** The key's bytes as {@link StateCodec#pairKey} lays them out; computed once. Callers must not change them. */
    byte[] encoded() {
        byte[] e = encoded;
        if (e == null) {
            e = StateCodec.encodePairKey(this);
            encoded = e;
        }
        return e;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        return o instanceof PairKey k && hash == k.hash && rule.equals(k.rule) && values.equals(k.values);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return rule + values;
    }
}
