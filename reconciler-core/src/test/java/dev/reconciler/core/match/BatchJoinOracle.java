package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.QuantityCheck;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

/**
 * A brute-force reference for the engine, written without it: the article's scheduled SQL (SQL1/SQL2, a full
 * outer join of the two flow tables on the key) run once over the FINAL table contents, extended with the
 * duplicate rules and the quantity check of {@code PairEvaluator}'s Javadoc. Nothing here knows about watermarks,
 * grace, replays or arrival order: once every watermark has passed every event, the engine must agree with it.
 *
 * <p>In SQL terms, for each rule:
 * <pre>
 *   live(T)  = last image per primary key (highest log position), rows whose last change is a DELETE dropped
 *   L        = live rows of the left stream's tables  WHERE left filter  AND key columns not blank
 *   R        = live rows of the right stream's tables WHERE right filter AND key columns not blank
 *   SELECT key, ... FROM L FULL OUTER JOIN R ON L.key = R.key  GROUP BY key
 * </pre>
 * and per key: two or more left rows → DUPLICATE_LEFT; one-to-one and two or more right rows → DUPLICATE_RIGHT;
 * left only → MISSING_RIGHT; right only → MISSING_LEFT; both → the quantity of the left row with the lowest row id
 * against the lowest-row-id right row (one-to-one) or the sum of all right rows (sum); a row whose quantity is
 * missing, not a number or out of range is quarantined, i.e. no member of L or R (as if its filter failed);
 * {@code |r - l| > tolerance} → QUANTITY_MISMATCH with difference {@code r - l}. A key
 * with both sides present and nothing wrong is matched.
 */
final class BatchJoinOracle {
    private BatchJoinOracle() {
    }

    /**
     * One open discrepancy the final tables call for.
     *
     * @param difference right minus left as plain canonical text for QUANTITY_MISMATCH, else null
     */
    record Expected(String rule, List<String> key, DiscrepancyType type, String difference) {
        @Override
        public String toString() {
            return rule + key + " " + type + (difference == null ? "" : " (difference " + difference + ")");
        }
    }

    /** A (rule, key) both of whose sides are present and consistent. */
    record MatchedKey(String rule, List<String> key) {
        @Override
        public String toString() {
            return rule + key;
        }
    }

    record Result(Set<Expected> discrepancies, Set<MatchedKey> matched) {
    }

    /** Judges the final contents of the tables that {@code facts} (every change of every source) leave behind. */
    static Result judge(EngineConfig config, Collection<Fact> facts) {
        Map<RowId, Fact> live = finalRows(facts);
        Set<Expected> expected = new LinkedHashSet<>();
        Set<MatchedKey> matched = new LinkedHashSet<>();
        for (Rule rule : config.rules()) {
            // key (canonical text) -> live rows, per side
            Map<List<String>, List<Fact>> left = group(config, rule, Side.LEFT, live.values());
            Map<List<String>, List<Fact>> right = group(config, rule, Side.RIGHT, live.values());
            Set<List<String>> keys = new LinkedHashSet<>(left.keySet());
            keys.addAll(right.keySet());
            for (List<String> key : keys) {
                List<Fact> l = left.getOrDefault(key, List.of());
                List<Fact> r = right.getOrDefault(key, List.of());
                int before = expected.size();
                if (l.size() >= 2) expected.add(new Expected(rule.name(), key, DiscrepancyType.DUPLICATE_LEFT, null));
                if (rule.multiplicity() == Multiplicity.ONE_TO_ONE && r.size() >= 2) {
                    expected.add(new Expected(rule.name(), key, DiscrepancyType.DUPLICATE_RIGHT, null));
                }
                if (!l.isEmpty() && r.isEmpty()) {
                    expected.add(new Expected(rule.name(), key, DiscrepancyType.MISSING_RIGHT, null));
                }
                if (l.isEmpty() && !r.isEmpty()) {
                    expected.add(new Expected(rule.name(), key, DiscrepancyType.MISSING_LEFT, null));
                }
                QuantityCheck q = rule.quantity();
                if (!l.isEmpty() && !r.isEmpty() && q != null) {
                    BigDecimal lq = quantityOf(lowestRowId(l), q.leftColumn());
                    BigDecimal rq;
                    if (rule.multiplicity() == Multiplicity.ONE_TO_ONE) {
                        rq = quantityOf(lowestRowId(r), q.rightColumn());
                    } else {
                        rq = BigDecimal.ZERO;
                        for (Fact f : r) rq = rq.add(quantityOf(f, q.rightColumn()));
                    }
                    BigDecimal diff = rq.subtract(lq);
                    if (diff.abs().compareTo(q.tolerance()) > 0) {
                        expected.add(new Expected(rule.name(), key, DiscrepancyType.QUANTITY_MISMATCH,
                                Values.plain(diff)));
                    }
                }
                if (!l.isEmpty() && !r.isEmpty() && expected.size() == before) {
                    matched.add(new MatchedKey(rule.name(), key));
                }
            }
        }
        return new Result(expected, matched);
    }

    /** The last image of every row that still exists: highest position per row id, deleted rows dropped. */
    static Map<RowId, Fact> finalRows(Collection<Fact> facts) {
        Map<RowId, Fact> last = new HashMap<>();
        for (Fact f : facts) {
            Fact seen = last.get(f.row());
            if (seen == null || f.position().compareTo(seen.position()) > 0) last.put(f.row(), f);
        }
        Map<RowId, Fact> live = new TreeMap<>();
        last.forEach((id, f) -> {
            if (f.operation() != Operation.DELETE) live.put(id, f);
        });
        return live;
    }

    /** True when this image of a row puts it into pair {@code key} of the rule's side. */
    static boolean inPair(EngineConfig config, Rule rule, Side side, List<String> key, Fact image) {
        if (image.operation() == Operation.DELETE) return false;
        if (!belongs(config, rule, side, image)) return false;
        return key.equals(keyOf(rule.key(), side, image.columns()));
    }

    /**
     * Since when (event time) a row has been, without interruption, a live row of pair {@code key} on a side, as of
     * position {@code upTo} of its source's log; null when it is not a live row of that pair there. Brute force over
     * the source's whole log, in log order.
     */
    static Instant liveSince(EngineConfig config, Rule rule, Side side, List<String> key, RowId row,
                             List<Fact> sourceLog, SourcePosition upTo) {
        Instant since = null;
        boolean wasLive = false;
        for (Fact f : sourceLog) {
            if (f.position().compareTo(upTo) > 0) break;
            if (!f.row().equals(row)) continue;
            boolean live = inPair(config, rule, side, key, f);
            if (live && !wasLive) since = f.eventTime();
            wasLive = live;
        }
        return wasLive ? since : null;
    }

    /** The rule's composite key of a row image on a side as canonical text, or null when a part is blank. */
    static List<String> keyOf(KeyMapping mapping, Side side, Map<String, Object> columns) {
        List<String> out = new ArrayList<>();
        for (KeyMapping.Part p : mapping.parts()) {
            String v = Values.canonical(columns.get(side == Side.LEFT ? p.leftColumn() : p.rightColumn()));
            if (v == null || v.isBlank()) return null;
            out.add(v);
        }
        return List.copyOf(out);
    }

    private static boolean belongs(EngineConfig config, Rule rule, Side side, Fact f) {
        return config.streamOf(rule, side).contains(f.source(), f.table())
                && rule.side(side).filter().matches(f.columns());
    }

    private static Map<List<String>, List<Fact>> group(EngineConfig config, Rule rule, Side side,
                                                       Collection<Fact> rows) {
        Map<List<String>, List<Fact>> out = new LinkedHashMap<>();   // in row id order: stable messages
        for (Fact f : rows) {
            if (!belongs(config, rule, side, f)) continue;
            List<String> key = keyOf(rule.key(), side, f.columns());
            if (key == null) continue;
            // A bad quantity quarantines the row: it is in no pair.
            if (rule.quantity() != null
                    && Values.quantity(Values.canonical(f.columns().get(rule.quantity().column(side)))) == null) continue;
            out.computeIfAbsent(key, k -> new ArrayList<>()).add(f);
        }
        return out;
    }

    private static Fact lowestRowId(List<Fact> rows) {
        return rows.stream().min(Comparator.comparing(Fact::row)).orElseThrow();
    }

    private static BigDecimal quantityOf(Fact f, String column) {
        BigDecimal q = Values.quantity(Values.canonical(f.columns().get(column)));
        return Objects.requireNonNullElse(q, BigDecimal.ZERO);
    }
}
