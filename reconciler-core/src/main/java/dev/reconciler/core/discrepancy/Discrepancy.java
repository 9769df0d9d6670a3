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
 * @param verification for a {@code MISSING_*} of a rule that verifies before alerting: what the lookup of the
 *                    counterpart on the other database found; null when none was made
 */
public record Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                          Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                          BigDecimal difference, List<RowImage> left, List<RowImage> right,
                          Acknowledgement acknowledgement, Verification verification) {

    public Discrepancy {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(detectedAt, "detectedAt");
        key = Collections.unmodifiableMap(new LinkedHashMap<>(key));
        left = List.copyOf(left);
        right = List.copyOf(right);
        if ((status == Status.RESOLVED) != (resolution != null && resolvedAt != null)) {
            throw new IllegalArgumentException("discrepancy " + id + ": a RESOLVED one needs resolvedAt and a"
                    + " resolution, an OPEN one has neither");
        }
    }

    /** A discrepancy without a verification (every type but a verified {@code MISSING_*}). */
    public Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                       Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                       BigDecimal difference, List<RowImage> left, List<RowImage> right,
                       Acknowledgement acknowledgement) {
        this(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution, difference, left, right,
                acknowledgement, null);
    }

    /** A discrepancy nobody has acknowledged (the form the engine creates). */
    public Discrepancy(String id, String rule, DiscrepancyType type, Map<String, String> key, int occurrence,
                       Status status, Instant detectedAt, Instant resolvedAt, Resolution resolution,
                       BigDecimal difference, List<RowImage> left, List<RowImage> right) {
        this(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution, difference, left, right,
                null, null);
    }

    /** Short for a quantity mismatch: less on the right than on the left. */
    public boolean isShort() {
        return difference != null && difference.signum() < 0;
    }

    public Discrepancy resolve(Instant at, Resolution why, List<RowImage> left, List<RowImage> right) {
        return new Discrepancy(id, rule, type, key, occurrence, Status.RESOLVED, detectedAt, at, why, difference,
                left, right, acknowledgement, verification);
    }

    public Discrepancy withDetails(BigDecimal difference, List<RowImage> left, List<RowImage> right) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, acknowledgement, verification);
    }

    /** The same discrepancy, acknowledged at {@code at} with {@code note} (replacing an earlier acknowledgement). */
    public Discrepancy acknowledge(Instant at, String note) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, new Acknowledgement(at, note), verification);
    }

    /** The same discrepancy with what the lookup of its counterpart found. */
    public Discrepancy withVerification(Verification verification) {
        return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt, resolution,
                difference, left, right, acknowledgement, verification);
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
