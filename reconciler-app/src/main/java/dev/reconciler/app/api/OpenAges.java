package dev.reconciler.app.api;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.state.StateStore;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/discrepancies/ages}: how long the open discrepancies have been open, per rule and type, in four age
 * buckets, and the oldest per rule — the "is this new or has it been sitting there for days" of the console's
 * overview. The open counts themselves are exact in {@code /api/status}; this is a scan of the stored discrepancies,
 * so it is bounded ({@link #SCAN_BUDGET} records; beyond that the answer says {@code complete: false} and how many it
 * read) and kept for {@link #REUSE} so that many open consoles cost one scan.
 */
final class OpenAges {
    static final int SCAN_BUDGET = 200_000;
    static final Duration REUSE = Duration.ofSeconds(4);
    static final List<String> BUCKETS = List.of("under 5m", "5m to 1h", "1h to 24h", "over 24h");
    private static final Duration[] BOUNDS = {Duration.ofMinutes(5), Duration.ofHours(1), Duration.ofHours(24)};

    /**
     * @param at       when the scan ran
     * @param complete every stored discrepancy was read
     * @param scanned  stored discrepancies read (open and resolved)
     * @param buckets  the age buckets' names, in the order of each {@code types} array
     */
    record View(Instant at, boolean complete, long scanned, List<String> buckets, List<RuleAges> rules) {
    }

    /** @param oldest detection time of the rule's oldest open discrepancy; null when none is open */
    record RuleAges(String rule, Map<DiscrepancyType, long[]> types, Instant oldest, String oldestId) {
    }

    private final StateStore store;
    private final List<String> ruleNames;
    private final InstantSource clock;
    private View last;

    OpenAges(StateStore store, List<String> ruleNames, InstantSource clock) {
        this.store = store;
        this.ruleNames = List.copyOf(ruleNames);
        this.clock = clock;
    }

    /** The last scan if it is younger than {@link #REUSE}, else a new one (one at a time). */
    synchronized View get() {
        Instant now = clock.instant();
        if (last != null && Duration.between(last.at(), now).compareTo(REUSE) < 0) return last;
        last = scan(now);
        return last;
    }

    private View scan(Instant now) {
        Map<String, Map<DiscrepancyType, long[]>> byRule = new LinkedHashMap<>();
        Map<String, Discrepancy> oldest = new LinkedHashMap<>();
        for (String r : ruleNames) byRule.put(r, new EnumMap<>(DiscrepancyType.class));
        long[] read = {0};
        boolean[] more = {false};
        store.forEachDiscrepancyAfter(null, d -> {
            if (read[0] == SCAN_BUDGET) {
                more[0] = true;
                return false;
            }
            read[0]++;
            if (!countsAsOpen(d)) return true;
            Map<DiscrepancyType, long[]> types = byRule.computeIfAbsent(d.rule(), r -> new EnumMap<>(DiscrepancyType.class));
            types.computeIfAbsent(d.type(), t -> new long[BUCKETS.size()])[bucket(Duration.between(d.detectedAt(), now))]++;
            Discrepancy o = oldest.get(d.rule());
            if (o == null || d.detectedAt().isBefore(o.detectedAt())) oldest.put(d.rule(), d);
            return true;
        });
        List<RuleAges> rules = byRule.entrySet().stream().map(e -> {
            Discrepancy o = oldest.get(e.getKey());
            return new RuleAges(e.getKey(), e.getValue(), o == null ? null : o.detectedAt(), o == null ? null : o.id());
        }).toList();
        return new View(now, !more[0], read[0], BUCKETS, rules);
    }

    /** What the open-discrepancy gauges count. */
    static boolean countsAsOpen(Discrepancy d) {
        return d.status() == Status.OPEN;
    }

    private static int bucket(Duration age) {
        for (int i = 0; i < BOUNDS.length; i++) {
            if (age.compareTo(BOUNDS[i]) < 0) return i;
        }
        return BOUNDS.length;
    }
}
