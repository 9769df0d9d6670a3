package dev.reconciler.app.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
import dev.reconciler.core.discrepancy.TimelineEntry;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.match.RulePause;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.PairState;
import dev.reconciler.core.state.StoredRow;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON documents of the API (docs/api.md shows each), built from the core's types. The discrepancy document is
 * public: alert payloads carry the same shape.
 */
public final class Views {
    private Views() {
    }

    /** Every error: what was wrong, and (when there is one) how to fix it. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Error(String error, String fix) {
    }

    public record Page<T>(List<T> items, String next) {
    }

    /** A row image: where the row lives, its commit time and log position, and the columns the engine keeps. */
    public record Row(String source, String table, String pk, Instant eventTime, String position,
                      Map<String, String> columns) {
        public static Row of(RowImage i) {
            return new Row(i.id().source(), i.id().table(), i.id().primaryKey(), i.eventTime(),
                    i.position().toString(), i.columns());
        }
    }

    public record Ack(Instant at, String note) {
        public static Ack of(Acknowledgement a) {
            return a == null ? null : new Ack(a.at(), a.note());
        }
    }

    /**
     * What the lookup of a {@code MISSING_*}'s counterpart on the other database found before it alerted.
     *
     * @param result        ABSENT, PRESENT_NOT_IN_BINLOG or NOT_VERIFIED
     * @param waitedSeconds for PRESENT_NOT_IN_BINLOG: how long the binlog was awaited
     */
    public record VerificationView(String result, Instant at, String detail, Long waitedSeconds, String summary) {
        public static VerificationView of(Verification v) {
            return v == null ? null : new VerificationView(v.result().name(), v.at(), v.detail(),
                    v.waited() == null ? null : v.waited().toSeconds(), v.summary());
        }
    }

    /**
     * One step of a discrepancy's life: {@code OPENED} and the engine's {@code RESOLVED} (by {@code engine}, the
     * reason its resolution) come from the discrepancy's times; the others are people's steps as recorded.
     */
    public record Step(Instant at, TimelineEntry.Action action, String by, String reason) {
    }

    /**
     * @param timeline     its life, oldest first (see {@link Step})
     * @param verification for a verified {@code MISSING_*}: what the lookup found; null otherwise
     */
    public record DiscrepancyView(String id, String rule, DiscrepancyType type, Status status, Map<String, String> key,
                                  int occurrence, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                                  BigDecimal difference, List<Row> left, List<Row> right, Ack acknowledged,
                                  List<Step> timeline, VerificationView verification) {
        public static DiscrepancyView of(Discrepancy d) {
            return new DiscrepancyView(d.id(), d.rule(), d.type(), d.status(), d.key(), d.occurrence(), d.detectedAt(),
                    d.resolvedAt(), d.resolution(), d.difference(), rows(d.left()), rows(d.right()),
                    Ack.of(d.acknowledgement()), Views.timeline(d), VerificationView.of(d.verification()));
        }
    }

    static List<Step> timeline(Discrepancy d) {
        List<Step> out = new ArrayList<>();
        out.add(new Step(d.detectedAt(), TimelineEntry.Action.OPENED, TimelineEntry.ENGINE, ""));
        boolean acked = false;
        for (TimelineEntry e : d.timeline()) {
            out.add(new Step(e.at(), e.action(), e.by(), e.reason()));
            acked |= e.action() == TimelineEntry.Action.ACKNOWLEDGED;
        }
        Acknowledgement a = d.acknowledgement();
        if (a != null && !acked) {
            // Acknowledged by a release that kept no timeline: the acknowledgement itself, by nobody named.
            out.add(new Step(a.at(), TimelineEntry.Action.ACKNOWLEDGED, "", a.note()));
        }
        if (d.status() == Status.RESOLVED && d.resolution() != Resolution.MANUAL) {
            out.add(new Step(d.resolvedAt(), TimelineEntry.Action.RESOLVED, TimelineEntry.ENGINE,
                    d.resolution().name()));
        }
        out.sort(java.util.Comparator.comparing(Step::at));   // stable: steps at one instant keep their order
        return out;
    }

    /** An entry of the audit trail ({@code GET /api/audit}). */
    record AuditView(long seq, Instant at, String discrepancyId, String rule, DiscrepancyType type,
                     TimelineEntry.Action action, String by, String reason) {
        static AuditView of(dev.reconciler.core.discrepancy.AuditEntry e) {
            return new AuditView(e.seq(), e.at(), e.discrepancyId(), e.rule(), e.type(), e.action(), e.by(),
                    e.reason());
        }
    }

    /** A row of a pair as the engine holds it: live, or a tombstone kept so that a replay cannot revive it. */
    record PairRow(boolean live, Instant since, Row image) {
        static PairRow of(StoredRow r) {
            return new PairRow(r.live(), r.since(), Row.of(r.image()));
        }
    }

    /**
     * @param pendingLeftUntil  the left rows wait for a right counterpart until the right side's watermark reaches
     *                          this (grace + clock skew after they arrived); null when they do not wait
     * @param pendingRightUntil the same for right rows waiting on the left side
     * @param expiresAt         a finished pair is dropped (with its discrepancies) once both watermarks pass this
     * @param watermarks        the rule's current watermarks per side, to compare with the deadlines
     */
    record PairView(String rule, Map<String, String> key, boolean matched, List<DiscrepancyType> open,
                    Map<DiscrepancyType, Integer> occurrences, List<PairRow> left, List<PairRow> right,
                    Instant pendingLeftUntil, Instant pendingRightUntil, Instant expiresAt, Instant lastEventTime,
                    Map<String, Instant> watermarks, List<DiscrepancyView> discrepancies) {
        static PairView of(Map<String, String> key, PairState p, EngineSnapshot.RuleNumbers numbers,
                           List<DiscrepancyView> discrepancies) {
            List<PairRow> left = new ArrayList<>();
            List<PairRow> right = new ArrayList<>();
            for (StoredRow r : p.rows()) (r.side() == Side.LEFT ? left : right).add(PairRow.of(r));
            return new PairView(p.key().rule(), key, p.matched(), List.copyOf(p.open()), p.occurrences(), left,
                    right, p.waitRight(), p.waitLeft(), p.expireAt(), p.lastEventTime(),
                    numbers == null ? Map.of() : bySide(numbers.watermarks()), discrepancies);
        }
    }

    /**
     * @param state   one line for people: {@code WAITING: 127.0.0.1:3306 connection refused, next try in 8s}
     * @param reason  why the source is in its phase, when that is not the normal course; null otherwise
     */
    record SourceView(String name, String flavour, String phase, String state, String reason, Instant phaseSince,
                      Instant nextAttemptAt, Boolean connected, Instant lastCommit,
                      Double lagSeconds, Instant lastBatchAt, Instant watermark, boolean stalled, long snapshotRows,
                      Map<String, Long> eventsByTable, String lastError, long disconnects) {
        static SourceView of(String name, SourceStatus s, EngineSnapshot.SourceNumbers engine, Instant now) {
            Instant watermark = engine == null ? null : engine.watermark();
            boolean stalled = engine != null && engine.stalled();
            if (s == null) {
                // A source the engine knows but no capture reports on (fed by other means, e.g. a test).
                return new SourceView(name, null, null, null, null, null, null, null, null, null, null, watermark,
                        stalled, 0, Map.of(), null, 0);
            }
            Double lag = s.lagSeconds(now);
            return new SourceView(name, s.flavour() == null ? null : s.flavour().name(), s.phase().name(),
                    s.describe(now), s.reason(), s.phaseSince(), s.nextAttemptAt(), s.connected(), s.lastCommit(), lag,
                    s.lastBatchAt(), watermark, stalled, s.snapshotRows(), s.eventsByTable(), s.lastError(),
                    s.disconnects());
        }
    }

    /**
     * @param state            {@code running}, or {@code paused} while rows of a table lack a column the rule reads
     * @param paused           what paused it: per side and table, the column and the binlog position of the first
     *                         row without it; empty while running
     * @param matchesPerMinute pairs matched in the last minute (of this process: {@code matchesCountedSeconds} says
     *                         how much of that minute it has counted, less than 60 right after a start)
     * @param definition       the rule's key, quantity columns and grace, to read a discrepancy against
     * @param verifying        due MISSING_* held by verify before alert instead of firing: {@code lookingUp} (the
     *                         lookup on the other database runs) and {@code awaitingBinlog} (found there, awaited in
     *                         the binlog)
     */
    public record RuleView(String name, String state, Map<String, Long> pending, Map<DiscrepancyType, Long> open,
                    Map<String, Long> facts, Map<String, Long> factsWithoutKey, Map<String, Long> factsHeld,
                    Map<String, Instant> watermarks, Instant reconciledUntil, List<PauseView> paused,
                    Map<DiscrepancyType, Long> waived, long matchesPerMinute, long matchesCountedSeconds,
                    RuleDefinition definition, Map<String, Long> verifying) {
        public static RuleView of(String name, EngineSnapshot.RuleNumbers n, long matchesPerMinute, long countedSeconds,
                           RuleDefinition definition) {
            Map<String, Long> verifying = new LinkedHashMap<>();
            verifying.put("lookingUp", n.verifying());
            verifying.put("awaitingBinlog", n.awaitingBinlog());
            return new RuleView(name, n.paused().isEmpty() ? "running" : "paused", bySide(n.pending()), n.open(),
                    bySide(n.facts()), bySide(n.withoutKey()), bySide(n.held()), bySide(n.watermarks()),
                    n.reconciledUntil(), n.paused().stream().map(PauseView::of).toList(), n.waived(),
                    matchesPerMinute, countedSeconds, definition, verifying);
        }
    }

    /**
     * What a rule compares: its key (name, left column, right column), its quantity columns (null when it compares
     * none), the tables' streams, its grace and the engine's clock-skew allowance (a counterpart may arrive up to
     * grace + skew after its row before the discrepancy opens).
     */
    public record RuleDefinition(List<KeyPart> key, Map<String, String> quantity, Map<String, String> streams,
                          String multiplicity, String grace, String clockSkew) {
        record KeyPart(String name, String left, String right) {
        }

        public static RuleDefinition of(dev.reconciler.core.rule.Rule r, java.time.Duration skew) {
            List<KeyPart> key = r.key().parts().stream().map(p -> new KeyPart(p.name(), p.leftColumn(), p.rightColumn()))
                    .toList();
            Map<String, String> quantity = null;
            if (r.quantity() != null) {
                quantity = new LinkedHashMap<>();
                quantity.put("left", r.quantity().leftColumn());
                quantity.put("right", r.quantity().rightColumn());
            }
            Map<String, String> streams = new LinkedHashMap<>();
            streams.put("left", r.left().stream());
            streams.put("right", r.right().stream());
            return new RuleDefinition(key, quantity, streams, r.multiplicity().name(),
                    dev.reconciler.app.config.Durations.format(r.grace()),
                    dev.reconciler.app.config.Durations.format(skew));
        }
    }

    /** A rule side paused for a table: the column its rows lack, where that was first seen, since when. */
    record PauseView(String side, String source, String table, String column, String position, Instant since) {
        static PauseView of(RulePause p) {
            return new PauseView(p.side().label(), p.source(), p.table(), p.column(), p.position().toString(),
                    p.since());
        }
    }

    record StatusView(String version, Instant startedAt, long uptimeSeconds, boolean stateOpen,
                      StateUnwritableView stateUnwritable,
                      Instant engineNumbersAt, List<SourceView> sources, List<RuleView> rules) {
    }

    /** Why the state store takes no writes (null in the status while it does); ingestion waits meanwhile. */
    record StateUnwritableView(String reason, String message, Instant since, int waitingBatches) {
    }

    public record Health(String status, List<String> reasons) {
    }

    public static List<Row> rows(List<RowImage> images) {
        List<Row> out = new ArrayList<>(images.size());
        for (RowImage i : images) out.add(Row.of(i));
        return out;
    }

    /** Side-keyed maps with the labels the metrics use ("left", "right"); null values kept. */
    static <V> Map<String, V> bySide(Map<Side, V> m) {
        Map<String, V> out = new LinkedHashMap<>();
        for (Side s : Side.values()) out.put(s.label(), m.get(s));
        return out;
    }
}
