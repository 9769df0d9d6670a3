package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.outcome.Outcome;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A batch of changes the store applies atomically: all or nothing, so that a crash never leaves a pair without
 * its timer or a discrepancy without its pair. Not thread-safe; built and handed over by one owner.
 */
public final class StateWrite {

    /** One change. */
    public sealed interface Op {
    }

    public record PutPair(PairState state) implements Op {
    }

    public record DeletePair(PairKey key) implements Op {
    }

    public record PutTimer(TimerEntry timer) implements Op {
    }

    public record DeleteTimer(TimerEntry timer) implements Op {
    }

    public record PutDiscrepancy(Discrepancy discrepancy) implements Op {
    }

    public record DeleteDiscrepancy(String id) implements Op {
    }

    /** Engine metadata (watermarks, stalled flags); a null value deletes. */
    public record PutMeta(String name, String value) implements Op {
    }

    /**
     * Appends an outcome to the outcome journal ({@link JournalEntry}); the store numbers it with the next sequence
     * number when it applies the batch, so the numbers follow the commit order whoever writes.
     */
    public record AppendJournal(Outcome outcome) implements Op {
        public AppendJournal {
            if (!JournalEntry.journaled(outcome)) {
                throw new IllegalArgumentException("only discrepancy and source outcomes are journaled, not " + outcome);
            }
        }
    }

    private final List<Op> ops = new ArrayList<>();

    public StateWrite putPair(PairState state) {
        ops.add(new PutPair(state));
        return this;
    }

    public StateWrite deletePair(PairKey key) {
        ops.add(new DeletePair(key));
        return this;
    }

    public StateWrite putTimer(TimerEntry timer) {
        ops.add(new PutTimer(timer));
        return this;
    }

    public StateWrite deleteTimer(TimerEntry timer) {
        ops.add(new DeleteTimer(timer));
        return this;
    }

    public StateWrite putDiscrepancy(Discrepancy d) {
        ops.add(new PutDiscrepancy(d));
        return this;
    }

    public StateWrite deleteDiscrepancy(String id) {
        ops.add(new DeleteDiscrepancy(id));
        return this;
    }

    public StateWrite putMeta(String name, String value) {
        ops.add(new PutMeta(name, value));
        return this;
    }

    public StateWrite appendJournal(Outcome outcome) {
        ops.add(new AppendJournal(outcome));
        return this;
    }

    public List<Op> ops() {
        return Collections.unmodifiableList(ops);
    }

    public boolean isEmpty() {
        return ops.isEmpty();
    }

    public int size() {
        return ops.size();
    }
}
