package dev.reconciler.app.source;

import org.junit.jupiter.api.Test;

import static dev.reconciler.app.source.HeartbeatTiming.MARGIN_MILLIS;
import static dev.reconciler.app.source.HeartbeatTiming.delayMillis;
import static org.assertj.core.api.Assertions.assertThat;

class HeartbeatTimingTest {
    private static final long T = 1_764_000_000_000L;   // a whole second

    @Test
    void aBeatLandsJustAfterTheDatabasesSecondStartsWhateverTheIntervalsPhase() {
        // one second interval: from anywhere in a second to the next second's start + margin
        assertThat(delayMillis(T + MARGIN_MILLIS, 0, 1000)).isEqualTo(1000);
        assertThat(delayMillis(T + 320, 0, 1000)).isEqualTo(1000 + MARGIN_MILLIS - 320);
        assertThat(delayMillis(T + 999, 0, 1000)).isEqualTo(MARGIN_MILLIS + 1);
        assertThat(delayMillis(T, 0, 1000)).isEqualTo(MARGIN_MILLIS);
    }

    @Test
    void theDatabasesClockPlacesTheBeatNotOurs() {
        // the database is 300 ms ahead: its second starts at our T + 700
        assertThat(delayMillis(T + 100, 300, 1000)).isEqualTo(600 + MARGIN_MILLIS);
        // 300 ms behind: its second starts at our T + 300
        assertThat(delayMillis(T + 100, -300, 1000)).isEqualTo(200 + MARGIN_MILLIS);
    }

    @Test
    void neverFurtherApartThanTheIntervalAndNeverCloserThanASecond() {
        // 5 s: the latest aligned instant within 5 s
        assertThat(delayMillis(T + MARGIN_MILLIS, 0, 5000)).isEqualTo(5000);
        assertThat(delayMillis(T + 700, 0, 5000)).isEqualTo(4000 + MARGIN_MILLIS + 300);
        // 1.5 s rounds down to whole seconds
        assertThat(delayMillis(T + MARGIN_MILLIS, 0, 1500)).isEqualTo(1000);
        // under a second: a second (a second beat in the same second could not move the watermark)
        assertThat(delayMillis(T + MARGIN_MILLIS, 0, 100)).isEqualTo(1000);
        assertThat(delayMillis(T + 500, 0, 500)).isEqualTo(500 + MARGIN_MILLIS);
        for (long now = T; now < T + 3000; now += 7) {
            for (long interval : new long[]{100, 500, 1000, 1500, 5000}) {
                long d = delayMillis(now, 0, interval);
                assertThat(d).isPositive().isLessThanOrEqualTo(Math.max(interval, 1000));
                assertThat(Math.floorMod(now + d, 1000)).isEqualTo(MARGIN_MILLIS);
            }
        }
    }
}
