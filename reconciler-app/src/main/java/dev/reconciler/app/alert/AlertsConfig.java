package dev.reconciler.app.alert;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code alerts} section (docs/alerts.md): where alerts go and how the outbox is bounded. A plain record for
 * configuration binding: absent values are null and get their defaults here. The constructor validates everything,
 * the sinks included, and throws one {@link IllegalArgumentException} listing every problem with its fix.
 *
 * @param publicUrl         the HTTP API's address as on-call engineers reach it (e.g.
 *                          {@code https://reconciler.example.com}); alerts link to
 *                          {@code <publicUrl>/api/discrepancies/<id>}. No links without it
 * @param sinks             the receivers, each with its own thread, cursor and retries; none: alerts are not sent
 *                          (the outcome journal is still trimmed)
 * @param stormThreshold    the default of {@link SinkConfig#stormThreshold()} for webhook and chat sinks (default 20;
 *                          0 = off)
 * @param stormSample       how many keys an aggregated (storm) alert lists (default 10)
 * @param journalMaxAge     entries older than this are dropped from the outbox even if a sink has not delivered them
 *                          (counted as {@code dropped}); default 7 days
 * @param journalMaxEntries the outbox keeps at most this many entries; older ones are dropped the same way
 *                          (default 1,000,000)
 * @param ruleLabels        the labels each rule's alerts carry ({@code rules[].labels}); none: severity warning
 */
public record AlertsConfig(String publicUrl, List<SinkConfig> sinks, Integer stormThreshold, Integer stormSample,
                           Duration journalMaxAge, Integer journalMaxEntries, RuleLabels ruleLabels) {

    public static final int DEFAULT_STORM_THRESHOLD = 20;
    public static final int DEFAULT_STORM_SAMPLE = 10;
    public static final Duration DEFAULT_JOURNAL_MAX_AGE = Duration.ofDays(7);
    public static final int DEFAULT_JOURNAL_MAX_ENTRIES = 1_000_000;

    public AlertsConfig(String publicUrl, List<SinkConfig> sinks, Integer stormThreshold, Integer stormSample,
                        Duration journalMaxAge, Integer journalMaxEntries) {
        this(publicUrl, sinks, stormThreshold, stormSample, journalMaxAge, journalMaxEntries, null);
    }

    public AlertsConfig {
        if (ruleLabels == null) ruleLabels = RuleLabels.NONE;
        if (publicUrl != null) {
            publicUrl = publicUrl.trim();
            while (publicUrl.endsWith("/")) publicUrl = publicUrl.substring(0, publicUrl.length() - 1);
            if (publicUrl.isEmpty()) publicUrl = null;
        }
        // not List.copyOf: a null entry (an empty YAML item) is reported below, not thrown as a NullPointerException
        sinks = sinks == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(sinks));
        if (stormThreshold == null) stormThreshold = DEFAULT_STORM_THRESHOLD;
        if (stormSample == null) stormSample = DEFAULT_STORM_SAMPLE;
        if (journalMaxAge == null) journalMaxAge = DEFAULT_JOURNAL_MAX_AGE;
        if (journalMaxEntries == null) journalMaxEntries = DEFAULT_JOURNAL_MAX_ENTRIES;

        List<String> problems = new ArrayList<>();
        if (publicUrl != null && !SinkConfig.isHttpUrl(publicUrl)) {
            problems.add("alerts.publicUrl: '" + publicUrl + "' is not an absolute http(s) URL; write the API's"
                    + " address as on-call engineers reach it, e.g. https://reconciler.example.com");
        }
        if (stormThreshold < 0) problems.add("alerts.stormThreshold: must be 0 (off) or more (default 20)");
        if (stormSample < 1 || stormSample > 100) problems.add("alerts.stormSample: must be 1 to 100 (default 10)");
        if (journalMaxAge.isNegative() || journalMaxAge.isZero()) {
            problems.add("alerts.journalMaxAge: must be more than 0 (default 7d)");
        }
        if (journalMaxEntries < 1) problems.add("alerts.journalMaxEntries: must be at least 1 (default 1000000)");
        Set<String> names = new HashSet<>();
        for (int i = 0; i < sinks.size(); i++) {
            SinkConfig s = sinks.get(i);
            String where = "alerts.sinks[" + i + "]";
            if (s == null) {
                problems.add(where + ": empty; give name, type and url");
                continue;
            }
            problems.addAll(s.problems(where));
            if (s.name() != null && !s.name().isEmpty() && !names.add(s.name())) {
                problems.add(where + ".name: '" + s.name() + "' is used by another sink; names must be unique");
            }
        }
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid alerts configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** No sinks, defaults for the rest. */
    public static AlertsConfig none() {
        return new AlertsConfig(null, List.of(), null, null, null, null);
    }

    public static AlertsConfig of(String publicUrl, List<SinkConfig> sinks) {
        return new AlertsConfig(publicUrl, sinks, null, null, null, null);
    }

    public AlertsConfig withStorm(Integer threshold, Integer sample) {
        return new AlertsConfig(publicUrl, sinks, threshold, sample, journalMaxAge, journalMaxEntries, ruleLabels);
    }

    public AlertsConfig withJournalBounds(Duration maxAge, Integer maxEntries) {
        return new AlertsConfig(publicUrl, sinks, stormThreshold, stormSample, maxAge, maxEntries, ruleLabels);
    }

    public AlertsConfig withRuleLabels(RuleLabels labels) {
        return new AlertsConfig(publicUrl, sinks, stormThreshold, stormSample, journalMaxAge, journalMaxEntries, labels);
    }

    /** The storm threshold a sink works with: its own, else the global one; never for Alertmanager. */
    public int stormThresholdFor(SinkConfig sink) {
        if (sink.kind() == SinkType.ALERTMANAGER) return 0;
        return sink.stormThreshold() != null ? sink.stormThreshold() : stormThreshold;
    }
}
