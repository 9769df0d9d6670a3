package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.QuantityCheck;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StoredRow;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The rules of judgement, as one pure function of a pair's live rows and the two sides' watermarks. Everything
 * the engine reports follows from comparing this verdict with what is already open, which is what makes the
 * engine idempotent: the same rows give the same verdict.
 *
 * <ul>
 *   <li>Two or more live left rows: DUPLICATE_LEFT; in a one-to-one rule two or more right rows: DUPLICATE_RIGHT.
 *       Reported at once.</li>
 *   <li>Only one side present: it waits for the other side's watermark to pass {@code since + grace + clockSkew}
 *       of its earliest row; then MISSING_RIGHT (or MISSING_LEFT).</li>
 *   <li>Both present: the primary (lowest row id) left row's quantity against the primary right row's (one-to-one)
 *       or the sum of all right rows (sum). A one-to-one mismatch is reported at once; in a sum rule an excess is
 *       reported at once and a shortfall waits for the grace (more parts may still come).</li>
 *   <li>A row whose quantity is missing, not a number or out of range never gets here: {@link FactPlanner}
 *       quarantines it. Only a row stored by an earlier release can have one; it counts as 0.</li>
 * </ul>
 */
final class PairEvaluator {
    private PairEvaluator() {
    }

    static Verdict evaluate(Rule rule, Duration clockSkew, List<StoredRow> left, List<StoredRow> right,
                            Instant leftWatermark, Instant rightWatermark) {
        Duration wait = rule.grace().plus(clockSkew);
        Set<DiscrepancyType> d = EnumSet.noneOf(DiscrepancyType.class);
        BigDecimal difference = null;
        Instant waitLeft = null;
        Instant waitRight = null;

        if (left.size() >= 2) d.add(DiscrepancyType.DUPLICATE_LEFT);
        if (rule.multiplicity() == Multiplicity.ONE_TO_ONE && right.size() >= 2) d.add(DiscrepancyType.DUPLICATE_RIGHT);

        Instant leftDue = left.isEmpty() ? null : earliestSince(left).plus(wait);
        boolean rightWatermarkPassed = leftDue != null && passed(rightWatermark, leftDue);

        if (!left.isEmpty() && right.isEmpty()) {
            if (rightWatermarkPassed) d.add(DiscrepancyType.MISSING_RIGHT);
            else waitRight = leftDue;
        }
        if (!right.isEmpty() && left.isEmpty()) {
            Instant rightDue = earliestSince(right).plus(wait);
            if (passed(leftWatermark, rightDue)) d.add(DiscrepancyType.MISSING_LEFT);
            else waitLeft = rightDue;
        }
        QuantityCheck q = rule.quantity();
        if (!left.isEmpty() && !right.isEmpty() && q != null) {
            BigDecimal l = quantity(left.get(0), q.column(Side.LEFT));
            BigDecimal r = rule.multiplicity() == Multiplicity.ONE_TO_ONE
                    ? quantity(right.get(0), q.column(Side.RIGHT))
                    : sum(right, q.column(Side.RIGHT));
            if (!q.agree(l, r)) {
                BigDecimal diff = r.subtract(l);
                if (rule.multiplicity() == Multiplicity.SUM && diff.signum() < 0 && !rightWatermarkPassed) {
                    waitRight = leftDue;
                } else {
                    d.add(DiscrepancyType.QUANTITY_MISMATCH);
                    difference = diff;
                }
            }
        }
        boolean matched = !left.isEmpty() && !right.isEmpty() && d.isEmpty() && waitLeft == null && waitRight == null;
        return new Verdict(d, difference, matched, waitLeft, waitRight);
    }

    static BigDecimal quantity(StoredRow row, String column) {
        return row.quantity() != null ? row.quantity() : quantity(row.image(), column);   // else parsed when prepared
    }

    static BigDecimal quantity(RowImage image, String column) {
        BigDecimal q = Values.quantity(image.column(column));
        return q == null ? BigDecimal.ZERO : q;
    }

    private static BigDecimal sum(List<StoredRow> rows, String column) {
        BigDecimal s = BigDecimal.ZERO;
        for (StoredRow r : rows) s = s.add(quantity(r, column));
        return s;
    }

    private static Instant earliestSince(List<StoredRow> rows) {
        Instant min = rows.get(0).since();
        for (StoredRow r : rows) {
            if (r.since().isBefore(min)) min = r.since();
        }
        return min;
    }

    private static boolean passed(Instant watermark, Instant due) {
        return watermark != null && !watermark.isBefore(due);
    }
}
