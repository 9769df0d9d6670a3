package dev.reconciler.core.state;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The unit of state: one rule and one key value tuple (e.g. {@code sale}, {@code [O123, 42]}). Everything the
 * engine stores is reached through it, so the state can be partitioned by it (Kafka Streams style).
 *
 * <p>A value class rather than a record so that it can keep its hash and its encoded bytes: one key is hashed and
 * encoded several times per fact (read, write, deadline index). The bytes are made with the key, on the thread that
 * makes it (a source's, when the engine prepares facts), and equality compares them: the layout is unambiguous,
 * so equal bytes mean equal rule and values.
 */
public final class PairKey {
    private final String rule;
    private final List<String> values;
    private final int hash;
    private final byte[] encoded;

    public PairKey(String rule, List<String> values) {
        this.rule = Objects.requireNonNull(rule, "rule");
        this.values = List.copyOf(values);
        this.hash = 31 * rule.hashCode() + this.values.hashCode();
        this.encoded = StateCodec.encodePairKey(this);
    }

    /** A key decoded from {@code encoded}, its own bytes (taken, not copied): not encoded again. */
    PairKey(String rule, List<String> values, byte[] encoded) {
        this.rule = Objects.requireNonNull(rule, "rule");
        this.values = List.copyOf(values);
        this.hash = 31 * rule.hashCode() + this.values.hashCode();
        this.encoded = encoded;
    }

    public String rule() {
        return rule;
    }

    public List<String> values() {
        return values;
    }

    /** The key's bytes as {@link StateCodec#pairKey} lays them out. Callers must not change them. */
    byte[] encoded() {
        return encoded;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        return o instanceof PairKey k && hash == k.hash && Arrays.equals(encoded, k.encoded);
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
