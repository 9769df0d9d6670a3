package dev.reconciler.core.match;

import dev.reconciler.core.discrepancy.AuditEntry;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.state.StateStore;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The audit trail: every step people took with discrepancies ({@link AuditEntry}), durable in the state store in
 * the same batch as the step itself. Kept as engine metadata, one entry per name {@code audit/<seq>} (19 digits) and
 * the last number under {@value #META_SEQ}: the numbers are dense, so a page is read by exact names (no scan, and no
 * change to the store's layout), newest first. Entries are never deleted. Engine-thread only for writing; reading
 * ({@link #read}) is safe from any thread.
 */
final class AuditTrail {
    static final String META_SEQ = "audit/seq";
    static final String PREFIX = "audit/";

    private long seq;

    AuditTrail(StateStore store) {
        reload(store);
    }

    /** Forgets numbers given out in a batch that did not commit. */
    void reload(StateStore store) {
        seq = lastSeq(store);
    }

    static long lastSeq(StateStore store) {
        return store.meta(META_SEQ).map(Long::parseLong).orElse(0L);
    }

    /** Appends the step to the unit of work (written, and numbered for good, when it commits). */
    void append(UnitOfWork uow, Discrepancy d, TimelineEntry step) {
        seq++;
        uow.putMeta(name(seq), AuditEntry.of(seq, d, step).encode());
        uow.putMeta(META_SEQ, Long.toString(seq));
    }

    static String name(long seq) {
        return PREFIX + String.format("%019d", seq);
    }

    /**
     * Up to {@code limit} entries numbered below {@code before} (from the newest when null), newest first, stopping
     * at the first one older than {@code since} (when given: the trail is in commit order, which is the engine
     * clock's order).
     */
    static List<AuditEntry> read(StateStore store, Long before, Instant since, int limit) {
        long last = lastSeq(store);
        long from = before == null ? last : Math.min(before - 1, last);
        List<AuditEntry> out = new ArrayList<>();
        for (long s = from; s >= 1 && out.size() < limit; s--) {
            String v = store.meta(name(s)).orElse(null);
            if (v == null) continue;
            AuditEntry e = AuditEntry.decode(s, v);
            if (since != null && e.at().isBefore(since)) break;
            out.add(e);
        }
        return out;
    }
}
