package dev.reconciler.app.pipeline;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.match.RulePause;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The engine's numbers as of one moment, taken on the engine thread after each batch, watermark move and tick, and
 * published by the {@link Pipeline} for other threads (metrics scrapes, the status API). The engine's own counters
 * belong to its thread; readers elsewhere see only these immutable copies.
 *
 * @param takenAt the wall clock when the snapshot was taken
 * @param rules   per rule, in configuration order
 * @param sources per source (every source a stream reads), by name
 */
public record EngineSnapshot(Instant takenAt, Map<String, RuleNumbers> rules, Map<String, SourceNumbers> sources) {

    public EngineSnapshot {
        rules = Collections.unmodifiableMap(new LinkedHashMap<>(rules));
        sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
    }

    /**
     * @param pending         pairs whose rows of a side wait for the other side (grace not passed)
     * @param open            open discrepancies per type (every type present, zeros included)
     * @param facts           facts that matched a side's filter since the process started
     * @param withoutKey      facts that matched a side's filter with a blank key column (they pair with nothing)
     * @param watermarks      per side: the lowest watermark of the side's sources, null until all have reported
     * @param reconciledUntil every fact up to it has been decided; null until both sides have a watermark
     * @param held            rows held, not judged, because they lacked a column the rule reads (since start)
     * @param paused          the rule's pauses (a side and table whose rows lack a column it reads); empty while it
     *                        runs
     * @param waived          waived discrepancies per type (accepted as known by a person; not in {@code open})
     * @param verifying       due MISSING_* held while their counterpart is looked up on the other database
     * @param awaitingBinlog  due MISSING_* held because their counterpart was found in the database and is awaited in
     *                        the binlog
     */
    public record RuleNumbers(Map<Side, Long> pending, Map<DiscrepancyType, Long> open, Map<Side, Long> facts,
                              Map<Side, Long> withoutKey, Map<Side, Instant> watermarks, Instant reconciledUntil,
                              Map<Side, Long> held, List<RulePause> paused, Map<DiscrepancyType, Long> waived,
                              long verifying, long awaitingBinlog) {
        /** Without verify before alert (nothing held). */
        public RuleNumbers(Map<Side, Long> pending, Map<DiscrepancyType, Long> open, Map<Side, Long> facts,
                           Map<Side, Long> withoutKey, Map<Side, Instant> watermarks, Instant reconciledUntil,
                           Map<Side, Long> held, List<RulePause> paused, Map<DiscrepancyType, Long> waived) {
            this(pending, open, facts, withoutKey, watermarks, reconciledUntil, held, paused, waived, 0, 0);
        }

        public RuleNumbers {
            waived = Collections.unmodifiableMap(new EnumMap<>(waived));
            held = Collections.unmodifiableMap(new EnumMap<>(held));
            paused = List.copyOf(paused);
            pending = Collections.unmodifiableMap(new EnumMap<>(pending));
            open = Collections.unmodifiableMap(new EnumMap<>(open));
            facts = Collections.unmodifiableMap(new EnumMap<>(facts));
            withoutKey = Collections.unmodifiableMap(new EnumMap<>(withoutKey));
            watermarks = Collections.unmodifiableMap(new EnumMap<>(watermarks));   // null values allowed
        }
    }

    /** @param watermark the source's watermark, null before it reported one; @param stalled reported stalled */
    public record SourceNumbers(Instant watermark, boolean stalled) {
    }

    /**
     * These numbers with the since-start counts ({@code facts}, {@code withoutKey}, {@code held}) of {@code earlier}
     * added: the counts of an engine replaced by a rebuilt one in the same process, so they stay since the start.
     */
    public EngineSnapshot plusSinceStart(EngineSnapshot earlier) {
        Map<String, RuleNumbers> sum = new LinkedHashMap<>();
        rules.forEach((name, r) -> {
            RuleNumbers e = earlier.rules().get(name);
            sum.put(name, e == null ? r : new RuleNumbers(r.pending(), r.open(), add(r.facts(), e.facts()),
                    add(r.withoutKey(), e.withoutKey()), r.watermarks(), r.reconciledUntil(), add(r.held(), e.held()),
                    r.paused(), r.waived(), r.verifying(), r.awaitingBinlog()));
        });
        return new EngineSnapshot(takenAt, sum, sources);
    }

    private static Map<Side, Long> add(Map<Side, Long> a, Map<Side, Long> b) {
        Map<Side, Long> out = new EnumMap<>(Side.class);
        for (Side side : Side.values()) out.put(side, a.getOrDefault(side, 0L) + b.getOrDefault(side, 0L));
        return out;
    }

    /** Reads the engine's numbers; call it only on the engine's thread (or before the engine is handed to it). */
    public static EngineSnapshot of(ReconciliationEngine engine, Instant takenAt) {
        EngineConfig config = engine.config();
        Map<String, SourceNumbers> sources = new LinkedHashMap<>();
        for (String s : config.sources()) {
            sources.put(s, new SourceNumbers(engine.watermark(s).orElse(null), engine.isStalled(s)));
        }
        Map<String, RuleNumbers> rules = new LinkedHashMap<>();
        for (Rule r : config.rules()) {
            Map<Side, Long> pending = new EnumMap<>(Side.class);
            Map<Side, Long> facts = new EnumMap<>(Side.class);
            Map<Side, Long> withoutKey = new EnumMap<>(Side.class);
            Map<Side, Instant> watermarks = new EnumMap<>(Side.class);
            Map<Side, Long> held = new EnumMap<>(Side.class);
            for (Side side : Side.values()) {
                held.put(side, engine.factsHeld(r.name(), side));
                pending.put(side, engine.pending(r.name(), side));
                facts.put(side, engine.factsTaken(r.name(), side));
                withoutKey.put(side, engine.factsWithoutKey(r.name(), side));
                watermarks.put(side, engine.watermark(r.name(), side).orElse(null));
            }
            Map<DiscrepancyType, Long> open = new EnumMap<>(DiscrepancyType.class);
            Map<DiscrepancyType, Long> waived = new EnumMap<>(DiscrepancyType.class);
            for (DiscrepancyType t : DiscrepancyType.values()) {
                open.put(t, engine.openDiscrepancies(r.name(), t));
                waived.put(t, engine.waivedDiscrepancies(r.name(), t));
            }
            rules.put(r.name(), new RuleNumbers(pending, open, facts, withoutKey, watermarks,
                    engine.reconciledUntil(r.name()).orElse(null), held, engine.pauses(r.name()), waived,
                    engine.verifying(r.name()), engine.awaitingBinlog(r.name())));
        }
        return new EngineSnapshot(takenAt, rules, sources);
    }
}
