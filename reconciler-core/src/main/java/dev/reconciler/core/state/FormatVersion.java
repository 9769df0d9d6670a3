package dev.reconciler.core.state;

/**
 * The format of stored values: every value starts with this version byte, so that a later release can tell what an
 * earlier one wrote, and a reader refuses a version it does not know instead of misreading it.
 *
 * <p>History:
 * <ul>
 *   <li>2: names (sources, tables, binlog files, column names) as ids of the store's {@link NameTable};</li>
 *   <li>3: column values and primary keys in {@link ValueCodec}'s forms.</li>
 * </ul>
 */
final class FormatVersion {
    /** The version this release writes. */
    static final byte CURRENT = 3;

    private FormatVersion() {
    }

    /** Throws unless {@code v} is a version this release reads; {@code what} names the record for the message. */
    static void check(int v, String what) {
        if (v != CURRENT) {
            throw new IllegalStateException("stored " + what + " has format version " + v + " but this release reads "
                    + CURRENT + "; run the release that wrote it, or start with an empty state directory");
        }
    }
}
