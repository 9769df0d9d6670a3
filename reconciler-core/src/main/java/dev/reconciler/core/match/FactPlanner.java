package dev.reconciler.core.match;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.Values;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.EncodedImage;
import dev.reconciler.core.state.PairKey;
import dev.reconciler.core.state.StateStore;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Turns facts into {@link Step steps}: routes each fact to the rule sides that read its table, converts it to the
 * canonical image those sides keep, and works out its key, old key, filter verdict and quantity. Holds no mutable
 * state but the routing cache (thread-safe) and reads no pair state, which is what makes {@link #prepare} safe from
 * any thread.
 */
final class FactPlanner {
    private final EngineConfig config;
    private final StateStore store;
    private final Routes routes;

    FactPlanner(EngineConfig config, StateStore store) {
        this.config = config;
        this.store = store;
        this.routes = new Routes(config);
    }

    /**
     * What one fact means for one rule side.
     *
     * @param image   the fact's row as the rule side keeps it
     * @param oldKey  the pair the row leaves because a key column changed (UPDATE with a before image), or null
     * @param key     the pair the row is upserted into ({@code matches}) or retracted from, or null for nothing
     * @param matches whether the row (as of this fact) belongs to the rule side; counted as a fact taken
     * @param missing a column the rule reads that the row lacks (dropped or renamed): the row cannot be judged and
     *                pauses the rule (see {@link RulePauses}); null when the row has every column
     * @param bad     why the fact is quarantined instead of joining a pair (a bad key, quantity or size for this rule
     *                side; with no route, a fact that failed to prepare), or null. A quarantined row is no member of
     *                the pair: it does not match ({@code matches} false, so an UPDATE takes the row's earlier image
     *                out of its pair), except for a missing key, where it is counted as a row without key as before
     * @param detail  what {@code bad} concerns (a column name, an exception class), never a row value
     */
    record Step(Fact fact, RowImage image, EncodedImage encoded, BigDecimal quantity, Routes.Route route,
                PairKey oldKey, PairKey key, boolean matches, String missing, QuarantineReason bad, String detail) {
        Step(Fact fact, RowImage image, EncodedImage encoded, BigDecimal quantity, Routes.Route route,
             PairKey oldKey, PairKey key, boolean matches, String missing) {
            this(fact, image, encoded, quantity, route, oldKey, key, matches, missing, null, null);
        }
    }

    /** A fact's canonical image for one kept-column set, encoded by the store at most once, when a pair holds it. */
    private static final class Image {
        final Set<String> keep;
        final RowImage image;
        private EncodedImage encoded;

        Image(Set<String> keep, RowImage image) {
            this.keep = keep;
            this.image = image;
        }

        EncodedImage encoded(StateStore store) {
            if (encoded == null) encoded = store.encode(image);
            return encoded;
        }
    }

    /**
     * Routes facts and converts them to canonical images (filter, key, old key), and has the store encode each image
     * a pair will hold ({@link StateStore#encode}). Changes no pair state (encoding may add names to the store's name
     * table, which the next batch persists) and is safe from any thread, so a source's
     * thread can do it while the engine thread applies the previous batch: converting and encoding a row is cheapest
     * on the thread that built it, and is about half of the work per fact.
     */
    ReconciliationEngine.Prepared prepare(List<Fact> facts) {
        List<Step> steps = new ArrayList<>(facts.size() * 2);
        Set<PairKey> touched = new HashSet<>();
        // Routes whose latest row in this batch carried every column the rule reads (see the marker step below).
        Map<Routes.Route, Boolean> complete = new IdentityHashMap<>();
        for (Fact fact : facts) {
            int first = steps.size();
            try {
                planFact(fact, steps, touched, complete);
            } catch (RuntimeException e) {
                // A bug must not block the source: the fact is quarantined (no row values: the class only) and the
                // batch goes on. Its partial steps are dropped; touched keys left over only cost a read.
                steps.subList(first, steps.size()).clear();
                steps.add(new Step(fact, null, null, null, null, null, null, false, null,
                        QuarantineReason.INTERNAL_ERROR, "preparing: " + ReconciliationEngine.describe(e)));
            }
        }
        return new ReconciliationEngine.Prepared(config, steps, touched);
    }

    private void planFact(Fact fact, List<Step> steps, Set<PairKey> touched, Map<Routes.Route, Boolean> complete) {
        {
            Image image = null;
            for (Routes.Route route : routes.of(fact.source(), fact.table())) {
                // One canonical image per fact, unless its table feeds streams that keep different columns. The
                // image holds every column a rule reads (EngineConfig#columnsKept), so key and filter read it
                // instead of converting the same raw values again.
                if (image == null || image.keep != route.keep()) {
                    image = new Image(route.keep(), RowImage.of(fact, route.keep()));
                }
                Step step = plan(fact, image, route, store);
                if (step == null) {
                    // Nothing for the pairs, but the row has the rule's columns: a paused rule side resumes on it.
                    // One marker per route until a row of it lacks a column again, so a batch keeps the order of
                    // "column gone" and "column back" without a step per row.
                    if (complete.putIfAbsent(route, Boolean.TRUE) == null) {
                        steps.add(new Step(fact, image.image, null, null, route, null, null, false, null));
                    }
                    continue;
                }
                if (step.missing() != null) complete.remove(route);
                else complete.put(route, Boolean.TRUE);
                steps.add(step);
                if (step.oldKey() != null) touched.add(step.oldKey());
                if (step.key() != null) touched.add(step.key());
            }
        }
    }

    private static Step plan(Fact fact, Image canonical, Routes.Route route, StateStore store) {
        RowImage image = canonical.image;
        Rule rule = route.rule();
        Side side = route.side();
        Operation op = fact.operation();
        String missing = missingColumn(fact, canonical, route);
        if (missing != null) return new Step(fact, image, null, null, route, null, null, false, missing);
        List<String> key = keyOf(rule, side, image.columns()::get);
        PairKey oldKey = null;
        if (op == Operation.UPDATE && fact.before() != null) {
            // A key column changed: the row leaves its old pair. Needs the before image (binlog_row_image=FULL).
            List<String> old = keyOf(rule, side, c -> Values.canonical(fact.before().get(c)));
            if (old != null && !old.equals(key)) oldKey = new PairKey(rule.name(), old);
        }
        boolean matches = op.rowExists() && rule.side(side).filter().matchesCanonical(image.columns());
        // The quantity is parsed here, on the preparing thread, where the row's text is still in the CPU cache.
        BigDecimal quantity = null;
        QuarantineReason bad = null;
        String detail = null;
        if (matches && key == null) {
            bad = QuarantineReason.KEY_MISSING;   // still "matches": counted as a row without key, pairs with nothing
            detail = blankKeyColumn(rule, side, image);
        } else if (matches) {
            if (tooLarge(image)) {
                bad = QuarantineReason.ROW_TOO_LARGE;
                detail = "over " + Values.MAX_IMAGE_CHARS + " characters in the columns the rule keeps";
            } else if (rule.quantity() != null) {
                String column = rule.quantity().column(side);
                String text = image.column(column);
                quantity = Values.quantity(text);
                if (quantity == null) {
                    bad = Values.quantityProblem(text);
                    detail = column;
                }
            }
            // A bad row is no member of its pair: as if it had left the filter (an UPDATE retracts its earlier image).
            if (bad != null) matches = false;
        }
        // An insert or snapshot read that does not match cannot retract anything: no state lookup for it.
        boolean acts = key != null && (matches || op == Operation.UPDATE || op == Operation.DELETE);
        if (!acts && oldKey == null && !matches && bad == null) return null;
        return new Step(fact, image, acts || oldKey != null ? canonical.encoded(store) : null, quantity, route,
                oldKey, acts ? new PairKey(rule.name(), key) : null, matches, null, bad, detail);
    }

    /** Whether the kept columns add up to more than {@link Values#MAX_IMAGE_CHARS} characters. */
    private static boolean tooLarge(RowImage image) {
        long chars = 0;
        for (String v : image.columns().values()) {
            if (v != null) chars += v.length();
        }
        return chars > Values.MAX_IMAGE_CHARS;
    }

    private static String blankKeyColumn(Rule rule, Side side, RowImage image) {
        for (KeyMapping.Part p : rule.key().parts()) {
            String v = image.column(p.column(side));
            if (v == null || v.isEmpty()) return p.column(side);
        }
        return "";
    }

    /**
     * The first column the rule reads on the route's side that the row lacks, or null. A column that is there with
     * SQL NULL is present (a row's layout names its columns): only a dropped or renamed column is missing. The image
     * holds every kept column the row has, so when it has them all (the usual case) nothing is looked up.
     */
    private static String missingColumn(Fact fact, Image canonical, Routes.Route route) {
        if (canonical.keep != null && canonical.image.columns().size() == canonical.keep.size()) return null;
        for (String column : route.read()) {
            if (!fact.columns().containsKey(column)) return column;
        }
        return null;
    }

    /**
     * The key of a row, given each column's canonical text, or null when a part is missing or empty (such a row
     * pairs with nothing).
     */
    private static List<String> keyOf(Rule rule, Side side, Function<String, String> canonical) {
        List<KeyMapping.Part> parts = rule.key().parts();
        if (parts.size() == 1) {
            String v = canonical.apply(parts.get(0).column(side));
            return v == null || v.isEmpty() ? null : List.of(v);
        }
        List<String> values = new ArrayList<>(parts.size());
        for (KeyMapping.Part p : parts) {
            String v = canonical.apply(p.column(side));
            if (v == null || v.isEmpty()) return null;
            values.add(v);
        }
        return values;
    }
}
