package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The daily picture: per UTC day and rule, pairs matched and discrepancies opened, resolved and waived by type; per
 * source the worst lag seen (watermark behind the engine's clock, sampled at each {@code tick}). Counted from the
 * outcomes of each batch and written in that same batch as engine metadata ({@code daily/<date>/...}), so the
 * figures are exactly as durable as what they count: a batch replayed after a crash is counted once. The day of an
 * outcome is the UTC date of when it was decided (engine clock). Kept forever (a few hundred bytes per rule and
 * day). {@link #read} is safe from any thread.
 */
public final class DailyTally {
    static final String PREFIX = "daily/";
    /** Cached figures beyond this many names are dropped after a flush (they are re-read from the store). */
    private static final int CACHE_LIMIT = 4096;

    /** One rule's day. Maps hold every type (zeros included), in declaration order. */
    public record RuleDay(String rule, long matched, Map<DiscrepancyType, Long> opened,
                          Map<DiscrepancyType, Long> resolved, Map<DiscrepancyType, Long> waived) {
    }

    /** A window of a source's history never observed that overlaps the day. */
    public record Gap(String source, Instant from, Instant to) {
    }

    /**
     * @param worstLagSeconds per source, the largest lag sampled that day (null when none was sampled)
     */
    public record Day(LocalDate date, List<RuleDay> rules, Map<String, Long> worstLagSeconds, List<Gap> coverageGaps) {
    }

    private final StateStore store;
    private final Map<String, Long> values = new HashMap<>();
    private final Set<String> dirty = new LinkedHashSet<>();
    // Matches are counted on the per-fact path: the current day and its "matched" names are kept at hand.
    private LocalDate today;
    private long todayStart = Long.MAX_VALUE;
    private long todayEnd = Long.MIN_VALUE;
    private final Map<String, String> matchedNames = new HashMap<>();
    // The last rule's matched name: a name, never a figure, so forget() and a failed batch do not concern it.
    private String lastRule;
    private String lastName;

    DailyTally(StateStore store) {
        this.store = store;
    }

    static LocalDate day(Instant t) {
        return LocalDate.ofInstant(t, ZoneOffset.UTC);
    }

    static String name(LocalDate day, String rule, String figure) {
        return PREFIX + day + "/" + rule + "/" + figure;
    }

    static String lagName(LocalDate day, String source) {
        return PREFIX + day + "/@lag/" + source;
    }

    void count(List<Outcome> outcomes) {
        // Matches are nearly every outcome of a batch: a run of matches of one rule and day is added once, so a
        // batch costs a few map operations, not three per match.
        String run = null;
        long inRun = 0;
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.PairMatched m) {
                String n = matchedName(m.rule(), m.decidedAt());
                if (n != run) {   // the names are interned per day in matchedNames: identity suffices
                    if (run != null) add(run, inRun);
                    run = n;
                    inRun = 0;
                }
                inRun++;
            } else if (o instanceof Outcome.DiscrepancyOpened x) {
                Discrepancy d = x.discrepancy();
                add(name(day(d.lastChangedAt()), d.rule(), "opened/" + d.type()), 1);
            } else if (o instanceof Outcome.DiscrepancyResolved x) {
                Discrepancy d = x.discrepancy();
                String figure = d.status() == Status.WAIVED ? "waived/" : "resolved/";
                add(name(day(d.lastChangedAt()), d.rule(), figure + d.type()), 1);
            }
        }
        if (run != null) add(run, inRun);
    }

    private String matchedName(String rule, Instant at) {
        long s = at.getEpochSecond();
        if (s < todayStart || s >= todayEnd) {
            today = day(at);
            todayStart = today.atStartOfDay(ZoneOffset.UTC).toEpochSecond();
            todayEnd = todayStart + 86_400;
            matchedNames.clear();
            lastRule = null;
        }
        if (rule != lastRule) {   // most matches of a batch are of one rule: no map lookup for them
            lastRule = rule;
            lastName = matchedNames.computeIfAbsent(rule, r -> name(today, r, "matched"));
        }
        return lastName;
    }

    /** Records a lag sample of {@code source}; only a new worst for the day is written. */
    void lag(String source, Instant now, long seconds) {
        String n = lagName(day(now), source);
        if (seconds > current(n)) {
            values.put(n, seconds);
            dirty.add(n);
        }
    }

    private void add(String name, long delta) {
        values.put(name, current(name) + delta);
        dirty.add(name);
    }

    private long current(String name) {
        Long v = values.get(name);
        if (v == null) {
            v = store.meta(name).map(Long::parseLong).orElse(0L);
            values.put(name, v);
        }
        return v;
    }

    void flush(UnitOfWork uow) {
        for (String n : dirty) uow.putMeta(n, Long.toString(values.get(n)));
        dirty.clear();
        if (values.size() > CACHE_LIMIT) values.clear();
    }

    /** Drops what a batch that did not commit counted: the figures are read back from the store. */
    void forget() {
        values.clear();
        dirty.clear();
    }

    /** The figures of one UTC day as the store holds them (zeros for a day nothing happened). */
    public static Day read(StateStore store, EngineConfig config, LocalDate date) {
        List<RuleDay> rules = new ArrayList<>();
        for (Rule r : config.rules()) {
            Map<DiscrepancyType, Long> opened = new EnumMap<>(DiscrepancyType.class);
            Map<DiscrepancyType, Long> resolved = new EnumMap<>(DiscrepancyType.class);
            Map<DiscrepancyType, Long> waived = new EnumMap<>(DiscrepancyType.class);
            for (DiscrepancyType t : DiscrepancyType.values()) {
                opened.put(t, figure(store, name(date, r.name(), "opened/" + t)));
                resolved.put(t, figure(store, name(date, r.name(), "resolved/" + t)));
                waived.put(t, figure(store, name(date, r.name(), "waived/" + t)));
            }
            rules.add(new RuleDay(r.name(), figure(store, name(date, r.name(), "matched")), opened, resolved, waived));
        }
        Map<String, Long> lag = new LinkedHashMap<>();
        Instant from = date.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = date.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        List<Gap> gaps = new ArrayList<>();
        for (String source : config.sources()) {
            lag.put(source, store.meta(lagName(date, source)).map(Long::parseLong).orElse(null));
            store.meta(CoverageGaps.META + source).ifPresent(v -> {
                for (CoverageGaps.Gap g : CoverageGaps.decode(v)) {
                    if (g.from().isBefore(to) && g.to().isAfter(from)) gaps.add(new Gap(source, g.from(), g.to()));
                }
            });
        }
        return new Day(date, rules, lag, gaps);
    }

    private static long figure(StateStore store, String name) {
        return store.meta(name).map(Long::parseLong).orElse(0L);
    }
}
