package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Records what window verifications find, for the engine (on its thread): discrepancies of the verification types,
 * kept apart from the pairs' own judgement. A finding is not in its pair's open set (the pair's next change does
 * not resolve it, and the pair's expiry does not drop it); it is opened by a verification and resolved by a later
 * verification of its window that no longer finds it ({@link Resolution#REVERIFIED}).
 *
 * <p>Ids follow the engine's rule (rule, key, type, occurrence): the occurrence is the last one stored for the
 * pair and type, found by probing ids from 1. A finding whose last occurrence is still open is the same
 * discrepancy, so running a verification twice adds nothing; one whose last occurrence was resolved opens the next.
 */
final class VerificationRecorder {
    private final EngineConfig config;
    private final StateStore store;
    private final Counters counters;
    private final InstantSource clock;

    VerificationRecorder(EngineConfig config, StateStore store, Counters counters, InstantSource clock) {
        this.config = config;
        this.store = store;
        this.counters = counters;
        this.clock = clock;
    }

    ReconciliationEngine.VerificationResult record(List<VerificationFinding> findings) {
        UnitOfWork uow = new UnitOfWork(store);
        Instant now = clock.instant();
        List<String> ids = new ArrayList<>(findings.size());
        int opened = 0;
        for (VerificationFinding f : findings) {
            Rule rule = rule(f.rule());
            int last = 0;
            Discrepancy current = null;
            for (int n = 1; ; n++) {
                Discrepancy d = uow.discrepancy(f.id(n));
                if (d == null) break;
                last = n;
                current = d;
            }
            if (current != null && current.unresolved()) {
                ids.add(current.id());   // found again: the same discrepancy (open or waived), nothing new to tell
                continue;
            }
            int occurrence = last + 1;
            Discrepancy d = new Discrepancy(f.id(occurrence), rule.name(), f.type(), keyMap(rule, f.key()), occurrence,
                    Status.OPEN, now, null, null, f.difference(), f.left(), f.right());
            uow.put(d);
            uow.emit(new Outcome.DiscrepancyOpened(d));
            counters.addOpen(rule.name(), f.type(), 1);
            ids.add(d.id());
            opened++;
        }
        counters.flush(uow);
        return new ReconciliationEngine.VerificationResult(ids, opened, 0, uow.commit());
    }

    /**
     * Resolves the open findings of {@code rule} whose rows all lie in {@code [from, to)} (their event time: the
     * database's change time) and that the verification that just covered that window did not find again.
     */
    ReconciliationEngine.VerificationResult close(String ruleName, Instant from, Instant to, Set<String> found) {
        Rule rule = rule(ruleName);
        List<Discrepancy> stale = new ArrayList<>();
        store.forEachDiscrepancy(d -> {
            if (!d.unresolved() || !d.rule().equals(rule.name()) || !d.type().fromVerification()) return;
            if (found.contains(d.id())) return;
            List<RowImage> subject = VerificationFinding.subjectRows(d.type(), d.left(), d.right());
            for (RowImage r : subject) {
                if (r.eventTime().isBefore(from) || !r.eventTime().isBefore(to)) return;   // not re-judged
            }
            stale.add(d);
        });
        UnitOfWork uow = new UnitOfWork(store);
        Instant now = clock.instant();
        for (Discrepancy d : stale) {
            Discrepancy resolved = d.resolve(now, Resolution.REVERIFIED, d.left(), d.right());
            uow.put(resolved);
            uow.emit(new Outcome.DiscrepancyResolved(resolved));
            counters.addOpen(rule.name(), d.type(), -1);
            if (d.status() == Status.WAIVED) counters.addWaived(rule.name(), d.type(), -1);
        }
        counters.flush(uow);
        return new ReconciliationEngine.VerificationResult(List.of(), 0, stale.size(), uow.commit());
    }

    private Rule rule(String name) {
        return config.rule(name).orElseThrow(() -> new IllegalArgumentException("unknown rule '" + name + "'"));
    }

    private static Map<String, String> keyMap(Rule rule, List<String> values) {
        Map<String, String> m = new LinkedHashMap<>();
        List<KeyMapping.Part> parts = rule.key().parts();
        for (int i = 0; i < parts.size(); i++) m.put(parts.get(i).name(), values.get(i));
        return m;
    }
}
