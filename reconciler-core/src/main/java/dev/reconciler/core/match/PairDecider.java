package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.Lane;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StoredRow;
import dev.reconciler.core.state.TimerEntry;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Changes a pair and re-judges it: a row upserted or retracted, then the verdict of {@link PairEvaluator} compared
 * with what is open — discrepancies opened or resolved, a match reported, the gauges counted and the pair's
 * deadlines moved in the deadline index. Owned by the engine thread.
 */
final class PairDecider {
    private final EngineConfig config;
    private final InstantSource clock;
    private final RulePauses pauses;
    private final Counters counters;
    private final DeadlineScanner.Marks marks;
    private final CoverageGaps gaps;
    private final Watermarks watermarks;
    private final AuditTrail audit;
    private final VerifyBeforeAlert verify;

    PairDecider(EngineConfig config, InstantSource clock, RulePauses pauses, Counters counters,
                DeadlineScanner.Marks marks, CoverageGaps gaps, Watermarks watermarks, AuditTrail audit,
                VerifyBeforeAlert verify) {
        this.audit = audit;
        this.verify = verify;
        this.config = config;
        this.clock = clock;
        this.pauses = pauses;
        this.counters = counters;
        this.marks = marks;
        this.gaps = gaps;
        this.watermarks = watermarks;
    }

    void upsert(UnitOfWork uow, Rule rule, Side side, PairKey pk, FactPlanner.Step step) {
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

    void retract(UnitOfWork uow, Rule rule, Side side, PairKey pk, FactPlanner.Step step) {
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

    /** Re-judges a pair and records what changed: discrepancies opened or resolved, match, timers. */
    void decide(UnitOfWork uow, Rule rule, PairState state) {
        List<StoredRow> left = state.liveRows(Side.LEFT);
        List<StoredRow> right = state.liveRows(Side.RIGHT);
        Verdict v = PairEvaluator.evaluate(rule, config.clockSkew(), left, right,
                // A paused rule is judged against the watermarks of the moment it paused: no wait passes meanwhile.
                pauses.watermark(rule, Side.LEFT), pauses.watermark(rule, Side.RIGHT));
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
                // A waived discrepancy the pair outgrew is resolved like an open one (and no longer counts waived).
                if (current.status() == Status.WAIVED) counters.addWaived(rule.name(), type, -1);
                Discrepancy resolved = current.resolve(now, reason(type, left, right), leftImages, rightImages);
                uow.put(resolved);
                uow.emit(new Outcome.DiscrepancyResolved(resolved));
            } else if (type == DiscrepancyType.QUANTITY_MISMATCH && current != null
                    && !sameNumber(current.difference(), v.difference())) {
                // Still wrong, by another amount: keep the one open discrepancy, show the current difference.
                Discrepancy changed = current.withDetails(v.difference(), leftImages, rightImages);
                if (current.status() == Status.WAIVED) {
                    // The waiver accepted a known amount; another amount is news: open again, and alert again.
                    TimelineEntry step = new TimelineEntry(now, TimelineEntry.Action.REOPENED, TimelineEntry.ENGINE,
                            "the difference changed from " + current.difference().toPlainString() + " to "
                                    + v.difference().toPlainString() + " after it was waived");
                    changed = changed.step(step);
                    counters.addWaived(rule.name(), type, -1);
                    audit.append(uow, changed, step);
                    uow.emit(new Outcome.DiscrepancyOpened(changed));
                }
                uow.put(changed);
            }
        }
        // A held MISSING_* whose counterpart arrived (or whose row went) is dropped: it never opens.
        if (!verify.isEmpty()) verify.settle(rule, state.key(), v.discrepancies());
        for (DiscrepancyType type : v.discrepancies()) {
            if (open.contains(type)) continue;
            if (hiddenByGap(rule, type, left, right)) continue;   // cannot be judged: the gap is reported instead
            int occurrence = occurrences.getOrDefault(type, 0) + 1;
            String id = Discrepancy.idOf(rule.name(), state.key().values(), type, occurrence);
            Verification verification = null;
            if (isMissing(type) && verify.verifies(rule)) {
                // Verify before alert: held while the counterpart is looked up on the other database (off the
                // engine thread), or while one found there may still arrive through the binlog.
                VerifyBeforeAlert.Decision decision = verify.check(rule, state.key(), type, id, now);
                if (decision.hold()) continue;
                verification = decision.verification();
            }
            occurrences.put(type, occurrence);
            open.add(type);
            Discrepancy d = new Discrepancy(id,
                    rule.name(), type, keyMap(rule, state.key()), occurrence, Status.OPEN, now, null, null,
                    type == DiscrepancyType.QUANTITY_MISMATCH ? v.difference() : null, leftImages, rightImages,
                    null, List.of(), verification);
            uow.put(d);
            uow.emit(new Outcome.DiscrepancyOpened(d));
        }
        if (v.matched() && !state.matched()) {
            Instant lastCommit = latest(left, right);
            uow.emit(new Outcome.PairMatched(rule.name(), keyMap(rule, state.key()), leftImages, rightImages,
                    lastCommit, now));
        }

        Instant expireAt = v.settled() && open.isEmpty()
                ? marks.notBeforeScanned(rule, Lane.EXPIRE, state.lastEventTime().plus(config.retention())) : null;
        count(rule, state, open, v);
        schedule(uow, state, Lane.WAIT_LEFT, state.waitLeft(), v.waitLeft());
        schedule(uow, state, Lane.WAIT_RIGHT, state.waitRight(), v.waitRight());
        schedule(uow, state, Lane.EXPIRE, state.expireAt(), expireAt);
        uow.put(state.withDecision(open, occurrences, v.matched(), v.waitLeft(), v.waitRight(), expireAt));
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

    private static boolean isMissing(DiscrepancyType type) {
        return type == DiscrepancyType.MISSING_LEFT || type == DiscrepancyType.MISSING_RIGHT;
    }

    private static Instant earliestSince(List<StoredRow> rows) {
        Instant min = rows.get(0).since();
        for (StoredRow r : rows) if (r.since().isBefore(min)) min = r.since();
        return min;
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
