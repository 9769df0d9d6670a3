package dev.reconciler.core.match;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rules paused because rows of a table lack a column they read (a column dropped or renamed while running).
 *
 * <p>A rule with at least one pause judges nothing that could be wrong for want of the rows it cannot read: the
 * rows of the paused table are held (not applied, counted as held), and the rule's pairs are decided against the
 * watermarks frozen at the moment the first pause began, so no MISSING_* deadline passes while paused (the
 * {@link DeadlineScanner} does not scan the rule's wait lanes either). When the last pause of the rule ends, the
 * real watermarks count again and the waits that passed meanwhile are decided at the next watermark move.
 *
 * <p>Persisted as one metadata entry per paused rule ({@code paused/<rule>}), written in the same batch as the
 * outcome, so a restart keeps the rule paused and does not report the pause again. At open, a pause on a column the
 * configuration no longer reads (or a table its stream no longer holds) is dropped and reported resumed with the
 * next committed batch. Owned by the engine thread.
 */
final class RulePauses {
    static final String META_PAUSED = "paused/";
    private static final String NONE = "-";

    /** The pauses of one rule, and the watermarks its judgement is frozen at. */
    private static final class Paused {
        final Map<Side, Instant> frozen = new EnumMap<>(Side.class);
        final Map<String, RulePause> pauses = new LinkedHashMap<>();
    }

    private final EngineConfig config;
    private final Watermarks watermarks;
    private final Map<String, Paused> byRule = new HashMap<>();
    /** Rows held per pause (side/source/table of a rule) since the engine started. */
    private final Map<String, Long> held = new HashMap<>();
    /** Pauses dropped at open (configuration changed), reported with the next committed batch. */
    private final List<Outcome> droppedAtOpen = new ArrayList<>();

    RulePauses(EngineConfig config, StateStore store, Watermarks watermarks, Instant now) {
        this.config = config;
        this.watermarks = watermarks;
        for (Rule rule : config.rules()) {
            store.meta(META_PAUSED + rule.name()).ifPresent(text -> {
                try {
                    load(rule, text, now);
                } catch (RuntimeException e) {
                    throw new IllegalStateException("state: the pauses of rule '" + rule.name() + "' (engine metadata '"
                            + META_PAUSED + rule.name() + "') cannot be read (" + e + "); the state directory was"
                            + " written by another release or damaged: restore it from a backup, or remove it and"
                            + " let the sources snapshot again", e);
                }
            });
        }
    }

    private void load(Rule rule, String text, Instant now) {
        Paused p = new Paused();
        String[] lines = text.split("\n");
        String[] frozen = lines[0].split("\t", -1);
        for (Side side : Side.values()) {
            String w = frozen[1 + side.ordinal()];
            if (!w.equals(NONE)) p.frozen.put(side, Instant.parse(w));
        }
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split("\t", -1);
            RulePause pause = new RulePause(rule.name(), Side.valueOf(f[0]), f[1], f[2], f[3], position(f[4]),
                    Instant.parse(f[5]));
            boolean stillRead = rule.columnsRead(pause.side()).contains(pause.column())
                    && config.streamOf(rule, pause.side()).contains(pause.source(), pause.table());
            if (stillRead) {
                p.pauses.put(key(pause.side(), pause.source(), pause.table()), pause);
            } else {
                droppedAtOpen.add(resumed(pause, Outcome.RuleResumed.Why.CONFIGURATION_CHANGED, null, now));
            }
        }
        if (!p.pauses.isEmpty()) byRule.put(rule.name(), p);
    }

    /** Reports (and persists) the pauses dropped at open; once. */
    void flushDroppedAtOpen(UnitOfWork uow) {
        if (droppedAtOpen.isEmpty()) return;
        for (Outcome o : droppedAtOpen) {
            uow.emit(o);
            persist(uow, ((Outcome.RuleResumed) o).rule());
        }
        droppedAtOpen.clear();
    }

    boolean isPaused(Rule rule) {
        return !byRule.isEmpty() && byRule.containsKey(rule.name());
    }

    /** The watermark a rule side is judged against: the real one, or the one frozen when the rule paused. */
    Instant watermark(Rule rule, Side side) {
        Paused p = byRule.isEmpty() ? null : byRule.get(rule.name());
        return p == null ? watermarks.of(rule, side) : p.frozen.get(side);
    }

    /** A row routed to a rule side lacks {@code column}: holds it, and pauses the rule side for its table. */
    void hold(UnitOfWork uow, Rule rule, Side side, Fact fact, String column, Instant now) {
        String key = key(side, fact.source(), fact.table());
        held.merge(rule.name() + "/" + key, 1L, Long::sum);
        Paused p = byRule.get(rule.name());
        if (p != null && p.pauses.containsKey(key)) return;
        if (p == null) {
            p = new Paused();
            for (Side s : Side.values()) p.frozen.put(s, watermarks.of(rule, s));
            byRule.put(rule.name(), p);
        }
        RulePause pause = new RulePause(rule.name(), side, fact.source(), fact.table(), column, fact.position(), now);
        p.pauses.put(key, pause);
        persist(uow, rule.name());
        uow.emit(new Outcome.RulePaused(rule.name(), side, fact.source(), fact.table(), column, fact.position(), now));
    }

    /**
     * A row routed to a rule side carries every column the rule reads: ends the side's pause for its table. On the
     * per-fact path: with nothing paused it returns at once (the clock is read only on a resume).
     */
    void columnsPresent(UnitOfWork uow, Rule rule, Side side, Fact fact, InstantSource clock) {
        if (byRule.isEmpty()) return;   // the per-fact path: nothing paused, nothing to look up
        Paused p = byRule.get(rule.name());
        if (p == null) return;
        RulePause pause = p.pauses.remove(key(side, fact.source(), fact.table()));
        if (pause == null) return;
        if (p.pauses.isEmpty()) byRule.remove(rule.name());
        persist(uow, rule.name());
        uow.emit(resumed(pause, Outcome.RuleResumed.Why.COLUMN_BACK, fact.position(), clock.instant()));
    }

    List<RulePause> of(String rule) {
        Paused p = byRule.get(rule);
        return p == null ? List.of() : List.copyOf(p.pauses.values());
    }

    private Outcome.RuleResumed resumed(RulePause pause, Outcome.RuleResumed.Why why, SourcePosition position,
                                        Instant now) {
        long n = held.getOrDefault(pause.rule() + "/" + key(pause.side(), pause.source(), pause.table()), 0L);
        return new Outcome.RuleResumed(pause.rule(), pause.side(), pause.source(), pause.table(), pause.column(),
                why, position, pause.since(), n, now);
    }

    /** {@code frozen <left> <right>}, then one line per pause: side, source, table, column, position, since. */
    private void persist(UnitOfWork uow, String rule) {
        Paused p = byRule.get(rule);
        if (p == null) {
            uow.putMeta(META_PAUSED + rule, null);
            return;
        }
        StringBuilder sb = new StringBuilder("frozen");
        for (Side side : Side.values()) {
            Instant w = p.frozen.get(side);
            sb.append('\t').append(w == null ? NONE : w.toString());
        }
        for (RulePause x : p.pauses.values()) {
            sb.append('\n').append(x.side().name()).append('\t').append(x.source()).append('\t').append(x.table())
                    .append('\t').append(x.column()).append('\t').append(x.position()).append('\t').append(x.since());
        }
        uow.putMeta(META_PAUSED + rule, sb.toString());
    }

    private static String key(Side side, String source, String table) {
        return side.name() + "/" + source + "/" + table;
    }

    /** Parses {@link SourcePosition#toString()} ({@code file:offset:row}; the file name may hold colons). */
    private static SourcePosition position(String text) {
        int row = text.lastIndexOf(':');
        int offset = text.lastIndexOf(':', row - 1);
        return new SourcePosition(text.substring(0, offset), Long.parseLong(text.substring(offset + 1, row)),
                Long.parseLong(text.substring(row + 1)));
    }
}
