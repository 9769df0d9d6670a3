package dev.reconciler.core.match;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.testing.EngineTestDriver;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.config;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing of the normalize layer: canonical values, quantities and the engine's preparation and application of rows
 * whose columns hold anything a database (or a bug) can put there. Nothing throws; a row either takes part in its
 * pair with a bounded quantity, or is quarantined with a reason.
 */
class PoisonRowProperties {

    @Provide
    Arbitrary<String> numberish() {
        Arbitrary<String> digits = Arbitraries.strings().withChars("0123456789").ofMinLength(1).ofMaxLength(400);
        Arbitrary<String> exponent = Arbitraries.integers().between(-1_000_000_000, 1_000_000_000).map(i -> "e" + i);
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(200),
                Arbitraries.strings().withChars("0123456789+-.eE ").ofMaxLength(40),
                Arbitraries.of("NaN", "-NaN", "Infinity", "-Infinity", "1e999999999", "1e99999999", "1e400", "-0",
                        "0e-999999999", ".5", "5.", "+1", " 7 ", "1_000", "0x10", "１２"),
                digits,
                Arbitraries.strings().withChars("-").ofMaxLength(1).flatMap(sign -> digits.map(d -> sign + d)),
                digits.flatMap(d -> exponent.map(e -> d + e)));
    }

    @Property(tries = 2000)
    void aQuantityIsBoundedOrHasAReason(@ForAll("numberish") String text) {
        String canonical = Values.canonical(text);
        BigDecimal q = Values.quantity(canonical);
        if (q == null) {
            assertThat(Values.quantityProblem(canonical)).isNotNull();
        } else {
            assertThat(Values.quantityProblem(canonical)).isNull();
            BigDecimal s = q.stripTrailingZeros();
            assertThat((long) s.precision() - s.scale()).isLessThanOrEqualTo(Values.QUANTITY_MAX_INTEGER_DIGITS);
            assertThat(s.scale()).isLessThanOrEqualTo(Values.QUANTITY_MAX_SCALE);
            // What the engine does with two quantities cannot throw.
            assertThat(q.subtract(q.negate()).add(q).signum()).isEqualTo(q.signum());
        }
    }

    @Provide
    Arbitrary<Object> anyValue() {
        return Arbitraries.oneOf(
                numberish().map(s -> (Object) s),
                Arbitraries.just(null),
                Arbitraries.longs().map(l -> (Object) l),
                Arbitraries.integers().map(i -> (Object) i),
                Arbitraries.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, -0.0, 1e308, 4.9e-324)
                        .map(d -> (Object) d),
                Arbitraries.doubles().map(d -> (Object) d),
                Arbitraries.floats().map(f -> (Object) f),
                net.jqwik.api.Combinators.combine(
                        Arbitraries.bigIntegers().between(BigInteger.TEN.pow(100).negate(), BigInteger.TEN.pow(100)),
                        Arbitraries.integers().between(-50, 50)).as((b, scale) -> (Object) new BigDecimal(b, scale)),
                Arbitraries.of(Boolean.TRUE, Boolean.FALSE).map(b -> (Object) b),
                Arbitraries.longs().between(-100_000_000_000L, 100_000_000_000L).map(s -> (Object) Instant.ofEpochSecond(s)),
                Arbitraries.of("O1", " O1 ", "o1", "caf\u00e9", "cafe\u0301", "", " ", "\t").map(s -> (Object) s));
    }

    /** A row of one of the flow tables with every column drawn from {@link #anyValue}, now and then a good one. */
    @Provide
    Arbitrary<List<Map<String, Object>>> rows() {
        Arbitrary<Map<String, Object>> row = Arbitraries.integers().between(0, 1).flatMap(table ->
                anyValue().list().ofSize(6).map(v -> {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("table", table);
                    if (table == 0) {
                        m.put("order_id", v.get(0));
                        m.put("goods_id", v.get(1));
                        m.put("goods_type", "COLLECTION");
                        m.put("stream_type", v.get(2) instanceof Boolean ? v.get(2) : "CONFIRM");
                        m.put("order_state", "CONFIRM");
                        m.put("item_count", v.get(3));
                        m.put("deleted", v.get(4) instanceof Long ? v.get(4) : 0);
                    } else {
                        m.put("identifier", v.get(0));
                        m.put("collection_id", v.get(1));
                        m.put("stream_type", v.get(2) instanceof Boolean ? v.get(2) : "TRY_SALE");
                        m.put("changed_quantity", v.get(3));
                        m.put("deleted", v.get(4) instanceof Long ? v.get(4) : 0);
                    }
                    return m;
                }));
        return row.list().ofMinSize(1).ofMaxSize(20);
    }

    @Property(tries = 300)
    void noRowMakesTheEngineThrowAndEachIsJudgedOrQuarantined(@ForAll("rows") List<Map<String, Object>> rows,
                                                              @ForAll @Size(max = 3) List<Integer> updates) {
        try (EngineTestDriver d = new EngineTestDriver(config(Duration.ofSeconds(5)))) {
            List<Fact> facts = new ArrayList<>();
            long id = 1;
            for (Map<String, Object> r : rows) {
                Map<String, Object> row = new LinkedHashMap<>(r);
                boolean order = (Integer) row.remove("table") == 0;
                row.put("id", id++);
                facts.add(d.fact(order ? ORDERS : INVENTORY, order ? shard(0) : INVENTORY_TABLE, Operation.INSERT, row,
                        null, T0));
            }
            for (int u : updates) {
                Fact f = facts.get(Math.floorMod(u, facts.size()));
                Map<String, Object> after = new LinkedHashMap<>(f.columns());
                after.put(f.table().equals(INVENTORY_TABLE) ? "changed_quantity" : "item_count", "1e999999999");
                facts.add(d.fact(f.source(), f.table(), Operation.UPDATE, after, f.columns(), T0.plusSeconds(1)));
            }
            List<Outcome> out = d.pipe(facts);
            out = new ArrayList<>(out);
            out.addAll(d.watermarkAll(T0.plusSeconds(3600)));
            List<Quarantined> quarantined = out.stream().filter(o -> o instanceof Outcome.FactQuarantined)
                    .map(o -> ((Outcome.FactQuarantined) o).fact()).toList();
            // A quarantined row is never a failure of the engine.
            assertThat(quarantined).noneMatch(q -> q.reason() == dev.reconciler.core.fact.QuarantineReason.INTERNAL_ERROR);
            // Every matched pair's rows have numeric, equal quantities (never a wrong match).
            for (Outcome o : out) {
                if (o instanceof Outcome.PairMatched m) {
                    BigDecimal l = Values.quantity(m.left().get(0).column("item_count"));
                    BigDecimal r = Values.quantity(m.right().get(0).column("changed_quantity"));
                    assertThat(l).isNotNull();
                    assertThat(r).isNotNull();
                    assertThat(l.compareTo(r)).isZero();
                }
            }
            assertThat(d.engine().pending("sale", Side.LEFT)).isGreaterThanOrEqualTo(0);
        }
    }
}
