package dev.reconciler.core.fact;

import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ColumnsTest {
    @Test
    void keepsOrderAndNullsAndEqualsAnyMapWithTheSameEntries() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("b", "2");
        m.put("a", null);
        m.put("c", "");
        Columns c = Columns.copyOf(m);
        assertThat(c.keySet()).containsExactly("b", "a", "c");
        assertThat(c.get("a")).isNull();
        assertThat(c.containsKey("a")).isTrue();
        assertThat(c.containsKey("z")).isFalse();
        assertThat(c).isEqualTo(m);
        assertThat(m).isEqualTo(c);
        assertThat(c.hashCode()).isEqualTo(m.hashCode());
        assertThat(Columns.copyOf(c)).isSameAs(c);
    }

    @Test
    void cannotBeChanged() {
        Columns c = Columns.of(new String[]{"a"}, new String[]{"1"});
        assertThatThrownBy(() -> c.put("b", "2")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> c.entrySet().iterator().next().setValue("x"))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}
