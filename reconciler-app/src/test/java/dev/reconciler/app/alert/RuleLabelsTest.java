package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.config.ConfigException;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * rules[].labels: bound and checked from the file, carried by every alert of the rule on every kind of sink (real
 * HTTP receivers), and exported as reconciler_rule_info.
 */
class RuleLabelsTest {
    private final Receiver hook = new Receiver();
    private final Receiver am = new Receiver();
    private final Receiver slack = new Receiver();
    private AlertRig rig;

    @AfterEach
    void tearDown() {
        if (rig != null) rig.close();
        hook.close();
        am.close();
        slack.close();
    }

    private static String example() throws Exception {
        return Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"));
    }

    private static String withLabels(String yaml, String sale, String cancel) {
        String[] parts = yaml.split("    grace: \\$\\{RECONCILER_GRACE:-30s}\n", -1);
        assertThat(parts).hasSize(3);
        return parts[0] + "    grace: 30s\n" + (sale == null ? "" : "    labels: " + sale + "\n")
                + parts[1] + "    grace: 30s\n" + (cancel == null ? "" : "    labels: " + cancel + "\n") + parts[2];
    }

    @Test
    void labelsAreBoundWithSeverityWarningByDefault() throws Exception {
        ReconcilerConfig c = new ConfigLoader(k -> null).load(
                withLabels(example(), "{severity: critical, team: payments, service: checkout}", null), "t.yml");
        RuleLabels l = c.alerts().ruleLabels();
        assertThat(l.of("sale")).containsExactly(Map.entry("severity", "critical"), Map.entry("team", "payments"),
                Map.entry("service", "checkout"));
        assertThat(l.of("cancel")).containsExactly(Map.entry("severity", "warning"));
        assertThat(l.team("cancel")).isEmpty();
    }

    @Test
    void badLabelsAreProblemsNamingTheKey() throws Exception {
        String yaml = withLabels(example(), "{severity: page, on-call: me, alertname: X}", "{__x: y, team: ''}");
        assertThatThrownBy(() -> new ConfigLoader(k -> null).load(yaml, "t.yml"))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).containsExactly(
                        "rules[0].labels.severity: 'page' is not one of [critical, warning, info] (the severities"
                                + " Alertmanager routes and inhibits by)",
                        "rules[0].labels.on-call: 'on-call' is not a label name; use letters, digits and _, not"
                                + " starting with a digit or __ (e.g. team, service, runbook_section)",
                        "rules[0].labels.alertname: 'alertname' is set by the reconciler itself (it identifies an"
                                + " alert); choose another name",
                        "rules[1].labels.__x: '__x' is not a label name; use letters, digits and _, not starting with"
                                + " a digit or __ (e.g. team, service, runbook_section)",
                        "rules[1].labels.team: is empty; give it a value or remove it"));
    }

    @Test
    void everySinkCarriesTheRulesLabelsAndTheMetricExportsThem() {
        RuleLabels labels = new RuleLabels(Map.of("sale", Map.of("severity", "critical", "team", "payments")));
        rig = new AlertRig();
        rig.start(new AlertsConfig("https://reconciler.example.test", List.of(
                SinkConfig.of("hook", SinkType.WEBHOOK, hook.url() + "/alerts"),
                SinkConfig.of("am", SinkType.ALERTMANAGER, am.url()).withResend(Duration.ofSeconds(1), null),
                SinkConfig.of("slack", SinkType.SLACK, slack.url() + "/services/T/B/X")),
                null, null, null, null).withRuleLabels(labels));
        dev.reconciler.core.discrepancy.Discrepancy d = rig.openMissing("O1").get(0);
        await().atMost(Duration.ofSeconds(10)).until(() -> !hook.accepted().isEmpty() && !am.answeredOk().isEmpty()
                && !slack.answeredOk().isEmpty());

        JsonNode webhook = hook.accepted().get(0).json();
        assertThat(webhook.get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(webhook.get("labels").get("team").asText()).isEqualTo("payments");
        assertThat(webhook.get("labels").get("rule").asText()).isEqualTo("sale");
        // the routing labels are not part of the alert's identity
        assertThat(webhook.get("fingerprint").asText()).isEqualTo(
                new Alert.DiscrepancyAlert(1, d, true).fingerprint());

        JsonNode alert = am.answeredOk().get(0).json().get(0);
        assertThat(alert.get("labels").get("severity").asText()).isEqualTo("critical");
        assertThat(alert.get("labels").get("team").asText()).isEqualTo("payments");

        assertThat(slack.answeredOk().get(0).json().get("text").asText())
                .contains("Severity: *critical* · team: payments");

        assertThat(rig.scrape().value("reconciler_rule_info", "rule", "sale", "severity", "critical", "team",
                "payments")).isEqualTo(1);
    }

    @Test
    void sourceAlertsCarryAFixedSeverity() {
        RuleLabels l = RuleLabels.NONE;
        assertThat(l.labelsFor(new Alert.SourceAlert(1, "orders", null, Duration.ofMinutes(3),
                dev.reconciler.core.testing.OrderInventory.T0, true))).containsEntry("severity", "critical")
                .containsEntry("source", "orders");
        assertThat(l.labelsFor(new Alert.CoverageGapAlert(1, "orders", dev.reconciler.core.testing.OrderInventory.T0,
                dev.reconciler.core.testing.OrderInventory.T0, "purged", dev.reconciler.core.testing.OrderInventory.T0)))
                .containsEntry("severity", "critical");
    }
}
