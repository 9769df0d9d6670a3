package dev.reconciler.core.state;

import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.Objects;

/**
 * A row of a pair as stored: its side, its latest image, since when it has been live in the rule, and whether it
 * is live. A row that was deleted or stopped matching the filter stays as a tombstone ({@code live = false}) so
 * that a replayed older image of it is recognised as stale.
 */
public record StoredRow(Side side, RowImage image, Instant since, boolean live) {
    public StoredRow {
        Objects.requireNonNull(side, "side");
        Objects.requireNonNull(image, "image");
        Objects.requireNonNull(since, "since");
    }
}
