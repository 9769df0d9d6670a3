package dev.reconciler.core.rule;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Everything the engine needs to know: the streams, the rules over them, and the time model's bounds.
 *
 * @param clockSkew  how far the two database servers' clocks may disagree; added to every grace wait
 * @param stallAfter a source whose watermark falls this far behind the wall clock is reported as stalled
 * @param retention  how long a finished pair is kept (so late duplicates are still caught), in event time
 */
public record EngineConfig(List<StreamDef> streams, List<Rule> rules, Duration clockSkew, Duration stallAfter,
                           Duration retention) {

    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(5);
    public static final Duration DEFAULT_STALL_AFTER = Duration.ofMinutes(2);
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    public EngineConfig {
        streams = List.copyOf(streams);
        rules = List.copyOf(rules);
        clockSkew = clockSkew == null ? DEFAULT_CLOCK_SKEW : clockSkew;
        stallAfter = stallAfter == null ? DEFAULT_STALL_AFTER : stallAfter;
        retention = retention == null ? DEFAULT_RETENTION : retention;
        List<String> problems = problems(streams, rules, clockSkew, stallAfter, retention);
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid engine configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    public EngineConfig(List<StreamDef> streams, List<Rule> rules) {
        this(streams, rules, null, null, null);
    }

    public Optional<StreamDef> stream(String name) {
        return streams.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public StreamDef streamOf(Rule rule, Side side) {
        return stream(rule.side(side).stream()).orElseThrow();
    }

    public Optional<Rule> rule(String name) {
        return rules.stream().filter(r -> r.name().equals(name)).findFirst();
    }

    /**
     * The columns the engine keeps of a stream's rows: the stream's declared columns plus every column a rule reads
     * on it; null when the stream keeps every column.
     */
    public java.util.Set<String> columnsKept(StreamDef stream) {
        if (stream.columns() == null) return null;
        java.util.Set<String> keep = new java.util.LinkedHashSet<>(stream.columns());
        for (Rule r : rules) {
            for (Side side : Side.values()) {
                if (r.side(side).stream().equals(stream.name())) keep.addAll(r.columnsRead(side));
            }
        }
        return keep;
    }

    /** Every source some stream reads. */
    public Set<String> sources() {
        Set<String> s = new java.util.TreeSet<>();
        for (StreamDef d : streams) s.addAll(d.sources());
        return s;
    }

    /** All problems at once, each naming the thing and the fix. */
    private static List<String> problems(List<StreamDef> streams, List<Rule> rules, Duration skew, Duration stall,
                                         Duration retention) {
        List<String> p = new ArrayList<>();
        Set<String> streamNames = new HashSet<>();
        for (StreamDef s : streams) {
            if (!streamNames.add(s.name())) p.add("streams: '" + s.name() + "' is declared twice; give each stream a unique name");
        }
        Set<String> ruleNames = new HashSet<>();
        if (rules.isEmpty()) p.add("rules: none declared; declare at least one rule");
        for (Rule r : rules) {
            if (!ruleNames.add(r.name())) p.add("rules: '" + r.name() + "' is declared twice; give each rule a unique name");
            for (Side side : Side.values()) {
                String stream = r.side(side).stream();
                if (!streamNames.contains(stream)) {
                    p.add("rules." + r.name() + "." + side.label() + ".stream: unknown stream '" + stream
                            + "'; declared streams are " + streamNames.stream().sorted().toList());
                }
            }
        }
        if (skew.isNegative()) p.add("clockSkew: must be >= 0, was " + skew);
        if (stall.isNegative() || stall.isZero()) p.add("stallAfter: must be > 0, was " + stall);
        if (retention.isNegative()) p.add("retention: must be >= 0, was " + retention);
        return p;
    }
}
