package dev.reconciler.app.verify;

import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code verify} section (the bounds of verify before alert) and the per-rule switch
 * {@code rules[].verifyBeforeAlert}, which {@code FlowSections} declares with the other rule keys. Each key is
 * declared once: docs/configuration.md, the JSON Schema and {@code reconciler config print} are made from it.
 */
public final class VerifySection {
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("verify",
            ConfigKey.of("threads", Kind.INTEGER, "integer", "`2`", "`4`",
                "Lookups of a missing counterpart run at once at most (1-64), each on its own read-only connection"
                + " per source, with the source's user (it needs `SELECT` on the flow tables). The engine never"
                + " waits for them.")
                .range(1L, 64L),
            ConfigKey.of("timeout", Kind.DURATION, "duration", "`2s`", "`5s`",
                "One lookup's bound, connecting included (also set as the server's statement time limit). A lookup"
                + " that takes longer fails, and the discrepancy fires at once marked \"not verified: timeout\"."),
            ConfigKey.of("ratePerSecond", Kind.INTEGER, "integer", "`50`", "`200`",
                "Lookups started per second at most, over all sources (1-100000), so a burst of missing rows"
                + " cannot load the production databases.")
                .range(1L, 100000L),
            ConfigKey.of("queueSize", Kind.INTEGER, "integer", "`1000`", "`5000`",
                "Lookups that may wait for a thread (1-100000); beyond, a lookup fails at once and its discrepancy"
                + " fires \"not verified: lookup queue full\".")
                .range(1L, 100000L),
            ConfigKey.of("maxWait", Kind.DURATION, "duration", "`2m`", "`5m`",
                "How long a discrepancy whose counterpart was found in the database waits for that row in the"
                + " binlog. If it does not arrive, the discrepancy fires \"present in the database but not seen in"
                + " the binlog after ...\" (the binlog reader misses changes: worth an alert). Also the most a"
                + " lookup may stay unanswered.")));

    /** The {@code rules[]} key, declared with the other rule keys in {@code FlowSections}. */
    public static final ConfigKey RULE_KEY = ConfigKey.of("verifyBeforeAlert", Kind.BOOLEAN, "boolean", "`true`",
            "`false`", "Before a `MISSING_RIGHT`/`MISSING_LEFT` fires, look the key up on the other database with a"
            + " read-only point query (bounds in `verify`): a row found there is only late in the binlog, and the"
            + " discrepancy waits for it (at most `verify.maxWait`) instead of firing; a confirmed absence is"
            + " recorded on the discrepancy (\"verified absent at T\"). A database that cannot be queried never"
            + " suppresses an alert: it fires \"not verified: why\". Needs an index on the key columns.");

    /**
     * @param verify       the {@code verify} section
     * @param ruleSections the {@code rules[]} entries, read for their {@code verifyBeforeAlert}
     * @param ruleNames    the names of the valid rules
     * @return null (with problems) when something is wrong
     */
    public static VerifyConfig bind(Section verify, List<Section> ruleSections, Set<String> ruleNames) {
        Integer threads = verify.integer("threads", VerifyConfig.DEFAULT_THREADS, 1, 64);
        Duration timeout = verify.duration("timeout", VerifyConfig.DEFAULT_TIMEOUT);
        Integer rate = verify.integer("ratePerSecond", VerifyConfig.DEFAULT_RATE, 1, 100_000);
        Integer queue = verify.integer("queueSize", VerifyConfig.DEFAULT_QUEUE, 1, 100_000);
        Duration maxWait = verify.duration("maxWait", VerifyConfig.DEFAULT_MAX_WAIT);
        if (timeout != null && timeout.compareTo(Duration.ofMillis(100)) < 0) {
            verify.problem("timeout", "must be at least 100ms, was " + timeout.toMillis() + "ms");
            timeout = null;
        }
        if (maxWait != null && maxWait.compareTo(Duration.ofSeconds(1)) < 0) {
            verify.problem("maxWait", "must be at least 1s; to alert without waiting set rules[].verifyBeforeAlert:"
                    + " false");
            maxWait = null;
        }
        Set<String> rules = new LinkedHashSet<>();
        for (Section s : ruleSections) {
            boolean on = s.bool("verifyBeforeAlert", true);
            String name = s.raw("name") == null ? null : s.raw("name").asText();
            if (on && name != null && ruleNames.contains(name)) rules.add(name);
        }
        if (threads == null || timeout == null || rate == null || queue == null || maxWait == null) return null;
        return new VerifyConfig(rules, threads, timeout, rate, maxWait, queue);
    }

    private VerifySection() {
    }
}
