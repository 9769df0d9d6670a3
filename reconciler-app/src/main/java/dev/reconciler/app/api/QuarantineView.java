package dev.reconciler.app.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.reconciler.core.match.Quarantine;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.util.List;

/**
 * {@code GET /api/quarantine}: the facts that could not be processed, newest first, with their reason and place (never
 * their row values), and the counts per (source, table, reason). Read from the store, not the engine.
 *
 * @param total  facts quarantined since the state was created
 * @param counts per (source, table, reason)
 * @param items  the latest kept entries (the store keeps the last 1,000), newest first
 * @param next   the {@code before} value of the next page, or null
 */
record QuarantineView(long total, List<Quarantine.Count> counts, List<Item> items, Long next) {

    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;

    /** One quarantined fact. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Item(long seq, Instant at, String source, String table, String primaryKey, String binlogPosition,
                String reason, String rule, String side, String detail) {
    }

    static QuarantineView read(StateStore store, Long before, int limit) {
        Quarantine.View v = ReconciliationEngine.quarantined(store, before, limit + 1);
        List<Item> items = v.entries().stream().limit(limit).map(e -> {
            var f = e.fact();
            return new Item(e.seq(), f.at(), f.source(), f.table(), f.primaryKey(),
                    f.position() == null ? null : f.position().toString(), f.reason().name(), f.rule(),
                    f.side() == null ? null : f.side().label(), f.detail().isEmpty() ? null : f.detail());
        }).toList();
        Long next = v.entries().size() > limit ? items.get(items.size() - 1).seq() : null;
        return new QuarantineView(v.total(), v.counts(), items, next);
    }
}
