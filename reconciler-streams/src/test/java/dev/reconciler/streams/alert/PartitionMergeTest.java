package dev.reconciler.streams.alert;

import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** N engine tasks' reports read as one engine's: one stall, one recovery, one pause, one gap. */
class PartitionMergeTest {
    private static final Instant T = Instant.parse("2026-11-26T08:00:00Z");
    private final PartitionMerge merge = new PartitionMerge();

    private static Outcome.SourceStalled stalled(Instant detected) {
        return new Outcome.SourceStalled("orders", T, Duration.ofMinutes(2), detected);
    }

    private static Outcome.SourceRecovered recovered(Instant watermark) {
        return new Outcome.SourceRecovered("orders", watermark, watermark);
    }

    private boolean pass(int partition, Outcome o) {
        return merge.pass(partition, "k", o);
    }

    @Test
    void aStallIsSentWhenTheFirstPartitionReportsItAndItsRecoveryWhenTheLastOneDoes() {
        assertThat(pass(0, stalled(T.plusSeconds(120)))).isTrue();
        assertThat(pass(1, stalled(T.plusSeconds(121)))).isFalse();
        assertThat(pass(2, stalled(T.plusSeconds(121)))).isFalse();
        assertThat(pass(0, recovered(T.plusSeconds(130)))).as("partitions 1 and 2 still wait on it").isFalse();
        assertThat(pass(2, recovered(T.plusSeconds(130)))).isFalse();
        assertThat(pass(1, recovered(T.plusSeconds(131)))).isTrue();
        assertThat(pass(1, recovered(T.plusSeconds(131)))).as("a duplicate").isFalse();

        assertThat(pass(2, stalled(T.plusSeconds(600)))).as("a new stall").isTrue();
        assertThat(pass(2, recovered(T.plusSeconds(700)))).isTrue();
    }

    @Test
    void aPartitionReadBehindTheOthersDoesNotReopenAnEndedStall() {
        // Partition 0 is read up to the recovery before partition 1's records are read at all.
        assertThat(pass(0, stalled(T.plusSeconds(120)))).isTrue();
        assertThat(pass(0, recovered(T.plusSeconds(130)))).isTrue();
        assertThat(pass(1, stalled(T.plusSeconds(121)))).as("decided before the recovery: the same stall").isFalse();
        assertThat(pass(1, recovered(T.plusSeconds(131)))).isFalse();
    }

    @Test
    void aRecoveryWithNoStallKnownSinceTheStartIsSentOnce() {
        // After a failover, the stall was delivered by the previous alerter and its records are behind the offsets.
        assertThat(pass(0, recovered(T))).isTrue();
        assertThat(pass(1, recovered(T))).isFalse();
        assertThat(pass(3, recovered(T))).isFalse();
    }

    @Test
    void aRuleIsPausedOnceAndResumedWhenEveryPartitionThatPausedItResumed() {
        var paused = new Outcome.RulePaused("sale", Side.LEFT, "orders", "t1", "item_count",
                new SourcePosition("bin.000001", 4, 0), T);
        var resumed = new Outcome.RuleResumed("sale", Side.LEFT, "orders", "t1", "item_count",
                Outcome.RuleResumed.Why.COLUMN_BACK, new SourcePosition("bin.000001", 9, 0), T, 3, T.plusSeconds(9));
        var otherColumn = new Outcome.RulePaused("sale", Side.LEFT, "orders", "t1", "goods_id",
                new SourcePosition("bin.000001", 4, 0), T);
        assertThat(pass(0, paused)).isTrue();
        assertThat(pass(3, paused)).isFalse();
        assertThat(pass(1, otherColumn)).as("another column is another pause").isTrue();
        assertThat(pass(0, resumed)).isFalse();
        assertThat(pass(3, resumed)).isTrue();
    }

    @Test
    void aCoverageGapReportedByEveryPartitionIsOneEvent() {
        var gap = new Outcome.CoverageGap("orders", T, T.plusSeconds(60), "binlog purged", T.plusSeconds(61));
        assertThat(merge.pass(0, "source/orders/gap/a/b", gap)).isTrue();
        assertThat(merge.pass(1, "source/orders/gap/a/b", gap)).isFalse();
        assertThat(merge.pass(1, "source/orders/gap/b/c", gap)).isTrue();
    }
}
