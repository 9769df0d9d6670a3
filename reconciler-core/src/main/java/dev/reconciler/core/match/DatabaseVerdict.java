package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StoredRow;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/**
 * The engine's judgement ({@link PairEvaluator}) of a pair's rows as a database holds them, with every wait over:
 * what the article's batch join would say about them. A window verification compares it with what the engine
 * concluded from the binlog.
 *
 * @param discrepancies what is wrong with the rows (empty: consistent, or only one side and nothing else wrong is
 *                      also reported as MISSING_*)
 * @param difference    right minus left for a quantity mismatch, else null
 */
public record DatabaseVerdict(Set<DiscrepancyType> discrepancies, BigDecimal difference) {

    /** @param left, right the pair's live rows (rows that match the side's filter), in any order */
    public static DatabaseVerdict of(Rule rule, List<RowImage> left, List<RowImage> right) {
        Verdict v = PairEvaluator.evaluate(rule, Duration.ZERO, rows(Side.LEFT, left), rows(Side.RIGHT, right),
                Instant.MAX, Instant.MAX);
        return new DatabaseVerdict(Set.copyOf(v.discrepancies()), v.difference());
    }

    public boolean consistent() {
        return discrepancies.isEmpty();
    }

    /** As the engine orders a side: by row id, so "the first row" is the same one the engine takes. */
    private static List<StoredRow> rows(Side side, List<RowImage> images) {
        return images.stream().sorted(Comparator.comparing(RowImage::id))
                .map(i -> new StoredRow(side, i, i.eventTime(), true)).toList();
    }
}
