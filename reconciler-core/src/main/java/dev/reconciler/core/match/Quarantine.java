package dev.reconciler.core.match;

import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Facts that could not be processed, kept with their reason so that one bad row never blocks a source: the engine
 * quarantines the fact and goes on with the next.
 *
 * <p>Persisted in engine metadata, in the same batch as the facts around them: the latest {@value #KEPT} entries in a
 * ring ({@code quarantine/entry/<seq mod KEPT>}, numbered by {@code quarantine/seq}), and one summary
 * ({@code quarantine/summary}) with the count per (source, table, reason) since the store was created and, per
 * (source, reason), when it was last alerted and how many came since. Both are bounded: the ring by its size, the
 * summary by the configured tables times the reasons. Replays are absorbed like everywhere in the engine: a fact
 * already among the kept entries (same row, log position, reason and rule side) is not quarantined again, so a batch
 * replayed after a crash neither counts nor alerts twice.
 *
 * <p>Alerting: the first quarantined fact of a (source, reason) is journaled as an alerting
 * {@link Outcome.FactQuarantined}; later ones only count, until {@link #REALERT_AFTER} has passed since that alert
 * (the next one then alerts with the number that came in between). Owned by the engine thread; {@link #read} is for
 * other threads (the API) and sees the last committed batch.
 */
public final class Quarantine {
    static final String META_SEQ = "quarantine/seq";
    static final String META_ENTRY = "quarantine/entry/";
    static final String META_SUMMARY = "quarantine/summary";
    /** How many quarantined facts are kept with their details (the counts are kept for all). */
    static final int KEPT = 1000;
    static final Duration REALERT_AFTER = Duration.ofHours(24);

    /** Per (source, reason): when it was last alerted, and how many were quarantined since. */
    private record Alerted(Instant at, long since) {
    }

    private final Map<String, Long> counts = new TreeMap<>();
    private final Map<String, Alerted> alerted = new TreeMap<>();
    /** Identities of the kept entries, oldest first (see {@link #identity}), to absorb replays. */
    private final java.util.LinkedHashMap<String, Long> kept = new java.util.LinkedHashMap<>();
    private long seq;
    private boolean dirty;

    Quarantine(StateStore store) {
        this(store, true);
    }

    private Quarantine(StateStore store, boolean loadKept) {
        try {
            seq = store.meta(META_SEQ).map(Long::parseLong).orElse(0L);
            store.meta(META_SUMMARY).ifPresent(this::load);
            for (long s = Math.max(1, seq - KEPT + 1); loadKept && s <= seq; s++) {
                long n = s;
                store.meta(META_ENTRY + (s % KEPT)).map(Quarantine::decode).filter(e -> e.seq() == n)
                        .ifPresent(e -> kept.put(identity(e.fact()), e.seq()));
            }
        } catch (RuntimeException e) {
            throw new IllegalStateException("state: the quarantine summary (engine metadata '" + META_SUMMARY
                    + "') cannot be read (" + e + "); the state directory was written by another release or damaged:"
                    + " restore it from a backup, or remove it and let the sources snapshot again", e);
        }
    }

    private void load(String text) {
        for (String line : text.split("\n")) {
            if (line.isEmpty()) continue;
            String[] f = line.split("\t", -1);
            if (f[0].equals("C")) counts.put(f[1] + "\t" + f[2] + "\t" + f[3], Long.parseLong(f[4]));
            else if (f[0].equals("A")) alerted.put(f[1] + "\t" + f[2], new Alerted(Instant.parse(f[3]), Long.parseLong(f[4])));
        }
    }

    /** Quarantines one fact: stored, counted, reported (journaled when it alerts). */
    void add(UnitOfWork uow, Quarantined q) {
        String identity = identity(q);
        if (kept.containsKey(identity)) return;   // a replay of a fact already quarantined
        seq++;
        kept.put(identity, seq);
        if (kept.size() > KEPT) kept.remove(kept.keySet().iterator().next());
        uow.putMeta(META_ENTRY + (seq % KEPT), encode(seq, q));
        counts.merge(escape(q.source()) + "\t" + escape(q.table()) + "\t" + q.reason().name(), 1L, Long::sum);
        String alertKey = escape(q.source()) + "\t" + q.reason().name();
        Alerted last = alerted.get(alertKey);
        long since = (last == null ? 0 : last.since()) + 1;
        boolean alert = last == null || !q.at().isBefore(last.at().plus(REALERT_AFTER));
        alerted.put(alertKey, alert ? new Alerted(q.at(), 0) : new Alerted(last.at(), since));
        uow.emit(new Outcome.FactQuarantined(q, alert, alert ? since : 0));
        dirty = true;
    }

    /** Writes the sequence number and the summary into the unit of work when something was quarantined. */
    void flush(UnitOfWork uow) {
        if (!dirty) return;
        uow.putMeta(META_SEQ, Long.toString(seq));
        StringBuilder sb = new StringBuilder();
        counts.forEach((k, n) -> sb.append("C\t").append(k).append('\t').append(n).append('\n'));
        alerted.forEach((k, a) -> sb.append("A\t").append(k).append('\t').append(a.at()).append('\t').append(a.since())
                .append('\n'));
        uow.putMeta(META_SUMMARY, sb.toString());
        dirty = false;
    }

    // ------------------------------------------------------------------------------------------------ reading

    /** One stored quarantined fact and its number (1 for the first the store ever took). */
    public record Entry(long seq, Quarantined fact) {
    }

    /** Count of quarantined facts of one (source, table, reason) since the store was created. */
    public record Count(String source, String table, QuarantineReason reason, long count) {
    }

    /**
     * What the store holds: the counts, and up to {@code limit} of the latest entries with a number below
     * {@code before} (all when null), newest first.
     */
    public record View(long total, List<Count> counts, List<Entry> entries) {
    }

    static View read(StateStore store, Long before, int limit) {
        long last = store.meta(META_SEQ).map(Long::parseLong).orElse(0L);
        Quarantine summary = new Quarantine(store, false);
        List<Count> counts = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, Long> c : summary.counts.entrySet()) {
            String[] f = c.getKey().split("\t", -1);
            counts.add(new Count(unescape(f[0]), unescape(f[1]), QuarantineReason.valueOf(f[2]), c.getValue()));
            total += c.getValue();
        }
        List<Entry> entries = new ArrayList<>();
        long from = before == null ? last : Math.min(last, before - 1);
        for (long s = from; s >= 1 && s > last - KEPT && entries.size() < limit; s--) {
            long n = s;
            store.meta(META_ENTRY + (s % KEPT)).map(text -> decode(text))
                    .filter(e -> e.seq() == n)   // a slot overwritten by a later batch than the one read
                    .ifPresent(entries::add);
        }
        return new View(total, counts, entries);
    }

    // ------------------------------------------------------------------------------------------------ encoding

    /** What makes two quarantined facts the same: the row image (row, log position) and the reason with its rule side. */
    private static String identity(Quarantined q) {
        return q.source() + "\t" + q.table() + "\t" + q.primaryKey() + "\t" + q.position() + "\t" + q.reason() + "\t"
                + q.rule() + "\t" + q.side();
    }

    private static String encode(long seq, Quarantined q) {
        return String.join("\t", Long.toString(seq), q.at().toString(), escape(q.source()), escape(q.table()),
                escape(q.primaryKey()), q.position() == null ? "" : escape(q.position().file()),
                q.position() == null ? "" : q.position().offset() + ":" + q.position().row(), q.reason().name(),
                q.rule() == null ? "" : escape(q.rule()), q.side() == null ? "" : q.side().name(), escape(q.detail()));
    }

    private static Entry decode(String text) {
        String[] f = text.split("\t", -1);
        SourcePosition position = null;
        if (!f[6].isEmpty()) {
            String[] p = f[6].split(":");
            position = new SourcePosition(unescape(f[5]), Long.parseLong(p[0]), Long.parseLong(p[1]));
        }
        return new Entry(Long.parseLong(f[0]), new Quarantined(unescape(f[2]), unescape(f[3]), unescape(f[4]),
                position, QuarantineReason.valueOf(f[7]), f[8].isEmpty() ? null : unescape(f[8]),
                f[9].isEmpty() ? null : Side.valueOf(f[9]), unescape(f[10]), Instant.parse(f[1])));
    }

    /** Keeps tabs and line breaks out of the fields (a primary key is text of the database's choosing). */
    private static String escape(String s) {
        if (s.indexOf('\\') < 0 && s.indexOf('\t') < 0 && s.indexOf('\n') < 0) return s;
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
    }

    private static String unescape(String s) {
        if (s.indexOf('\\') < 0) return s;
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 1 < s.length()) {
                char n = s.charAt(++i);
                sb.append(n == 't' ? '\t' : n == 'n' ? '\n' : n);
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }
}
