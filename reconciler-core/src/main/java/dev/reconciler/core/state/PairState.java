package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.RandomAccess;
import java.util.Set;

/**
 * Everything known about one pair (one rule, one key): its rows on both sides, which discrepancy types are open,
 * how often each type has opened, whether it is currently matched, and which timers are scheduled for it.
 * Immutable; the engine replaces it.
 *
 * @param rows          live rows and tombstones of both sides, ordered by side then row id
 * @param open          discrepancy types currently open
 * @param occurrences   how many times each type has opened (the current or last one's occurrence number)
 * @param matched       true while the pair is consistent with both sides present
 * @param waitLeft      deadline of the WAIT_LEFT timer, or null
 * @param waitRight     deadline of the WAIT_RIGHT timer, or null
 * @param expireAt      deadline of the EXPIRE timer, or null
 * @param lastEventTime the newest event time applied to this pair
 */
public record PairState(PairKey key, List<StoredRow> rows, Set<DiscrepancyType> open,
                        Map<DiscrepancyType, Integer> occurrences, boolean matched, Instant waitLeft,
                        Instant waitRight, Instant expireAt, Instant lastEventTime) {

    private static final Comparator<StoredRow> ORDER =
            Comparator.comparing(StoredRow::side).thenComparing(r -> r.image().id());

    private static final Set<DiscrepancyType> NONE_OPEN =
            Collections.unmodifiableSet(EnumSet.noneOf(DiscrepancyType.class));

    public PairState {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(lastEventTime, "lastEventTime");
        rows = Rows.sorted(rows);
        open = open.isEmpty() ? NONE_OPEN : Collections.unmodifiableSet(EnumSet.copyOf(open));
        occurrences = occurrences.isEmpty() ? Map.of()
                : Collections.unmodifiableMap(new EnumMap<>(occurrences));
    }

    public static PairState empty(PairKey key, Instant eventTime) {
        return new PairState(key, List.of(), Set.of(), Map.of(), false, null, null, null, eventTime);
    }

    public StoredRow row(RowId id) {
        for (StoredRow r : rows) {
            if (r.image().id().equals(id)) return r;
        }
        return null;
    }

    /** Live rows of one side, ordered by row id (the first is the side's primary row). */
    public List<StoredRow> liveRows(Side side) {
        List<StoredRow> out = new ArrayList<>(2);
        for (StoredRow r : rows) {
            if (r.side() == side && r.live()) out.add(r);
        }
        return out;
    }

    public int occurrence(DiscrepancyType type) {
        return occurrences.getOrDefault(type, 0);
    }

    public Instant timer(Lane lane) {
        return switch (lane) {
            case WAIT_LEFT -> waitLeft;
            case WAIT_RIGHT -> waitRight;
            case EXPIRE -> expireAt;
        };
    }

    public PairState withRow(StoredRow row, Instant eventTime) {
        // Rows stay in order: the new row goes where it sorts, replacing the row's previous image.
        StoredRow[] next = new StoredRow[rows.size() + 1];
        int n = 0;
        boolean placed = false;
        for (StoredRow r : rows) {
            if (r.image().id().equals(row.image().id())) continue;
            if (!placed && ORDER.compare(row, r) < 0) {
                next[n++] = row;
                placed = true;
            }
            next[n++] = r;
        }
        if (!placed) next[n++] = row;
        List<StoredRow> sorted = new Rows(n == next.length ? next : Arrays.copyOf(next, n));
        Instant last = eventTime.isAfter(lastEventTime) ? eventTime : lastEventTime;
        return new PairState(key, sorted, open, occurrences, matched, waitLeft, waitRight, expireAt, last);
    }

    public PairState withDecision(Set<DiscrepancyType> open, Map<DiscrepancyType, Integer> occurrences,
                                  boolean matched, Instant waitLeft, Instant waitRight, Instant expireAt) {
        return new PairState(key, rows, open, occurrences, matched, waitLeft, waitRight, expireAt, lastEventTime);
    }

    /**
     * The rows of a state: immutable and in {@link #ORDER}. A state made from another's rows (a new decision, a
     * row replaced) keeps them as they are instead of copying and sorting them again.
     */
    private static final class Rows extends AbstractList<StoredRow> implements RandomAccess {
        private final StoredRow[] rows;

        private Rows(StoredRow[] rows) {
            this.rows = rows;
        }

        private static final Rows EMPTY = new Rows(new StoredRow[0]);

        static List<StoredRow> sorted(List<StoredRow> rows) {
            if (rows instanceof Rows r) return r;
            if (rows.isEmpty()) return EMPTY;
            StoredRow[] copy = rows.toArray(new StoredRow[0]);
            for (StoredRow r : copy) Objects.requireNonNull(r, "row");
            Arrays.sort(copy, ORDER);
            return new Rows(copy);
        }

        @Override
        public StoredRow get(int index) {
            return rows[index];
        }

        @Override
        public int size() {
            return rows.length;
        }
    }
}
