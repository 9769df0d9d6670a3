package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.StateStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Windows of a source's history that the reconciler never observed (a binlog purged before it was read, re-read
 * only from a later instant): a pair whose missing counterpart could have been committed in such a window cannot be
 * judged, so it is not reported MISSING_* (that would be a burst of false alarms); the window itself is reported
 * once, as {@link dev.reconciler.core.outcome.Outcome.CoverageGap}, and {@code reconciler verify} can check it
 * against the databases. Persisted per source in one meta entry ({@code gaps/<source>} = {@code from/to;...}).
 * Engine-thread only.
 */
final class CoverageGaps {
    static final String META = "gaps/";

    record Gap(Instant from, Instant to) {
        /** Whether a counterpart expected within {@code wait} of {@code since} could have fallen in this gap. */
        boolean hides(Instant since, Duration wait) {
            return since.plus(wait).isAfter(from) && since.minus(wait).isBefore(to);
        }
    }

    private final Map<String, List<Gap>> bySource = new HashMap<>();

    CoverageGaps(EngineConfig config, StateStore store) {
        for (String source : config.sources()) {
            store.meta(META + source).ifPresent(v -> bySource.put(source, decode(v)));
        }
    }

    /** Records a gap; false (nothing written) when it is known already, so a repeated report changes nothing. */
    boolean add(UnitOfWork uow, String source, Instant from, Instant to) {
        List<Gap> gaps = bySource.computeIfAbsent(source, s -> new ArrayList<>());
        Gap gap = new Gap(from, to);
        if (gaps.contains(gap)) return false;
        gaps.add(gap);
        uow.putMeta(META + source, encode(gaps));
        return true;
    }

    /**
     * Whether the counterpart on {@code missing} side of a pair whose present rows start at {@code since} may have
     * been committed in a window one of that side's sources never showed.
     */
    boolean hides(Rule rule, Side missing, Instant since, Duration wait, Watermarks watermarks) {
        if (bySource.isEmpty()) return false;
        for (Map.Entry<String, List<Gap>> e : bySource.entrySet()) {
            if (!watermarks.feeds(rule, missing, e.getKey())) continue;
            for (Gap g : e.getValue()) {
                if (g.hides(since, wait)) return true;
            }
        }
        return false;
    }

    private static String encode(List<Gap> gaps) {
        StringBuilder b = new StringBuilder();
        for (Gap g : gaps) {
            if (b.length() > 0) b.append(';');
            b.append(g.from()).append('/').append(g.to());
        }
        return b.toString();
    }

    static List<Gap> decode(String v) {
        List<Gap> gaps = new ArrayList<>();
        for (String part : v.split(";")) {
            if (part.isBlank()) continue;
            String[] ft = part.split("/", 2);
            gaps.add(new Gap(Instant.parse(ft[0]), Instant.parse(ft[1])));
        }
        return gaps;
    }
}
