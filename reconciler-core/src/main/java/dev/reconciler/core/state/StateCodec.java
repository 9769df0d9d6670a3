package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

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
 * </ul>
 * Values start with a format version byte so that a later release can read what this one wrote.
 */
public final class StateCodec {
    private static final byte VERSION = 1;

    private StateCodec() {
    }

    // ---------------------------------------------------------------- keys

    public static byte[] pairKey(PairKey key) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64);
        escaped(out, key.rule());
        for (String v : key.values()) escaped(out, v);
        return out.toByteArray();
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
        return new PairKey(parts.get(0), parts.subList(1, parts.size()));
    }

    /** Prefix of every pair key of one rule. */
    public static byte[] rulePrefix(String rule) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16);
        escaped(out, rule);
        return out.toByteArray();
    }

    /** Prefix of one lane of one rule in the deadline index. */
    public static byte[] lanePrefix(String rule, Lane lane) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(24);
        escaped(out, rule);
        out.write(lane.code);
        return out.toByteArray();
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
        byte[] prefix = lanePrefix(rule, lane);
        byte[] key = new byte[prefix.length + 12];
        System.arraycopy(prefix, 0, key, 0, prefix.length);
        // The bound is exclusive: one nanosecond after upTo (capped, so Instant.MAX means "everything").
        Instant next = upTo.isBefore(Instant.MAX) ? upTo.plusNanos(1) : Instant.MAX;
        writeTime(key, prefix.length, next);
        return key;
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
        for (byte x : b) {
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

    public static byte[] encode(PairState s) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeShort(s.rows().size());
            for (StoredRow r : s.rows()) {
                out.writeByte(r.side().ordinal());
                out.writeBoolean(r.live());
                writeInstant(out, r.since());
                writeImage(out, r.image());
            }
            int openBits = 0;
            for (DiscrepancyType t : s.open()) openBits |= 1 << t.ordinal();
            out.writeByte(openBits);
            out.writeByte(s.occurrences().size());
            for (Map.Entry<DiscrepancyType, Integer> e : s.occurrences().entrySet()) {
                out.writeByte(e.getKey().ordinal());
                out.writeInt(e.getValue());
            }
            out.writeBoolean(s.matched());
            writeNullableInstant(out, s.waitLeft());
            writeNullableInstant(out, s.waitRight());
            writeNullableInstant(out, s.expireAt());
            writeInstant(out, s.lastEventTime());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PairState decodePair(PairKey key, byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
            checkVersion(in.readByte(), "pair state of " + key);
            int n = in.readShort();
            List<StoredRow> rows = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Side side = Side.values()[in.readByte()];
                boolean live = in.readBoolean();
                Instant since = readInstant(in);
                rows.add(new StoredRow(side, readImage(in), since, live));
            }
            int openBits = in.readByte();
            Set<DiscrepancyType> open = EnumSet.noneOf(DiscrepancyType.class);
            for (DiscrepancyType t : DiscrepancyType.values()) {
                if ((openBits & (1 << t.ordinal())) != 0) open.add(t);
            }
            int m = in.readByte();
            Map<DiscrepancyType, Integer> occ = new EnumMap<>(DiscrepancyType.class);
            for (int i = 0; i < m; i++) occ.put(DiscrepancyType.values()[in.readByte()], in.readInt());
            boolean matched = in.readBoolean();
            Instant waitLeft = readNullableInstant(in);
            Instant waitRight = readNullableInstant(in);
            Instant expireAt = readNullableInstant(in);
            Instant last = readInstant(in);
            return new PairState(key, rows, open, occ, matched, waitLeft, waitRight, expireAt, last);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt pair state of " + key, e);
        }
    }

    public static byte[] encode(Discrepancy d) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(VERSION);
            out.writeUTF(d.id());
            out.writeUTF(d.rule());
            out.writeByte(d.type().ordinal());
            out.writeShort(d.key().size());
            for (Map.Entry<String, String> e : d.key().entrySet()) {
                out.writeUTF(e.getKey());
                writeNullableString(out, e.getValue());
            }
            out.writeInt(d.occurrence());
            out.writeByte(d.status().ordinal());
            writeInstant(out, d.detectedAt());
            writeNullableInstant(out, d.resolvedAt());
            out.writeByte(d.resolution() == null ? -1 : d.resolution().ordinal());
            writeNullableString(out, d.difference() == null ? null : d.difference().toString());
            writeImages(out, d.left());
            writeImages(out, d.right());
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Discrepancy decodeDiscrepancy(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes));
            checkVersion(in.readByte(), "discrepancy");
            String id = in.readUTF();
            String rule = in.readUTF();
            DiscrepancyType type = DiscrepancyType.values()[in.readByte()];
            int k = in.readShort();
            Map<String, String> key = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) key.put(in.readUTF(), readNullableString(in));
            int occurrence = in.readInt();
            Status status = Status.values()[in.readByte()];
            Instant detectedAt = readInstant(in);
            Instant resolvedAt = readNullableInstant(in);
            int res = in.readByte();
            String diff = readNullableString(in);
            List<RowImage> left = readImages(in);
            List<RowImage> right = readImages(in);
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    res < 0 ? null : Resolution.values()[res], diff == null ? null : new BigDecimal(diff), left, right);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt discrepancy record", e);
        }
    }

    private static void checkVersion(byte v, String what) {
        if (v != VERSION) {
            throw new IllegalStateException("stored " + what + " has format version " + v + " but this release reads "
                    + VERSION + "; run the release that wrote it, or start with an empty state directory");
        }
    }

    private static void writeImages(DataOutputStream out, List<RowImage> images) throws IOException {
        out.writeShort(images.size());
        for (RowImage i : images) writeImage(out, i);
    }

    private static List<RowImage> readImages(DataInputStream in) throws IOException {
        int n = in.readShort();
        List<RowImage> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) out.add(readImage(in));
        return out;
    }

    private static void writeImage(DataOutputStream out, RowImage image) throws IOException {
        RowId id = image.id();
        out.writeUTF(id.source());
        out.writeUTF(id.table());
        out.writeUTF(id.primaryKey());
        SourcePosition p = image.position();
        out.writeUTF(p.file());
        out.writeLong(p.offset());
        out.writeLong(p.row());
        writeInstant(out, image.eventTime());
        out.writeShort(image.columns().size());
        for (Map.Entry<String, String> e : image.columns().entrySet()) {
            out.writeUTF(e.getKey());
            writeNullableString(out, e.getValue());
        }
    }

    private static RowImage readImage(DataInputStream in) throws IOException {
        RowId id = new RowId(in.readUTF(), in.readUTF(), in.readUTF());
        SourcePosition p = new SourcePosition(in.readUTF(), in.readLong(), in.readLong());
        Instant eventTime = readInstant(in);
        int n = in.readShort();
        Map<String, String> cols = new LinkedHashMap<>(n * 2);
        for (int i = 0; i < n; i++) cols.put(in.readUTF(), readNullableString(in));
        return new RowImage(id, cols, eventTime, p);
    }

    private static void writeNullableString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) out.writeUTF(s);
    }

    private static String readNullableString(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }

    private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }

    private static void writeNullableInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeBoolean(t != null);
        if (t != null) writeInstant(out, t);
    }

    private static Instant readNullableInstant(DataInputStream in) throws IOException {
        return in.readBoolean() ? readInstant(in) : null;
    }
}
