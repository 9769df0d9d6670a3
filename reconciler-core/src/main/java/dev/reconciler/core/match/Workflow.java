package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.discrepancy.TimelineEntry.Action;
import dev.reconciler.core.discrepancy.TransitionRefused;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;

import java.time.InstantSource;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The steps people take with a discrepancy (docs/workflow.md has the state diagram): acknowledge (any state),
 * waive (open → waived), resolve by hand (open or waived → resolved, {@link Resolution#MANUAL}), re-open (waived, or
 * resolved by hand → open). Each step is one committed batch holding the discrepancy, its pair's open set and the
 * gauges as they change, and the step's audit entry. Steps that change whether it alerts are journaled as outcomes,
 * so the alerts follow: waiving and resolving send the resolved transition, re-opening fires again.
 *
 * <p>What the engine does afterwards:
 * <ul>
 *   <li>waived: the engine keeps judging the pair. Consistent later: resolved as usual. A quantity mismatch whose
 *       amount changes: re-opened by the engine (the waiver was for the amount it saw). A different type on the same
 *       pair opens as a discrepancy of its own.</li>
 *   <li>resolved by hand: the type leaves the pair's open set, so nothing open remains for it; if the pair is still
 *       inconsistent at its next change, the engine opens a new occurrence (a new id, alerted). Until then the pair
 *       is kept (it does not expire while inconsistent).</li>
 * </ul>
 * Engine-thread only.
 */
final class Workflow {
    private final StateStore store;
    private final Counters counters;
    private final AuditTrail audit;
    private final InstantSource clock;

    Workflow(StateStore store, Counters counters, AuditTrail audit, InstantSource clock) {
        this.store = store;
        this.counters = counters;
        this.audit = audit;
        this.clock = clock;
    }

    Optional<ReconciliationEngine.StepResult> act(String id, Action action, String by, String reason) {
        UnitOfWork uow = new UnitOfWork(store);
        Discrepancy current = uow.discrepancy(id);
        if (current == null) return Optional.empty();
        TimelineEntry step = new TimelineEntry(clock.instant(), action, by, reason);
        Discrepancy next = current.step(step);
        String rule = current.rule();
        switch (action) {
            case ACKNOWLEDGED -> {
            }
            case WAIVED -> {
                if (current.status() != Status.OPEN) throw refused(current, "waive", "it is " + describe(current));
                counters.addWaived(rule, current.type(), 1);
                uow.emit(new Outcome.DiscrepancyResolved(next));
            }
            case RESOLVED -> {
                if (!current.unresolved()) throw refused(current, "resolve", "it is " + describe(current));
                if (current.status() == Status.WAIVED) counters.addWaived(rule, current.type(), -1);
                counters.addOpen(rule, current.type(), -1);
                if (!current.type().fromVerification()) setOpen(uow, current, false);
                uow.emit(new Outcome.DiscrepancyResolved(next));
            }
            case REOPENED -> {
                if (current.status() == Status.WAIVED) {
                    counters.addWaived(rule, current.type(), -1);
                } else if (current.status() == Status.RESOLVED && current.resolution() == Resolution.MANUAL) {
                    if (!current.type().fromVerification()) reopenInPair(uow, current);
                    counters.addOpen(rule, current.type(), 1);
                } else {
                    throw refused(current, "re-open", current.status() == Status.OPEN ? "it is open"
                            : "the engine resolved it (" + current.resolution() + "): the pair is consistent; only a"
                            + " waived discrepancy or one resolved by hand can be re-opened");
                }
                uow.emit(new Outcome.DiscrepancyOpened(next));
            }
            default -> throw new IllegalArgumentException("'" + action + "' is not a step people take");
        }
        uow.put(next);
        audit.append(uow, next, step);
        counters.flush(uow);
        List<Outcome> outcomes;
        try {
            outcomes = uow.commit();
        } catch (RuntimeException e) {
            counters.reloadGauges(store);
            audit.reload(store);
            throw e;
        }
        return Optional.of(new ReconciliationEngine.StepResult(next, outcomes));
    }

    private void reopenInPair(UnitOfWork uow, Discrepancy d) {
        PairState pair = uow.pair(pairKey(d));
        if (pair == null) {
            throw refused(d, "re-open", "its pair was dropped after the retention period");
        }
        if (pair.occurrence(d.type()) != d.occurrence() || pair.open().contains(d.type())) {
            String newer = Discrepancy.idOf(d.rule(), pair.key().values(), d.type(), pair.occurrence(d.type()));
            throw refused(d, "re-open", "the pair has a later " + d.type() + " discrepancy, " + newer
                    + "; look at that one");
        }
        if (pair.matched() || pair.expireAt() != null) {
            // Consistent since: re-opened, it would sit open on a pair due to be dropped with its records.
            throw refused(d, "re-open", "its pair has been consistent since (the engine matched it after the hand"
                    + " resolution): there is nothing to re-open");
        }
        setOpen(uow, d, true);
    }

    /** Adds or removes the discrepancy's type in its pair's open set (the engine's view of what is unresolved). */
    private void setOpen(UnitOfWork uow, Discrepancy d, boolean open) {
        PairState pair = uow.pair(pairKey(d));
        if (pair == null || pair.occurrence(d.type()) != d.occurrence()) return;   // a later occurrence owns the type
        Set<dev.reconciler.core.discrepancy.DiscrepancyType> types =
                EnumSet.noneOf(dev.reconciler.core.discrepancy.DiscrepancyType.class);
        types.addAll(pair.open());
        if (open ? !types.add(d.type()) : !types.remove(d.type())) return;
        uow.put(pair.withDecision(types, pair.occurrences(), pair.matched(), pair.waitLeft(), pair.waitRight(),
                pair.expireAt()));
    }

    private PairKey pairKey(Discrepancy d) {
        List<String> values = new ArrayList<>(d.key().values());
        return new PairKey(d.rule(), values);
    }

    private static String describe(Discrepancy d) {
        return switch (d.status()) {
            case OPEN -> "open";
            case WAIVED -> "waived already";
            case RESOLVED -> "resolved (" + d.resolution() + ")";
        };
    }

    private static TransitionRefused refused(Discrepancy d, String what, String why) {
        return new TransitionRefused("discrepancy " + d.id() + " cannot be " + (what.endsWith("e") ? what + "d"
                : what + "ed") + ": " + why);
    }
}
