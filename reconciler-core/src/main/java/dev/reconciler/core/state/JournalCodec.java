package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;

import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;

/**
 * The outcome journal: key {@code big-endian(seq)} (sequence numbers are positive, so byte order is sequence
 * order); value version, kind, then the discrepancy's own encoding ({@link DiscrepancyCodec}, row images through
 * the name table like every stored discrepancy) or the source outcome's fields (stalled, recovered, coverage gap, rule paused/resumed, quarantine alert).
 */
public final class JournalCodec {
    private static final byte OPENED = 1;
    private static final byte RESOLVED = 2;
    private static final byte STALLED = 3;
    private static final byte RECOVERED = 4;
    private static final byte COVERAGE_GAP = 5;
    private static final byte RULE_PAUSED = 6;
    private static final byte RULE_RESUMED = 7;
    private static final byte QUARANTINED = 8;

    private JournalCodec() {
    }

    public static byte[] key(long seq) {
        byte[] key = new byte[8];
        for (int k = 7; k >= 0; k--) {
            key[k] = (byte) seq;
            seq >>>= 8;
        }
        return key;
    }

    public static long decodeKey(byte[] key) {
        long seq = 0;
        for (int k = 0; k < 8; k++) seq = (seq << 8) | (key[k] & 0xFF);
        return seq;
    }

    public static byte[] encode(Outcome outcome, NameTable names) {
        return encode(outcome, names, d -> DiscrepancyCodec.encode(d, names));
    }

    /**
     * @param discrepancy the encoding of a discrepancy ({@link DiscrepancyCodec#encode}): a batch that stores a
     *                    discrepancy and journals it passes the bytes it already has
     */
    public static byte[] encode(Outcome outcome, NameTable names, Function<Discrepancy, byte[]> discrepancy) {
        if (outcome instanceof Outcome.DiscrepancyOpened o) {
            return withDiscrepancy(OPENED, discrepancy.apply(o.discrepancy()));
        }
        if (outcome instanceof Outcome.DiscrepancyResolved r) {
            return withDiscrepancy(RESOLVED, discrepancy.apply(r.discrepancy()));
        }
        Bytes.Writer out = new Bytes.Writer(64);
        out.b(FormatVersion.CURRENT);
        if (outcome instanceof Outcome.SourceStalled s) {
            out.b(STALLED);
            out.string(s.source());
            out.nullableInstant(s.watermark());
            out.signedVarLong(s.behind().getSeconds());
            out.varLong(s.behind().getNano());
            out.instant(s.detectedAt());
        } else if (outcome instanceof Outcome.SourceRecovered r) {
            out.b(RECOVERED);
            out.string(r.source());
            out.nullableInstant(r.watermark());
            out.instant(r.at());
        } else if (outcome instanceof Outcome.CoverageGap g) {
            out.b(COVERAGE_GAP);
            out.string(g.source());
            out.instant(g.from());
            out.instant(g.to());
            out.string(g.reason());
            out.instant(g.at());
        } else if (outcome instanceof Outcome.RulePaused p) {
            out.b(RULE_PAUSED);
            out.string(p.rule());
            out.b((byte) p.side().ordinal());
            out.string(p.source());
            out.string(p.table());
            out.string(p.column());
            position(out, p.position());
            out.instant(p.at());
        } else if (outcome instanceof Outcome.RuleResumed r) {
            out.b(RULE_RESUMED);
            out.string(r.rule());
            out.b((byte) r.side().ordinal());
            out.string(r.source());
            out.string(r.table());
            out.string(r.column());
            out.b((byte) r.why().ordinal());
            out.b((byte) (r.position() == null ? 0 : 1));
            if (r.position() != null) position(out, r.position());
            out.instant(r.pausedAt());
            out.varLong(r.held());
            out.instant(r.at());
        } else if (outcome instanceof Outcome.FactQuarantined q && q.alert()) {
            Quarantined f = q.fact();
            out.b(QUARANTINED);
            out.string(f.source());
            out.string(f.table());
            out.string(f.primaryKey());
            out.b((byte) (f.position() == null ? 0 : 1));
            if (f.position() != null) position(out, f.position());
            out.b((byte) f.reason().ordinal());
            out.string(f.rule() == null ? "" : f.rule());
            out.b((byte) (f.side() == null ? 0 : 1 + f.side().ordinal()));
            out.string(f.detail());
            out.instant(f.at());
            out.varLong(q.since());
        } else {
            throw new IllegalArgumentException("not a journaled outcome: " + outcome);
        }
        return out.toArray();
    }

    private static byte[] withDiscrepancy(byte kind, byte[] body) {
        byte[] value = new byte[body.length + 2];
        value[0] = (byte) FormatVersion.CURRENT;
        value[1] = kind;
        System.arraycopy(body, 0, value, 2, body.length);
        return value;
    }

    public static JournalEntry decode(long seq, byte[] bytes, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes);
            FormatVersion.check(in.b(), "journal entry " + seq);
            int kind = in.b();
            Outcome outcome = switch (kind) {
                case OPENED -> new Outcome.DiscrepancyOpened(DiscrepancyCodec.decode(bytes, 2, names));
                case RESOLVED -> new Outcome.DiscrepancyResolved(DiscrepancyCodec.decode(bytes, 2, names));
                case STALLED -> new Outcome.SourceStalled(in.string(), in.nullableInstant(),
                        Duration.ofSeconds(in.signedVarLong(), in.varLong()), in.instant());
                case RECOVERED -> new Outcome.SourceRecovered(in.string(), in.nullableInstant(), in.instant());
                case COVERAGE_GAP -> new Outcome.CoverageGap(in.string(), in.instant(), in.instant(), in.string(),
                        in.instant());
                case RULE_PAUSED -> new Outcome.RulePaused(in.string(), Side.values()[in.b()], in.string(),
                        in.string(), in.string(), position(in), in.instant());
                case RULE_RESUMED -> new Outcome.RuleResumed(in.string(), Side.values()[in.b()], in.string(),
                        in.string(), in.string(), Outcome.RuleResumed.Why.values()[in.b()],
                        in.b() == 0 ? null : position(in), in.instant(), in.varLong(), in.instant());
                case QUARANTINED -> quarantined(in);
                default -> throw new IllegalStateException("unknown kind " + kind);
            };
            return new JournalEntry(seq, outcome);
        } catch (RuntimeException e) {
            throw new UnreadableValueException("corrupt journal entry " + seq + ": " + e.getMessage(), e);
        }
    }

    private static Outcome quarantined(Bytes.Reader in) {
        String source = in.string();
        String table = in.string();
        String pk = in.string();
        SourcePosition position = in.b() == 0 ? null : position(in);
        QuarantineReason reason = QuarantineReason.values()[in.b()];
        String rule = in.string();
        int side = in.b();
        String detail = in.string();
        Instant at = in.instant();
        long since = in.varLong();
        return new Outcome.FactQuarantined(new Quarantined(source, table, pk, position, reason,
                rule.isEmpty() ? null : rule, side == 0 ? null : Side.values()[side - 1], detail, at), true, since);
    }

    private static void position(Bytes.Writer out, SourcePosition p) {
        out.string(p.file());
        out.varLong(p.offset());
        out.varLong(p.row());
    }

    private static SourcePosition position(Bytes.Reader in) {
        return new SourcePosition(in.string(), in.varLong(), in.varLong());
    }
}
