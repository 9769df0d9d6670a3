package dev.reconciler.core.state;

import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.rule.Side;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * A row of a pair as stored: its side, its latest image, since when it has been live in the rule, and whether it
 * is live. A row that was deleted or stopped matching the filter stays as a tombstone ({@code live = false}) so
 * that a replayed older image of it is recognised as stale.
 *
 * @param encoded  the image in the store's value format when a store made it ({@link StateStore#encode}), else
 *                 null; a cache that does not take part in equality
 * @param quantity the row's quantity for its rule's quantity check, parsed where the fact was prepared (missing
 *                 or not a number: 0), or null when not parsed yet; a cache that does not take part in equality
 */
public record StoredRow(Side side, RowImage image, Instant since, boolean live, EncodedImage encoded,
                        BigDecimal quantity) {
    public StoredRow {
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(since, "since");
    }

    public StoredRow(Side side, RowImage image, Instant since, boolean live) {
        this(side, image, since, live, null, null);
    }

    public StoredRow(Side side, RowImage image, Instant since, boolean live, EncodedImage encoded) {
        this(side, image, since, live, encoded, null);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredRow r && side == r.side && live == r.live && image.equals(r.image)
                && since.equals(r.since);
    }

    @Override
    public int hashCode() {
        return Objects.hash(side, image, since, live);
    }

    @Override
    public String toString() {
        return "StoredRow[side=" + side + ", image=" + image + ", since=" + since + ", live=" + live + "]";
    }
}
