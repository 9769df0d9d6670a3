package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowImage;

import java.math.BigDecimal;
import java.util.List;
import java.util.Objects;

/**
 * What a window verification found for one pair, to be recorded as a discrepancy of a verification type
 * ({@link DiscrepancyType#fromVerification()}) by {@link ReconciliationEngine#recordVerification}.
 *
 * @param key        the pair's key values, in the rule's key order
 * @param left       the left rows as the database holds them (for UNOBSERVED_LEFT: the unobserved ones)
 * @param right      the right rows as the database holds them (for UNOBSERVED_RIGHT: the unobserved ones)
 * @param difference for UNREPORTED_INCONSISTENCY with a quantity mismatch: right minus left; else null
 */
public record VerificationFinding(String rule, List<String> key, DiscrepancyType type, List<RowImage> left,
                                  List<RowImage> right, BigDecimal difference) {
    public VerificationFinding {
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(type, "type");
        key = List.copyOf(key);
        left = List.copyOf(left);
        right = List.copyOf(right);
        if (!type.fromVerification()) {
            throw new IllegalArgumentException("a verification finding has a verification type, not " + type);
        }
    }

    /** The discrepancy id of this finding's {@code occurrence}. */
    public String id(int occurrence) {
        return dev.reconciler.core.discrepancy.Discrepancy.idOf(rule, key, type, occurrence);
    }

    /** The rows the finding is about: the unobserved side's rows, or all rows of an unreported inconsistency. */
    public List<RowImage> subjectRows() {
        return subjectRows(type, left, right);
    }

    static List<RowImage> subjectRows(DiscrepancyType type, List<RowImage> left, List<RowImage> right) {
        return switch (type) {
            case UNOBSERVED_LEFT -> left;
            case UNOBSERVED_RIGHT -> right;
            default -> {
                List<RowImage> all = new java.util.ArrayList<>(left);
                all.addAll(right);
                yield all;
            }
        };
    }
}
