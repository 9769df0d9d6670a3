package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.function.Consumer;

/**
 * State on the heap: for tests and as the benchmark baseline. Keys are ordered exactly as in the RocksDB store
 * (by {@link StateCodec} bytes), so both iterate alike. Nothing survives {@link #close()}.
 *
 * <p>A batch is applied under a lock so that readers never see half of it; readers do not take the lock and may
 * see a batch partially applied only in the sense of the concurrent maps' weak consistency.
 */
public final class InMemoryStateStore implements StateStore {
    private final ConcurrentSkipListMap<byte[], PairState> pairs = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
    private final ConcurrentSkipListMap<byte[], TimerEntry> timers = new ConcurrentSkipListMap<>(Arrays::compareUnsigned);
    private final ConcurrentSkipListMap<String, Discrepancy> discrepancies = new ConcurrentSkipListMap<>();
    private final Map<String, String> meta = new ConcurrentHashMap<>();
    private final ConcurrentSkipListMap<Long, JournalEntry> journal = new ConcurrentSkipListMap<>();
    /** The last journal sequence number assigned; written under the batch lock. */
    private volatile long journalSeq;
    private volatile boolean open = true;

    @Override
    public Optional<PairState> pair(PairKey key) {
        checkOpen();
        return Optional.ofNullable(pairs.get(StateCodec.pairKey(key)));
    }

    @Override
    public List<TimerEntry> dueTimers(String rule, Lane lane, Instant fromTime, Instant upTo, int limit) {
        checkOpen();
        byte[] from = fromTime == null ? StateCodec.lanePrefix(rule, lane) : StateCodec.timerLowerBound(rule, lane, fromTime);
        byte[] to = StateCodec.timerUpperBound(rule, lane, upTo);
        List<TimerEntry> out = new ArrayList<>();
        // A start after the end is an empty range, as in RocksDB; subMap would throw.
        if (Arrays.compareUnsigned(from, to) >= 0) return out;
        for (TimerEntry t : timers.subMap(from, true, to, false).values()) {
            if (out.size() >= limit) break;
            out.add(t);
        }
        return out;
    }

    @Override
    public Optional<Discrepancy> discrepancy(String id) {
        checkOpen();
        return Optional.ofNullable(discrepancies.get(id));
    }

    @Override
    public void forEachDiscrepancyAfter(String afterId, java.util.function.Predicate<Discrepancy> visitor) {
        checkOpen();
        for (Discrepancy d : (afterId == null ? discrepancies : discrepancies.tailMap(afterId, false)).values()) {
            if (!visitor.test(d)) return;
        }
    }

    @Override
    public void forEachPair(String rule, Consumer<PairState> visitor) {
        checkOpen();
        byte[] prefix = StateCodec.rulePrefix(rule);
        for (Map.Entry<byte[], PairState> e : pairs.tailMap(prefix, true).entrySet()) {
            if (!startsWith(e.getKey(), prefix)) break;
            visitor.accept(e.getValue());
        }
    }

    @Override
    public Optional<String> meta(String name) {
        checkOpen();
        return Optional.ofNullable(meta.get(name));
    }

    @Override
    public synchronized void write(StateWrite write) {
        checkOpen();
        long seq = journalSeq;
        for (StateWrite.Op op : write.ops()) {
            // Java 17: no pattern matching in switch yet, so an instanceof chain over the sealed Op.
            if (op instanceof StateWrite.PutPair p) {
                pairs.put(StateCodec.pairKey(p.state().key()), p.state());
            } else if (op instanceof StateWrite.DeletePair d) {
                pairs.remove(StateCodec.pairKey(d.key()));
            } else if (op instanceof StateWrite.PutTimer t) {
                timers.put(StateCodec.timerKey(t.timer()), t.timer());
            } else if (op instanceof StateWrite.DeleteTimer t) {
                timers.remove(StateCodec.timerKey(t.timer()));
            } else if (op instanceof StateWrite.PutDiscrepancy d) {
                discrepancies.put(d.discrepancy().id(), d.discrepancy());
            } else if (op instanceof StateWrite.DeleteDiscrepancy d) {
                discrepancies.remove(d.id());
            } else if (op instanceof StateWrite.PutMeta m) {
                if (m.value() == null) meta.remove(m.name());
                else meta.put(m.name(), m.value());
            } else if (op instanceof StateWrite.AppendJournal j) {
                seq++;
                journal.put(seq, new JournalEntry(seq, j.outcome()));
            } else {
                throw new IllegalArgumentException("unknown state operation " + op);
            }
        }
        journalSeq = seq;
    }

    @Override
    public long journalSeq() {
        checkOpen();
        return journalSeq;
    }

    @Override
    public List<JournalEntry> journal(long fromSeq, int limit) {
        checkOpen();
        List<JournalEntry> out = new ArrayList<>();
        for (JournalEntry e : journal.tailMap(fromSeq, true).values()) {
            if (out.size() >= limit) break;
            out.add(e);
        }
        return out;
    }

    @Override
    public void trimJournal(long upToSeq) {
        checkOpen();
        journal.headMap(upToSeq, true).clear();
    }

    @Override
    public void close() {
        open = false;
    }

    private void checkOpen() {
        if (!open) throw new IllegalStateException("in-memory state store is closed");
    }

    static boolean startsWith(byte[] key, byte[] prefix) {
        if (key.length < prefix.length) return false;
        return Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }
}
