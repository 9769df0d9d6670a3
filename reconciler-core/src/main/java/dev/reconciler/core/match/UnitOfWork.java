package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.TimerEntry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes of one engine call, applied to the store as one atomic {@link StateWrite}. Reads see the changes
 * made so far in the same call (read-your-writes), so a batch of facts touching one pair twice works on the latest
 * state, and each pair is written once per batch however often it changed.
 */
final class UnitOfWork {
    /** Stands for "no pair" in the two maps below, so that one lookup answers (null means "not known here"). */
    private static final PairState NONE = PairState.empty(new PairKey("-", List.of("-")), Instant.EPOCH);
    private final StateStore store;
    /** {@link #NONE} means the pair was deleted in this unit. */
    private Map<PairKey, PairState> pairs = new HashMap<>();
    /** Pairs read ahead from the store; {@link #NONE} means the store has none. */
    private Map<PairKey, PairState> read = new HashMap<>();
    /** A null value means the discrepancy record was deleted in this unit. */
    private final Map<String, Discrepancy> discrepancies = new LinkedHashMap<>();
    private final StateWrite write = new StateWrite();
    /** Deadline index changes: true puts, false deletes. A put then deleted in the same unit cancels out. */
    private final Map<TimerEntry, Boolean> timers = new LinkedHashMap<>();
    private final List<Outcome> outcomes = new ArrayList<>();
    /** Outcomes up to this index were counted into the day's figures ({@link #untallied()}). */
    private int tallied;

    UnitOfWork(StateStore store) {
        this.store = store;
    }

    PairState pair(PairKey key) {
        PairState s = pairs.get(key);
        if (s == null) s = read.get(key);
        if (s == null) return store.pair(key).orElse(null);
        return s == NONE ? null : s;
    }

    /** Reads the given pairs from the store in one call, so the facts that follow find them in memory. */
    void preload(Collection<PairKey> keys) {
        if (keys.isEmpty()) return;
        if (read.isEmpty() && pairs.isEmpty()) {
            // Sized once for the batch's pairs (about 2,000 for 1,000 facts) instead of growing through 7 resizes.
            int capacity = (int) (keys.size() / 0.75f) + 1;
            read = new HashMap<>(capacity);
            pairs = new HashMap<>(capacity);
        }
        Map<PairKey, PairState> found = store.pairs(keys);
        for (PairKey k : keys) read.put(k, found.getOrDefault(k, NONE));
    }

    void put(PairState state) {
        pairs.put(state.key(), state);
    }

    void delete(PairKey key) {
        pairs.put(key, NONE);
    }

    Discrepancy discrepancy(String id) {
        if (discrepancies.containsKey(id)) return discrepancies.get(id);
        return store.discrepancy(id).orElse(null);
    }

    void put(Discrepancy d) {
        discrepancies.put(d.id(), d);
    }

    void deleteDiscrepancy(String id) {
        discrepancies.put(id, null);
    }

    void putTimer(TimerEntry t) {
        timers.put(t, Boolean.TRUE);
    }

    /**
     * Deletes an index entry. If this unit wrote it (a left row scheduled to wait, then matched by a right row of
     * the same batch), neither op reaches the store: the common case of a flash sale costs no index write at all.
     * (An entry is never put twice: the engine puts one only when a pair's deadline changes to it.)
     */
    void deleteTimer(TimerEntry t) {
        if (timers.get(t) == Boolean.TRUE) timers.remove(t);
        else timers.put(t, Boolean.FALSE);
    }

    void putMeta(String name, String value) {
        write.putMeta(name, value);
    }

    void emit(Outcome o) {
        outcomes.add(o);
    }

    /** The outcomes emitted since the previous call: {@link Counters#flush} counts each once. */
    List<Outcome> untallied() {
        List<Outcome> out = outcomes.subList(tallied, outcomes.size());
        tallied = outcomes.size();
        return out;
    }

    /**
     * Writes everything in one batch, then hands out the outcomes. Outcomes are returned only after the state that
     * produced them is durable: a crash before the write loses both, and the replayed facts produce them again.
     * Every outcome but a match is also appended to the outcome journal in the same batch ({@link JournalEntry}):
     * the durable outbox the alerts are delivered from.
     */
    List<Outcome> commit() {
        pairs.forEach((k, v) -> {
            if (v == NONE) write.deletePair(k);
            else write.putPair(v);
        });
        timers.forEach((t, put) -> {
            if (put) write.putTimer(t);
            else write.deleteTimer(t);
        });
        discrepancies.forEach((id, d) -> {
            if (d == null) write.deleteDiscrepancy(id);
            else write.putDiscrepancy(d);
        });
        for (Outcome o : outcomes) {
            if (JournalEntry.journaled(o)) write.appendJournal(o);
        }
        if (!write.isEmpty()) store.write(write);
        return List.copyOf(outcomes);
    }
}
