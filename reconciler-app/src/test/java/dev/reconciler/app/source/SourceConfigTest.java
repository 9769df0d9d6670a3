package dev.reconciler.app.source;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SourceConfigTest {

    static SourceConfig source(SourceConfig.Snapshot snapshot) {
        return new SourceConfig("orders", SourceConfig.Flavour.MARIADB, "127.0.0.1", 3306, "reader", "secret",
                List.of("orders"), List.of("orders\\.t_\\d+"), 7001, snapshot, null, null);
    }

    @Test
    void theLookBackColumnDefaultsToGmtModified() {
        SourceConfig s = source(SourceConfig.Snapshot.INITIAL).withSnapshotLookback(Duration.ofDays(2), null);
        assertThat(s.snapshotLookback()).isEqualTo(Duration.ofDays(2));
        assertThat(s.snapshotLookbackColumn()).isEqualTo("gmt_modified");
        assertThat(source(SourceConfig.Snapshot.INITIAL).snapshotLookback()).isNull();
    }

    @Test
    void aLookBackWithoutASnapshotOrNotPositiveOrOnAnOddColumnIsRefusedWithTheFix() {
        assertThatThrownBy(() -> source(SourceConfig.Snapshot.FROM_NOW).withSnapshotLookback(Duration.ofDays(2), null))
                .hasMessage("source orders: snapshotLookback only applies to the initial snapshot, but snapshot is"
                        + " FROM_NOW; remove snapshotLookback or use snapshot initial");
        assertThatThrownBy(() -> source(SourceConfig.Snapshot.INITIAL).withSnapshotLookback(Duration.ZERO, null))
                .hasMessage("source orders: snapshotLookback must be positive, was PT0S; remove it to read every row");
        assertThatThrownBy(() -> source(SourceConfig.Snapshot.INITIAL)
                .withSnapshotLookback(Duration.ofDays(2), "gmt_modified` > 0 OR `1"))
                .hasMessageStartingWith("source orders: snapshotLookbackColumn 'gmt_modified` > 0 OR `1' is not a plain"
                        + " column name");
    }

    @Test
    void thePasswordIsNotInItsText() {
        assertThat(source(SourceConfig.Snapshot.INITIAL).toString()).doesNotContain("secret");
    }
}
