package dev.reconciler.core.state;

import java.nio.file.Path;

/**
 * The state format: what this release writes, what it reads, and how a value of an older format becomes one of
 * this format. Every value starts with its format version byte, and a store records the format of the whole store
 * (the RocksDB store in its {@code meta} column family, see {@code StoreFormat}), so that a later release can tell
 * what an earlier one wrote, and no release misreads a format it does not know.
 *
 * <p>History:
 * <ul>
 *   <li>2: names (sources, tables, binlog files, column names) as ids of the store's {@link NameTable};</li>
 *   <li>3: column values and primary keys in {@link ValueCodec}'s forms;</li>
 *   <li>4: the store records its format (a marker written when the store is created, checked at open); a
 *       discrepancy (stored, or inside a journal entry) ends with an extension block — a count, then per field a
 *       tag, a length and the bytes — that readers skip where they do not know the tag, so later releases can add
 *       optional fields (notes, verification results) without a new format. Pairs and source outcomes keep the
 *       layout of 3 (with version byte 4 when written).</li>
 * </ul>
 *
 * <p>Migration from 3 to 4 rewrites every discrepancy and journal entry once, when a release of format 4 first
 * opens the store; pairs of format 3 are read as they are and take version byte 4 when next written.
 */
public final class FormatVersion {
    /** The format this release writes. */
    public static final int CURRENT = 4;
    /** The oldest format this release reads (and migrates). */
    public static final int OLDEST_READABLE = 3;
    /** The format of a store with values but no format marker: releases before format 4 wrote none. */
    public static final int UNMARKED = 3;

    private FormatVersion() {
    }

    /** Whether this release reads (and, below {@link #CURRENT}, migrates) stores and values of format {@code v}. */
    public static boolean readable(int v) {
        return v >= OLDEST_READABLE && v <= CURRENT;
    }

    /** "3 and 4": the formats this release reads, for messages. */
    public static String readableFormats() {
        StringBuilder out = new StringBuilder();
        for (int v = OLDEST_READABLE; v <= CURRENT; v++) {
            if (v > OLDEST_READABLE) out.append(v == CURRENT ? " and " : ", ");
            out.append(v);
        }
        return out.toString();
    }

    /** Throws unless {@code v} is a version this release reads; {@code what} names the record for the message. */
    static void check(int v, String what) {
        if (!readable(v)) {
            throw new IllegalStateException("stored " + what + " has format version " + v + " but this release reads "
                    + readableFormats() + (v > CURRENT ? "; a newer release wrote it" : ""));
        }
    }

    /**
     * Why a store of format {@code found} is not opened, and the way out. Wiping the store is the last resort only:
     * it loses open discrepancies and pending pairs.
     */
    public static String refusal(Path dir, String found) {
        return "the state store at " + dir + " has format " + found + ", but this release reads formats "
                + readableFormats() + (isNewer(found) ? " (a newer release wrote it)" : "")
                + "; run a release that reads format " + found + ", or restore a backup of the state directory"
                + " taken before it was upgraded. Starting with an empty state directory also works but loses every"
                + " open discrepancy and pending pair";
    }

    private static boolean isNewer(String found) {
        try {
            return Integer.parseInt(found) > CURRENT;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The way out of a value the store cannot decode, appended to the store's message. */
    public static String unreadableValueAdvice() {
        return "restore a backup of the state directory, or run the release that wrote it; moving the store aside"
                + " and starting with an empty one loses its open discrepancies and pending pairs";
    }

    // ---------------------------------------------------------------- migration of single values

    /** Whether a discrepancy or journal value (its first byte is its version) is older than {@link #CURRENT}. */
    public static boolean older(byte[] value) {
        return value.length > 0 && value[0] < CURRENT;
    }

    /** A stored discrepancy of an older readable format, encoded in the current one. */
    public static byte[] migrateDiscrepancy(byte[] value, NameTable names) {
        return DiscrepancyCodec.encode(DiscrepancyCodec.decode(value, names), names);
    }

    /** A journal entry of an older readable format, encoded in the current one. */
    public static byte[] migrateJournal(long seq, byte[] value, NameTable names) {
        return JournalCodec.encode(JournalCodec.decode(seq, value, names).outcome(), names);
    }
}
