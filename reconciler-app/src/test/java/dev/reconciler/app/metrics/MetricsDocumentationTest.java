package dev.reconciler.app.metrics;

import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.alert.AlertMetrics;
import dev.reconciler.app.api.ApiHarness;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/metrics.md and the metrics are one list: every reconciler_* family a real scrape shows is documented with
 * its type, and every documented one is registered.
 */
class MetricsDocumentationTest {
    /** A table row of docs/metrics.md: | `name` | type | labels | meaning | */
    private static final Pattern ROW = Pattern.compile("^\\| `(reconciler_[a-z0-9_]+)` \\| ([a-z]+) \\| ([^|]*) \\|");

    static Path doc() {
        for (Path p : new Path[]{Path.of("docs", "metrics.md"), Path.of("..", "docs", "metrics.md")}) {
            if (Files.exists(p)) return p;
        }
        throw new AssertionError("docs/metrics.md not found from " + Path.of("").toAbsolutePath());
    }

    @Test
    void everyRegisteredMetricIsDocumentedAndEveryDocumentedOneRegistered() throws Exception {
        Map<String, String> documented = new TreeMap<>();
        Map<String, Set<String>> documentedLabels = new TreeMap<>();
        for (String line : Files.readAllLines(doc())) {
            Matcher m = ROW.matcher(line);
            if (!m.find()) continue;
            documented.put(m.group(1), m.group(2));
            Set<String> labels = new TreeSet<>();
            Matcher l = Pattern.compile("`([a-z_]+)`").matcher(m.group(3));
            while (l.find()) labels.add(l.group(1));
            documentedLabels.put(m.group(1), labels);
        }
        assertThat(documented).as("docs/metrics.md lists metrics in its tables").isNotEmpty();

        Map<String, String> registered = new TreeMap<>();
        Map<String, Set<String>> registeredLabels = new TreeMap<>();
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            // a table met by a source, so that the per-table events counter exists
            h.statuses.get(ORDERS).set(ApiHarness.status(ORDERS, SourceStatus.Phase.STREAMING, T0,
                    Map.of("trade_order_stream_0000", 1L)));
            // and a configured alert sink, so that the per-sink alert metrics exist
            new AlertMetrics(h.registry).register("ops-webhook", () -> 0);
            // and verify before alert, on by default
            new dev.reconciler.app.verify.LookupMetrics(h.registry, h.pipeline.config(), h.pipeline::snapshot);
            // and the rules' labels
            new AlertMetrics(h.registry).ruleInfo(new dev.reconciler.app.alert.RuleLabels(
                    Map.of("sale", Map.of("severity", "critical", "team", "payments"))));
            // and a quarantined fact, so that the per-(source, table, reason) counter exists
            h.pipeline.command(e -> e.quarantine(List.of(new dev.reconciler.core.fact.Quarantined(ORDERS,
                    "trade_order_stream_0000", "1", null, dev.reconciler.core.fact.QuarantineReason.INTERNAL_ERROR,
                    null, null, "test", T0)))).get();
            Scrape s = new Scrape(h.get("/metrics").body());
            s.types.forEach((name, type) -> {
                if (!name.startsWith("reconciler_")) return;
                // the text format names a counter's family with its _total suffix already
                registered.put(name, type);
            });
            for (Scrape.Sample sample : s.samples) {
                String family = family(sample.name(), registered.keySet());
                if (family == null) continue;
                Set<String> labels = new TreeSet<>(sample.labels().keySet());
                labels.remove("le");   // histogram buckets
                registeredLabels.computeIfAbsent(family, k -> new TreeSet<>()).addAll(labels);
            }
        }
        assertThat(registered).as("the scrape shows reconciler metrics").isNotEmpty();
        assertThat(documented.keySet()).as("documented in docs/metrics.md but not registered")
                .isSubsetOf(registered.keySet());
        assertThat(registered.keySet()).as("registered but missing from docs/metrics.md")
                .isSubsetOf(documented.keySet());
        assertThat(documented).as("types in docs/metrics.md").isEqualTo(registered);
        assertThat(documentedLabels).as("labels in docs/metrics.md").isEqualTo(registeredLabels);
    }

    /** The family a sample belongs to: its own name, or a histogram's name for _bucket, _sum and _count. */
    private static String family(String sample, Set<String> families) {
        if (families.contains(sample)) return sample;
        for (String suffix : new String[]{"_bucket", "_sum", "_count"}) {
            if (sample.endsWith(suffix)) {
                String base = sample.substring(0, sample.length() - suffix.length());
                if (families.contains(base)) return base;
            }
        }
        return null;
    }
}
