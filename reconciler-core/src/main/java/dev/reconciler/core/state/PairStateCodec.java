package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pair's value: version, rows (side, live, since, image), open discrepancy types as a bit set, occurrences per
 * type, matched, the three deadlines and the last event time.
 */
public final class PairStateCodec {
    private PairStateCodec() {
    }

    public static byte[] encode(PairState s, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(64 + 256 * s.rows().size());   // rows are ~120 bytes: grow rarely
        write(out, s, names);
        return out.toArray();
    }

    /** Appends the value of {@code s} to {@code out}. */
    static void write(Bytes.Writer out, PairState s, NameTable names) {
        out.b(FormatVersion.CURRENT);
        out.varLong(s.rows().size());
        for (StoredRow r : s.rows()) {
            out.b(r.side().ordinal());
            out.bool(r.live());
            out.instant(r.since());
            EncodedImage e = r.encoded();
            if (e != null && e.names() == names) out.raw(e.bytes());
            else RowImageCodec.write(out, r.image(), names);
        }
        int openBits = 0;
        for (DiscrepancyType t : s.open()) openBits |= 1 << t.ordinal();
        out.b(openBits);
        out.varLong(s.occurrences().size());
        for (Map.Entry<DiscrepancyType, Integer> e : s.occurrences().entrySet()) {
            out.b(e.getKey().ordinal());
            out.varLong(e.getValue());
        }
        out.bool(s.matched());
        out.nullableInstant(s.waitLeft());
        out.nullableInstant(s.waitRight());
        out.nullableInstant(s.expireAt());
        out.instant(s.lastEventTime());
    }

    public static PairState decode(PairKey key, byte[] bytes, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes);
            FormatVersion.check(in.b(), "pair state of " + key);
            int n = (int) in.varLong();
            List<StoredRow> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Side side = Side.values()[in.b()];
                boolean live = in.bool();
                Instant since = in.instant();
                int start = in.position();
                RowImage image = RowImageCodec.read(in, names);
                // The row keeps its bytes: a later write of the pair copies them instead of encoding it again.
                rows.add(new StoredRow(side, image, since, live,
                        new EncodedImage(names, Arrays.copyOfRange(bytes, start, in.position()))));
            }
            int openBits = in.b();
            Set<DiscrepancyType> open = EnumSet.noneOf(DiscrepancyType.class);
            for (DiscrepancyType t : DiscrepancyType.values()) {
                if ((openBits & (1 << t.ordinal())) != 0) open.add(t);
            }
            int m = (int) in.varLong();
            Map<DiscrepancyType, Integer> occ = new EnumMap<>(DiscrepancyType.class);
            for (int i = 0; i < m; i++) occ.put(DiscrepancyType.values()[in.b()], (int) in.varLong());
            boolean matched = in.bool();
            Instant waitLeft = in.nullableInstant();
            Instant waitRight = in.nullableInstant();
            Instant expireAt = in.nullableInstant();
            Instant last = in.instant();
            return new PairState(key, rows, open, occ, matched, waitLeft, waitRight, expireAt, last);
        } catch (RuntimeException e) {
            throw new UnreadableValueException("corrupt pair state of " + key + ": " + e.getMessage(), e);
        }
    }
}
