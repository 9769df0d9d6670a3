package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The workflow endpoints (waive, resolve, re-open, acknowledge), the audit trail and the daily report over real HTTP,
 * against the engine on its pipeline thread: O1 and O2 confirmed and never deducted (two sale MISSING_RIGHT), then
 * O1's deduction arrives late.
 */
class HttpApiWorkflowTest {
    static final String AUTH = "Bearer " + ApiHarness.TOKEN;
    ApiHarness h;
    String o2;

    @BeforeEach
    void start() throws Exception {
        h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults().withToken(ApiHarness.TOKEN));
        h.submit(ORDERS, null, h.fact(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0),
                h.fact(ORDERS, shard(0), orderRow(2, "O2", "42", "CONFIRM", "CONFIRM", 1, 0), T0));
        h.watermarks(T0.plusSeconds(40));
        o2 = id("O2");
    }

    @AfterEach
    void stop() {
        if (h != null) h.close();
    }

    String id(String order) throws Exception {
        for (JsonNode i : h.get("/api/discrepancies?status=all").json().get("items")) {
            if (i.get("key").get("order_id").asText().equals(order)) return i.get("id").asText();
        }
        throw new AssertionError("no discrepancy for " + order);
    }

    double metric(String name) {
        Double v = h.registry.find(name).tags("rule", "sale", "type", "MISSING_RIGHT").gauge() == null ? null
                : h.registry.find(name).tags("rule", "sale", "type", "MISSING_RIGHT").gauge().value();
        return v == null ? Double.NaN : v;
    }

    static List<String> actions(JsonNode timeline) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : timeline) out.add(s.get("action").asText() + " by " + s.get("by").asText());
        return out;
    }

    @Test
    void waivingNeedsWhoAndWhyStopsCountingItAndLeavesItListedAsWaived() throws Exception {
        String path = "/api/discrepancies/" + o2 + "/waive";
        assertThat(h.post(path, "{\"by\":\"alice\",\"reason\":\"x\"}", null).status()).isEqualTo(401);
        ApiHarness.Reply noBy = h.post(path, "{\"reason\":\"known\"}", AUTH);
        assertThat(noBy.status()).isEqualTo(400);
        assertThat(noBy.json().get("error").asText()).contains("'by'");
        ApiHarness.Reply noReason = h.post(path, "{\"by\":\"alice\"}", AUTH);
        assertThat(noReason.status()).isEqualTo(400);
        assertThat(noReason.json().get("error").asText()).contains("'reason'");
        assertThat(h.post(path, "{\"by\":\"alice\",\"reason\":\"x\",\"extra\":1}", AUTH).status()).isEqualTo(400);
        assertThat(h.post("/api/discrepancies/0123456789abcdef/waive", "{\"by\":\"a\",\"reason\":\"x\"}", AUTH)
                .status()).isEqualTo(404);
        assertThat(metric("reconciler.discrepancies.open")).isEqualTo(2.0);

        h.clock.set(T0.plusSeconds(60));
        ApiHarness.Reply ok = h.post(path, "{\"by\":\"alice\",\"reason\":\"ticket OPS-1: known\"}", AUTH);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("status").asText()).isEqualTo("WAIVED");
        assertThat(actions(ok.json().get("timeline"))).containsExactly("OPENED by engine", "WAIVED by alice");
        JsonNode step = ok.json().get("timeline").get(1);
        assertThat(step.get("reason").asText()).isEqualTo("ticket OPS-1: known");
        assertThat(step.get("at").asText()).isEqualTo(T0.plusSeconds(60).toString());
        assertThat(metric("reconciler.discrepancies.open")).isEqualTo(1.0);
        assertThat(metric("reconciler.discrepancies.waived")).isEqualTo(1.0);
        assertThat(h.get("/metrics").body())
                .contains("reconciler_discrepancies_waived{rule=\"sale\",type=\"MISSING_RIGHT\"} 1.0");

        ApiHarness.Reply again = h.post(path, "{\"by\":\"bob\",\"reason\":\"x\"}", AUTH);
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.json().get("error").asText()).contains("waived already");
        assertThat(again.json().get("fix").asText()).isNotBlank();

        assertThat(ids(h.get("/api/discrepancies?status=waived").json())).containsExactly(o2);
        assertThat(ids(h.get("/api/discrepancies").json())).doesNotContain(o2).hasSize(1);
        assertThat(h.get("/api/discrepancies/" + o2).json().get("status").asText()).isEqualTo("WAIVED");
    }

    @Test
    void resolveReopenAndAcknowledgeAreRecordedInTheTimelineAndTheAuditTrailNewestFirst() throws Exception {
        String base = "/api/discrepancies/" + o2;
        h.clock.set(T0.plusSeconds(50));
        ApiHarness.Reply ack = h.post(base + "/ack", "{\"note\":\"looking\"}", AUTH);   // the older body still works
        assertThat(ack.status()).isEqualTo(200);
        assertThat(ack.json().get("acknowledged").get("note").asText()).isEqualTo("looking");
        h.clock.set(T0.plusSeconds(51));
        ApiHarness.Reply resolved = h.post(base + "/resolve", "{\"by\":\"alice\",\"reason\":\"fixed in the shop\"}",
                AUTH);
        assertThat(resolved.status()).isEqualTo(200);
        assertThat(resolved.json().get("status").asText()).isEqualTo("RESOLVED");
        assertThat(resolved.json().get("resolution").asText()).isEqualTo("MANUAL");
        assertThat(metric("reconciler.discrepancies.open")).isEqualTo(1.0);
        assertThat(h.post(base + "/resolve", "{\"by\":\"alice\",\"reason\":\"again\"}", AUTH).status()).isEqualTo(409);
        h.clock.set(T0.plusSeconds(52));
        ApiHarness.Reply reopened = h.post(base + "/reopen", "{\"by\":\"bob\"}", AUTH);
        assertThat(reopened.status()).isEqualTo(200);
        assertThat(reopened.json().get("status").asText()).isEqualTo("OPEN");
        assertThat(actions(reopened.json().get("timeline"))).containsExactly("OPENED by engine",
                "ACKNOWLEDGED by ", "RESOLVED by alice", "REOPENED by bob");
        assertThat(metric("reconciler.discrepancies.open")).isEqualTo(2.0);

        // O1's deduction arrives: the engine resolves O1; an engine-resolved one cannot be re-opened.
        h.submit(INVENTORY, T0.plusSeconds(60), h.fact(INVENTORY, INVENTORY_TABLE,
                inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0.plusSeconds(55)));
        String o1 = id("O1");
        JsonNode o1doc = h.get("/api/discrepancies/" + o1).json();
        assertThat(actions(o1doc.get("timeline"))).containsExactly("OPENED by engine", "RESOLVED by engine");
        ApiHarness.Reply refused = h.post("/api/discrepancies/" + o1 + "/reopen", "{\"by\":\"bob\"}", AUTH);
        assertThat(refused.status()).isEqualTo(409);
        assertThat(refused.json().get("error").asText()).contains("the engine resolved it");

        JsonNode audit = h.get("/api/audit?limit=2").json();
        assertThat(audit.get("items")).hasSize(2);
        assertThat(audit.get("items").get(0).get("action").asText()).isEqualTo("REOPENED");
        assertThat(audit.get("items").get(0).get("seq").asLong()).isEqualTo(3);
        assertThat(audit.get("items").get(0).get("discrepancyId").asText()).isEqualTo(o2);
        assertThat(audit.get("items").get(1).get("by").asText()).isEqualTo("alice");
        JsonNode rest = h.get("/api/audit?cursor=" + audit.get("next").asText()).json();
        assertThat(rest.get("items")).hasSize(1);
        assertThat(rest.get("items").get(0).get("action").asText()).isEqualTo("ACKNOWLEDGED");
        assertThat(rest.get("next").isNull()).isTrue();
        assertThat(h.get("/api/audit?since=" + T0.plusSeconds(51)).json().get("items")).hasSize(2);
        assertThat(h.get("/api/audit?cursor=abc").status()).isEqualTo(400);
    }

    @Test
    void theDailyReportCountsTheDaysMatchesAndDiscrepanciesByType() throws Exception {
        h.clock.set(T0.plusSeconds(50));
        assertThat(h.post("/api/discrepancies/" + o2 + "/waive", "{\"by\":\"a\",\"reason\":\"known\"}", AUTH).status())
                .isEqualTo(200);
        h.submit(INVENTORY, T0.plusSeconds(60), h.fact(INVENTORY, INVENTORY_TABLE,
                inventoryRow(1, "O1", 42, "TRY_SALE", 1, 0), T0.plusSeconds(55)));
        h.pipeline.call(e -> e.tick()).get();

        ApiHarness.Reply r = h.get("/api/reports/daily?date=2026-11-26&rule=sale");
        assertThat(r.status()).isEqualTo(200);
        JsonNode sale = r.json().get("rules").get(0);
        assertThat(r.json().get("rules")).hasSize(1);
        assertThat(sale.get("rule").asText()).isEqualTo("sale");
        assertThat(sale.get("matched").asLong()).isEqualTo(1);
        assertThat(sale.get("opened").asLong()).isEqualTo(2);
        assertThat(sale.get("openedByType").get("MISSING_RIGHT").asLong()).isEqualTo(2);
        assertThat(sale.get("resolvedByType").get("MISSING_RIGHT").asLong()).isEqualTo(1);
        assertThat(sale.get("waivedByType").get("MISSING_RIGHT").asLong()).isEqualTo(1);
        assertThat(r.json().get("worstLagSeconds").get(ORDERS).isNumber()).isTrue();
        assertThat(r.json().get("coverageGaps")).isEmpty();

        JsonNode other = h.get("/api/reports/daily?date=2026-11-27").json();
        assertThat(other.get("rules").get(0).get("opened").asLong()).isZero();
        assertThat(h.get("/api/reports/daily?date=yesterday").status()).isEqualTo(400);
        assertThat(h.get("/api/reports/daily?rule=nope").status()).isEqualTo(400);
    }

    static List<String> ids(JsonNode page) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : page.get("items")) out.add(i.get("id").asText());
        return out;
    }

    static Instant at(int s) {
        return T0.plusSeconds(s);
    }
}
