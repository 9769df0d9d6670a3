package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Set;

/**
 * What a pair's rows mean right now, given the watermarks.
 *
 * @param discrepancies the discrepancy types that should be open
 * @param difference    right minus left when {@link DiscrepancyType#QUANTITY_MISMATCH} is among them, else null
 * @param matched       both sides present and consistent
 * @param waitLeft      the left watermark this pair waits for before it can be decided, or null
 * @param waitRight     the right watermark this pair waits for, or null
 */
record Verdict(Set<DiscrepancyType> discrepancies, BigDecimal difference, boolean matched, Instant waitLeft,
               Instant waitRight) {

    /** Nothing open and nothing to wait for: the pair only needs to be kept for retention. */
    boolean settled() {
        return discrepancies.isEmpty() && waitLeft == null && waitRight == null;
    }
}
