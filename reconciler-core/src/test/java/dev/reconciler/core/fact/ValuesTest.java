package dev.reconciler.core.fact;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ValuesTest {
    @Test
    void canonicalTextMakesVarcharAndBigintKeysComparable() {
        assertThat(Values.canonical(" 42 ")).isEqualTo(Values.canonical(42L));
        assertThat(Values.canonical(new BigDecimal("2.000000"))).isEqualTo("2");
        assertThat(Values.canonical(new BigDecimal("0E-6"))).isEqualTo("0");
        assertThat(Values.canonical(new BigDecimal("1E+3"))).isEqualTo("1000");
        assertThat(Values.canonical(1.5d)).isEqualTo("1.5");
        assertThat(Values.canonical(true)).isEqualTo("1");
        assertThat(Values.canonical(null)).isNull();
    }

    @Test
    void instantsReadExactlyAsInstantToString() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(7);
        java.util.List<java.time.Instant> samples = new java.util.ArrayList<>(java.util.List.of(
                java.time.Instant.EPOCH, java.time.Instant.parse("2026-11-26T08:00:00Z"),
                java.time.Instant.parse("2026-11-26T08:00:00.120Z"), java.time.Instant.parse("1969-12-31T23:59:59.999999999Z"),
                java.time.Instant.parse("0000-01-01T00:00:00Z"), java.time.Instant.parse("9999-12-31T23:59:59.000001Z"),
                java.time.Instant.MIN, java.time.Instant.MAX));
        for (int i = 0; i < 20_000; i++) {
            long sec = r.nextLong(-70_000_000_000L, 260_000_000_000L);
            int nano = switch (i % 4) {
                case 0 -> 0;
                case 1 -> r.nextInt(1000) * 1_000_000;
                case 2 -> r.nextInt(1_000_000) * 1000;
                default -> r.nextInt(1_000_000_000);
            };
            samples.add(java.time.Instant.ofEpochSecond(sec, nano));
        }
        for (java.time.Instant t : samples) assertThat(Values.canonical(t)).isEqualTo(t.toString());
    }

    @Test
    void quantitiesParseOrAreNull() {
        assertThat(Values.quantity("3")).isEqualByComparingTo("3");
        assertThat(Values.quantity("abc")).isNull();
        // the whole-number fast path agrees with BigDecimal's parser, and leaves everything else to it
        for (String q : java.util.List.of("0", "-0", "7", "-2", "007", "999999999999999999", "-99999999999999999",
                "1234567890123456789", "2.5", "-0.001", "+5", "1e3", "1.000000")) {
            assertThat(Values.quantity(q)).as(q).isEqualTo(new java.math.BigDecimal(q));
        }
        assertThat(Values.quantity("-")).isNull();
        assertThat(Values.quantity("1-")).isNull();
        assertThat(Values.quantity(null)).isNull();
    }

    @Test
    void rowIdsOrderNumericKeysAsNumbers() {
        List<RowId> ids = new ArrayList<>(List.of(new RowId("s", "t", "10"), new RowId("s", "t", "9"),
                new RowId("s", "t", "b"), new RowId("s", "a", "99")));
        ids.sort(null);
        assertThat(ids).extracting(RowId::toString).containsExactly("s/a#99", "s/t#9", "s/t#10", "s/t#b");
    }

    @Test
    void positionsOrderByFileThenOffsetThenRow() {
        assertThat(new SourcePosition("bin.000002", 4, 0)).isGreaterThan(new SourcePosition("bin.000001", 900, 5));
        assertThat(new SourcePosition("bin.000001", 4, 1)).isGreaterThan(new SourcePosition("bin.000001", 4, 0));
    }
}
