package dev.reconciler.streams;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.match.RulePause;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The engines of the match tasks this instance runs, as the HTTP endpoint and the metrics see them: each task
 * publishes an {@link EngineSnapshot} from its stream thread after every tick (each {@code tickInterval}, 1 s) and
 * withdraws it when the task is closed (moved to another instance, or the application stops); every outcome it
 * forwards is handed to the listeners. Readers on other threads only ever see these immutable snapshots, as in the
 * embedded mode.
 *
 * <p>Counts since start ({@code facts}, {@code withoutKey}, {@code held}) of a task that left are kept, so the
 * instance's counters never go down when a task moves away.
 */
public final class EngineTasks {
    private final EngineConfig config;
    private final Map<String, EngineSnapshot> byTask = new ConcurrentHashMap<>();
    private final List<Consumer<List<Outcome>>> listeners = new CopyOnWriteArrayList<>();
    private EngineSnapshot retired;

    public EngineTasks(EngineConfig config) {
        this.config = config;
        this.retired = empty(config, Instant.EPOCH);
    }

    /** Called with every outcome list a task forwards, on that task's stream thread (several threads at once). */
    public void addListener(Consumer<List<Outcome>> listener) {
        listeners.add(listener);
    }

    void publish(String task, EngineSnapshot snapshot) {
        byTask.put(task, snapshot);
    }

    synchronized void remove(String task) {
        EngineSnapshot gone = byTask.remove(task);
        if (gone != null) retired = sinceStartOnly(gone).plusSinceStart(retired);
    }

    void outcomes(List<Outcome> outcomes) {
        if (outcomes.isEmpty()) return;
        for (Consumer<List<Outcome>> l : listeners) l.accept(outcomes);
    }

    /** The latest snapshot of each match task this instance runs, by task id (e.g. {@code 2_0}). */
    public Map<String, EngineSnapshot> tasks() {
        return Collections.unmodifiableMap(new TreeMap<>(byTask));
    }

    /**
     * This instance's numbers over its tasks: counts summed; a source's watermark the lowest any task has (the
     * point up to which every task of this instance has seen it; null until one has); stalled when any task says
     * so; a rule's reconciled-until the lowest, null while a task has none.
     */
    public synchronized EngineSnapshot merged(Instant now) {
        List<EngineSnapshot> all = new ArrayList<>(byTask.values());
        Map<String, EngineSnapshot.RuleNumbers> rules = new LinkedHashMap<>();
        for (Rule r : config.rules()) {
            Map<Side, Long> pending = zeros(Side.class);
            Map<Side, Long> facts = new EnumMap<>(retired.rules().get(r.name()).facts());
            Map<Side, Long> withoutKey = new EnumMap<>(retired.rules().get(r.name()).withoutKey());
            Map<Side, Long> held = new EnumMap<>(retired.rules().get(r.name()).held());
            Map<Side, Instant> watermarks = unknown();
            Map<DiscrepancyType, Long> open = zeros(DiscrepancyType.class);
            Map<DiscrepancyType, Long> waived = zeros(DiscrepancyType.class);
            List<RulePause> paused = new ArrayList<>();
            Instant until = null;
            boolean untilKnown = !all.isEmpty();
            long verifying = 0;
            long awaiting = 0;
            for (EngineSnapshot s : all) {
                EngineSnapshot.RuleNumbers n = s.rules().get(r.name());
                add(pending, n.pending());
                add(facts, n.facts());
                add(withoutKey, n.withoutKey());
                add(held, n.held());
                add(open, n.open());
                add(waived, n.waived());
                for (Side side : Side.values()) watermarks.put(side, min(watermarks.get(side), n.watermarks().get(side)));
                for (RulePause p : n.paused()) if (!paused.contains(p)) paused.add(p);
                if (n.reconciledUntil() == null) untilKnown = false;
                else until = min(until, n.reconciledUntil());
                verifying += n.verifying();
                awaiting += n.awaitingBinlog();
            }
            rules.put(r.name(), new EngineSnapshot.RuleNumbers(pending, open, facts, withoutKey, watermarks,
                    untilKnown ? until : null, held, paused, waived, verifying, awaiting));
        }
        Map<String, EngineSnapshot.SourceNumbers> sources = new LinkedHashMap<>();
        for (String source : config.sources()) {
            Instant watermark = null;
            boolean stalled = false;
            for (EngineSnapshot s : all) {
                EngineSnapshot.SourceNumbers n = s.sources().get(source);
                if (n == null) continue;
                watermark = min(watermark, n.watermark());
                stalled |= n.stalled();
            }
            sources.put(source, new EngineSnapshot.SourceNumbers(watermark, stalled));
        }
        return new EngineSnapshot(now, rules, sources);
    }

    /** A snapshot holding only the counts since start of {@code s} (the rest empty), for {@link #retired}. */
    private EngineSnapshot sinceStartOnly(EngineSnapshot s) {
        EngineSnapshot zero = empty(config, s.takenAt());
        return zero.plusSinceStart(s);
    }

    static EngineSnapshot empty(EngineConfig config, Instant at) {
        Map<String, EngineSnapshot.RuleNumbers> rules = new LinkedHashMap<>();
        for (Rule r : config.rules()) {
            rules.put(r.name(), new EngineSnapshot.RuleNumbers(zeros(Side.class), zeros(DiscrepancyType.class),
                    zeros(Side.class), zeros(Side.class), unknown(), null, zeros(Side.class),
                    List.of(), zeros(DiscrepancyType.class), 0, 0));
        }
        Map<String, EngineSnapshot.SourceNumbers> sources = new LinkedHashMap<>();
        for (String s : config.sources()) sources.put(s, new EngineSnapshot.SourceNumbers(null, false));
        return new EngineSnapshot(at, rules, sources);
    }

    /**
     * Every side with no watermark yet: a key per side, because {@link EngineSnapshot.RuleNumbers} copies its maps
     * with {@code new EnumMap<>(map)}, which refuses an empty map that is not an EnumMap.
     */
    private static Map<Side, Instant> unknown() {
        Map<Side, Instant> m = new EnumMap<>(Side.class);
        for (Side side : Side.values()) m.put(side, null);
        return m;
    }

    private static <K extends Enum<K>> Map<K, Long> zeros(Class<K> type) {
        Map<K, Long> m = new EnumMap<>(type);
        for (K k : type.getEnumConstants()) m.put(k, 0L);
        return m;
    }

    private static <K> void add(Map<K, Long> into, Map<K, Long> more) {
        more.forEach((k, v) -> into.merge(k, v == null ? 0L : v, Long::sum));
    }

    private static Instant min(Instant a, Instant b) {
        if (a == null) return b;
        if (b == null) return a;
        return a.isBefore(b) ? a : b;
    }
}
