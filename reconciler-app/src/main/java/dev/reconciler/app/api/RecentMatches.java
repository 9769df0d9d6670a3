package dev.reconciler.app.api;

import dev.reconciler.core.outcome.Outcome;

import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Matches per rule over the last minute, for {@code /api/status} ({@code matchesPerMinute}) and the console: 60
 * one-second buckets per rule, filled from the engine's outcomes (a pipeline listener, on the engine thread) and read
 * by API threads. Counted since this process started: right after a start it covers less than a minute, and says so
 * ({@link #coveredSeconds}).
 */
final class RecentMatches {
    static final int SECONDS = 60;

    private final InstantSource clock;
    private final long startedSecond;
    private final Map<String, long[]> counts = new HashMap<>();
    private final Map<String, long[]> seconds = new HashMap<>();

    RecentMatches(InstantSource clock) {
        this.clock = clock;
        this.startedSecond = clock.instant().getEpochSecond();
    }

    /** A pipeline listener: counts the batch's matches. */
    void record(List<Outcome> outcomes) {
        long now = clock.instant().getEpochSecond();
        synchronized (this) {
            for (Outcome o : outcomes) {
                if (!(o instanceof Outcome.PairMatched m)) continue;
                long[] c = counts.computeIfAbsent(m.rule(), r -> new long[SECONDS]);
                long[] s = seconds.computeIfAbsent(m.rule(), r -> new long[SECONDS]);
                int slot = (int) Math.floorMod(now, (long) SECONDS);
                if (s[slot] != now) {
                    s[slot] = now;
                    c[slot] = 0;
                }
                c[slot]++;
            }
        }
    }

    /** Matches of the rule in the last {@link #SECONDS} seconds (the current second included). */
    synchronized long lastMinute(String rule) {
        long[] c = counts.get(rule);
        if (c == null) return 0;
        long[] s = seconds.get(rule);
        long now = clock.instant().getEpochSecond();
        long sum = 0;
        for (int i = 0; i < SECONDS; i++) {
            if (now - s[i] < SECONDS && s[i] <= now) sum += c[i];
        }
        return sum;
    }

    /** How many of the last minute's seconds this process has counted (less than 60 right after a start). */
    long coveredSeconds() {
        return Math.min(SECONDS, clock.instant().getEpochSecond() - startedSecond + 1);
    }
}
