package dev.reconciler.app.api;

import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.match.DailyTally;

import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The daily picture ({@code GET /api/reports/daily}, the console, the chat message): per rule the pairs matched and
 * discrepancies opened, resolved and waived by type on one UTC day; per source the worst lag sampled that day; the
 * coverage gaps that overlap it.
 *
 * @param worstLagSeconds per source; null for a source the engine sampled no lag of that day
 */
public record DailyReport(LocalDate date, String zone, List<RuleReport> rules, Map<String, Long> worstLagSeconds,
                          List<Gap> coverageGaps) {

    /** Per type, every type (zeros included); totals over the types. */
    public record RuleReport(String rule, long matched, long opened, long resolved, long waived,
                             Map<DiscrepancyType, Long> openedByType, Map<DiscrepancyType, Long> resolvedByType,
                             Map<DiscrepancyType, Long> waivedByType) {
    }

    public record Gap(String source, Instant from, Instant to) {
    }

    /** The day's figures, of one rule when {@code rule} is not null. */
    public static DailyReport of(DailyTally.Day day, String rule) {
        List<RuleReport> rules = new ArrayList<>();
        for (DailyTally.RuleDay r : day.rules()) {
            if (rule != null && !r.rule().equals(rule)) continue;
            rules.add(new RuleReport(r.rule(), r.matched(), sum(r.opened()), sum(r.resolved()), sum(r.waived()),
                    r.opened(), r.resolved(), r.waived()));
        }
        List<Gap> gaps = day.coverageGaps().stream().map(g -> new Gap(g.source(), g.from(), g.to())).toList();
        return new DailyReport(day.date(), "UTC", rules, day.worstLagSeconds(), gaps);
    }

    private static long sum(Map<DiscrepancyType, Long> m) {
        long n = 0;
        for (long v : m.values()) n += v;
        return n;
    }

    /** The report as a few lines of text, for chat robots and the CLI. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        out.add("Reconciler daily summary for " + date + " (UTC)");
        for (RuleReport r : rules) {
            out.add("rule " + r.rule() + ": " + r.matched() + " matched; discrepancies " + r.opened() + " opened"
                    + byType(r.openedByType()) + ", " + r.resolved() + " resolved" + byType(r.resolvedByType()) + ", "
                    + r.waived() + " waived" + byType(r.waivedByType()));
        }
        StringBuilder lag = new StringBuilder("worst lag:");
        worstLagSeconds.forEach((s, v) -> lag.append(' ').append(s).append(' ')
                .append(v == null ? "not sampled" : v + " s").append(';'));
        out.add(lag.substring(0, lag.length() - (worstLagSeconds.isEmpty() ? 0 : 1)));
        if (coverageGaps.isEmpty()) {
            out.add("coverage gaps: none");
        } else {
            for (Gap g : coverageGaps) {
                out.add("coverage gap: source " + g.source() + " from " + g.from() + " to " + g.to()
                        + " never observed; run reconciler verify over it");
            }
        }
        return out;
    }

    private static String byType(Map<DiscrepancyType, Long> m) {
        StringBuilder sb = new StringBuilder();
        m.forEach((t, v) -> {
            if (v > 0) sb.append(sb.length() == 0 ? " (" : ", ").append(t).append(' ').append(v);
        });
        return sb.length() == 0 ? "" : sb.append(')').toString();
    }
}
