package dev.reconciler.core.rule;

import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RuleConfigTest {

    @Test
    void everyProblemIsReportedAtOnceWithItsPathAndTheFix() {
        Rule bad = new Rule("sale", new SideSpec("orders", Filter.ANY), new SideSpec("inv", Filter.ANY),
                OrderInventory.key(), null, Multiplicity.ONE_TO_ONE, Duration.ofSeconds(30));
        assertThatThrownBy(() -> new EngineConfig(List.of(OrderInventory.orderStream(), OrderInventory.orderStream()),
                List.of(bad, bad), Duration.ofSeconds(-1), Duration.ZERO, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("streams: 'order_stream' is declared twice")
                .hasMessageContaining("rules: 'sale' is declared twice")
                .hasMessageContaining("rules.sale.left.stream: unknown stream 'orders'; declared streams are [order_stream]")
                .hasMessageContaining("rules.sale.right.stream: unknown stream 'inv'")
                .hasMessageContaining("clockSkew: must be >= 0")
                .hasMessageContaining("stallAfter: must be > 0");
    }

    @Test
    void aSumRuleNeedsAQuantityCheck() {
        assertThatThrownBy(() -> new Rule("split", new SideSpec("a", Filter.ANY), new SideSpec("b", Filter.ANY),
                KeyMapping.of("x", "y"), null, Multiplicity.SUM, Duration.ZERO))
                .hasMessageContaining("rule 'split': multiplicity SUM adds up quantities");
    }

    @Test
    void defaultsAreApplied() {
        EngineConfig c = new EngineConfig(List.of(OrderInventory.orderStream(), OrderInventory.inventoryStream()),
                List.of(OrderInventory.cancel(Duration.ofSeconds(5))));
        assertThat(c.clockSkew()).isEqualTo(EngineConfig.DEFAULT_CLOCK_SKEW);
        assertThat(c.retention()).isEqualTo(Duration.ofDays(7));
        assertThat(c.sources()).containsExactly("inventory", "orders");
    }

    @Test
    void streamsSelectShardsByRegexAcrossSources() {
        StreamDef s = new StreamDef("orders", List.of(
                StreamDef.TableSelector.of("db1", "trade_order_stream_\\d{4}"),
                StreamDef.TableSelector.of("db2", "trade_order_stream_\\d{4}")), null);
        assertThat(s.contains("db1", "trade_order_stream_0003")).isTrue();
        assertThat(s.contains("db2", "trade_order_stream_0100")).isTrue();
        assertThat(s.contains("db1", "trade_order_stream_archive")).isFalse();
        assertThat(s.contains("db3", "trade_order_stream_0001")).isFalse();
        assertThat(s.sources()).containsExactly("db1", "db2");
    }

    @Test
    void aStreamKeepsItsDeclaredColumnsPlusEveryColumnARuleReads() {
        EngineConfig c = new EngineConfig(
                List.of(OrderInventory.orderStream().keeping(List.of("id", "gmt_create")),
                        StreamDef.of("inventory_stream", "inventory", "collection_inventory_stream")),
                List.of(OrderInventory.sale(Duration.ZERO, Multiplicity.ONE_TO_ONE)));
        assertThat(c.columnsKept(c.stream("order_stream").orElseThrow())).containsExactlyInAnyOrder(
                "id", "gmt_create", "order_id", "goods_id", "order_state", "goods_type", "deleted", "item_count");
        assertThat(c.columnsKept(c.stream("inventory_stream").orElseThrow())).as("keeps all").isNull();
    }

    @Test
    void filtersCompareCanonicalTextAndTreatNullAsMatchingNothing() {
        Filter f = Filter.of(Condition.eq("deleted", 0), Condition.in("stream_type", "TRY_SALE", "UNFREEZE_AND_SALE"),
                Condition.ne("state", "FROZEN"));
        Map<String, Object> row = new HashMap<>(Map.of("deleted", 0L, "stream_type", " TRY_SALE ", "state", "OK"));
        assertThat(f.matches(row)).isTrue();
        row.put("deleted", Boolean.FALSE);
        assertThat(f.matches(row)).as("tinyint(1) read as boolean").isTrue();
        row.put("state", "FROZEN");
        assertThat(f.matches(row)).isFalse();
        row.put("state", null);
        assertThat(f.matches(row)).as("NULL is not 'not equal' to a value").isFalse();
        row.put("state", "OK");
        row.remove("stream_type");
        assertThat(f.matches(row)).isFalse();
        assertThat(Filter.ANY.matches(Map.of())).isTrue();
    }

    @Test
    void toleranceIsAbsolute() {
        QuantityCheck q = new QuantityCheck("a", "b", new BigDecimal("0.5"));
        assertThat(q.agree(new BigDecimal("2"), new BigDecimal("2.5"))).isTrue();
        assertThat(q.agree(new BigDecimal("2"), new BigDecimal("1.4"))).isFalse();
        assertThatThrownBy(() -> new QuantityCheck("a", "b", new BigDecimal("-1")))
                .hasMessageContaining("tolerance must be >= 0");
    }
}
