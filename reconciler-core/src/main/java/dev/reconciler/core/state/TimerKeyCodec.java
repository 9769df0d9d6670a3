package dev.reconciler.core.state;

import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The deadline index's key: {@code rule 0x00 lane big-endian(epochSecond) big-endian(nano) pairKey}; the value is
 * empty, everything is in the key.
 *
 * <p>Time comes right after the (rule, lane) prefix, so a scan of one lane meets due entries first and stops at the
 * first entry that is not due. Epoch seconds are stored with the sign bit flipped so that unsigned order is time
 * order. The rule is escaped as in {@link PairKeyCodec}, so no rule's prefix is a prefix of another's.
 */
public final class TimerKeyCodec {
    private static final ConcurrentHashMap<String, byte[][]> LANE_PREFIXES = new ConcurrentHashMap<>();

    private TimerKeyCodec() {
    }

    /** Prefix of one lane of one rule in the deadline index (cached per rule; do not change the array). */
    public static byte[] lanePrefix(String rule, Lane lane) {
        byte[][] byLane = LANE_PREFIXES.get(rule);
        if (byLane == null) {
            byLane = new byte[Lane.values().length][];
            for (Lane l : Lane.values()) {
                ByteArrayOutputStream out = new ByteArrayOutputStream(24);
                PairKeyCodec.escaped(out, rule);
                out.write(l.code);
                byLane[l.ordinal()] = out.toByteArray();
            }
            if (LANE_PREFIXES.size() < 10_000) LANE_PREFIXES.putIfAbsent(rule, byLane);
        }
        return byLane[lane.ordinal()];
    }

    public static byte[] timerKey(TimerEntry t) {
        byte[] prefix = lanePrefix(t.pair().rule(), t.lane());
        byte[] pair = PairKeyCodec.pairKey(t.pair());
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

    public static TimerEntry decode(byte[] key) {
        int i = 0;
        while (key[i] != 0) i += key[i] == 1 ? 2 : 1;
        Lane lane = Lane.of(key[i + 1]);
        int t = i + 2;
        long sec = 0;
        for (int k = 0; k < 8; k++) sec = (sec << 8) | (key[t + k] & 0xFF);
        sec ^= Long.MIN_VALUE;
        int nano = 0;
        for (int k = 8; k < 12; k++) nano = (nano << 8) | (key[t + k] & 0xFF);
        return new TimerEntry(lane, Instant.ofEpochSecond(sec, nano), PairKeyCodec.decode(key, t + 12));
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
}
