package dev.reconciler.app.verify;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.reconciler.app.api.Json;
import dev.reconciler.core.discrepancy.DiscrepancyType;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What one verification did and found; printed by {@code reconciler verify} and returned by the API.
 *
 * @param since, until     the window asked for
 * @param from, to         the part of it that was judged (see {@code notes} for why it is smaller)
 * @param reconciledUntil  the rule's reconciled-until when the verification started
 * @param rowsRead         rows read from the window, per side ({@code left}, {@code right})
 * @param rowsInRule       of those, rows that match the side's filter and have a key
 * @param counterpartReads rows read by primary key to complete a pair's view (its rows outside the window)
 * @param findings         findings per type (new ones and ones still open from an earlier run)
 * @param opened           findings recorded as new discrepancies
 * @param alreadyOpen      findings that were already open (recorded by an earlier run)
 * @param resolved         earlier findings of the judged window that this run no longer found (resolved)
 * @param examples         up to {@value WindowVerifier#EXAMPLES} findings: "id TYPE key"
 * @param notes            why the judged window is smaller than the one asked for, and similar
 */
public record VerifySummary(String rule, Instant since, Instant until, Instant from, Instant to,
                            Instant reconciledUntil, Map<String, Long> rowsRead, Map<String, Long> rowsInRule,
                            long counterpartReads, Map<DiscrepancyType, Long> findings, long opened, long alreadyOpen,
                            long resolved, double seconds, double throttledSeconds, List<String> examples,
                            List<String> notes) {

    public long totalFindings() {
        return findings.values().stream().mapToLong(Long::longValue).sum();
    }

    public boolean differencesFound() {
        return totalFindings() > 0;
    }

    public String json() {
        try {
            return Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(this);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the summary as JSON", e);
        }
    }

    /** For people: what was read, what was found, what to do. */
    public String text() {
        StringBuilder sb = new StringBuilder();
        sb.append("verify ").append(rule).append(": window ").append(since).append(" .. ").append(until).append('\n');
        if (from != null && to != null && from.isBefore(to)) {
            sb.append("  judged ").append(from).append(" .. ").append(to).append(" (reconciled until ")
                    .append(reconciledUntil).append(")\n");
        }
        for (String n : notes) sb.append("  note: ").append(n).append('\n');
        sb.append(String.format("  read %,d left and %,d right rows (%,d and %,d in the rule), %,d counterparts by"
                        + " primary key, in %.1f s (%.1f s throttled)%n", rowsRead.getOrDefault("left", 0L),
                rowsRead.getOrDefault("right", 0L), rowsInRule.getOrDefault("left", 0L),
                rowsInRule.getOrDefault("right", 0L), counterpartReads, seconds, throttledSeconds));
        if (!differencesFound()) {
            sb.append("  no differences: the databases hold what the reconciler concluded");
            if (resolved > 0) sb.append(String.format("; %,d earlier findings resolved", resolved));
            return sb.append('\n').toString();
        }
        sb.append(String.format("  DIFFERENCES: %,d findings (%,d new, %,d already open), %,d earlier ones resolved%n",
                totalFindings(), opened, alreadyOpen, resolved));
        findings.forEach((t, n) -> sb.append(String.format("    %-26s %,d%n", t, n)));
        for (String e : examples) sb.append("    ").append(e).append('\n');
        sb.append("  they are open discrepancies: GET /api/discrepancies?type=UNOBSERVED_LEFT (or the type above);"
                + " see docs/runbook.md");
        return sb.append('\n').toString();
    }
}
