package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.config.Section;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The labels each rule's alerts carry ({@code rules[].labels}): {@code severity} (critical, warning or info; warning
 * by default), {@code team} when set, and any further labels with Prometheus label names. They are added to every
 * alert the process pushes for that rule — a discrepancy, a storm, a paused rule, facts of the rule quarantined — in
 * the webhook document's {@code labels}, in the Alertmanager alert's labels and as a line of the chat message; and
 * exported as {@code reconciler_rule_info{rule, severity, team} 1}, so that Prometheus rules can join on them.
 *
 * <p>They are not part of an alert's identity ({@link Alert#fingerprint()} hashes the identity labels only): changing
 * a rule's severity does not turn its open discrepancies into new alerts for the webhook receiver. Alertmanager,
 * which identifies alerts by all their labels, sees the changed alert as a new one; the old one ends by itself
 * within 4 × {@code resendInterval}.
 *
 * <p>Alerts of a source (stalled, coverage gap, facts quarantined without a rule) belong to no rule: they carry a
 * fixed severity, {@code critical} for a stall or a coverage gap (changes not checked) and {@code warning} for the
 * others.
 *
 * @param byRule every rule's labels, {@code severity} first
 */
public record RuleLabels(Map<String, Map<String, String>> byRule) {
    public static final List<String> SEVERITIES = List.of("critical", "warning", "info");
    public static final String DEFAULT_SEVERITY = "warning";
    public static final RuleLabels NONE = new RuleLabels(Map.of());
    /** Prometheus label names; names starting with {@code __} are reserved by Prometheus. */
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    /** Labels that identify an alert, set by the reconciler itself. */
    static final Set<String> RESERVED = Set.of("alertname", "rule", "type", "key", "source", "side", "table", "column",
            "reason", "job", "instance");
    private static final int MAX_VALUE_LENGTH = 256;

    public RuleLabels {
        Map<String, Map<String, String>> copy = new LinkedHashMap<>();
        byRule.forEach((rule, labels) -> copy.put(rule, Collections.unmodifiableMap(new LinkedHashMap<>(labels))));
        byRule = Collections.unmodifiableMap(copy);
    }

    /** A rule's labels; {@code severity: warning} alone for a rule not configured here. */
    public Map<String, String> of(String rule) {
        Map<String, String> l = rule == null ? null : byRule.get(rule);
        return l != null ? l : Map.of("severity", DEFAULT_SEVERITY);
    }

    /** The rule's severity. */
    public String severity(String rule) {
        return of(rule).get("severity");
    }

    /** The rule's team, or "" when none is set. */
    public String team(String rule) {
        return of(rule).getOrDefault("team", "");
    }

    /** The labels an alert carries besides its identity labels. */
    public Map<String, String> extraFor(Alert a) {
        String rule = null;
        if (a instanceof Alert.DiscrepancyAlert d) rule = d.discrepancy().rule();
        else if (a instanceof Alert.StormAlert s) rule = s.rule();
        else if (a instanceof Alert.RuleAlert r) rule = r.rule();
        else if (a instanceof Alert.QuarantineAlert q) rule = q.rule();
        if (rule != null) return of(rule);
        // A stall or a coverage gap means changes are not (or will never be) checked: critical.
        boolean blind = a instanceof Alert.SourceAlert || a instanceof Alert.CoverageGapAlert;
        return Map.of("severity", blind ? "critical" : "warning");
    }

    /** The identity labels of {@code a}, then its extra labels (an identity label is never replaced). */
    public Map<String, String> labelsFor(Alert a) {
        Map<String, String> out = new LinkedHashMap<>(a.labels());
        extraFor(a).forEach(out::putIfAbsent);
        return out;
    }

    /**
     * Reads one rule's {@code labels} mapping; null (and problems) when it is wrong. Without the key, the defaults
     * ({@code severity: warning}).
     */
    public static Map<String, String> bind(Section rule) {
        Map<String, String> out = new LinkedHashMap<>();
        out.put("severity", DEFAULT_SEVERITY);
        Map<String, JsonNode> raw = rule.mapping("labels");
        if (raw == null) return rule.has("labels") ? null : out;
        int before = rule.problems().size();
        String at = rule.path("labels");
        for (Map.Entry<String, JsonNode> e : raw.entrySet()) {
            String name = e.getKey();
            String path = at + "." + name;
            JsonNode v = e.getValue();
            if (!LABEL_NAME.matcher(name).matches() || name.startsWith("__")) {
                rule.problems().add(path + ": '" + name + "' is not a label name; use letters, digits and _, not"
                        + " starting with a digit or __ (e.g. team, service, runbook_section)");
                continue;
            }
            if (RESERVED.contains(name)) {
                rule.problems().add(path + ": '" + name + "' is set by the reconciler itself (it identifies an alert);"
                        + " choose another name");
                continue;
            }
            if (v == null || !v.isValueNode() || v.isNull()) {
                rule.problems().add(path + ": expected a single value, found " + Section.kind(v));
                continue;
            }
            String value = rule.substituteAt(path, v.asText());
            if (value == null) continue;
            value = value.trim();
            if (value.isEmpty()) {
                rule.problems().add(path + ": is empty; give it a value or remove it");
            } else if (value.length() > MAX_VALUE_LENGTH) {
                rule.problems().add(path + ": longer than " + MAX_VALUE_LENGTH + " characters");
            } else if (name.equals("severity") && !SEVERITIES.contains(value)) {
                rule.problems().add(path + ": '" + value + "' is not one of " + SEVERITIES + " (the severities"
                        + " Alertmanager routes and inhibits by)");
            } else {
                out.put(name, value);
            }
        }
        return rule.problems().size() > before ? null : out;
    }
}
