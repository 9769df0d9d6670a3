package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.discrepancy.Discrepancy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The Alertmanager sink against a loopback receiver that records what Alertmanager would get. */
class AlertmanagerSinkTest {
    private final Receiver am = new Receiver();
    private AlertRig rig;

    @AfterEach
    void close() {
        if (rig != null) rig.close();
        am.close();
    }

    /** Every alert posted so far, in order. */
    private List<JsonNode> posted() {
        List<JsonNode> out = new ArrayList<>();
        for (Receiver.Request r : am.answeredOk()) r.json().forEach(out::add);
        return out;
    }

    private List<JsonNode> posted(String labelName, String labelValue) {
        return posted().stream().filter(a -> labelValue.equals(a.get("labels").path(labelName).asText())).toList();
    }

    /** The requests Alertmanager took from the {@code from}-th on. */
    private List<Receiver.Request> requestsFrom(int from) {
        List<Receiver.Request> all = am.answeredOk();
        return all.subList(Math.min(from, all.size()), all.size());
    }

    /** Per alert of one request: the first of {@code names} present among its labels. */
    private static List<String> labels(Receiver.Request r, String... names) {
        List<String> out = new ArrayList<>();
        r.json().forEach(x -> {
            for (String n : names) {
                if (x.get("labels").has(n)) {
                    out.add(x.get("labels").get(n).asText());
                    return;
                }
            }
            out.add("?");
        });
        return out;
    }

    @Test
    void firingAlertsAreReSentWithAFutureEndResolvedOnesWithTheirRealEndAndAStallIsLeftToThePrometheusRule() {
        rig = new AlertRig();
        AlertsConfig config = AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("am", SinkType.ALERTMANAGER, am.url() + "/").withResend(Duration.ofSeconds(1), null)));
        rig.start(config);
        List<Discrepancy> d = rig.openMissing("O1", "O2");
        String key1 = "order_id=O1,goods_id=42";
        await().atMost(Duration.ofSeconds(10)).until(() -> posted("key", key1).size() >= 1);
        Receiver.Request first = am.answeredOk().get(0);
        assertThat(first.path()).isEqualTo("/api/v2/alerts");
        JsonNode a = posted("key", key1).get(0);
        assertThat(a.get("labels").get("alertname").asText()).isEqualTo("ReconcilerDiscrepancy");
        assertThat(a.get("labels").get("rule").asText()).isEqualTo("sale");
        assertThat(a.get("labels").get("type").asText()).isEqualTo("MISSING_RIGHT");
        assertThat(a.get("labels").get("severity").asText()).as("the detail; the count per rule and type pages")
                .isEqualTo("warning");
        assertThat(a.get("startsAt").asText()).isEqualTo(d.get(0).detectedAt().toString());
        assertThat(Instant.parse(a.get("endsAt").asText())).as("now + 4 × the re-send interval")
                .isEqualTo(rig.clock.instant().plusSeconds(4));
        assertThat(a.get("generatorURL").asText()).isEqualTo("https://reconciler.example.test/#/discrepancies/" + d.get(0).id());
        assertThat(a.get("annotations").get("left").asText()).contains("\"order_id\":\"O1\"");
        assertThat(a.get("annotations").get("right").asText()).isEqualTo("[]");
        assertThat(a.get("annotations").get("detected_at").asText()).isEqualTo(d.get(0).detectedAt().toString());
        assertThat(a.get("annotations").get("summary").asText()).contains("MISSING_RIGHT");

        // still firing: sent again once the interval passed, with a later end
        int before = am.answeredOk().size();
        rig.clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> am.answeredOk().size() > before);
        JsonNode again = posted("key", key1).get(posted("key", key1).size() - 1);
        assertThat(Instant.parse(again.get("endsAt").asText())).isEqualTo(rig.clock.instant().plusSeconds(4));

        // resolved: its real end, and no more re-sends of it
        rig.deduct("O1");
        await().atMost(Duration.ofSeconds(10)).until(() -> posted("key", key1).stream()
                .anyMatch(x -> x.get("annotations").has("resolved_at")));
        JsonNode resolved = posted("key", key1).get(posted("key", key1).size() - 1);
        assertThat(resolved.get("endsAt").asText()).isEqualTo(
                rig.driver.store().discrepancy(d.get(0).id()).orElseThrow().resolvedAt().toString());
        int afterResolve = posted("key", key1).size();
        int requests = am.answeredOk().size();
        rig.clock.advance(Duration.ofSeconds(2));
        await().atMost(Duration.ofSeconds(10)).until(() -> am.answeredOk().size() > requests);
        assertThat(posted("key", key1)).hasSize(afterResolve);
        assertThat(posted("key", "order_id=O2,goods_id=42").get(posted("key", "order_id=O2,goods_id=42").size() - 1)
                .get("labels").get("key").asText()).as("O2 still re-sent").isEqualTo("order_id=O2,goods_id=42");

        // a stalled source: the Prometheus rule ReconcilerSourceStalled alerts on reconciler_source_stalled with the
        // deployment's labels; pushed too, it would be a second alert of that name with other labels
        int beforeStall = am.answeredOk().size();
        rig.tick(Duration.ofMinutes(5));
        await().atMost(Duration.ofSeconds(10)).until(() -> rig.driver.store().journalSeq() > 0
                && EngineSnapshot.of(rig.driver.engine(), rig.clock.instant()).sources().values().stream()
                .anyMatch(n -> n.stalled()));
        rig.clock.advance(Duration.ofSeconds(2));   // a re-send round after the stall was journaled
        await().atMost(Duration.ofSeconds(10)).until(() -> am.answeredOk().size() > beforeStall);
        assertThat(posted("alertname", "ReconcilerSourceStalled")).as("not pushed to Alertmanager").isEmpty();

        // after a restart the firing set comes from the store (open discrepancies)
        int beforeRestart = am.answeredOk().size();
        rig.restart(config);
        // The rebuilt list is one request with the whole firing set. Other requests may come around it: the
        // delivery the old process had in flight when it stopped is sent again (at least once), so "the first
        // request after the restart" is not necessarily the list.
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(requestsFrom(beforeRestart))
                .anySatisfy(r -> assertThat(labels(r, "key", "source"))
                        .containsExactlyInAnyOrder("order_id=O2,goods_id=42")));
    }

    /**
     * A paused rule is reconciler_rule_paused, alerted by the Prometheus rule ReconcilerRulePaused: not pushed to
     * Alertmanager. A webhook, with no Prometheus behind it, still gets it with table, column and position.
     */
    @Test
    void aPausedRuleIsLeftToThePrometheusRuleAndStillGoesToAWebhook() {
        try (Receiver hook = new Receiver()) {
            rig = new AlertRig();
            AlertsConfig config = AlertsConfig.of("https://reconciler.example.test", List.of(
                    SinkConfig.of("am", SinkType.ALERTMANAGER, am.url() + "/").withResend(Duration.ofSeconds(1), null),
                    SinkConfig.of("hook", SinkType.WEBHOOK, hook.url())));
            rig.start(config);
            rig.orderRowOfShard1("O1", "item_count");
            await().atMost(Duration.ofSeconds(10)).until(() -> hook.answeredOk().stream()
                    .filter(r -> r.json().path("event").asText().equals("rule.paused")).count() >= 2);
            JsonNode sale = hook.answeredOk().stream().map(Receiver.Request::json)
                    .filter(j -> j.path("event").asText().equals("rule.paused")
                            && j.get("labels").get("rule").asText().equals("sale"))
                    .findFirst().orElseThrow();
            assertThat(sale.get("labels").get("alertname").asText()).isEqualTo("ReconcilerRulePaused");
            assertThat(sale.get("labels").get("table").asText()).isEqualTo("trade_order_stream_0001");
            assertThat(sale.get("labels").get("column").asText()).isEqualTo("item_count");

            // the Alertmanager sink has passed the pause entries (its outbox is empty) and sent nothing for them
            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "am")).isZero());
            assertThat(posted("alertname", "ReconcilerRulePaused")).as("not pushed to Alertmanager").isEmpty();
        }
    }

    @Test
    void aResolutionDroppedByTheOutboxBoundIsNotLeftFiringTheFiringSetIsRebuiltFromTheStore() {
        rig = new AlertRig();
        AlertsConfig config = AlertsConfig.of(null, List.of(SinkConfig.of("am", SinkType.ALERTMANAGER, am.url())
                .withResend(Duration.ofSeconds(1), null).withBackoff(Duration.ofMillis(50), Duration.ofMillis(200))))
                .withJournalBounds(null, 1);
        rig.start(config);
        rig.openMissing("D1");
        String d1 = "order_id=D1,goods_id=42";
        await().atMost(Duration.ofSeconds(10)).until(() -> posted("key", d1).size() >= 1);

        // the receiver fails on D3's opening; D1 resolves behind it and D4 opens; the bound (one entry) drops D3's
        // opening and D1's resolution, which the sink never read
        am.answer(r -> new Receiver.Response(503, "down"));
        rig.openMissing("D3");
        rig.deduct("D1");
        rig.openMissing("D4");
        int failed = am.requests().size();
        await().atMost(Duration.ofSeconds(10)).until(() -> am.requests().size() > failed);
        rig.service.trim();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(rig.sent("am", "dropped")).isEqualTo(2));

        int from = am.answeredOk().size();
        am.answer(r -> Receiver.Response.OK);
        await().atMost(Duration.ofSeconds(10)).until(() -> posted("key", "order_id=D4,goods_id=42").size() >= 1);
        for (int i = 0; i < 2; i++) {   // two re-send rounds
            int n = am.answeredOk().size();
            rig.clock.advance(Duration.ofSeconds(2));
            await().atMost(Duration.ofSeconds(10)).until(() -> am.answeredOk().size() > n);
        }
        assertThat(requestsFrom(from)).as("D1 is no longer sent as firing: Alertmanager ends it at its endsAt")
                .allSatisfy(r -> assertThat(labels(r, "key")).doesNotContain(d1));
        assertThat(labels(am.answeredOk().get(am.answeredOk().size() - 1), "key"))
                .as("the firing set, rebuilt from the store").containsExactlyInAnyOrder("order_id=D3,goods_id=42",
                        "order_id=D4,goods_id=42");
    }
}
