package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Verify before alert: the {@code MISSING_*} discrepancies that are due but held while their counterpart is looked
 * up on the other database ({@link CounterpartLookup}), and the decision what each answer means. Owned by the engine
 * thread; only touched at deadline time (a due {@code MISSING_*}), when an answer comes back, and on ticks — the
 * per-fact path pays one {@code isEmpty()} check.
 *
 * <ul>
 *   <li>Due, not yet asked: held; a request goes to the port once the batch is committed.</li>
 *   <li>Answer ABSENT: opens, "verified absent at T". FAILED: opens, "not verified: why" (a database that cannot
 *       be queried never suppresses an alert).</li>
 *   <li>Answer PRESENT: the counterpart is only late in the binlog; held up to {@code maxWait} (wall clock). If it
 *       arrives, the pair is decided as usual (matched, nothing opened); if not, opens "present in the database but
 *       not seen in the binlog after maxWait".</li>
 *   <li>No answer within {@code maxWait}, or {@code maxPending} lookups already held: opens, "not verified".</li>
 * </ul>
 *
 * <p>Persisted as one metadata entry per rule ({@code verifying/<rule>}: one line per held pair), in the same batch
 * as the pair decisions that hold or release them, so a crash never loses a held discrepancy: after a start every
 * held one is looked up again.
 */
final class VerifyBeforeAlert {
    static final String META = "verifying/";

    enum Phase { REQUESTED, FOUND, ANSWERED }

    private record Id(PairKey pair, DiscrepancyType type) {
    }

    private static final class Held {
        final Id id;
        /** The id the discrepancy will have when it opens (for the lookup's logs). */
        final String discrepancyId;
        Phase phase;
        /** When the lookup was asked for (REQUESTED) or the row was found (FOUND). */
        Instant since;
        CounterpartLookup.Answer answer;

        Held(Id id, String discrepancyId, Phase phase, Instant since) {
            this.id = id;
            this.discrepancyId = discrepancyId;
            this.phase = phase;
            this.since = since;
        }
    }

    /** What {@link #check} decided for a due {@code MISSING_*}: hold it (verification null), or open it with it. */
    record Decision(boolean hold, Verification verification) {
        static final Decision HOLD = new Decision(true, null);
    }

    private final EngineConfig config;
    private final CounterpartLookup.Policy policy;
    private final Map<Id, Held> held = new LinkedHashMap<>();
    private final Set<String> dirty = new HashSet<>();
    private final List<CounterpartLookup.Request> outbox = new ArrayList<>();
    /** Held per rule and phase, recounted only after the held set changed (snapshots read it after every batch). */
    private final Map<String, long[]> counts = new HashMap<>();
    private boolean countsStale = true;

    /**
     * @param askAgain true at a start: every held pair is looked up again (an answer in flight before the crash is
     *                 lost); false when the engine only forgets a batch that did not commit (answers are in flight)
     */
    VerifyBeforeAlert(EngineConfig config, CounterpartLookup.Policy policy, StateStore store, Instant now,
                      boolean askAgain) {
        this.config = config;
        this.policy = policy;
        for (Rule rule : config.rules()) {
            store.meta(META + rule.name()).ifPresent(text -> {
                for (String line : text.split("\n")) {
                    if (line.isEmpty()) continue;
                    Held h = parse(rule.name(), line);
                    if (askAgain) {
                        h.phase = Phase.REQUESTED;
                        h.since = now;
                        outbox.add(request(h));
                        dirty.add(rule.name());
                    }
                    held.put(h.id, h);
                }
            });
        }
    }

    boolean verifies(Rule rule) {
        return policy.rules().contains(rule.name());
    }

    boolean isEmpty() {
        return held.isEmpty();
    }

    /**
     * A {@code MISSING_*} of {@code pair} is due: hold it while its lookup is in flight or its counterpart, found in
     * the database, may still arrive through the binlog; else open it with what the lookup found.
     */
    Decision check(Rule rule, PairKey pair, DiscrepancyType type, String discrepancyId, Instant now) {
        Id id = new Id(pair, type);
        Held h = held.get(id);
        if (h == null) {
            if (held.size() >= policy.maxPending()) {
                return new Decision(false, new Verification(Verification.Result.NOT_VERIFIED, now,
                        held.size() + " lookups already waiting (the most the engine holds)", null));
            }
            h = new Held(id, discrepancyId, Phase.REQUESTED, now);
            held.put(id, h);
            dirty.add(rule.name());
            countsStale = true;
            outbox.add(request(h));
            return Decision.HOLD;
        }
        Instant deadline = h.since.plus(policy.maxWait());
        switch (h.phase) {
            case REQUESTED -> {
                if (now.isBefore(deadline)) return Decision.HOLD;
                release(h);
                return new Decision(false, new Verification(Verification.Result.NOT_VERIFIED, now,
                        "no answer from the lookup within " + policy.maxWait().toSeconds() + " s", null));
            }
            case FOUND -> {
                if (now.isBefore(deadline)) return Decision.HOLD;
                release(h);
                return new Decision(false, new Verification(Verification.Result.PRESENT_NOT_IN_BINLOG, h.since,
                        h.answer.detail(), policy.maxWait()));
            }
            default -> {
                release(h);
                CounterpartLookup.Answer a = h.answer;
                return new Decision(false, a.found() == CounterpartLookup.Answer.Found.ABSENT
                        ? new Verification(Verification.Result.ABSENT, a.at(), a.detail(), null)
                        : new Verification(Verification.Result.NOT_VERIFIED, a.at(), a.detail(), null));
            }
        }
    }

    /**
     * The pair was decided again and {@code due} is what should be open now: a held {@code MISSING_*} that is no
     * longer among them (its counterpart arrived, or its row was retracted) is dropped without ever opening.
     *
     * @return how many held ones were dropped because their counterpart arrived
     */
    int settle(Rule rule, PairKey pair, Set<DiscrepancyType> due) {
        int dropped = 0;
        for (DiscrepancyType type : MISSING) {
            if (due.contains(type)) continue;
            Held h = held.get(new Id(pair, type));
            if (h == null) continue;
            release(h);
            dropped++;
        }
        return dropped;
    }

    private static final DiscrepancyType[] MISSING = {DiscrepancyType.MISSING_LEFT, DiscrepancyType.MISSING_RIGHT};

    /**
     * Records an answer. Returns the held pair to decide again, or null when nothing is held for it any more (its
     * counterpart arrived meanwhile, or the answer came after the max wait).
     */
    PairKey answer(CounterpartLookup.Answer answer, Instant now) {
        Held h = held.get(new Id(answer.pair(), answer.type()));
        if (h == null || h.phase != Phase.REQUESTED) return null;
        h.answer = answer;
        dirty.add(answer.pair().rule());
        countsStale = true;
        if (answer.found() == CounterpartLookup.Answer.Found.PRESENT) {
            h.phase = Phase.FOUND;
            h.since = answer.at().isAfter(now) ? now : answer.at();
            return null;   // held: waits for the binlog
        }
        h.phase = Phase.ANSWERED;
        return h.id.pair();
    }

    /**
     * Drops an answered entry that the pair's new decision did not use (the discrepancy is hidden by a coverage gap,
     * or the rule changed): an answered entry never waits.
     */
    void dropAnswered(PairKey pair) {
        for (DiscrepancyType type : MISSING) {
            Held h = held.get(new Id(pair, type));
            if (h != null && h.phase == Phase.ANSWERED) release(h);
        }
    }

    /** Drops whatever is held for a pair that no longer exists. */
    void dropAll(PairKey pair) {
        for (DiscrepancyType type : MISSING) {
            Held h = held.get(new Id(pair, type));
            if (h != null) release(h);
        }
    }

    /** The held pairs whose wait has run out at {@code now}: to decide again (which opens them). */
    List<PairKey> expired(Instant now) {
        if (held.isEmpty()) return List.of();
        List<PairKey> out = new ArrayList<>();
        for (Held h : held.values()) {
            if (h.phase != Phase.ANSWERED && !now.isBefore(h.since.plus(policy.maxWait()))) out.add(h.id.pair());
        }
        return out;
    }

    private void release(Held h) {
        held.remove(h.id);
        countsStale = true;
        dirty.add(h.id.pair().rule());
    }

    /** Held pairs of a rule in a phase (gauges). */
    long count(String rule, Phase phase) {
        if (countsStale) {
            counts.clear();
            for (Held h : held.values()) {
                counts.computeIfAbsent(h.id.pair().rule(), r -> new long[Phase.values().length])[h.phase.ordinal()]++;
            }
            countsStale = false;
        }
        long[] c = counts.get(rule);
        return c == null ? 0 : c[phase.ordinal()];
    }

    /** Writes the rules whose held set changed, in the unit's batch. */
    void flush(UnitOfWork uow) {
        if (dirty.isEmpty()) return;
        Map<String, StringBuilder> lines = new HashMap<>();
        for (String rule : dirty) lines.put(rule, new StringBuilder());
        for (Held h : held.values()) {
            StringBuilder sb = lines.get(h.id.pair().rule());
            if (sb != null) format(sb, h);
        }
        lines.forEach((rule, sb) -> uow.putMeta(META + rule, sb.isEmpty() ? null : sb.toString()));
        dirty.clear();
    }

    /** The lookups to ask for, once the batch that holds them is committed. */
    List<CounterpartLookup.Request> drain() {
        if (outbox.isEmpty()) return List.of();
        List<CounterpartLookup.Request> out = List.copyOf(outbox);
        outbox.clear();
        return out;
    }

    private static Side missingSide(DiscrepancyType type) {
        return type == DiscrepancyType.MISSING_RIGHT ? Side.RIGHT : Side.LEFT;
    }

    private CounterpartLookup.Request request(Held h) {
        return new CounterpartLookup.Request(h.id.pair(), h.id.type(), missingSide(h.id.type()), h.discrepancyId,
                h.since);
    }

    // One line per held pair: type, phase, since, answer detail, discrepancy id, key values; tab-separated, escaped.
    private static void format(StringBuilder sb, Held h) {
        sb.append(h.id.type().name()).append('\t').append(h.phase == Phase.FOUND ? Phase.FOUND : Phase.REQUESTED)
                .append('\t').append(h.since).append('\t')
                .append(escape(h.phase == Phase.FOUND ? h.answer.detail() : "")).append('\t')
                .append(h.discrepancyId);
        for (String v : h.id.pair().values()) sb.append('\t').append(escape(v));
        sb.append('\n');
    }

    private static Held parse(String rule, String line) {
        String[] f = line.split("\t", -1);
        try {
            List<String> values = new ArrayList<>();
            for (int i = 5; i < f.length; i++) values.add(unescape(f[i]));
            DiscrepancyType type = DiscrepancyType.valueOf(f[0]);
            Held h = new Held(new Id(new PairKey(rule, values), type), f[4], Phase.valueOf(f[1]),
                    Instant.parse(f[2]));
            if (h.phase == Phase.FOUND) {
                h.answer = new CounterpartLookup.Answer(h.id.pair(), type, CounterpartLookup.Answer.Found.PRESENT,
                        h.since, unescape(f[3]));
            }
            return h;
        } catch (RuntimeException e) {
            throw new IllegalStateException("state: the held verifications of rule '" + rule + "' (engine metadata '"
                    + META + rule + "') cannot be read (" + e.getMessage() + "); the state was written by another"
                    + " release or is damaged", e);
        }
    }

    private static String escape(String s) {
        Objects.requireNonNull(s);
        return s.replace("%", "%25").replace("\t", "%09").replace("\n", "%0A").replace("\r", "%0D");
    }

    private static String unescape(String s) {
        return s.replace("%0D", "\r").replace("%0A", "\n").replace("%09", "\t").replace("%25", "%");
    }
}
