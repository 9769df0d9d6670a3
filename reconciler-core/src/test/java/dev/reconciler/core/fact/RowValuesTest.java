package dev.reconciler.core.fact;

import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RowValuesTest {
    private static final RowValues.Layout LAYOUT = RowValues.Layout.of(List.of("id", "gmt_create", "item_count", "note"));
    private static final Instant T = Instant.parse("2026-11-11T12:00:00.120Z");

    private static Map<String, Object> asMap(Object... values) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", values[0]);
        m.put("gmt_create", values[1]);
        m.put("item_count", values[2]);
        m.put("note", values[3]);
        return m;
    }

    @Test
    void isTheSameMapAsTheColumnsByNameNullsIncluded() {
        RowValues row = RowValues.wrap(LAYOUT, new Object[] {7L, T, 2, null});
        Map<String, Object> byName = asMap(7L, T, 2, null);
        assertThat(row).isEqualTo(byName).hasSameHashCodeAs(byName);
        assertThat(byName).isEqualTo(row);
        assertThat(row.get("item_count")).isEqualTo(2);
        assertThat(row.containsKey("note")).isTrue();
        assertThat(row.get("note")).isNull();
        assertThat(row.containsKey("absent")).isFalse();
        assertThat(row.keySet()).containsExactly("id", "gmt_create", "item_count", "note");
        assertThatThrownBy(() -> row.put("id", 8L)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void aFactKeepsItWithoutCopyingAndItsImageIsTheImageOfTheSameRowByName() {
        RowValues row = RowValues.wrap(LAYOUT, new Object[] {7L, T, 2, null});
        RowId id = new RowId("orders", "t", "7");
        SourcePosition p = new SourcePosition("f", 1, 0);
        Fact fact = new Fact(id, Operation.INSERT, row, null, T, p);
        assertThat(fact.columns()).isSameAs(row);
        Fact byName = new Fact(id, Operation.INSERT, asMap(7L, T, 2, null), null, T, p);
        assertThat(fact).isEqualTo(byName);

        Set<String> keep = new LinkedHashSet<>(List.of("item_count", "absent", "note", "gmt_create"));
        RowImage image = RowImage.of(fact, keep);
        assertThat(image).isEqualTo(RowImage.of(byName, keep));
        assertThat(image.columns().keySet()).containsExactly("item_count", "note", "gmt_create");
        assertThat(image.columns().values()).containsExactly("2", null, "2026-11-11T12:00:00.120Z");
        assertThat(RowImage.of(fact, keep)).as("positions remembered for the set").isEqualTo(image);
        assertThat(RowImage.of(fact, null)).isEqualTo(RowImage.of(byName, null));
    }

    @Test
    void aLayoutNamesEachColumnOnceAndARowHasAValueForEach() {
        assertThatThrownBy(() -> RowValues.Layout.of(List.of("id", "id")))
                .hasMessageContaining("column id appears twice");
        assertThatThrownBy(() -> RowValues.wrap(LAYOUT, new Object[] {1L}))
                .hasMessageContaining("1 values for 4 columns");
    }
}
