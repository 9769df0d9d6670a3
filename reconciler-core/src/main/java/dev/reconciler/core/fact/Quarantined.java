package dev.reconciler.core.fact;

import dev.reconciler.core.rule.Side;

import java.time.Instant;
import java.util.Objects;

/**
 * A fact that could not be processed, kept with its reason instead of being applied: where it came from (source,
 * table, primary key, log position), why, and for which rule side when the reason is a rule's (a key or quantity
 * column). Holds no other row values: the row itself stays in the database, where it can be read and fixed.
 *
 * @param primaryKey the row's primary key as text ({@code a|b} for a composite key), or "" when unknown
 * @param position   the log position of the row image, or null when unknown
 * @param rule       the rule whose key or quantity column is bad, or null for a reason of the row as a whole
 * @param side       the rule's side, null when {@code rule} is
 * @param detail     a short text without row values: the column ({@code changed_quantity}), the exception class
 * @param at         the engine's clock when it was quarantined
 */
public record Quarantined(String source, String table, String primaryKey, SourcePosition position,
                          QuarantineReason reason, String rule, Side side, String detail, Instant at) {
    public Quarantined {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(at, "at");
        primaryKey = primaryKey == null ? "" : primaryKey;
        detail = detail == null ? "" : detail;
    }
}
