package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.discrepancy.TransitionRefused;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Matches the left flow against the right flow, pair by pair, as facts arrive.
 *
 * <p>Inputs: {@link #apply facts}, {@link #advanceWatermark watermarks} per source, and {@link #tick() ticks} of
 * the injected clock (for stalled-source detection only). Output: {@link Outcome outcomes}, returned by each call
 * once the state that produced them is committed. All state lives in the {@link StateStore}, keyed by
 * (rule, key); the engine holds only caches and counters it can rebuild, so it can run as a processor inside a
 * partitioned stream processor.
 *
 * <p>A façade over its parts: {@link FactPlanner} (facts to steps, any thread), {@link PairDecider} (a pair's
 * verdict and what changed), {@link DeadlineScanner} (deadlines fired as watermarks move) and
 * {@link StallDetector} (sources behind the wall clock), {@link RulePauses} (rules paused by a column their rows
 * lack).
 *
 * <p>Single-threaded: one owner calls it. Reads of the store from other threads are fine.
 * See docs/architecture.md for the time model and the guarantees.
 */
public final class ReconciliationEngine {
    static final String META_WATERMARK = "watermark/";

    private final EngineConfig config;
    private final StateStore store;
    private final InstantSource clock;
    private final Watermarks watermarks;
    private final Counters counters;
    private final FactPlanner planner;
    private final StallDetector stalls;
    private final CoverageGaps gaps;
    private final DeadlineScanner.Marks marks;
    private final Instant startedAt;
    private final AuditTrail audit;
    // Rebuilt from the store after a batch failed half-way (see #reload): they hold what the failed batch changed.
    private RulePauses pauses;
    private PairDecider decider;
    private DeadlineScanner deadlines;
    private Quarantine quarantine;
    private VerificationRecorder verification;
    private final CounterpartLookup lookup;
    private final CounterpartLookup.Policy lookupPolicy;
    private VerifyBeforeAlert verify;

    public ReconciliationEngine(EngineConfig config, StateStore store, InstantSource clock) {
        this(config, store, clock, CounterpartLookup.NONE, CounterpartLookup.Policy.NONE);
    }

    /**
     * An engine that verifies before alerting: for the policy's rules, a due {@code MISSING_*} is held while
     * {@code lookup} looks its counterpart up on the other database (see {@link CounterpartLookup}).
     */
    public ReconciliationEngine(EngineConfig config, StateStore store, InstantSource clock, CounterpartLookup lookup,
                                CounterpartLookup.Policy lookupPolicy) {
        this.config = Objects.requireNonNull(config, "config");
        this.lookup = Objects.requireNonNull(lookup, "lookup");
        this.lookupPolicy = Objects.requireNonNull(lookupPolicy, "lookupPolicy");
        for (String rule : lookupPolicy.rules()) {
            if (config.rule(rule).isEmpty()) throw new IllegalArgumentException("verify before alert: unknown rule '" + rule + "'");
        }
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.watermarks = new Watermarks(config);
        this.startedAt = clock.instant();
        for (String source : config.sources()) {
            store.meta(META_WATERMARK + source).ifPresent(w -> watermarks.advance(source, Instant.parse(w)));
        }
        this.stalls = new StallDetector(config, watermarks, store, startedAt);
        this.counters = new Counters(config.rules(), store);
        this.pauses = new RulePauses(config, store, watermarks, startedAt);
        this.marks = new DeadlineScanner.Marks(config, store);
        this.planner = new FactPlanner(config, store);
        this.gaps = new CoverageGaps(config, store);
        this.audit = new AuditTrail(store);
        // At a start every held MISSING_* is looked up again: an answer in flight before a crash is lost.
        this.verify = new VerifyBeforeAlert(config, lookupPolicy, store, startedAt, true);
        this.decider = new PairDecider(config, clock, pauses, counters, marks, gaps, watermarks, audit, verify);
        this.deadlines = new DeadlineScanner(config, store, watermarks, counters, pauses, marks, decider, verify);
        this.quarantine = new Quarantine(store);
    }

    /**
     * Forgets what a batch that did not commit changed in memory (gauges, pauses, quarantine counts) by reading it
     * back from the store, which holds the last committed batch. Watermarks, stalls, scan marks and coverage gaps do
     * not change while facts are applied.
     */
    private void reload() {
        counters.reloadGauges(store);
        audit.reload(store);
        pauses = new RulePauses(config, store, watermarks, startedAt);
        verify = new VerifyBeforeAlert(config, lookupPolicy, store, clock.instant(), false);   // answers in flight
        decider = new PairDecider(config, clock, pauses, counters, marks, gaps, watermarks, audit, verify);
        deadlines = new DeadlineScanner(config, store, watermarks, counters, pauses, marks, decider, verify);
        quarantine = new Quarantine(store);
    }

    public EngineConfig config() {
        return config;
    }

    /**
     * A new engine over the same configuration, store and clock, its caches and counters read from the store as
     * at a start. After a state write failed, this engine's in-memory part (watermarks, counters) may be ahead of
     * what the store holds; the rebuilt one is not, and the source replays the facts that were not committed.
     */
    public ReconciliationEngine rebuilt() {
        return new ReconciliationEngine(config, store, clock, lookup, lookupPolicy);
    }

    /** {@link StateStore#probeWritable()} of this engine's store: returns normally once it takes writes again. */
    public void probeStore() {
        store.probeWritable();
    }

    // ------------------------------------------------------------------------------------------------ facts

    public List<Outcome> apply(Fact fact) {
        return apply(List.of(fact));
    }

    /** {@link #prepare Prepares} the facts and {@link #apply(Prepared) applies} them. */
    public List<Outcome> apply(List<Fact> facts) {
        return apply(prepare(facts));
    }

    /**
     * Facts routed to the rule sides that read them, each as a canonical image with its key and filter verdict:
     * the part of applying facts that needs no state. Built by {@link #prepare} on any thread.
     */
    public static final class Prepared {
        private final EngineConfig config;
        private final List<FactPlanner.Step> steps;
        private final Set<PairKey> touched;

        Prepared(EngineConfig config, List<FactPlanner.Step> steps, Set<PairKey> touched) {
            this.config = config;
            this.steps = steps;
            this.touched = touched;
        }

        /**
         * The pairs these facts touch (every rule side they are routed to, old and new key). The distributed mode
         * partitions facts by them, so that both sides of a pair meet in one engine.
         */
        public Set<PairKey> touched() {
            return Collections.unmodifiableSet(touched);
        }
    }

    /**
     * Routes facts and converts them to canonical images (filter, key, old key), and has the store encode each image
     * a pair will hold ({@link StateStore#encode}). Changes no pair state (encoding may add names to the store's name
     * table, which the next batch persists) and is safe from any thread, so a source's
     * thread can do it while the engine thread applies the previous batch: converting and encoding a row is cheapest
     * on the thread that built it, and is about half of the work per fact.
     */
    public Prepared prepare(List<Fact> facts) {
        return planner.prepare(facts);
    }

    /**
     * Applies prepared facts in order, in one atomic state write: all pairs they touch are read from the store in
     * one call, then the steps are carried out in order.
     */
    public List<Outcome> apply(Prepared prepared) {
        if (prepared.config != config) {
            throw new IllegalArgumentException("facts prepared by an engine with another configuration");
        }
        try {
            return applySteps(prepared.steps, prepared.touched, uow -> { });
        } catch (FactFailed e) {
            // One fact of the batch cannot be applied (a bug, or a value no check foresaw). Failing the batch would
            // fail it again at every replay, and nothing after it would ever be reconciled: instead the batch is
            // applied again fact by fact, and the fact that fails is quarantined.
            reload();
            return applyOneByOne(prepared.steps);
        }
    }

    /**
     * Applies a source's prepared facts (null: none) and moves its watermark (null: not moved) in one atomic state
     * write, then decides the pairs the move made due: one write per source batch instead of two.
     *
     * <p>Crash-safe as {@link DeadlineScanner} requires, because the watermark is still committed before any timer
     * fires: the deadlines are fired after this write, in writes of their own. A crash before the write loses the
     * facts and the watermark together (the source replays the batch, whose offsets were not yet acknowledged); a
     * crash after it leaves the due entries in the index for the next watermark move, as with two writes. The
     * watermark never covers facts that are not stored: they are in the same write. If one fact fails (quarantine,
     * see {@link #apply(Prepared)}), the batch falls back to fact-by-fact writes and then a write of the watermark.
     */
    public List<Outcome> apply(Prepared prepared, String source, Instant watermark) {
        if (prepared == null) return watermark == null ? List.of() : advanceWatermark(source, watermark);
        if (watermark == null) return apply(prepared);
        if (prepared.config != config) {
            throw new IllegalArgumentException("facts prepared by an engine with another configuration");
        }
        boolean[] moved = {false};
        List<Outcome> outcomes;
        try {
            outcomes = new ArrayList<>(applySteps(prepared.steps, prepared.touched,
                    uow -> moved[0] = moveWatermark(uow, source, watermark)));
        } catch (FactFailed e) {
            reload();
            outcomes = new ArrayList<>(applyOneByOne(prepared.steps));
            outcomes.addAll(advanceWatermark(source, watermark));
            return outcomes;
        }
        if (moved[0]) outcomes.addAll(deadlines.advance(source));
        return outcomes;
    }

    /** A step threw while it was applied: the fact's fault, not the store's (whose failures pass unwrapped). */
    private static final class FactFailed extends RuntimeException {
        FactFailed(RuntimeException cause) {
            super(cause);
        }
    }

    /** @param alsoWrite more changes for the same write, after the steps (not a fact's fault if it throws) */
    private List<Outcome> applySteps(List<FactPlanner.Step> steps, Set<PairKey> touched,
                                     java.util.function.Consumer<UnitOfWork> alsoWrite) {
        UnitOfWork uow = new UnitOfWork(store);
        pauses.flushDroppedAtOpen(uow);
        uow.preload(touched);
        try {
            for (FactPlanner.Step step : steps) applyStep(uow, step);
        } catch (RuntimeException e) {
            throw new FactFailed(e);
        }
        alsoWrite.accept(uow);
        counters.flush(uow);
        quarantine.flush(uow);
        verify.flush(uow);
        try {
            return dispatch(uow.commit());
        } catch (RuntimeException e) {
            // Not written: the source delivers the batch again, so memory must not keep what it changed.
            try {
                reload();
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /** Each fact's steps in a batch of their own; a fact whose steps throw is quarantined ({@code INTERNAL_ERROR}). */
    private List<Outcome> applyOneByOne(List<FactPlanner.Step> steps) {
        List<Outcome> outcomes = new ArrayList<>();
        int i = 0;
        while (i < steps.size()) {
            Fact fact = steps.get(i).fact();
            int j = i + 1;
            while (j < steps.size() && steps.get(j).fact() == fact) j++;
            List<FactPlanner.Step> group = steps.subList(i, j);
            Set<PairKey> keys = new HashSet<>();
            for (FactPlanner.Step s : group) {
                if (s.oldKey() != null) keys.add(s.oldKey());
                if (s.key() != null) keys.add(s.key());
            }
            try {
                outcomes.addAll(applySteps(group, keys, uow -> { }));
            } catch (FactFailed e) {
                reload();
                UnitOfWork uow = new UnitOfWork(store);
                quarantine.add(uow, quarantined(fact, QuarantineReason.INTERNAL_ERROR, null, null,
                        "applying: " + describe((RuntimeException) e.getCause())));
                quarantine.flush(uow);
                outcomes.addAll(uow.commit());
            }
            i = j;
        }
        return outcomes;
    }

    private void applyStep(UnitOfWork uow, FactPlanner.Step step) {
        if (step.route() == null) {
            // The fact failed to prepare (see FactPlanner#prepare).
            quarantine.add(uow, quarantined(step.fact(), step.bad(), null, null, step.detail()));
            return;
        }
        Rule rule = step.route().rule();
        Side side = step.route().side();
        if (step.missing() != null) {
            // The row lacks a column the rule reads: it cannot be judged (neither matched nor without key).
            counters.countHeld(rule.name(), side);
            pauses.hold(uow, rule, side, step.fact(), step.missing(), clock.instant());
            return;
        }
        pauses.columnsPresent(uow, rule, side, step.fact(), clock);
        if (step.bad() != null) quarantine.add(uow, quarantined(step.fact(), step.bad(), rule, side, step.detail()));
        if (step.matches()) {
            // A matching row without a key pairs with nothing: counted as such (and quarantined, above).
            if (step.key() == null) counters.countWithoutKey(rule.name(), side);
            else counters.countFact(rule.name(), side);
        }
        if (step.oldKey() != null) decider.retract(uow, rule, side, step.oldKey(), step);
        if (step.key() == null) return;
        if (step.matches()) decider.upsert(uow, rule, side, step.key(), step);
        else decider.retract(uow, rule, side, step.key(), step);
    }

    private Quarantined quarantined(Fact fact, QuarantineReason reason, Rule rule, Side side, String detail) {
        return new Quarantined(fact.source(), fact.table(), fact.row().primaryKey(), fact.position(), reason,
                rule == null ? null : rule.name(), side, detail, clock.instant());
    }

    /**
     * Quarantines facts that could not even be turned into facts (the source layer's records it cannot read), in
     * one committed batch: stored, counted and alerted like the engine's own.
     */
    public List<Outcome> quarantine(List<Quarantined> facts) {
        if (facts.isEmpty()) return List.of();
        UnitOfWork uow = new UnitOfWork(store);
        for (Quarantined q : facts) quarantine.add(uow, q);
        quarantine.flush(uow);
        return uow.commit();
    }

    /**
     * The quarantined facts the store holds: counts per (source, table, reason) and up to {@code limit} of the latest
     * kept entries numbered below {@code before} (all when null), newest first. Safe from any thread: it reads the
     * store, not the engine.
     */
    public static Quarantine.View quarantined(StateStore store, Long before, int limit) {
        return Quarantine.read(store, before, limit);
    }

    /** An exception as its class and where it was thrown, without its message (which may quote row values). */
    static String describe(RuntimeException e) {
        StackTraceElement[] trace = e.getStackTrace();
        return e.getClass().getName() + (trace.length == 0 ? "" : " at " + trace[0].getClassName() + "."
                + trace[0].getMethodName() + ":" + trace[0].getLineNumber());
    }

    // ------------------------------------------------------------------------------------------------ time

    /**
     * Moves a source's watermark to {@code watermark} (the commit time of its newest event, or of a heartbeat
     * when it is idle) and decides every pair that was waiting for it. Watermarks never go back: an older value
     * is ignored.
     */
    public List<Outcome> advanceWatermark(String source, Instant watermark) {
        UnitOfWork uow = new UnitOfWork(store);
        if (!moveWatermark(uow, source, watermark)) return List.of();
        pauses.flushDroppedAtOpen(uow);
        List<Outcome> outcomes = new ArrayList<>(uow.commit());
        outcomes.addAll(deadlines.advance(source));
        return dispatch(outcomes);
    }

    /** Moves the watermark in memory and into {@code uow}; false (nothing written) when it is not newer. */
    private boolean moveWatermark(UnitOfWork uow, String source, Instant watermark) {
        if (!watermarks.advance(source, watermark)) return false;
        uow.putMeta(META_WATERMARK + source, watermark.toString());
        stalls.check(uow, source, clock.instant());
        return true;
    }

    /**
     * Checks every source against the wall clock: one whose watermark is more than {@code stallAfter} behind is
     * reported stalled (once), and recovered when it catches up. Call it every second or so.
     */
    public List<Outcome> tick() {
        UnitOfWork uow = new UnitOfWork(store);
        pauses.flushDroppedAtOpen(uow);
        Instant now = clock.instant();
        for (String source : config.sources()) {
            stalls.check(uow, source, now);
            Instant w = watermarks.of(source);
            if (w != null) counters.daily().lag(source, now, Math.max(0, now.getEpochSecond() - w.getEpochSecond()));
        }
        // Held MISSING_* whose wait ran out (found in the database but not in the binlog, or no answer): they open.
        for (PairKey pk : verify.expired(now)) decideAgain(uow, pk);
        counters.flush(uow);
        verify.flush(uow);
        return dispatch(uow.commit());
    }

    // ------------------------------------------------------------------------------------------------ verify before alert

    /**
     * Records the answer of a {@link CounterpartLookup} (call it on the engine's thread) and decides the pair again:
     * absent or failed, the held {@code MISSING_*} opens with what was found; present, it waits for the binlog. An
     * answer for a pair no longer held (its counterpart arrived meanwhile) changes nothing.
     */
    public List<Outcome> recordLookup(CounterpartLookup.Answer answer) {
        Objects.requireNonNull(answer, "answer");
        UnitOfWork uow = new UnitOfWork(store);
        PairKey pk = verify.answer(answer, clock.instant());
        if (pk != null) decideAgain(uow, pk);
        counters.flush(uow);
        verify.flush(uow);
        return dispatch(uow.commit());
    }

    /** Held {@code MISSING_*} of a rule whose lookup is in flight (asked, not answered). */
    public long verifying(String rule) {
        return verify.count(rule, VerifyBeforeAlert.Phase.REQUESTED);
    }

    /** Held {@code MISSING_*} of a rule whose counterpart was found in the database and is awaited in the binlog. */
    public long awaitingBinlog(String rule) {
        return verify.count(rule, VerifyBeforeAlert.Phase.FOUND);
    }

    private void decideAgain(UnitOfWork uow, PairKey pk) {
        Rule rule = config.rule(pk.rule()).orElse(null);
        PairState state = uow.pair(pk);
        if (rule == null || state == null) {
            verify.dropAll(pk);
            return;
        }
        decider.decide(uow, rule, state);
        verify.dropAnswered(pk);
    }

    /**
     * Hands the lookups the committed batch put in flight to the port. A port that refuses one (it must not) is
     * answered "not verified" at once, so the discrepancy still opens.
     */
    private List<Outcome> dispatch(List<Outcome> outcomes) {
        List<CounterpartLookup.Request> requests = verify.drain();
        if (requests.isEmpty()) return outcomes;
        List<Outcome> out = new ArrayList<>(outcomes);
        for (CounterpartLookup.Request r : requests) {
            try {
                lookup.request(r);
            } catch (RuntimeException e) {
                out.addAll(recordLookup(r.answer(CounterpartLookup.Answer.Found.FAILED, clock.instant(),
                        "the lookup refused the request (" + describe(e) + ")")));
            }
        }
        return out;
    }

    /**
     * Records that {@code source} never showed its changes committed in [{@code from}, {@code to}) (e.g. a resync
     * re-read only from {@code to}): reported once as {@link Outcome.CoverageGap} (journaled, so it alerts), and from
     * now on pairs whose counterpart from that source would have fallen in the window are not reported missing.
     * Idempotent: the same window again changes nothing and reports nothing.
     */
    public List<Outcome> recordCoverageGap(String source, Instant from, Instant to, String reason) {
        if (!config.sources().contains(source)) throw new IllegalArgumentException("unknown source '" + source + "'");
        if (!from.isBefore(to)) return List.of();
        UnitOfWork uow = new UnitOfWork(store);
        if (gaps.add(uow, source, from, to)) uow.emit(new Outcome.CoverageGap(source, from, to, reason, clock.instant()));
        return uow.commit();
    }

    // ------------------------------------------------------------------------------------------------ queries

    /**
     * A source's watermark as the store holds it, read without an engine (e.g. by a command run while the reconciler
     * is stopped); empty before the source's first.
     */
    public static Optional<Instant> storedWatermark(StateStore store, String source) {
        return store.meta(META_WATERMARK + source).map(Instant::parse);
    }

    public Optional<Instant> watermark(String source) {
        return Optional.ofNullable(watermarks.of(source));
    }

    /** A rule side's watermark: the lowest of its stream's sources, empty until every one of them has reported. */
    public Optional<Instant> watermark(String rule, Side side) {
        Rule r = config.rule(rule).orElseThrow(() -> new IllegalArgumentException("unknown rule '" + rule + "'"));
        return Optional.ofNullable(watermarks.of(r, side));
    }

    /**
     * Every fact of the rule with an event time up to the returned instant has been decided: matched, or reported.
     * Empty until both sides' sources have reported a watermark. While the rule is paused it stays where it was when
     * the pause began.
     */
    public Optional<Instant> reconciledUntil(String rule) {
        Rule r = config.rule(rule).orElseThrow(() -> new IllegalArgumentException("unknown rule '" + rule + "'"));
        Instant both = pauses.isPaused(r) ? earlier(pauses.watermark(r, Side.LEFT), pauses.watermark(r, Side.RIGHT))
                : watermarks.bothSides(r);
        return both == null ? Optional.empty() : Optional.of(both.minus(r.grace()).minus(config.clockSkew()));
    }

    /** Pairs of a rule whose {@code side} rows wait for their counterpart (grace not yet passed). */
    public long pending(String rule, Side side) {
        return counters.pending(rule, side);
    }

    /** Open discrepancies of a rule and type (not waived, not resolved). */
    public long openDiscrepancies(String rule, DiscrepancyType type) {
        return counters.open(rule, type);
    }

    /** Waived discrepancies of a rule and type: accepted as known by a person, not yet resolved. */
    public long waivedDiscrepancies(String rule, DiscrepancyType type) {
        return counters.waived(rule, type);
    }

    /** The figures of one UTC day ({@link DailyTally}), read from the store: safe from any thread. */
    public static DailyTally.Day daily(StateStore store, EngineConfig config, java.time.LocalDate date) {
        return DailyTally.read(store, config, date);
    }

    /**
     * Up to {@code limit} entries of the audit trail numbered below {@code before} (from the newest when null), newest
     * first, none older than {@code since} (when given). Safe from any thread: it reads the store.
     */
    public static List<dev.reconciler.core.discrepancy.AuditEntry> audit(StateStore store, Long before, Instant since,
                                                                          int limit) {
        return AuditTrail.read(store, before, since, limit);
    }

    /** Facts that matched the filter of a rule's side, since this engine started. */
    public long factsTaken(String rule, Side side) {
        return counters.facts(rule, side);
    }

    /** Facts that matched a side's filter but had a blank key column, so they pair with nothing (since start). */
    public long factsWithoutKey(String rule, Side side) {
        return counters.withoutKey(rule, side);
    }

    /** Rows routed to a rule's side that were held, not judged, because they lacked a column the rule reads. */
    public long factsHeld(String rule, Side side) {
        return counters.held(rule, side);
    }

    /** The rule's pauses (one per side and table whose rows lack a column it reads); empty while it runs. */
    public List<RulePause> pauses(String rule) {
        config.rule(rule).orElseThrow(() -> new IllegalArgumentException("unknown rule '" + rule + "'"));
        return pauses.of(rule);
    }

    public boolean isStalled(String source) {
        return stalls.isStalled(source);
    }

    private static Instant earlier(Instant a, Instant b) {
        return a == null || b == null ? null : a.isBefore(b) ? a : b;
    }

    // ------------------------------------------------------------------------------------------------ people

    /**
     * Records that a person acknowledged a discrepancy (open, waived or resolved), with a note, in one committed
     * batch. It changes nothing in the judgement; the acknowledgement stays on the record when the discrepancy later
     * changes or is resolved. A second acknowledgement replaces the first; both stay in the timeline and the audit
     * trail.
     *
     * @return the acknowledged discrepancy, or empty if no discrepancy has that id (unknown, or expired)
     */
    public Optional<Discrepancy> acknowledge(String id, String by, String note) {
        return act(id, TimelineEntry.Action.ACKNOWLEDGED, by, note).map(StepResult::discrepancy);
    }

    /**
     * What a person's step did: the discrepancy after it, and the outcomes it committed and journaled (a waive or a
     * resolution as {@link Outcome.DiscrepancyResolved}, a re-opening as {@link Outcome.DiscrepancyOpened}; none for
     * an acknowledgement), for the layers above (metrics) as every engine call hands them on.
     */
    public record StepResult(Discrepancy discrepancy, List<Outcome> outcomes) {
        public StepResult {
            outcomes = List.copyOf(outcomes);
        }
    }

    /** {@link #acknowledge(String, String, String)} by nobody named (kept for callers that name no person). */
    public Optional<Discrepancy> acknowledge(String id, String note) {
        return acknowledge(id, "", note);
    }

    /**
     * A person's step with a discrepancy: {@code ACKNOWLEDGED}, {@code WAIVED}, {@code RESOLVED} (by hand) or
     * {@code REOPENED}, with who and why, in one committed batch with its audit entry (see {@link Workflow} for what
     * each does and what the engine does afterwards).
     *
     * @return the discrepancy after the step and its outcomes, or empty if no discrepancy has that id (unknown, or
     *         expired)
     * @throws TransitionRefused if its state does not allow the step (e.g. waiving a resolved one)
     * @throws IllegalArgumentException if {@code reason} is blank for a waive or resolve
     */
    public Optional<StepResult> act(String id, TimelineEntry.Action action, String by, String reason) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(action, "action");
        boolean needsReason = action == TimelineEntry.Action.WAIVED || action == TimelineEntry.Action.RESOLVED;
        if (needsReason && (reason == null || reason.isBlank())) {
            throw new IllegalArgumentException(action.name().toLowerCase(java.util.Locale.ROOT)
                    + " needs a reason: say why it is accepted, e.g. a ticket number");
        }
        return new Workflow(store, counters, audit, clock).act(id, action, by, reason);
    }

    // ------------------------------------------------------------------------------------------------ verification

    /**
     * What one {@link #recordVerification} or {@link #closeVerification} call did.
     *
     * @param ids      the discrepancy id of each finding, in order (an open one found again keeps its id)
     * @param opened   findings recorded as new discrepancies
     * @param resolved earlier findings resolved because the verification no longer found them
     * @param outcomes the opened and resolved discrepancies, committed and journaled (alerts deliver them)
     */
    public record VerificationResult(List<String> ids, int opened, int resolved, List<Outcome> outcomes) {
        public VerificationResult {
            ids = List.copyOf(ids);
            outcomes = List.copyOf(outcomes);
        }
    }

    /**
     * Records a window verification's findings as discrepancies of the verification types, in one committed and
     * journaled batch. Idempotent: a finding whose discrepancy is still open is not opened again.
     */
    public VerificationResult recordVerification(List<VerificationFinding> findings) {
        return verification().record(findings);
    }

    /**
     * Ends a verification of {@code rule} over {@code [from, to)}: resolves ({@code REVERIFIED}) the open findings of
     * earlier verifications that lie in that window and are not among {@code found} (the ids this one recorded).
     */
    public VerificationResult closeVerification(String rule, Instant from, Instant to, Set<String> found) {
        return verification().close(rule, from, to, found);
    }

    private VerificationRecorder verification() {
        if (verification == null) verification = new VerificationRecorder(config, store, counters, clock);
        return verification;
    }
}
