package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Per-source watermarks: the commit time up to which a source has delivered everything. A stream's watermark is
 * the lowest of its sources'; unknown (null) until every one of them has reported. Watermarks never go back.
 * Owned by the engine thread.
 */
final class Watermarks {
    private final Map<String, Instant> bySource = new HashMap<>();
    /** The sources of each rule side's stream, by rule name then side: computed once, read per decision. */
    private final Map<String, Set<String>[]> sources = new HashMap<>();

    @SuppressWarnings("unchecked")
    Watermarks(EngineConfig config) {
        for (Rule r : config.rules()) {
            Set<String>[] bySide = new Set[2];
            for (Side side : Side.values()) bySide[side.ordinal()] = Set.copyOf(config.streamOf(r, side).sources());
            sources.put(r.name(), bySide);
        }
    }

    Instant of(String source) {
        return bySource.get(source);
    }

    /** Moves a source's watermark forward; returns false (and changes nothing) if it would not move forward. */
    boolean advance(String source, Instant watermark) {
        Instant old = bySource.get(source);
        if (old != null && !watermark.isAfter(old)) return false;
        bySource.put(source, watermark);
        return true;
    }

    /** Whether {@code source} feeds the stream of one side of a rule. */
    boolean feeds(Rule rule, Side side, String source) {
        return sources.get(rule.name())[side.ordinal()].contains(source);
    }

    Instant of(Rule rule, Side side) {
        return lowest(sources.get(rule.name())[side.ordinal()]);
    }

    /** The watermark both sides of a rule have passed, or null. */
    Instant bothSides(Rule rule) {
        Instant l = of(rule, Side.LEFT);
        Instant r = of(rule, Side.RIGHT);
        if (l == null || r == null) return null;
        return l.isBefore(r) ? l : r;
    }

    private Instant lowest(Set<String> sources) {
        Instant min = null;
        for (String s : sources) {
            Instant w = bySource.get(s);
            if (w == null) return null;
            if (min == null || w.isBefore(min)) min = w;
        }
        return min;
    }
}
