package dev.reconciler.app.verify;

import dev.reconciler.core.match.CounterpartLookup;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;

import java.time.Duration;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Verify before alert ({@code rules[].verifyBeforeAlert} and the {@code verify} section): which rules look a due
 * {@code MISSING_*}'s counterpart up on the other database before they alert, and the bounds of those lookups.
 *
 * @param rules         the rules that verify (default: every rule)
 * @param threads       lookups run at once at most (one read-only connection per thread and source)
 * @param timeout       one lookup's bound, connecting included; beyond it the discrepancy fires "not verified"
 * @param ratePerSecond lookups started per second at most, over all sources
 * @param maxWait       how long a counterpart found in the database is awaited in the binlog
 * @param queueSize     lookups that may wait for a thread; beyond, a lookup fails at once ("not verified")
 */
public record VerifyConfig(Set<String> rules, int threads, Duration timeout, int ratePerSecond, Duration maxWait,
                           int queueSize) {
    public static final int DEFAULT_THREADS = 2;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
    public static final int DEFAULT_RATE = 50;
    public static final Duration DEFAULT_MAX_WAIT = Duration.ofMinutes(2);
    public static final int DEFAULT_QUEUE = 1000;

    public VerifyConfig {
        rules = Set.copyOf(rules);
    }

    /** Every rule of {@code engine} verifies, with the default bounds. */
    public static VerifyConfig defaults(EngineConfig engine) {
        return new VerifyConfig(engine.rules().stream().map(Rule::name).collect(Collectors.toSet()), DEFAULT_THREADS,
                DEFAULT_TIMEOUT, DEFAULT_RATE, DEFAULT_MAX_WAIT, DEFAULT_QUEUE);
    }

    public VerifyConfig withRules(Set<String> rules) {
        return new VerifyConfig(rules, threads, timeout, ratePerSecond, maxWait, queueSize);
    }

    /** The engine's part of it. */
    public CounterpartLookup.Policy policy() {
        return new CounterpartLookup.Policy(rules, maxWait, CounterpartLookup.Policy.DEFAULT_MAX_PENDING);
    }
}
