package dev.reconciler.app.verify;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.match.CounterpartLookup;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The metrics of verify before alert (docs/metrics.md): lookups by rule and result, their latency, and the
 * discrepancies the engine holds meanwhile (from the published {@link EngineSnapshot}). Every series of a
 * configured rule exists from the start with 0.
 */
public final class LookupMetrics {
    private final Map<String, Counter> lookups = new HashMap<>();
    private final Map<String, Timer> latency = new HashMap<>();

    public LookupMetrics(MeterRegistry registry, EngineConfig engine, Supplier<EngineSnapshot> snapshot) {
        for (Rule r : engine.rules()) {
            String rule = r.name();
            for (CounterpartLookup.Answer.Found f : CounterpartLookup.Answer.Found.values()) {
                lookups.put(rule + "/" + f, Counter.builder("reconciler.verify.lookups")
                        .description("Lookups of a missing counterpart on the other database, by result")
                        .tag("rule", rule).tag("result", f.name().toLowerCase(Locale.ROOT)).register(registry));
            }
            latency.put(rule, Timer.builder("reconciler.verify.lookup.latency")
                    .description("From a lookup's request to its answer (queue, rate limit and queries)")
                    .tag("rule", rule)
                    .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
                            Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
                            Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10))
                    .register(registry));
            Gauge.builder("reconciler.verify.held", snapshot, s -> held(s.get(), rule, false))
                    .description("Due MISSING_* held while their counterpart is looked up").tag("rule", rule)
                    .tag("phase", "lookup").strongReference(true).register(registry);
            Gauge.builder("reconciler.verify.held", snapshot, s -> held(s.get(), rule, true))
                    .description("Due MISSING_* held while their counterpart is looked up").tag("rule", rule)
                    .tag("phase", "binlog").strongReference(true).register(registry);
        }
    }

    // strongReference: the supplier is a lambda nobody else holds; a gauge keeps only a weak one by default (NaN).
    private static double held(EngineSnapshot s, String rule, boolean binlog) {
        EngineSnapshot.RuleNumbers r = s == null ? null : s.rules().get(rule);
        if (r == null) return 0;
        return binlog ? r.awaitingBinlog() : r.verifying();
    }

    void record(String rule, CounterpartLookup.Answer.Found found, long nanos) {
        Counter c = lookups.get(rule + "/" + found);
        if (c != null) c.increment();
        Timer t = latency.get(rule);
        if (t != null) t.record(nanos, TimeUnit.NANOSECONDS);
    }
}
