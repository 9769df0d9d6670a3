package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** More discrepancies of one rule within a minute than the threshold: the rest go out as one aggregated alert. */
class StormControlTest {
    private final Receiver receiver = new Receiver();
    private AlertRig rig;

    @AfterEach
    void close() {
        if (rig != null) rig.close();
        receiver.close();
    }

    private void start(int threshold) {
        rig = new AlertRig();
        rig.start(AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("hook", SinkType.WEBHOOK, receiver.url()).withStormThreshold(threshold)))
                .withStorm(null, 2));
    }

    private static String[] orders(int n) {
        List<String> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) out.add("S" + i);
        return out.toArray(String[]::new);
    }

    @Test
    void theFirstOnesGoOneByOneTheRestOfTheMinuteAsOneAggregateWhenTheMinuteIsOver() {
        start(3);
        List<Discrepancy> opened = rig.openMissing(orders(10));
        assertThat(opened).hasSize(10);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(receiver.accepted()).hasSize(3);
            assertThat(rig.sent("hook", "aggregated")).isEqualTo(7);
        });
        assertThat(receiver.acceptedKeys()).containsExactly(opened.get(0).id() + ":opened",
                opened.get(1).id() + ":opened", opened.get(2).id() + ":opened");
        assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "hook"))
                .as("the aggregated entries stay in the outbox until their aggregate is delivered").isEqualTo(7);

        rig.clock.set(opened.get(0).detectedAt().plus(Duration.ofMinutes(2)));   // the minute is over
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.accepted().size() == 4);
        Receiver.Request storm = receiver.accepted().get(3);
        assertThat(storm.header("Idempotency-Key")).isEqualTo("storm:sale:opened:4");
        JsonNode j = storm.json();
        assertThat(j.get("event").asText()).isEqualTo("storm.opened");
        assertThat(j.get("labels").get("alertname").asText()).isEqualTo("ReconcilerDiscrepancyStorm");
        assertThat(j.get("storm").get("count").asInt()).isEqualTo(7);
        assertThat(j.get("storm").get("byType").get("MISSING_RIGHT").asInt()).isEqualTo(7);
        assertThat(j.get("storm").get("sample")).hasSize(2);
        assertThat(j.get("storm").get("sample").get(0).get("key").get("order_id").asText())
                .isEqualTo(opened.get(3).key().get("order_id"));
        assertThat(j.get("link").asText()).contains("/api/discrepancies?status=all&rule=sale&since=");
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "hook")).isZero());
        assertThat(rig.driver.discrepancies(Status.OPEN)).as("all recorded (and listed by the API)").hasSize(10);
    }

    @Test
    void anAggregatedOpeningIsToldBeforeAResolutionOfTheSameRule() {
        start(3);
        List<Discrepancy> opened = rig.openMissing(orders(6));
        rig.deduct("S5");   // aggregated when it opened
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.accepted().size() == 5);
        assertThat(receiver.acceptedKeys()).containsExactly(opened.get(0).id() + ":opened",
                opened.get(1).id() + ":opened", opened.get(2).id() + ":opened", "storm:sale:opened:4",
                opened.get(4).id() + ":resolved");
        assertThat(receiver.accepted().get(3).json().get("storm").get("count").asInt()).isEqualTo(3);
    }

    @Test
    void withoutAThresholdEveryDiscrepancyIsSentOnItsOwn() {
        start(0);
        rig.openMissing(orders(25));
        await().atMost(Duration.ofSeconds(10)).until(() -> receiver.accepted().size() == 25);
        assertThat(rig.sent("hook", "aggregated")).isZero();
    }
}
