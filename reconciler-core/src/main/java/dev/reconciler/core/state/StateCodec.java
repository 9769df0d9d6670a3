package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.Columns;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;

import java.io.ByteArrayOutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Byte layouts of keys and values, shared by the stores.
 *
 * <p>Keys sort as unsigned bytes:
 * <ul>
 *   <li>pair key: {@code rule 0x00 value₁ 0x00 value₂ 0x00 …} — each string's bytes with 0x00 and 0x01 escaped
 *       (0x01 0x01 and 0x01 0x02), so the order is the order of (rule, values) and no value can run into the next;</li>
 *   <li>timer key: {@code rule 0x00 lane big-endian(epochSecond) big-endian(nano) pairKey} — time comes right
 *       after the (rule, lane) prefix, so a scan of one lane meets due entries first and stops at the first entry
 *       that is not due. Epoch seconds are stored with the sign bit flipped so that unsigned order is time order.</li>
 *   <li>journal key: {@code big-endian(seq)} (sequence numbers are positive, so byte order is sequence order).</li>
 * </ul>
 * Values start with a format version byte so that a later release can read what this one wrote.
 */
public final class StateCodec {
    /**
     * 2: names (sources, tables, binlog files, column names) as ids of the store's {@link NameTable}.
     * 3: column values and primary keys in {@link ValueCodec}'s forms.
     */
    private static final byte VERSION = 3;

    private StateCodec() {
    }

    // ---------------------------------------------------------------- keys

    /** The key's bytes (cached in the key: do not change the array). */
    public static byte[] pairKey(PairKey key) {
        return key.encoded();
    }

    static byte[] encodePairKey(PairKey key) {
        byte[] ascii = asciiPairKey(key);
        if (ascii != null) return ascii;
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        escaped(out, key.rule());
        for (String v : key.values()) escaped(out, v);
        return out.toByteArray();
    }

    /** The common case, written directly: every character ASCII and none of them 0x00 or 0x01 (nothing to escape). */
    private static byte[] asciiPairKey(PairKey key) {
        List<String> values = key.values();
        int n = key.rule().length() + 1;
        for (String v : values) n += v.length() + 1;
        byte[] out = new byte[n];
        int at = asciiPart(out, 0, key.rule());
        for (int i = 0; at >= 0 && i < values.size(); i++) at = asciiPart(out, at, values.get(i));
        return at < 0 ? null : out;
    }

    /** Writes {@code s} and its 0x00 terminator at {@code at}; the next index, or -1 if {@code s} needs escaping. */
    private static int asciiPart(byte[] out, int at, String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x02 || c >= 0x80) return -1;
            out[at++] = (byte) c;
        }
        out[at] = 0;
        return at + 1;
    }

    public static PairKey decodePairKey(byte[] bytes) {
        return decodePairKey(bytes, 0);
    }

    private static PairKey decodePairKey(byte[] bytes, int from) {
        List<String> parts = new ArrayList<>(3);
        ByteArrayOutputStream cur = new ByteArrayOutputStream(32);
        for (int i = from; i < bytes.length; i++) {
            byte b = bytes[i];
            if (b == 0) {
                parts.add(cur.toString(StandardCharsets.UTF_8));
                cur.reset();
            } else if (b == 1) {
                cur.write(bytes[++i] == 1 ? 0 : 1);
            } else {
                cur.write(b);
            }
        }
        // The layout is canonical: the decoded key's bytes are the ones it was decoded from.
        return new PairKey(parts.get(0), parts.subList(1, parts.size()),
                from == 0 ? bytes : Arrays.copyOfRange(bytes, from, bytes.length));
    }

    /** Prefix of every pair key of one rule. */
    public static byte[] rulePrefix(String rule) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        escaped(out, rule);
        return out.toByteArray();
    }

    private static final java.util.concurrent.ConcurrentHashMap<String, byte[][]> LANE_PREFIXES =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** Prefix of one lane of one rule in the deadline index (cached per rule; do not change the array). */
    public static byte[] lanePrefix(String rule, Lane lane) {
        byte[][] byLane = LANE_PREFIXES.get(rule);
        if (byLane == null) {
            byLane = new byte[Lane.values().length][];
            for (Lane l : Lane.values()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(24);
                escaped(out, rule);
                out.write(l.code);
                byLane[l.ordinal()] = out.toByteArray();
            }
            if (LANE_PREFIXES.size() < 10_000) LANE_PREFIXES.putIfAbsent(rule, byLane);
        }
        return byLane[lane.ordinal()];
    }

    public static byte[] timerKey(TimerEntry t) {
        byte[] prefix = lanePrefix(t.pair().rule(), t.lane());
        byte[] pair = pairKey(t.pair());
        byte[] key = new byte[prefix.length + 12 + pair.length];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        writeTime(key, prefix.length, t.due());
        System.arraycopy(pair, 0, key, prefix.length + 12, pair.length);
        return key;
    }

    /** The smallest timer key of a lane whose time is after {@code upTo}: a scan stops there. */
    public static byte[] timerUpperBound(String rule, Lane lane, Instant upTo) {
        // Exclusive: one nanosecond after upTo (capped, so Instant.MAX means "everything").
        return timerLowerBound(rule, lane, upTo.isBefore(Instant.MAX) ? upTo.plusNanos(1) : Instant.MAX);
    }

    /** The smallest timer key of a lane whose time is at or after {@code from}: a scan may start there. */
    public static byte[] timerLowerBound(String rule, Lane lane, Instant from) {
        byte[] prefix = lanePrefix(rule, lane);
        byte[] key = new byte[prefix.length + 12];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        writeTime(key, prefix.length, from);
        return key;
    }

    public static TimerEntry decodeTimer(byte[] key) {
        int i = 0;
        while (key[i] != 0) i += key[i] == 1 ? 2 : 1;
        Lane lane = Lane.of(key[i + 1]);
        int t = i + 2;
        long sec = 0;
        for (int k = 0; k < 8; k++) sec = (sec << 8) | (key[t + k] & 0xFF);
        sec ^= Long.MIN_VALUE;
        int nano = 0;
        for (int k = 8; k < 12; k++) nano = (nano << 8) | (key[t + k] & 0xFF);
        return new TimerEntry(lane, Instant.ofEpochSecond(sec, nano), decodePairKey(key, t + 12));
    }

    private static void writeTime(byte[] key, int at, Instant time) {
        long sec = time.getEpochSecond() ^ Long.MIN_VALUE;
        for (int k = 7; k >= 0; k--) {
            key[at + k] = (byte) sec;
            sec >>>= 8;
        }
        int nano = time.getNano();
        for (int k = 11; k >= 8; k--) {
            key[at + k] = (byte) nano;
            nano >>>= 8;
        }
    }

    private static void escaped(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        int plain = 0;
        while (plain < b.length && b[plain] != 0 && b[plain] != 1) plain++;
        out.write(b, 0, plain);   // the common case: nothing to escape
        for (int i = plain; i < b.length; i++) {
            byte x = b[i];
            if (x == 0) {
                out.write(1);
                out.write(1);
            } else if (x == 1) {
                out.write(1);
                out.write(2);
            } else {
                out.write(x);
            }
        }
        out.write(0);
    }

    // ---------------------------------------------------------------- values

    public static byte[] encode(PairState s, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(64 + 256 * s.rows().size());   // rows are ~120 bytes: grow rarely
        out.b(VERSION);
        out.varLong(s.rows().size());
        for (StoredRow r : s.rows()) {
            out.b(r.side().ordinal());
            out.bool(r.live());
            out.instant(r.since());
            EncodedImage e = r.encoded();
            if (e != null && e.names() == names) out.raw(e.bytes());
            else writeImage(out, r.image(), names);
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
        return out.toArray();
    }

    public static PairState decodePair(PairKey key, byte[] bytes, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes);
            checkVersion(in.b(), "pair state of " + key);
            int n = (int) in.varLong();
            List<StoredRow> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Side side = Side.values()[in.b()];
                boolean live = in.bool();
                Instant since = in.instant();
                int start = in.position();
                RowImage image = readImage(in, names);
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
            throw new IllegalStateException("corrupt pair state of " + key + ": " + e.getMessage(), e);
        }
    }

    public static byte[] encode(Discrepancy d, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(256);
        out.b(VERSION);
        out.string(d.id());
        out.string(d.rule());
        out.b(d.type().ordinal());
        out.varLong(d.key().size());
        for (Map.Entry<String, String> e : d.key().entrySet()) {
            out.string(e.getKey());
            out.nullableString(e.getValue());
        }
        out.varLong(d.occurrence());
        out.b(d.status().ordinal());
        out.instant(d.detectedAt());
        out.nullableInstant(d.resolvedAt());
        out.b(d.resolution() == null ? -1 : d.resolution().ordinal());
        // toString, not toPlainString: it keeps the scale, so the value reads back equal.
        out.nullableString(d.difference() == null ? null : d.difference().toString());
        writeImages(out, d.left(), names);
        writeImages(out, d.right(), names);
        Acknowledgement ack = d.acknowledgement();
        out.bool(ack != null);
        if (ack != null) {
            out.instant(ack.at());
            out.string(ack.note());
        }
        return out.toArray();
    }

    public static Discrepancy decodeDiscrepancy(byte[] bytes, NameTable names) {
        return decodeDiscrepancy(bytes, 0, names);
    }

    /** The discrepancy encoded from {@code from} on (a journal entry holds one after its two header bytes). */
    private static Discrepancy decodeDiscrepancy(byte[] bytes, int from, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes, from);
            checkVersion(in.b(), "discrepancy");
            String id = in.string();
            String rule = in.string();
            DiscrepancyType type = DiscrepancyType.values()[in.b()];
            int k = (int) in.varLong();
            Map<String, String> key = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) key.put(in.name(), in.nullableString());
            int occurrence = (int) in.varLong();
            Status status = Status.values()[in.b()];
            Instant detectedAt = in.instant();
            Instant resolvedAt = in.nullableInstant();
            int res = in.b();
            String diff = in.nullableString();
            List<RowImage> left = readImages(in, names);
            List<RowImage> right = readImages(in, names);
            Acknowledgement ack = in.bool() ? new Acknowledgement(in.instant(), in.string()) : null;
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    res < 0 ? null : Resolution.values()[res], diff == null ? null : new BigDecimal(diff), left, right,
                    ack);
        } catch (RuntimeException e) {
            throw new IllegalStateException("corrupt discrepancy record: " + e.getMessage(), e);
        }
    }

    private static void checkVersion(int v, String what) {
        if (v != VERSION) {
            throw new IllegalStateException("stored " + what + " has format version " + v + " but this release reads "
                    + VERSION + "; run the release that wrote it, or start with an empty state directory");
        }
    }

    private static void writeImages(Bytes.Writer out, List<RowImage> images, NameTable names) {
        out.varLong(images.size());
        for (RowImage i : images) writeImage(out, i, names);
    }

    private static List<RowImage> readImages(Bytes.Reader in, NameTable names) {
        int n = (int) in.varLong();
        List<RowImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(readImage(in, names));
        return out;
    }

    /** One row image in the format {@link #encode(PairState, NameTable)} writes it, to be copied in later. */
    public static EncodedImage encodeImage(RowImage image, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(256);
        writeImage(out, image, names);
        return new EncodedImage(names, out.toArray());
    }

    private static void writeImage(Bytes.Writer out, RowImage image, NameTable names) {
        RowId id = image.id();
        name(out, id.source(), names);
        name(out, id.table(), names);
        ValueCodec.write(out, id.primaryKey(), names, false);   // an identifier: never a name-table entry
        SourcePosition p = image.position();
        name(out, p.file(), names);
        out.signedVarLong(p.offset());
        out.signedVarLong(p.row());
        out.instant(image.eventTime());
        Map<String, String> cols = image.columns();
        out.varLong(cols.size());
        cols.forEach((column, value) -> {
            name(out, column, names);
            ValueCodec.write(out, value, names);
        });
    }

    private static RowImage readImage(Bytes.Reader in, NameTable names) {
        String source = name(in, names);
        String table = name(in, names);
        String primaryKey = ValueCodec.read(in, names);
        if (primaryKey == null) throw new IllegalStateException("row of " + table + " without a primary key");
        RowId id = new RowId(source, table, primaryKey);
        SourcePosition p = new SourcePosition(name(in, names), in.signedVarLong(), in.signedVarLong());
        Instant eventTime = in.instant();
        int n = (int) in.varLong();
        String[] columnNames = new String[n];
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            columnNames[i] = name(in, names);
            values[i] = ValueCodec.read(in, names);
        }
        return new RowImage(id, Columns.wrap(columnNames, values), eventTime, p);
    }

    /** A name as its id in the table, or 0 and the text when the table is full. */
    private static void name(Bytes.Writer out, String name, NameTable names) {
        int id = names.idOf(name);
        out.varLong(id);
        if (id == 0) out.string(name);
    }

    private static String name(Bytes.Reader in, NameTable names) {
        int id = (int) in.varLong();
        return id == 0 ? in.name() : names.name(id);
    }

    // ---------------------------------------------------------------- outcome journal

    private static final byte JOURNAL_OPENED = 1;
    private static final byte JOURNAL_RESOLVED = 2;
    private static final byte JOURNAL_STALLED = 3;
    private static final byte JOURNAL_RECOVERED = 4;
    private static final byte JOURNAL_RULE_PAUSED = 5;
    private static final byte JOURNAL_RULE_RESUMED = 6;

    public static byte[] journalKey(long seq) {
        byte[] key = new byte[8];
        for (int k = 7; k >= 0; k--) {
            key[k] = (byte) seq;
            seq >>>= 8;
        }
        return key;
    }

    public static long decodeJournalKey(byte[] key) {
        long seq = 0;
        for (int k = 0; k < 8; k++) seq = (seq << 8) | (key[k] & 0xFF);
        return seq;
    }

    /**
     * A journaled outcome: version, kind, then the discrepancy's own encoding (row images through the name table,
     * like every stored discrepancy) or the source outcome's fields.
     */
    public static byte[] encodeJournal(Outcome outcome, NameTable names) {
        return encodeJournal(outcome, names, d -> encode(d, names));
    }

    /**
     * @param discrepancy the encoding of a discrepancy ({@link #encode(Discrepancy, NameTable)}): a batch that stores
     *                    a discrepancy and journals it passes the bytes it already has
     */
    public static byte[] encodeJournal(Outcome outcome, NameTable names, Function<Discrepancy, byte[]> discrepancy) {
        if (outcome instanceof Outcome.DiscrepancyOpened o) {
            return journalDiscrepancy(JOURNAL_OPENED, discrepancy.apply(o.discrepancy()));
        }
        if (outcome instanceof Outcome.DiscrepancyResolved r) {
            return journalDiscrepancy(JOURNAL_RESOLVED, discrepancy.apply(r.discrepancy()));
        }
        Bytes.Writer out = new Bytes.Writer(64);
        out.b(VERSION);
        if (outcome instanceof Outcome.SourceStalled s) {
            out.b(JOURNAL_STALLED);
            out.string(s.source());
            out.nullableInstant(s.watermark());
            out.signedVarLong(s.behind().getSeconds());
            out.varLong(s.behind().getNano());
            out.instant(s.detectedAt());
        } else if (outcome instanceof Outcome.SourceRecovered r) {
            out.b(JOURNAL_RECOVERED);
            out.string(r.source());
            out.nullableInstant(r.watermark());
            out.instant(r.at());
        } else if (outcome instanceof Outcome.RulePaused p) {
            out.b(JOURNAL_RULE_PAUSED);
            out.string(p.rule());
            out.b((byte) p.side().ordinal());
            out.string(p.source());
            out.string(p.table());
            out.string(p.column());
            position(out, p.position());
            out.instant(p.at());
        } else if (outcome instanceof Outcome.RuleResumed r) {
            out.b(JOURNAL_RULE_RESUMED);
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
        } else {
            throw new IllegalArgumentException("not a journaled outcome: " + outcome);
        }
        return out.toArray();
    }

    private static byte[] journalDiscrepancy(byte kind, byte[] body) {
        byte[] value = new byte[body.length + 2];
        value[0] = VERSION;
        value[1] = kind;
        System.arraycopy(body, 0, value, 2, body.length);
        return value;
    }

    public static JournalEntry decodeJournal(long seq, byte[] bytes, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes);
            checkVersion(in.b(), "journal entry " + seq);
            int kind = in.b();
            Outcome outcome = switch (kind) {
                case JOURNAL_OPENED -> new Outcome.DiscrepancyOpened(
                        decodeDiscrepancy(bytes, 2, names));
                case JOURNAL_RESOLVED -> new Outcome.DiscrepancyResolved(
                        decodeDiscrepancy(bytes, 2, names));
                case JOURNAL_STALLED -> new Outcome.SourceStalled(in.string(), in.nullableInstant(),
                        Duration.ofSeconds(in.signedVarLong(), in.varLong()), in.instant());
                case JOURNAL_RECOVERED -> new Outcome.SourceRecovered(in.string(), in.nullableInstant(), in.instant());
                case JOURNAL_RULE_PAUSED -> new Outcome.RulePaused(in.string(), Side.values()[in.b()], in.string(),
                        in.string(), in.string(), position(in), in.instant());
                case JOURNAL_RULE_RESUMED -> new Outcome.RuleResumed(in.string(), Side.values()[in.b()], in.string(),
                        in.string(), in.string(), Outcome.RuleResumed.Why.values()[in.b()],
                        in.b() == 0 ? null : position(in), in.instant(), in.varLong(), in.instant());
                default -> throw new IllegalStateException("unknown kind " + kind);
            };
            return new JournalEntry(seq, outcome);
        } catch (RuntimeException e) {
            throw new IllegalStateException("corrupt journal entry " + seq + ": " + e.getMessage(), e);
        }
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
