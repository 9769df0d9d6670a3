package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.outcome.Outcome;

import java.time.Instant;
import java.util.function.Function;

/**
 * The stores' one entry point to the byte layouts of keys and values; each layout lives in its own codec:
 * {@link PairKeyCodec}, {@link TimerKeyCodec} (the time-first deadline key), {@link RowImageCodec},
 * {@link PairStateCodec}, {@link DiscrepancyCodec} and {@link JournalCodec}. Keys sort as unsigned bytes. Values
 * start with a format version byte ({@link FormatVersion}) so that a later release can read what this one wrote.
 */
public final class StateCodec {
    private StateCodec() {
    }

    // ---------------------------------------------------------------- keys

    /** The key's bytes (cached in the key: do not change the array). */
    public static byte[] pairKey(PairKey key) {
        return PairKeyCodec.pairKey(key);
    }

    static byte[] encodePairKey(PairKey key) {
        return PairKeyCodec.encode(key);
    }

    public static PairKey decodePairKey(byte[] bytes) {
        return PairKeyCodec.decode(bytes);
    }

    /** Prefix of every pair key of one rule. */
    public static byte[] rulePrefix(String rule) {
        return PairKeyCodec.rulePrefix(rule);
    }

    /** Prefix of one lane of one rule in the deadline index (cached per rule; do not change the array). */
    public static byte[] lanePrefix(String rule, Lane lane) {
        return TimerKeyCodec.lanePrefix(rule, lane);
    }

    public static byte[] timerKey(TimerEntry t) {
        return TimerKeyCodec.timerKey(t);
    }

    /** The smallest timer key of a lane whose time is after {@code upTo}: a scan stops there. */
    public static byte[] timerUpperBound(String rule, Lane lane, Instant upTo) {
        return TimerKeyCodec.timerUpperBound(rule, lane, upTo);
    }

    /** The smallest timer key of a lane whose time is at or after {@code from}: a scan may start there. */
    public static byte[] timerLowerBound(String rule, Lane lane, Instant from) {
        return TimerKeyCodec.timerLowerBound(rule, lane, from);
    }

    public static TimerEntry decodeTimer(byte[] key) {
        return TimerKeyCodec.decode(key);
    }

    // ---------------------------------------------------------------- values

    public static byte[] encode(PairState s, NameTable names) {
        return PairStateCodec.encode(s, names);
    }

    /**
     * Encodes pair values, one at a time, into one reused buffer, for a writer that copies each into its batch at
     * once: no array per value. Not thread-safe: one per writer (the store's batch writer runs under its write lock).
     */
    public static final class PairScratch {
        private final Bytes.Writer out = new Bytes.Writer(4096);

        /** Encodes {@code s} as {@link #encode(PairState, NameTable)} does, replacing the previous value. */
        public void encode(PairState s, NameTable names) {
            out.reset();
            PairStateCodec.write(out, s, names);
        }

        /** The buffer; its first {@link #length()} bytes are the last value encoded. */
        public byte[] buffer() {
            return out.buffer();
        }

        public int length() {
            return out.length();
        }
    }

    public static PairState decodePair(PairKey key, byte[] bytes, NameTable names) {
        return PairStateCodec.decode(key, bytes, names);
    }

    public static byte[] encode(Discrepancy d, NameTable names) {
        return DiscrepancyCodec.encode(d, names);
    }

    public static Discrepancy decodeDiscrepancy(byte[] bytes, NameTable names) {
        return DiscrepancyCodec.decode(bytes, names);
    }

    /** One row image in the format {@link #encode(PairState, NameTable)} writes it, to be copied in later. */
    public static EncodedImage encodeImage(RowImage image, NameTable names) {
        return RowImageCodec.encode(image, names);
    }

    // ---------------------------------------------------------------- outcome journal

    public static byte[] journalKey(long seq) {
        return JournalCodec.key(seq);
    }

    public static long decodeJournalKey(byte[] key) {
        return JournalCodec.decodeKey(key);
    }

    public static byte[] encodeJournal(Outcome outcome, NameTable names) {
        return JournalCodec.encode(outcome, names);
    }

    /** See {@link JournalCodec#encode(Outcome, NameTable, Function)}. */
    public static byte[] encodeJournal(Outcome outcome, NameTable names, Function<Discrepancy, byte[]> discrepancy) {
        return JournalCodec.encode(outcome, names, discrepancy);
    }

    public static JournalEntry decodeJournal(long seq, byte[] bytes, NameTable names) {
        return JournalCodec.decode(seq, bytes, names);
    }
}
