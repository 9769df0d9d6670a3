package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.state.StateWrite;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The generic webhook sink against a real HTTP receiver on loopback: payload, signature, retries, order, restart. */
class WebhookAlertsTest {
    static final String SECRET = "test-secret-never-logged";
    static final String PUBLIC = "https://reconciler.example.test";
    private final Receiver receiver = new Receiver();
    private AlertRig rig;

    @AfterEach
    void close() {
        if (rig != null) rig.close();
        receiver.close();
    }

    private SinkConfig hook(Receiver r, String name) {
        return SinkConfig.of(name, SinkType.WEBHOOK, r.url() + "/alerts").withSecret(SECRET)
                .withHeaders(Map.of("X-Team", "orders")).withBackoff(Duration.ofMillis(10), Duration.ofMillis(80));
    }

    private static Duration wait(int seconds) {
        return Duration.ofSeconds(seconds);
    }

    @Test
    void eachEventIsOneSignedJsonDocumentWithItsIdempotencyKeyRowImagesAndALink() throws Exception {
        rig = new AlertRig();
        rig.start(AlertsConfig.of(PUBLIC, List.of(hook(receiver, "hook"))));
        Discrepancy d = rig.openMissing("O1").get(0);
        rig.deduct("O1");
        await().atMost(wait(10)).until(() -> receiver.accepted().size() == 2);

        Receiver.Request opened = receiver.accepted().get(0);
        assertThat(opened.method()).isEqualTo("POST");
        assertThat(opened.path()).isEqualTo("/alerts");
        assertThat(opened.header("X-Reconciler-Signature")).as("HMAC-SHA256 of the raw body with the shared secret")
                .isEqualTo(Receiver.signature(SECRET, opened.body()))
                .isNotEqualTo(Receiver.signature("another-secret", opened.body()));
        assertThat(opened.header("Content-Type")).startsWith("application/json");
        assertThat(opened.header("X-Team")).isEqualTo("orders");
        assertThat(opened.header("Idempotency-Key")).isEqualTo(d.id() + ":opened");
        assertThat(opened.header("X-Reconciler-Event")).isEqualTo("discrepancy.opened");
        JsonNode j = opened.json();
        assertThat(j.get("event").asText()).isEqualTo("discrepancy.opened");
        assertThat(j.get("status").asText()).isEqualTo("firing");
        assertThat(j.get("idempotencyKey").asText()).isEqualTo(d.id() + ":opened");
        assertThat(j.get("sequence").asLong()).isEqualTo(1);
        assertThat(j.get("labels").toString()).isEqualTo(
                "{\"alertname\":\"ReconcilerDiscrepancy\",\"rule\":\"sale\",\"type\":\"MISSING_RIGHT\",\"key\":\"order_id=O1,goods_id=42\",\"severity\":\"warning\"}");
        assertThat(j.get("link").asText()).isEqualTo(PUBLIC + "/#/discrepancies/" + d.id());
        assertThat(j.get("startsAt").asText()).isEqualTo(d.detectedAt().toString());
        assertThat(j.has("endsAt")).isFalse();
        assertThat(j.get("summary").asText()).contains("MISSING_RIGHT").contains("order_id=O1");
        JsonNode view = j.get("discrepancy");
        assertThat(view.get("id").asText()).isEqualTo(d.id());
        assertThat(view.get("status").asText()).isEqualTo("OPEN");
        assertThat(view.get("key").get("order_id").asText()).isEqualTo("O1");
        assertThat(view.get("left").get(0).get("columns").get("item_count").asText()).isEqualTo("1");
        assertThat(view.get("left").get(0).get("eventTime").asText()).isEqualTo(T0.toString());
        assertThat(view.get("right")).isEmpty();

        Receiver.Request resolved = receiver.accepted().get(1);
        assertThat(resolved.header("X-Reconciler-Signature")).isEqualTo(Receiver.signature(SECRET, resolved.body()));
        assertThat(resolved.header("Idempotency-Key")).isEqualTo(d.id() + ":resolved");
        JsonNode r = resolved.json();
        assertThat(r.get("status").asText()).isEqualTo("resolved");
        assertThat(r.get("fingerprint").asText()).as("the same alert").isEqualTo(j.get("fingerprint").asText());
        assertThat(r.get("discrepancy").get("resolution").asText()).isEqualTo("COUNTERPART_ARRIVED");
        assertThat(r.get("discrepancy").get("right").get(0).get("columns").get("identifier").asText()).isEqualTo("O1");
        assertThat(r.get("endsAt").asText()).isEqualTo(
                rig.driver.store().discrepancy(d.id()).orElseThrow().resolvedAt().toString());

        await().atMost(wait(5)).untilAsserted(() -> {
            assertThat(rig.sent("hook", "success")).isEqualTo(2);
            assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "hook")).isZero();
        });
        assertThat(rig.sent("hook", "failure")).isZero();
    }

    @Test
    void aReceiverThatFailsGetsEverythingInJournalOrderOnceItRecovers() {
        AtomicInteger calls = new AtomicInteger();
        receiver.answer(r -> calls.incrementAndGet() <= 5 ? new Receiver.Response(503, "down") : Receiver.Response.OK);
        rig = new AlertRig();
        rig.start(AlertsConfig.of(null, List.of(hook(receiver, "hook"))));
        List<Discrepancy> d = rig.openMissing("O1", "O2", "O3");
        rig.deduct("O2");
        rig.deduct("O1");

        List<String> expected = List.of(d.get(0).id() + ":opened", d.get(1).id() + ":opened", d.get(2).id() + ":opened",
                d.get(1).id() + ":resolved", d.get(0).id() + ":resolved");
        await().atMost(wait(10)).until(() -> receiver.accepted().size() == 5);
        assertThat(receiver.acceptedKeys()).as("journal order, so opened before resolved for every key")
                .containsExactlyElementsOf(expected);
        assertThat(receiver.requests()).hasSize(10);
        assertThat(receiver.requests().subList(0, 6)).as("a failing alert blocks the ones after it")
                .extracting(x -> x.header("Idempotency-Key")).containsOnly(expected.get(0));
        await().atMost(wait(5)).untilAsserted(() -> {   // counted once the dispatcher has read the answer
            assertThat(rig.sent("hook", "failure")).isEqualTo(5);
            assertThat(rig.sent("hook", "success")).isEqualTo(5);
        });
        assertThat(receiver.requests().get(0).json().has("link")).as("no public URL, no link").isFalse();
    }

    @Test
    void aRequestTheReceiverRejectsAsMalformedIsSkippedAndCounted() {
        AtomicInteger calls = new AtomicInteger();
        receiver.answer(r -> calls.incrementAndGet() == 1 ? new Receiver.Response(400, "bad") : Receiver.Response.OK);
        rig = new AlertRig();
        rig.start(AlertsConfig.of(null, List.of(hook(receiver, "hook"))));
        List<Discrepancy> d = rig.openMissing("O1", "O2");
        await().atMost(wait(10)).until(() -> receiver.accepted().size() == 1);
        assertThat(receiver.acceptedKeys()).containsExactly(d.get(1).id() + ":opened");
        await().atMost(wait(5)).untilAsserted(() -> assertThat(rig.sent("hook", "rejected")).isEqualTo(1));
    }

    @Test
    void afterARestartUndeliveredAlertsArriveAndARepeatedDeliveryIsRecognisedByItsKey(@TempDir Path dir) {
        Path state = dir.resolve("state");
        rig = new AlertRig(RocksDbStateStore.open(state, EngineTestDriver.SMALL_ROCKSDB),
                () -> RocksDbStateStore.open(state, EngineTestDriver.SMALL_ROCKSDB));
        receiver.answer(r -> new Receiver.Response(503, "down for the night"));
        AlertsConfig config = AlertsConfig.of(null, List.of(hook(receiver, "hook")));
        rig.start(config);
        List<Discrepancy> d = rig.openMissing("O1", "O2");
        rig.deduct("O1");
        await().atMost(wait(10)).until(() -> receiver.requests().size() >= 2);   // retrying the first one

        // the process stops with three alerts undelivered; the receiver is back when it starts again (switched only
        // once the service is closed: a retry answered OK while the service closes may be delivered without its
        // cursor written, and so be delivered again after the restart — at least once, by design)
        rig.service.close();
        receiver.answer(r -> Receiver.Response.OK);
        rig.restart(config);
        List<String> expected = List.of(d.get(0).id() + ":opened", d.get(1).id() + ":opened", d.get(0).id() + ":resolved");
        await().atMost(wait(10)).until(() -> receiver.accepted().size() == 3);
        assertThat(receiver.acceptedKeys()).containsExactlyElementsOf(expected);
        assertThat(receiver.answeredOk()).as("each delivered exactly once").hasSize(3);
        await().atMost(wait(5)).untilAsserted(() ->
                assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "hook")).isZero());

        // A crash after a delivery but before its cursor was written: the same events come again, with the same keys.
        rig.service.close();
        rig.driver.store().write(new StateWrite().putMeta(AlertDispatcher.CURSOR_PREFIX + "hook", "{\"seq\":1}"));
        int before = receiver.requests().size();
        rig.restart(config);
        await().atMost(wait(10)).until(() -> receiver.requests().size() == before + 2);
        assertThat(receiver.requests().subList(before, before + 2)).extracting(x -> x.header("Idempotency-Key"))
                .containsExactlyElementsOf(expected.subList(1, 3));
        assertThat(receiver.acceptedKeys()).as("what a deduplicating receiver keeps").containsExactlyElementsOf(expected);
    }

    @Test
    void theJournalIsTrimmedOnceEverySinkPassedItOrWhenItExceedsItsBounds() {
        Receiver down = new Receiver().answer(r -> new Receiver.Response(502, ""));
        try (down) {
            rig = new AlertRig();
            AlertsConfig config = AlertsConfig.of(null, List.of(hook(receiver, "good"), hook(down, "down")));
            rig.start(config);
            rig.openMissing("O1", "O2", "O3");
            await().atMost(wait(10)).until(() -> receiver.accepted().size() == 3);
            assertThat(rig.service.trim()).as("the failing sink still needs everything").isZero();
            assertThat(rig.driver.store().journal(1, 10)).hasSize(3);
            assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "down")).isEqualTo(3);
            assertThat(rig.scrape().value("reconciler_alert_outbox_size", "sink", "down"))
                    .as("its name until this release, kept one more (CHANGELOG.md)").isEqualTo(3);
            await().atMost(wait(5)).untilAsserted(() ->   // the cursor moves just after the answer
                    assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "good")).isZero());

            // bounded to one entry: the two oldest are dropped, the failing sink counts them and goes on
            rig.restart(config.withJournalBounds(null, 1));
            assertThat(rig.service.trim()).isEqualTo(2);
            await().atMost(wait(10)).untilAsserted(() -> assertThat(rig.sent("down", "dropped")).isEqualTo(2));
            down.answer(r -> Receiver.Response.OK);
            await().atMost(wait(10)).until(() -> down.accepted().size() == 1);
            assertThat(down.accepted().get(0).json().get("sequence").asLong()).isEqualTo(3);
            await().atMost(wait(5)).until(() -> rig.service.trim() == 3);
            assertThat(rig.driver.store().journal(1, 10)).isEmpty();
            assertThat(rig.driver.store().journalSeq()).isEqualTo(3);

            // bounded by age: entries older than the bound go even if nobody took them
            down.answer(r -> new Receiver.Response(502, ""));
            rig.restart(config.withJournalBounds(Duration.ofHours(1), null));
            rig.openMissing("O4");
            await().atMost(wait(10)).until(() -> receiver.accepted().size() == 4);
            assertThat(rig.service.trim()).isEqualTo(3);
            rig.clock.advance(Duration.ofHours(3));
            assertThat(rig.service.trim()).isEqualTo(4);
            await().atMost(wait(10)).untilAsserted(() -> assertThat(rig.sent("down", "dropped")).isEqualTo(2 + 1));
        }
    }

    @Test
    void openDiscrepanciesStayInTheStoreWhateverTheAlertsDo() {
        rig = new AlertRig();
        rig.start(AlertsConfig.of(null, List.of(hook(receiver, "hook").withStormThreshold(1))));
        rig.openMissing("O1", "O2", "O3");
        assertThat(rig.driver.discrepancies(Status.OPEN)).hasSize(3);
    }
}
