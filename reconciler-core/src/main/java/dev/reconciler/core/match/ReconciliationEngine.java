package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.EncodedImage;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StoredRow;
import dev.reconciler.core.state.TimerEntry;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Matches the left flow against the right flow, pair by pair, as facts arrive.
 *
 * <p>Inputs: {@link #apply facts}, {@link #advanceWatermark watermarks} per source, and {@link #tick() ticks} of
 * the injected clock (for stalled-source detection only). Output: {@link Outcome outcomes}, returned by each call
 * once the state that produced them is committed. All state lives in the {@link StateStore}, keyed by
 * (rule, key); the engine holds only caches and counters it can rebuild, so it can run as a processor inside a
 * partitioned stream processor.
 *
 * <p>Single-threaded: one owner calls it. Reads of the store from other threads are fine.
 * See docs/architecture.md for the time model and the guarantees.
 */
public final class ReconciliationEngine {
    /** Timers handled per committed batch when watermarks move. */
    private static final int TIMER_PAGE = 1024;
    static final String META_WATERMARK = "watermark/";
    static final String META_STALLED = "stalled/";
    static final String META_SCANNED = "scanned/";

    private final EngineConfig config;
    private final StateStore store;
    private final InstantSource clock;
    private final Routes routes;
    private final Watermarks watermarks;
    private final Set<String> stalled = new HashSet<>();
    private final CoverageGaps gaps;
    private final Counters counters;
    /** Per (rule, lane): the time up to which the deadline index was handled. Persisted, loaded on start. */
    private final Map<String, Instant> scannedUpTo = new HashMap<>();
    private final Instant startedAt;
    private VerificationRecorder verification;

    public ReconciliationEngine(EngineConfig config, StateStore store, InstantSource clock) {
        this.config = Objects.requireNonNull(config, "config");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.routes = new Routes(config);
        this.watermarks = new Watermarks(config);
        this.startedAt = clock.instant();
        for (String source : config.sources()) {
            store.meta(META_WATERMARK + source).ifPresent(w -> watermarks.advance(source, Instant.parse(w)));
            if (store.meta(META_STALLED + source).isPresent()) stalled.add(source);
        }
        this.gaps = new CoverageGaps(config, store);
        this.counters = new Counters(config.rules(), store);
        for (Rule rule : config.rules()) {
            for (Lane lane : Lane.values()) {
                String name = laneName(rule, lane);
                store.meta(name).ifPresent(t -> scannedUpTo.put(name, Instant.parse(t)));
            }
        }
    }

    public EngineConfig config() {
        return config;
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
        private final List<Step> steps;
        private final Set<PairKey> touched;

        private Prepared(EngineConfig config, List<Step> steps, Set<PairKey> touched) {
            this.config = config;
            this.steps = steps;
            this.touched = touched;
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
        List<Step> steps = new ArrayList<>(facts.size() * 2);
        Set<PairKey> touched = new HashSet<>();
        for (Fact fact : facts) {
            Image image = null;
            for (Routes.Route route : routes.of(fact.source(), fact.table())) {
                // One canonical image per fact, unless its table feeds streams that keep different columns. The
                // image holds every column a rule reads (EngineConfig#columnsKept), so key and filter read it
                // instead of converting the same raw values again.
                if (image == null || image.keep != route.keep()) {
                    image = new Image(route.keep(), RowImage.of(fact, route.keep()));
                }
                Step step = plan(fact, image, route, store);
                if (step == null) continue;
                steps.add(step);
                if (step.oldKey() != null) touched.add(step.oldKey());
                if (step.key() != null) touched.add(step.key());
            }
        }
        return new Prepared(config, steps, touched);
    }

    /**
     * Applies prepared facts in order, in one atomic state write: all pairs they touch are read from the store in
     * one call, then the steps are carried out in order.
     */
    public List<Outcome> apply(Prepared prepared) {
        if (prepared.config != config) {
            throw new IllegalArgumentException("facts prepared by an engine with another configuration");
        }
        UnitOfWork uow = new UnitOfWork(store);
        uow.preload(prepared.touched);
        for (Step step : prepared.steps) {
            Rule rule = step.route().rule();
            Side side = step.route().side();
            if (step.matches()) {
                // A matching row without a key pairs with nothing: counted as such.
                if (step.key() == null) counters.countWithoutKey(rule.name(), side);
                else counters.countFact(rule.name(), side);
            }
            if (step.oldKey() != null) retract(uow, rule, side, step.oldKey(), step);
            if (step.key() == null) continue;
            if (step.matches()) upsert(uow, rule, side, step.key(), step);
            else retract(uow, rule, side, step.key(), step);
        }
        counters.flush(uow);
        return uow.commit();
    }

    /**
     * What one fact means for one rule side.
     *
     * @param image   the fact's row as the rule side keeps it
     * @param oldKey  the pair the row leaves because a key column changed (UPDATE with a before image), or null
     * @param key     the pair the row is upserted into ({@code matches}) or retracted from, or null for nothing
     * @param matches whether the row (as of this fact) belongs to the rule side; counted as a fact taken
     */
    private record Step(Fact fact, RowImage image, EncodedImage encoded, BigDecimal quantity, Routes.Route route,
                        PairKey oldKey, PairKey key, boolean matches) {
    }

    /** A fact's canonical image for one kept-column set, encoded by the store at most once, when a pair holds it. */
    private static final class Image {
        final Set<String> keep;
        final RowImage image;
        private EncodedImage encoded;

        Image(Set<String> keep, RowImage image) {
            this.keep = keep;
            this.image = image;
        }

        EncodedImage encoded(StateStore store) {
            if (encoded == null) encoded = store.encode(image);
            return encoded;
        }
    }

    private static Step plan(Fact fact, Image canonical, Routes.Route route, StateStore store) {
        RowImage image = canonical.image;
        Rule rule = route.rule();
        Side side = route.side();
        Operation op = fact.operation();
        List<String> key = keyOf(rule, side, image.columns()::get);
        PairKey oldKey = null;
        if (op == Operation.UPDATE && fact.before() != null) {
            // A key column changed: the row leaves its old pair. Needs the before image (binlog_row_image=FULL).
            List<String> old = keyOf(rule, side, c -> Values.canonical(fact.before().get(c)));
            if (old != null && !old.equals(key)) oldKey = new PairKey(rule.name(), old);
        }
        boolean matches = op.rowExists() && rule.side(side).filter().matchesCanonical(image.columns());
        // An insert or snapshot read that does not match cannot retract anything: no state lookup for it.
        boolean acts = key != null && (matches || op == Operation.UPDATE || op == Operation.DELETE);
        if (!acts && oldKey == null && !matches) return null;
        // The quantity is parsed here, on the preparing thread, where the row's text is still in the CPU cache.
        BigDecimal quantity = rule.quantity() == null || !matches ? null
                : PairEvaluator.quantity(image, rule.quantity().column(side));
        return new Step(fact, image, acts || oldKey != null ? canonical.encoded(store) : null, quantity, route,
                oldKey, acts ? new PairKey(rule.name(), key) : null, matches);
    }

    private void upsert(UnitOfWork uow, Rule rule, Side side, PairKey pk, Step step) {
        Fact fact = step.fact();
        RowImage image = step.image();
        PairState state = uow.pair(pk);
        StoredRow existing = state == null ? null : state.row(fact.row());
        if (existing != null) {
            int age = fact.position().compareTo(existing.image().position());
            if (age < 0) return;                                   // an older image replayed: already superseded
            if (age == 0 && existing.live() && existing.image().equals(image)) return;   // exact replay
        }
        Instant since = existing != null && existing.live() ? existing.since() : fact.eventTime();
        if (state == null) state = PairState.empty(pk, fact.eventTime());
        state = state.withRow(new StoredRow(side, image, since, true, step.encoded(), step.quantity()),
                fact.eventTime());
        decide(uow, rule, state);
    }

    private void retract(UnitOfWork uow, Rule rule, Side side, PairKey pk, Step step) {
        Fact fact = step.fact();
        PairState state = uow.pair(pk);
        StoredRow existing = state == null ? null : state.row(fact.row());
        if (existing == null || !existing.live()) return;
        if (fact.position().compareTo(existing.image().position()) < 0) return;   // stale replay
        // Keep the row as a tombstone: a replay of an older, matching image must not bring it back.
        state = state.withRow(new StoredRow(side, step.image(), existing.since(), false, step.encoded()),
                fact.eventTime());
        decide(uow, rule, state);
    }

    /**
     * The key of a row, given each column's canonical text, or null when a part is missing or empty (such a row
     * pairs with nothing).
     */
    private static List<String> keyOf(Rule rule, Side side, Function<String, String> canonical) {
        List<KeyMapping.Part> parts = rule.key().parts();
        if (parts.size() == 1) {
            String v = canonical.apply(parts.get(0).column(side));
            return v == null || v.isEmpty() ? null : List.of(v);
        }
        List<String> values = new ArrayList<>(parts.size());
        for (KeyMapping.Part p : parts) {
            String v = canonical.apply(p.column(side));
            if (v == null || v.isEmpty()) return null;
            values.add(v);
        }
        return values;
    }

    // ------------------------------------------------------------------------------------------------ decisions

    /** Re-judges a pair and records what changed: discrepancies opened or resolved, match, timers. */
    private void decide(UnitOfWork uow, Rule rule, PairState state) {
        List<StoredRow> left = state.liveRows(Side.LEFT);
        List<StoredRow> right = state.liveRows(Side.RIGHT);
        Verdict v = PairEvaluator.evaluate(rule, config.clockSkew(), left, right,
                watermarks.of(rule, Side.LEFT), watermarks.of(rule, Side.RIGHT));
        Instant now = clock.instant();
        List<RowImage> leftImages = images(left);
        List<RowImage> rightImages = images(right);

        Set<DiscrepancyType> open = EnumSet.noneOf(DiscrepancyType.class);
        open.addAll(state.open());
        Map<DiscrepancyType, Integer> occurrences = new EnumMap<>(DiscrepancyType.class);
        occurrences.putAll(state.occurrences());

        for (DiscrepancyType type : state.open()) {
            String id = Discrepancy.idOf(rule.name(), state.key().values(), type, state.occurrence(type));
            Discrepancy current = uow.discrepancy(id);
            if (!v.discrepancies().contains(type)) {
                open.remove(type);
                if (current == null) continue;   // record lost (should not happen): nothing to resolve
                Discrepancy resolved = current.resolve(now, reason(type, left, right), leftImages, rightImages);
                uow.put(resolved);
                uow.emit(new Outcome.DiscrepancyResolved(resolved));
            } else if (type == DiscrepancyType.QUANTITY_MISMATCH && current != null
                    && !sameNumber(current.difference(), v.difference())) {
                // Still wrong, by another amount: keep the one open discrepancy, show the current difference.
                uow.put(current.withDetails(v.difference(), leftImages, rightImages));
            }
        }
        for (DiscrepancyType type : v.discrepancies()) {
            if (open.contains(type)) continue;
            if (hiddenByGap(rule, type, left, right)) continue;   // cannot be judged: the gap is reported instead
            int occurrence = occurrences.getOrDefault(type, 0) + 1;
            occurrences.put(type, occurrence);
            open.add(type);
            Discrepancy d = new Discrepancy(Discrepancy.idOf(rule.name(), state.key().values(), type, occurrence),
                    rule.name(), type, keyMap(rule, state.key()), occurrence, Status.OPEN, now, null, null,
                    type == DiscrepancyType.QUANTITY_MISMATCH ? v.difference() : null, leftImages, rightImages);
            uow.put(d);
            uow.emit(new Outcome.DiscrepancyOpened(d));
        }
        if (v.matched() && !state.matched()) {
            Instant lastCommit = latest(left, right);
            uow.emit(new Outcome.PairMatched(rule.name(), keyMap(rule, state.key()), leftImages, rightImages,
                    lastCommit, now));
        }

        Instant expireAt = v.settled() && open.isEmpty()
                ? notBeforeScanned(rule, Lane.EXPIRE, state.lastEventTime().plus(config.retention())) : null;
        count(rule, state, open, v);
        schedule(uow, state, Lane.WAIT_LEFT, state.waitLeft(), v.waitLeft());
        schedule(uow, state, Lane.WAIT_RIGHT, state.waitRight(), v.waitRight());
        schedule(uow, state, Lane.EXPIRE, state.expireAt(), expireAt);
        uow.put(state.withDecision(open, occurrences, v.matched(), v.waitLeft(), v.waitRight(), expireAt));
    }

    /**
     * Whether a MISSING_* counterpart may have been committed in a window its source never showed (a coverage gap):
     * then the absence proves nothing.
     */
    private boolean hiddenByGap(Rule rule, DiscrepancyType type, List<StoredRow> left, List<StoredRow> right) {
        Duration wait = rule.grace().plus(config.clockSkew());
        if (type == DiscrepancyType.MISSING_RIGHT) {
            return gaps.hides(rule, Side.RIGHT, earliestSince(left), wait, watermarks);
        }
        if (type == DiscrepancyType.MISSING_LEFT) {
            return gaps.hides(rule, Side.LEFT, earliestSince(right), wait, watermarks);
        }
        return false;
    }

    private static Instant earliestSince(List<StoredRow> rows) {
        Instant min = rows.get(0).since();
        for (StoredRow r : rows) if (r.since().isBefore(min)) min = r.since();
        return min;
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

    /** Keeps the pending and open gauges in step with the pair's change. */
    private void count(Rule rule, PairState before, Set<DiscrepancyType> open, Verdict v) {
        // pending{side=left}: pairs whose left rows wait for the right side, i.e. on the right watermark.
        counters.addPending(rule.name(), Side.LEFT, delta(before.waitRight() != null, v.waitRight() != null));
        counters.addPending(rule.name(), Side.RIGHT, delta(before.waitLeft() != null, v.waitLeft() != null));
        if (before.open().isEmpty() && open.isEmpty()) return;
        for (DiscrepancyType type : DiscrepancyType.values()) {
            counters.addOpen(rule.name(), type, delta(before.open().contains(type), open.contains(type)));
        }
    }

    private static long delta(boolean before, boolean after) {
        return before == after ? 0 : after ? 1 : -1;
    }

    /**
     * Moves a pair's entry in the deadline index when its deadline changes: the old entry is deleted (a blind
     * delete, no read) and the new one written, so every entry in the index is current and a due entry costs one
     * read of its pair.
     */
    private static void schedule(UnitOfWork uow, PairState state, Lane lane, Instant before, Instant after) {
        if (Objects.equals(before, after)) return;
        if (before != null) uow.deleteTimer(new TimerEntry(lane, before, state.key()));
        if (after != null) uow.putTimer(new TimerEntry(lane, after, state.key()));
    }

    /**
     * A deadline at or before the time up to which its lane was already scanned would never be found (scans
     * start there); it is moved just after it and fires with the next watermark move. Only retention deadlines
     * (last event time + retention, possibly already past) can need this.
     */
    private Instant notBeforeScanned(Rule rule, Lane lane, Instant due) {
        Instant scanned = scannedUpTo.get(laneName(rule, lane));
        return scanned != null && !due.isAfter(scanned) ? scanned.plusNanos(1) : due;
    }

    private static Resolution reason(DiscrepancyType type, List<StoredRow> left, List<StoredRow> right) {
        return switch (type) {
            case MISSING_RIGHT -> right.isEmpty() ? Resolution.RETRACTED : Resolution.COUNTERPART_ARRIVED;
            case MISSING_LEFT -> left.isEmpty() ? Resolution.RETRACTED : Resolution.COUNTERPART_ARRIVED;
            case QUANTITY_MISMATCH -> left.isEmpty() || right.isEmpty() ? Resolution.RETRACTED : Resolution.CORRECTED;
            case DUPLICATE_LEFT, DUPLICATE_RIGHT -> Resolution.RETRACTED;
            // never in a pair's open set: only a verification opens and resolves them (VerificationRecorder)
            case UNOBSERVED_LEFT, UNOBSERVED_RIGHT, UNREPORTED_INCONSISTENCY -> Resolution.REVERIFIED;
        };
    }

    // ------------------------------------------------------------------------------------------------ time

    /**
     * Moves a source's watermark to {@code watermark} (the commit time of its newest event, or of a heartbeat
     * when it is idle) and decides every pair that was waiting for it. Watermarks never go back: an older value
     * is ignored.
     */
    public List<Outcome> advanceWatermark(String source, Instant watermark) {
        if (!watermarks.advance(source, watermark)) return List.of();
        UnitOfWork uow = new UnitOfWork(store);
        uow.putMeta(META_WATERMARK + source, watermark.toString());
        checkStall(uow, source, clock.instant());
        List<Outcome> outcomes = new ArrayList<>(uow.commit());
        Set<String> moved = new HashSet<>();
        for (Rule rule : config.rules()) {
            boolean left = watermarks.feeds(rule, Side.LEFT, source);
            boolean right = watermarks.feeds(rule, Side.RIGHT, source);
            if (left) outcomes.addAll(fire(rule, Lane.WAIT_LEFT, watermarks.of(rule, Side.LEFT), moved));
            if (right) outcomes.addAll(fire(rule, Lane.WAIT_RIGHT, watermarks.of(rule, Side.RIGHT), moved));
            if (left || right) outcomes.addAll(fire(rule, Lane.EXPIRE, watermarks.bothSides(rule), moved));
        }
        if (!moved.isEmpty()) {
            UnitOfWork scanned = new UnitOfWork(store);
            for (String lane : moved) scanned.putMeta(lane, scannedUpTo.get(lane).toString());
            scanned.commit();
        }
        return outcomes;
    }

    /**
     * Decides the pairs of one lane that are due at {@code upTo}, a page per committed batch. The scan starts where
     * the previous one ended: entries before that were handled, and RocksDB need not skip their tombstones. Adds
     * the lane to {@code moved} when its scan mark moved (the caller persists those marks).
     */
    private List<Outcome> fire(Rule rule, Lane lane, Instant upTo, Set<String> moved) {
        if (upTo == null) return List.of();
        String name = laneName(rule, lane);
        Instant from = scannedUpTo.get(name);
        if (from != null && !upTo.isAfter(from)) return List.of();
        List<Outcome> outcomes = new ArrayList<>();
        while (true) {
            List<TimerEntry> due = store.dueTimers(rule.name(), lane, from, upTo, TIMER_PAGE);
            if (due.isEmpty()) break;
            UnitOfWork uow = new UnitOfWork(store);
            uow.preload(due.stream().map(TimerEntry::pair).toList());
            for (TimerEntry t : due) {
                PairState state = uow.pair(t.pair());
                if (state == null || !t.due().equals(state.timer(lane))) {
                    uow.deleteTimer(t);   // left behind by an older release, or by a crash before its pair
                } else if (lane == Lane.EXPIRE) {
                    uow.deleteTimer(t);
                    expire(uow, rule, state);
                } else {
                    decide(uow, rule, state);   // the deadline passed: decide() moves (deletes) the entry
                }
            }
            counters.flush(uow);
            outcomes.addAll(uow.commit());
            if (due.size() < TIMER_PAGE) break;
        }
        scannedUpTo.put(name, upTo);
        moved.add(name);
        return outcomes;
    }

    private static String laneName(Rule rule, Lane lane) {
        return META_SCANNED + rule.name() + "/" + lane.name();
    }

    /** Drops a finished pair and its discrepancy records once both watermarks passed its retention. */
    private void expire(UnitOfWork uow, Rule rule, PairState state) {
        for (Map.Entry<DiscrepancyType, Integer> e : state.occurrences().entrySet()) {
            for (int n = 1; n <= e.getValue(); n++) {
                uow.deleteDiscrepancy(Discrepancy.idOf(rule.name(), state.key().values(), e.getKey(), n));
            }
        }
        uow.delete(state.key());
    }

    /**
     * Checks every source against the wall clock: one whose watermark is more than {@code stallAfter} behind is
     * reported stalled (once), and recovered when it catches up. Call it every second or so.
     */
    public List<Outcome> tick() {
        UnitOfWork uow = new UnitOfWork(store);
        Instant now = clock.instant();
        for (String source : config.sources()) checkStall(uow, source, now);
        return uow.commit();
    }

    private void checkStall(UnitOfWork uow, String source, Instant now) {
        Instant w = watermarks.of(source);
        Duration behind = Duration.between(w != null ? w : startedAt, now);
        boolean late = behind.compareTo(config.stallAfter()) > 0;
        if (late && stalled.add(source)) {
            uow.putMeta(META_STALLED + source, now.toString());
            uow.emit(new Outcome.SourceStalled(source, w, behind, now));
        } else if (!late && stalled.remove(source)) {
            uow.putMeta(META_STALLED + source, null);
            uow.emit(new Outcome.SourceRecovered(source, w, now));
        }
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
     * Empty until both sides' sources have reported a watermark.
     */
    public Optional<Instant> reconciledUntil(String rule) {
        Rule r = config.rule(rule).orElseThrow(() -> new IllegalArgumentException("unknown rule '" + rule + "'"));
        Instant both = watermarks.bothSides(r);
        return both == null ? Optional.empty() : Optional.of(both.minus(r.grace()).minus(config.clockSkew()));
    }

    /** Pairs of a rule whose {@code side} rows wait for their counterpart (grace not yet passed). */
    public long pending(String rule, Side side) {
        return counters.pending(rule, side);
    }

    /** Open discrepancies of a rule and type. */
    public long openDiscrepancies(String rule, DiscrepancyType type) {
        return counters.open(rule, type);
    }

    /** Facts that matched the filter of a rule's side, since this engine started. */
    public long factsTaken(String rule, Side side) {
        return counters.facts(rule, side);
    }

    /** Facts that matched a side's filter but had a blank key column, so they pair with nothing (since start). */
    public long factsWithoutKey(String rule, Side side) {
        return counters.withoutKey(rule, side);
    }

    public boolean isStalled(String source) {
        return stalled.contains(source);
    }

    // ------------------------------------------------------------------------------------------------ people

    /**
     * Records that a person acknowledged a discrepancy (open or resolved), with a note, in one committed batch. It
     * changes nothing in the judgement; the acknowledgement stays on the record when the discrepancy later changes
     * or is resolved. A second acknowledgement replaces the first.
     *
     * @return the acknowledged discrepancy, or empty if no discrepancy has that id (unknown, or expired)
     */
    public Optional<Discrepancy> acknowledge(String id, String note) {
        Objects.requireNonNull(id, "id");
        UnitOfWork uow = new UnitOfWork(store);
        Discrepancy current = uow.discrepancy(id);
        if (current == null) return Optional.empty();
        Discrepancy acknowledged = current.acknowledge(clock.instant(), note);
        uow.put(acknowledged);
        uow.commit();
        return Optional.of(acknowledged);
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

    // ------------------------------------------------------------------------------------------------ helpers

    private static List<RowImage> images(List<StoredRow> rows) {
        List<RowImage> out = new ArrayList<>(rows.size());
        for (StoredRow r : rows) out.add(r.image());
        return out;
    }

    private static Instant latest(List<StoredRow> left, List<StoredRow> right) {
        Instant max = Instant.MIN;
        for (StoredRow r : left) if (r.image().eventTime().isAfter(max)) max = r.image().eventTime();
        for (StoredRow r : right) if (r.image().eventTime().isAfter(max)) max = r.image().eventTime();
        return max;
    }

    private static Map<String, String> keyMap(Rule rule, PairKey key) {
        Map<String, String> m = new LinkedHashMap<>();
        List<KeyMapping.Part> parts = rule.key().parts();   // parts, not names(): no stream per matched pair
        for (int i = 0; i < parts.size(); i++) m.put(parts.get(i).name(), key.values().get(i));
        return m;
    }

    private static boolean sameNumber(BigDecimal a, BigDecimal b) {
        if (a == null || b == null) return a == b;
        return a.compareTo(b) == 0;
    }
}
