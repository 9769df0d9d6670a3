package dev.reconciler.core.discrepancy;

import dev.reconciler.core.fact.RowImage;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One detected inconsistency of one pair, with its lifecycle.
 *
 * @param id          stable: derived from rule, key, type and occurrence, so a replay re-detecting it yields the
 *                    same id (receivers can deduplicate on it)
 * @param key         the rule's key names mapped to this pair's values
 * @param occurrence  1 for the first time this type opened for this key, 2 if it opened again after resolving, …
 * @param difference  for {@link DiscrepancyType#QUANTITY_MISMATCH}: right minus left (negative: short, positive:
 *                    over); null for other types
 * @param left        the live left rows when last detected or resolved
 * @param right       the live right rows when last detected or resolved
 * @param acknowledgement the last acknowledgement by a person (HTTP API), or null; kept when the discrepancy
 *                    changes or is resolved
 * @param timeline    what people did with it (acknowledged, waived, resolved by hand, re-opened), oldest first; the
 *                    last {@link #MAX_TIMELINE} steps (the audit trail keeps every one)
 * @param verification for a {@code MISSING_*} of a rule that verifies before alerting: what the lookup of the
 *                    counterpart on the other database found; null when none was made
 */
public record Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                          Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                          BigDecimal difference, List<RowImage> left, List<RowImage> right,
                          Acknowledgement acknowledgement, List<TimelineEntry> timeline, Verification verification) {
    /** Steps kept on the record itself: a discrepancy toggled by a script must not grow without bound. */
    public static final int MAX_TIMELINE = 50;

    public Discrepancy {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detectedAt, "detectedAt");
        key = Collections.unmodifiableMap(new LinkedHashMap<>(key));
        left = List.copyOf(left);
        right = List.copyOf(right);
        timeline = timeline == null ? List.of() : List.copyOf(timeline);
        if ((status == Status.RESOLVED) != (resolution != null && resolvedAt != null)) {
            throw new IllegalArgumentException("discrepancy " + id + ": a RESOLVED one needs resolvedAt and a"
                    + " resolution, an OPEN or WAIVED one has neither");
        }
    }

    /** A discrepancy without a verification (every type but a verified {@code MISSING_*}). */
    public Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                       Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                       BigDecimal difference, List<RowImage> left, List<RowImage> right,
                       Acknowledgement acknowledgement, List<TimelineEntry> timeline) {
        this(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution, difference, left, right,
                acknowledgement, timeline, null);
    }

    /** A discrepancy with no steps taken by people yet (the form decoded from records of earlier releases). */
    public Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                       Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                       BigDecimal difference, List<RowImage> left, List<RowImage> right,
                       Acknowledgement acknowledgement) {
        this(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution, difference, left, right,
                acknowledgement, List.of(), null);
    }

    /** A discrepancy nobody has acknowledged (the form the engine creates). */
    public Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                       Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                       BigDecimal difference, List<RowImage> left, List<RowImage> right) {
        this(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution, difference, left, right,
                null, List.of(), null);
    }

    /** Not resolved: OPEN or WAIVED. The engine still judges the pair; the pair's open set holds its type. */
    public boolean unresolved() {
        return status != Status.RESOLVED;
    }

    /** Short for a quantity mismatch: less on the right than on the left. */
    public boolean isShort() {
        return difference != null && difference.signum() < 0;
    }

    public Discrepancy resolve(Instant at, Resolution why, List<RowImage> left, List<RowImage> right) {
        return new Discrepancy(id, rule, type, key, occurrence, Status.RESOLVED, detectedAt, at, why, difference,
                left, right, acknowledgement, timeline, verification);
    }

    public Discrepancy withDetails(BigDecimal difference, List<RowImage> left, List<RowImage> right) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, acknowledgement, timeline, verification);
    }

    /** The same discrepancy, acknowledged at {@code at} with {@code note} (replacing an earlier acknowledgement). */
    public Discrepancy acknowledge(Instant at, String note) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, new Acknowledgement(at, note), timeline, verification);
    }

    /**
     * The discrepancy after a person's (or the engine's) step: its new status, the step appended to the timeline.
     * Checks nothing: {@code ReconciliationEngine} decides which steps are allowed.
     */
    public Discrepancy step(TimelineEntry step) {
        Status next = status;
        Instant resolvedAt = this.resolvedAt;
        Resolution resolution = this.resolution;
        Acknowledgement ack = acknowledgement;
        switch (step.action()) {
            case WAIVED -> next = Status.WAIVED;
            case RESOLVED -> {
                next = Status.RESOLVED;
                resolvedAt = step.at();
                resolution = Resolution.MANUAL;
            }
            case REOPENED -> next = Status.OPEN;
            case ACKNOWLEDGED -> ack = new Acknowledgement(step.at(), step.reason());
            default -> {
            }
        }
        if (next != Status.RESOLVED) {
            resolvedAt = null;
            resolution = null;
        }
        List<TimelineEntry> steps = new java.util.ArrayList<>(timeline);
        steps.add(step);
        if (steps.size() > MAX_TIMELINE) steps = steps.subList(steps.size() - MAX_TIMELINE, steps.size());
        return new Discrepancy(id, rule, type, key, occurrence, next, detectedAt, resolvedAt, resolution, difference,
                left, right, ack, steps, verification);
    }

    /** The same discrepancy with what the lookup of its counterpart found. */
    public Discrepancy withVerification(Verification verification) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, acknowledgement, timeline, verification);
    }

    /** When it last changed state: the latest of detected, resolved and the last step of its timeline. */
    public Instant lastChangedAt() {
        Instant t = detectedAt;
        if (resolvedAt != null && resolvedAt.isAfter(t)) t = resolvedAt;
        if (!timeline.isEmpty() && timeline.get(timeline.size() - 1).at().isAfter(t)) {
            t = timeline.get(timeline.size() - 1).at();
        }
        return t;
    }

    /** The stable id: 16 hex digits of SHA-256 over rule, key values, type and occurrence. */
    public static String idOf(String rule, List<String> keyValues, DiscrepancyType type, int occurrence) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            StringBuilder sb = new StringBuilder(rule).append('\u001f');
            for (String v : keyValues) sb.append(v).append('\u001f');
            sb.append(type.name()).append('\u001f').append(occurrence);
            byte[] h = md.digest(sb.toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }
}
