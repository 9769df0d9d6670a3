package dev.reconciler.app.alert;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.JournalEntry;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * What a sink is told: one journal entry (a discrepancy opened or resolved, a source stalled or recovered, a rule
 * paused or resumed, facts quarantined), or one
 * aggregate of many discrepancies of a rule (storm control).
 *
 * <p>Identity: an alert is the same alert as another when its {@link #labels()} are equal — (rule, type, key) for a
 * discrepancy, (source) for a stall, (rule, side, source, table, column) for a pause, (rule) for a storm; {@link #fingerprint()} hashes them. Each event carries an
 * {@link #idempotencyKey()} that is the same however often it is delivered (after a retry or a restart), so a
 * receiver can drop what it already has.
 */
public sealed interface Alert {

    String ALERTNAME_DISCREPANCY = "ReconcilerDiscrepancy";
    String ALERTNAME_STALLED = "ReconcilerSourceStalled";
    String ALERTNAME_STORM = "ReconcilerDiscrepancyStorm";
    String ALERTNAME_RULE_PAUSED = "ReconcilerRulePaused";
    String ALERTNAME_COVERAGE_GAP = "ReconcilerCoverageGap";
    String ALERTNAME_QUARANTINED = "ReconcilerFactsQuarantined";

    /** How long Alertmanager shows a coverage gap (an event with no end of its own). */
    Duration COVERAGE_GAP_SHOWN = Duration.ofHours(24);

    /** The journal sequence number of the entry (of the first aggregated entry, for a storm). */
    long seq();

    /** True for a problem that begins (opened, stalled), false for its end (resolved, recovered). */
    boolean firing();

    /** The same for every delivery of this event: {@code <discrepancy id>:opened}, {@code :resolved}, … */
    String idempotencyKey();

    /** What identifies the alert (not the event): {@code alertname} and its dimensions. */
    Map<String, String> labels();

    /** The event name in webhook payloads: {@code discrepancy.opened}, {@code source.stalled}, … */
    String event();

    /** When the problem began. */
    Instant startsAt();

    /** When it ended; null while firing. */
    Instant endsAt();

    /** 16 hex digits of SHA-256 over the sorted labels: the alert's identity. */
    default String fingerprint() {
        StringBuilder sb = new StringBuilder();
        new TreeMap<>(labels()).forEach((k, v) -> sb.append(k).append('=').append(v).append('\n'));
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** The alert of one journal entry. */
    static Alert of(JournalEntry e) {
        Outcome o = e.outcome();
        if (o instanceof Outcome.DiscrepancyOpened x) return new DiscrepancyAlert(e.seq(), x.discrepancy(), true);
        if (o instanceof Outcome.DiscrepancyResolved x) return new DiscrepancyAlert(e.seq(), x.discrepancy(), false);
        if (o instanceof Outcome.SourceStalled x) {
            return new SourceAlert(e.seq(), x.source(), x.watermark(), x.behind(), x.detectedAt(), true);
        }
        if (o instanceof Outcome.CoverageGap g) {
            return new CoverageGapAlert(e.seq(), g.source(), g.from(), g.to(), g.reason(), g.at());
        }
        if (o instanceof Outcome.FactQuarantined q) {
            var f = q.fact();
            return new QuarantineAlert(e.seq(), f.source(), f.reason(), f.table(), f.rule(),
                    f.side() == null ? null : f.side().label(), f.detail(),
                    f.position() == null ? null : f.position().toString(), q.since(), f.at());
        }
        if (o instanceof Outcome.RulePaused x) {
            return new RuleAlert(e.seq(), x.rule(), x.side(), x.source(), x.table(), x.column(),
                    x.position().toString(), x.at(), null, -1, null, true);
        }
        if (o instanceof Outcome.RuleResumed x) {
            return new RuleAlert(e.seq(), x.rule(), x.side(), x.source(), x.table(), x.column(),
                    x.position() == null ? null : x.position().toString(), x.pausedAt(), x.at(), x.held(), x.why(),
                    false);
        }
        Outcome.SourceRecovered x = (Outcome.SourceRecovered) o;
        return new SourceAlert(e.seq(), x.source(), x.watermark(), null, x.at(), false);
    }

    /** {@code order_id=O2,goods_id=43}: a key as one label value. */
    /** {@code order_id=O1,goods_id=7}: labels join with {@code ","}, messages with {@code ", "}. */
    static String keyText(Map<String, String> key, String separator) {
        return key.entrySet().stream().map(k -> k.getKey() + "=" + k.getValue()).collect(Collectors.joining(separator));
    }

    /** A discrepancy opened ({@code firing}) or resolved; its record carries the row images of the moment. */
    record DiscrepancyAlert(long seq, Discrepancy discrepancy, boolean firing) implements Alert {
        @Override
        public String idempotencyKey() {
            return discrepancy.id() + (firing ? ":opened" : ":resolved");
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_DISCREPANCY);
            l.put("rule", discrepancy.rule());
            l.put("type", discrepancy.type().name());
            l.put("key", keyText(discrepancy.key(), ","));
            return l;
        }

        @Override
        public String event() {
            return firing ? "discrepancy.opened" : "discrepancy.resolved";
        }

        @Override
        public Instant startsAt() {
            return discrepancy.detectedAt();
        }

        @Override
        public Instant endsAt() {
            return firing ? null : discrepancy.resolvedAt();
        }
    }

    /**
     * A source stalled ({@code firing}: its watermark fell behind the wall clock by {@code behind} at {@code at}) or
     * recovered at {@code at}; one alert per source, never one per waiting pair.
     */
    record SourceAlert(long seq, String source, Instant watermark, Duration behind, Instant at, boolean firing)
            implements Alert {
        @Override
        public String idempotencyKey() {
            return (firing ? "stalled:" : "recovered:") + source + ":" + at;
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_STALLED);
            l.put("source", source);
            return l;
        }

        @Override
        public String event() {
            return firing ? "source.stalled" : "source.recovered";
        }

        @Override
        public Instant startsAt() {
            return at;
        }

        @Override
        public Instant endsAt() {
            return firing ? null : at;
        }
    }

    /**
     * A rule paused ({@code firing}): rows of {@code table} routed to its {@code side} lack {@code column}, which it
     * reads; it holds its pairs (no MISSING_* meanwhile) until it resumes ({@code firing} false) because the column is
     * back or the configuration no longer reads it. One alert per (rule, side, source, table, column).
     *
     * @param position  firing: the binlog position of the first row without the column; resumed: of the first row
     *                  with it again (null when a configuration change resumed it)
     * @param pausedAt  when the pause began
     * @param resumedAt when it ended; null while firing
     * @param held      resumed: rows of the table held (not judged) since the engine last started; -1 while firing
     * @param why       resumed: why; null while firing
     */
    record RuleAlert(long seq, String rule, Side side, String source, String table, String column, String position,
                     Instant pausedAt, Instant resumedAt, long held, Outcome.RuleResumed.Why why, boolean firing)
            implements Alert {
        @Override
        public String idempotencyKey() {
            return (firing ? "paused:" : "resumed:") + rule + ":" + side.label() + ":" + source + ":" + table + ":"
                    + column + ":" + (firing ? pausedAt : resumedAt);
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_RULE_PAUSED);
            l.put("rule", rule);
            l.put("side", side.label());
            l.put("source", source);
            l.put("table", table);
            l.put("column", column);
            return l;
        }

        @Override
        public String event() {
            return firing ? "rule.paused" : "rule.resumed";
        }

        @Override
        public Instant startsAt() {
            return pausedAt;
        }

        @Override
        public Instant endsAt() {
            return firing ? null : resumedAt;
        }
    }

    /**
     * A window of a source's history that was never observed (binlog purged, re-read from a later instant): told
     * once, as firing; it has no end of its own, so Alertmanager shows it for {@link #COVERAGE_GAP_SHOWN} and it is
     * not part of the re-sent firing set.
     */
    record CoverageGapAlert(long seq, String source, Instant from, Instant to, String reason, Instant at)
            implements Alert {
        @Override
        public boolean firing() {
            return true;
        }

        @Override
        public String idempotencyKey() {
            return "coverage-gap:" + source + ":" + from + ":" + to;
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_COVERAGE_GAP);
            l.put("source", source);
            return l;
        }

        @Override
        public String event() {
            return "source.coverage_gap";
        }

        @Override
        public Instant startsAt() {
            return at;
        }

        @Override
        public Instant endsAt() {
            return null;
        }
    }

    /**
     * Facts of a source were quarantined for {@code reason} (they could not be processed; they take part in no pair).
     * Told once for the first of a (source, reason), then at most once a day while more come, with the number since
     * the previous alert; an event with no end of its own, like a coverage gap. The entries are listed by
     * {@code GET /api/quarantine}.
     *
     * @param table    the table of the fact that raised this alert
     * @param rule     the rule whose key or quantity column is bad, or null
     * @param detail   the column or exception class (never a row value)
     * @param position the binlog position of that fact, or null
     * @param since    facts of this (source, reason) quarantined since the previous alert, this one included
     */
    record QuarantineAlert(long seq, String source, dev.reconciler.core.fact.QuarantineReason reason, String table,
                           String rule, String side, String detail, String position, long since, Instant at)
            implements Alert {
        @Override
        public boolean firing() {
            return true;
        }

        @Override
        public String idempotencyKey() {
            return "quarantine:" + source + ":" + reason + ":" + at;
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_QUARANTINED);
            l.put("source", source);
            l.put("reason", reason.name());
            return l;
        }

        @Override
        public String event() {
            return "facts.quarantined";
        }

        @Override
        public Instant startsAt() {
            return at;
        }

        @Override
        public Instant endsAt() {
            return null;
        }
    }

    /** One discrepancy named in a storm alert. */
    record Sample(String id, DiscrepancyType type, Map<String, String> key) {
    }

    /**
     * Many discrepancies of one rule opened ({@code firing}) or resolved within one minute, sent as one alert instead
     * of one each (storm control). Every one of them is still recorded and listed by the HTTP API.
     *
     * @param seq         the journal sequence number of the first one aggregated
     * @param windowStart the minute (of detection, or of resolution) they fall in
     * @param count       how many are aggregated here (the first ones of the minute were sent on their own)
     * @param sample      the first few of them
     * @param first       the earliest detected-at (resolved-at) among them
     * @param last        the latest
     */
    record StormAlert(long seq, String rule, boolean firing, Instant windowStart, int count,
                      Map<DiscrepancyType, Integer> byType, List<Sample> sample, Instant first, Instant last)
            implements Alert {
        public StormAlert {
            byType = Collections.unmodifiableMap(new EnumMap<>(byType));
            sample = List.copyOf(sample);
        }

        @Override
        public String idempotencyKey() {
            return "storm:" + rule + (firing ? ":opened:" : ":resolved:") + seq;
        }

        @Override
        public Map<String, String> labels() {
            Map<String, String> l = new LinkedHashMap<>();
            l.put("alertname", ALERTNAME_STORM);
            l.put("rule", rule);
            return l;
        }

        @Override
        public String event() {
            return firing ? "storm.opened" : "storm.resolved";
        }

        @Override
        public Instant startsAt() {
            return first;
        }

        @Override
        public Instant endsAt() {
            return firing ? null : last;
        }

        public Instant windowEnd() {
            return windowStart.plus(StormControl.WINDOW);
        }
    }
}
