package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every endpoint over real HTTP on loopback, against the engine on its pipeline thread (in-memory store), after one
 * scripted history on the article's rules (grace 30 s, clock skew 2 s):
 * <ul>
 *   <li>O1…O7 confirmed, never deducted: seven sale MISSING_RIGHT; O1's deduction then arrives late (resolved);</li>
 *   <li>P1 deducted without an order: sale MISSING_LEFT;</li>
 *   <li>Q1 ordered 2, deducted 1: sale QUANTITY_MISMATCH (difference -1);</li>
 *   <li>M1 ordered and deducted: matched; W1 ordered at the end: still pending.</li>
 * </ul>
 */
class HttpApiTest {
    static ApiHarness h;

    static Instant at(int seconds) {
        return T0.plusSeconds(seconds);
    }

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults().withToken(ApiHarness.TOKEN));
        for (int i = 1; i <= 7; i++) {
            h.submit(ORDERS, null, h.fact(ORDERS, shard(i % 4), orderRow(i, "O" + i, "42", "CONFIRM", "CONFIRM", 1, 0), at(0)));
        }
        h.submit(ORDERS, null, h.fact(ORDERS, shard(0), orderRow(20, "Q1", "42", "CONFIRM", "CONFIRM", 2, 0), at(1)),
                h.fact(ORDERS, shard(1), orderRow(21, "M1", "7", "CONFIRM", "CONFIRM", 1, 0), at(1)));
        h.submit(INVENTORY, null, h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "P1", 42, "TRY_SALE", 1, 0), at(1)),
                h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(2, "Q1", 42, "TRY_SALE", 1, 0), at(1)),
                h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(3, "M1", 7, "TRY_SALE", 1, 0), at(2)));
        h.watermarks(at(40));
        h.submit(INVENTORY, at(50), h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(4, "O1", 42, "TRY_SALE", 1, 0), at(45)));
        h.submit(ORDERS, at(50), h.fact(ORDERS, shard(2), orderRow(30, "W1", "42", "CONFIRM", "CONFIRM", 1, 0), at(48)));
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    static List<String> describe(JsonNode items) {
        List<String> out = new ArrayList<>();
        for (JsonNode i : items) {
            out.add(i.get("rule").asText() + " " + i.get("type").asText() + " " + i.get("key").get("order_id").asText()
                    + " " + i.get("status").asText());
        }
        return out;
    }

    // ---------------------------------------------------------------- discrepancies

    @Test
    void listsOpenDiscrepanciesByDefaultWithKeyRowsAndDifference() throws Exception {
        ApiHarness.Reply r = h.get("/api/discrepancies");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("application/json");
        JsonNode page = r.json();
        assertThat(describe(page.get("items"))).containsExactlyInAnyOrder(
                "sale MISSING_RIGHT O2 OPEN", "sale MISSING_RIGHT O3 OPEN", "sale MISSING_RIGHT O4 OPEN",
                "sale MISSING_RIGHT O5 OPEN", "sale MISSING_RIGHT O6 OPEN", "sale MISSING_RIGHT O7 OPEN",
                "sale MISSING_LEFT P1 OPEN", "sale QUANTITY_MISMATCH Q1 OPEN");
        assertThat(page.get("next").isNull()).isTrue();

        JsonNode q1 = find(page.get("items"), "Q1");
        assertThat(q1.get("id").asText()).matches("[0-9a-f]{16}");
        assertThat(q1.get("key").toString()).isEqualTo("{\"order_id\":\"Q1\",\"goods_id\":\"42\"}");
        assertThat(q1.get("difference").decimalValue()).isEqualByComparingTo("-1");
        assertThat(q1.get("detectedAt").asText()).as("a one-to-one mismatch is judged at once: engine clock T0")
                .isEqualTo(at(0).toString());
        assertThat(q1.get("resolvedAt").isNull()).isTrue();
        assertThat(q1.get("resolution").isNull()).isTrue();
        assertThat(q1.get("acknowledged").isNull()).isTrue();
        JsonNode left = q1.get("left").get(0);
        assertThat(left.get("source").asText()).isEqualTo(ORDERS);
        assertThat(left.get("table").asText()).isEqualTo("trade_order_stream_0000");
        assertThat(left.get("pk").asText()).isEqualTo("20");
        assertThat(left.get("eventTime").asText()).isEqualTo(at(1).toString());
        assertThat(left.get("position").asText()).startsWith("bin.000001:");
        assertThat(left.get("columns").get("item_count").asText()).isEqualTo("2");
        assertThat(q1.get("right").get(0).get("columns").get("changed_quantity").asText()).isEqualTo("1");
    }

    @Test
    void filtersByStatusRuleTypeAndSince() throws Exception {
        assertThat(describe(h.get("/api/discrepancies?status=resolved").json().get("items")))
                .containsExactly("sale MISSING_RIGHT O1 RESOLVED");
        JsonNode o1 = h.get("/api/discrepancies?status=resolved").json().get("items").get(0);
        assertThat(o1.get("resolution").asText()).isEqualTo("COUNTERPART_ARRIVED");
        assertThat(o1.get("resolvedAt").asText()).isEqualTo(at(50).toString());

        assertThat(h.get("/api/discrepancies?status=all").json().get("items")).hasSize(9);
        assertThat(describe(h.get("/api/discrepancies?type=MISSING_LEFT").json().get("items")))
                .containsExactly("sale MISSING_LEFT P1 OPEN");
        assertThat(describe(h.get("/api/discrepancies?type=quantity_mismatch&rule=sale").json().get("items")))
                .containsExactly("sale QUANTITY_MISMATCH Q1 OPEN");
        assertThat(h.get("/api/discrepancies?rule=cancel&status=all").json().get("items")).isEmpty();
        assertThat(h.get("/api/discrepancies?status=all&since=" + at(0)).json().get("items")).hasSize(9);
        assertThat(describe(h.get("/api/discrepancies?status=all&since=" + at(40)).json().get("items")))
                .as("all but Q1, detected at once").hasSize(8).noneMatch(d -> d.contains("Q1"));
        assertThat(h.get("/api/discrepancies?status=all&since=" + at(41)).json().get("items")).isEmpty();
        assertThat(h.get("/api/discrepancies?status=all&since=2026-11-26T16:00:40%2B08:00").json().get("items"))
                .as("an offset time is the same instant").hasSize(8);
    }

    @Test
    void pagesFollowIdOrderWithoutRepeatsOrGaps() throws Exception {
        List<String> ids = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            JsonNode page = h.get("/api/discrepancies?status=all&limit=4" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            assertThat(page.get("items").size()).isLessThanOrEqualTo(4);
            page.get("items").forEach(i -> ids.add(i.get("id").asText()));
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
            pages++;
        } while (cursor != null && pages < 10);
        assertThat(pages).isEqualTo(3);
        assertThat(ids).hasSize(9).doesNotHaveDuplicates().isSorted();
        List<String> all = new ArrayList<>();
        h.get("/api/discrepancies?status=all&limit=1000").json().get("items").forEach(i -> all.add(i.get("id").asText()));
        assertThat(ids).isEqualTo(all);

        // with a filter, pages still cover exactly the matching records
        Set<String> open = new HashSet<>();
        cursor = null;
        do {
            JsonNode page = h.get("/api/discrepancies?type=MISSING_RIGHT&limit=2" + (cursor == null ? "" : "&cursor=" + cursor)).json();
            page.get("items").forEach(i -> assertThat(open.add(i.get("key").get("order_id").asText())).isTrue());
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        assertThat(open).containsExactlyInAnyOrder("O2", "O3", "O4", "O5", "O6", "O7");
    }

    @Test
    void oneDiscrepancyByIdAndUnknownIds() throws Exception {
        JsonNode p1 = find(h.get("/api/discrepancies?type=MISSING_LEFT").json().get("items"), "P1");
        ApiHarness.Reply r = h.get("/api/discrepancies/" + p1.get("id").asText());
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.json()).isEqualTo(p1);

        ApiHarness.Reply missing = h.get("/api/discrepancies/0123456789abcdef");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").asText()).contains("0123456789abcdef");
        assertThat(missing.json().get("fix").asText()).isNotBlank();
    }

    // ---------------------------------------------------------------- acknowledging

    @Test
    void acknowledgingNeedsTheTokenAndStoresTheNote() throws Exception {
        String id = find(h.get("/api/discrepancies?type=MISSING_RIGHT").json().get("items"), "O5").get("id").asText();
        String path = "/api/discrepancies/" + id + "/ack";

        ApiHarness.Reply none = h.post(path, "{\"note\":\"x\"}", null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.header("WWW-Authenticate")).startsWith("Bearer");
        assertThat(none.json().get("fix").asText()).contains("Authorization: Bearer");
        assertThat(h.post(path, "{\"note\":\"x\"}", "Bearer wrong-token-0123456789").status()).isEqualTo(401);
        assertThat(h.post(path, "{\"note\":\"x\"}", "Basic " + ApiHarness.TOKEN).status()).isEqualTo(401);
        assertThat(h.get("/api/discrepancies/" + id).json().get("acknowledged").isNull()).as("nothing stored").isTrue();

        ApiHarness.Reply bad = h.post(path, "{\"note\": 5}", "Bearer " + ApiHarness.TOKEN);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).contains("note");
        assertThat(h.post(path, "{\"notes\": \"typo\"}", "Bearer " + ApiHarness.TOKEN).json().get("error").asText())
                .contains("notes");
        assertThat(h.post(path, "not json", "Bearer " + ApiHarness.TOKEN).status()).isEqualTo(400);
        assertThat(h.post("/api/discrepancies/0123456789abcdef/ack", "{}", "Bearer " + ApiHarness.TOKEN).status())
                .isEqualTo(404);

        h.clock.set(at(60));
        ApiHarness.Reply ok = h.post(path, "{\"note\":\"inventory team is on it\"}", "bearer " + ApiHarness.TOKEN);
        assertThat(ok.status()).isEqualTo(200);
        assertThat(ok.json().get("acknowledged").get("note").asText()).isEqualTo("inventory team is on it");
        assertThat(ok.json().get("acknowledged").get("at").asText()).isEqualTo(at(60).toString());
        assertThat(ok.json().get("status").asText()).isEqualTo("OPEN");
        assertThat(h.get("/api/discrepancies/" + id).json().get("acknowledged").get("note").asText())
                .isEqualTo("inventory team is on it");
    }

    @Test
    void withoutAConfiguredTokenAcknowledgingIsForbiddenAndReadsAreOpen() throws Exception {
        try (ApiHarness open = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            ApiHarness.Reply r = open.post("/api/discrepancies/0123456789abcdef/ack", "{}", "Bearer " + ApiHarness.TOKEN);
            assertThat(r.status()).isEqualTo(403);
            assertThat(r.json().get("fix").asText()).contains("http.token");
            assertThat(open.get("/api/discrepancies").status()).isEqualTo(200);
        }
    }

    @Test
    void protectedReadsNeedTheTokenButHealthChecksDoNot() throws Exception {
        try (ApiHarness p = new ApiHarness(new InMemoryStateStore(),
                ApiConfig.defaults().withToken(ApiHarness.TOKEN).withProtectReads(true))) {
            for (String path : List.of("/api/discrepancies", "/api/status", "/metrics", "/api/pairs/sale?key.order_id=O1&key.goods_id=42")) {
                assertThat(p.get(path).status()).as(path).isEqualTo(401);
            }
            assertThat(p.get("/api/discrepancies", ApiHarness.TOKEN).status()).isEqualTo(200);
            assertThat(p.get("/metrics", ApiHarness.TOKEN).status()).isEqualTo(200);
            assertThat(p.get("/health/live").status()).isEqualTo(200);
            assertThat(p.get("/health/ready").status()).isEqualTo(200);
        }
    }

    // ---------------------------------------------------------------- pairs

    @Test
    void aPairShowsItsRowsDiscrepanciesAndWaits() throws Exception {
        ApiHarness.Reply r = h.get("/api/pairs/sale?key.order_id=O1&key.goods_id=42");
        assertThat(r.status()).isEqualTo(200);
        JsonNode p = r.json();
        assertThat(p.get("rule").asText()).isEqualTo("sale");
        assertThat(p.get("key").toString()).isEqualTo("{\"order_id\":\"O1\",\"goods_id\":\"42\"}");
        assertThat(p.get("matched").asBoolean()).isTrue();
        assertThat(p.get("open")).isEmpty();
        assertThat(p.get("left")).hasSize(1);
        assertThat(p.get("left").get(0).get("live").asBoolean()).isTrue();
        assertThat(p.get("left").get(0).get("image").get("pk").asText()).isEqualTo("1");
        assertThat(p.get("right").get(0).get("image").get("columns").get("identifier").asText()).isEqualTo("O1");
        assertThat(p.get("discrepancies")).hasSize(1);
        assertThat(p.get("discrepancies").get(0).get("status").asText()).isEqualTo("RESOLVED");
        assertThat(p.get("pendingLeftUntil").isNull()).isTrue();
        assertThat(p.get("expiresAt").isNull()).as("kept for the retention").isFalse();

        JsonNode w1 = h.get("/api/pairs/sale?key.order_id=%20W1%20&key.goods_id=42").json();
        assertThat(w1.get("matched").asBoolean()).isFalse();
        assertThat(w1.get("pendingLeftUntil").asText()).as("48 s + grace 30 s + skew 2 s").isEqualTo(at(80).toString());
        assertThat(w1.get("watermarks").get("right").asText()).isEqualTo(at(50).toString());
        assertThat(w1.get("right")).isEmpty();
    }

    @Test
    void pairRequestsNameWhatIsWrong() throws Exception {
        ApiHarness.Reply missing = h.get("/api/pairs/sale?key.order_id=O1");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("error").asText()).contains("key.goods_id").contains("missing");
        assertThat(missing.json().get("fix").asText()).contains("key.order_id=").contains("key.goods_id=");
        assertThat(h.get("/api/pairs/sale?key=O1").json().get("error").asText()).contains("'key'");
        assertThat(h.get("/api/pairs/sale?key.order_id=O1&key.goods_id=42&key.sku=1").status()).isEqualTo(400);
        ApiHarness.Reply unknownRule = h.get("/api/pairs/payments?key.order_id=O1");
        assertThat(unknownRule.status()).isEqualTo(404);
        assertThat(unknownRule.json().get("fix").asText()).contains("sale").contains("cancel");
        ApiHarness.Reply unknownKey = h.get("/api/pairs/sale?key.order_id=NOPE&key.goods_id=42");
        assertThat(unknownKey.status()).isEqualTo(404);
        assertThat(unknownKey.json().get("error").asText()).contains("NOPE");
    }

    // ---------------------------------------------------------------- status and health

    @Test
    void statusShowsSourcesAndRules() throws Exception {
        h.statuses.get(ORDERS).set(ApiHarness.status(ORDERS, SourceStatus.Phase.STREAMING, at(49),
                Map.of("trade_order_stream_0000", 3L)));
        JsonNode s = h.get("/api/status").json();
        assertThat(s.get("version").asText()).isEqualTo(HttpApi.VERSION).isNotEqualTo("unknown");
        assertThat(s.get("uptimeSeconds").asLong()).isNotNegative();
        assertThat(s.get("stateOpen").asBoolean()).isTrue();
        JsonNode orders = null;
        for (JsonNode src : s.get("sources")) if (src.get("name").asText().equals(ORDERS)) orders = src;
        assertThat(orders).isNotNull();
        assertThat(orders.get("phase").asText()).isEqualTo("STREAMING");
        assertThat(orders.get("connected").asBoolean()).isTrue();
        assertThat(orders.get("watermark").asText()).isEqualTo(at(50).toString());
        assertThat(orders.get("lastCommit").asText()).isEqualTo(at(49).toString());
        assertThat(orders.get("lagSeconds").isNumber()).isTrue();
        assertThat(orders.get("eventsByTable").get("trade_order_stream_0000").asLong()).isEqualTo(3);
        JsonNode sale = s.get("rules").get(0);
        assertThat(sale.get("name").asText()).isEqualTo("sale");
        assertThat(sale.get("pending").get("left").asLong()).isEqualTo(1);   // W1
        assertThat(sale.get("pending").get("right").asLong()).isZero();
        assertThat(sale.get("open").get("MISSING_RIGHT").asLong()).isEqualTo(6);
        assertThat(sale.get("open").get("MISSING_LEFT").asLong()).isEqualTo(1);
        assertThat(sale.get("open").get("QUANTITY_MISMATCH").asLong()).isEqualTo(1);
        assertThat(sale.get("reconciledUntil").asText()).as("50 s - grace 30 s - skew 2 s").isEqualTo(at(18).toString());
        assertThat(sale.get("verifying").get("lookingUp").asLong()).as("no verify before alert here").isZero();
        assertThat(sale.get("verifying").get("awaitingBinlog").asLong()).isZero();
    }

    @Test
    void readyWhileASourceIsDownSinceTheApiServesFromTheOpenStateStore() throws Exception {
        assertThat(h.get("/health/live").json().get("status").asText()).isEqualTo("UP");
        SourceStatus before = h.statuses.get(INVENTORY).get();
        try {
            assertThat(h.get("/health/ready").status()).isEqualTo(200);
            h.statuses.get(INVENTORY).set(new SourceStatus(INVENTORY, SourceConfig.Flavour.MARIADB,
                    SourceStatus.Phase.WAITING, "db7:3306 refused the login (access denied)", at(40), at(50), at(45),
                    at(45), 0, Map.of(), "Access denied for user 'cap'@'db7'", 1));
            ApiHarness.Reply r = h.get("/health/ready");
            assertThat(r.status()).as("a source outage is not a reason to hide the API").isEqualTo(200);
            assertThat(r.json().get("status").asText()).isEqualTo("READY");
            assertThat(h.get("/health/live").status()).isEqualTo(200);
            ApiHarness.Reply status = h.get("/api/status");
            assertThat(status.body()).contains("Access denied for user 'cap'@'db7'");
            assertThat(status.json().get("sources").toString())
                    .contains("\"phase\":\"WAITING\"", "\"connected\":false",
                            "\"reason\":\"db7:3306 refused the login (access denied)\"",
                            "WAITING: db7:3306 refused the login (access denied)");
            assertThat(h.get("/metrics").body()).contains("reconciler_source_connected{source=\"inventory\"} 0",
                    "reconciler_source_state{source=\"inventory\",state=\"WAITING\"} 1",
                    "reconciler_source_state{source=\"inventory\",state=\"STREAMING\"} 0",
                    "reconciler_source_disconnects_total{source=\"inventory\"} 1");
        } finally {
            h.statuses.get(INVENTORY).set(before);
        }
    }

    @Test
    void resyncIsAnAuthenticatedCallWithAValidatedInstant() throws Exception {
        assertThat(h.post("/api/sources/inventory/resync?since=6h", "", null).status()).isEqualTo(401);
        ApiHarness.Reply bad = h.post("/api/sources/inventory/resync?since=yesterday", "", "Bearer " + ApiHarness.TOKEN);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().get("error").asText()).contains("'since'", "neither an ISO-8601 instant");
        assertThat(h.post("/api/sources/inventory/resync", "", "Bearer " + ApiHarness.TOKEN).json().get("error").asText())
                .contains("'since': missing");
        assertThat(h.post("/api/sources/inventory/resync?since=2999-01-01T00:00:00Z", "", "Bearer " + ApiHarness.TOKEN)
                .json().get("error").asText()).contains("in the future");
        assertThat(h.post("/api/sources/inventory/resync?since=6h", "", "Bearer " + ApiHarness.TOKEN).status())
                .as("a harness without sources to resync").isEqualTo(404);
    }

    // ---------------------------------------------------------------- errors

    @Test
    void badParametersAreNamed() throws Exception {
        Map<String, String> cases = Map.of(
                "/api/discrepancies?status=closed", "'status'",
                "/api/discrepancies?limit=0", "'limit'",
                "/api/discrepancies?limit=abc", "'limit'",
                "/api/discrepancies?limit=1001", "'limit'",
                "/api/discrepancies?type=LOST", "'type'",
                "/api/discrepancies?rule=payments", "'rule'",
                "/api/discrepancies?since=yesterday", "'since'",
                "/api/discrepancies?cursor=xyz", "'cursor'",
                "/api/discrepancies?stauts=open", "'stauts'",
                "/api/discrepancies?status=open&status=all", "'status'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            ApiHarness.Reply r = h.get(c.getKey());
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().get("error").asText()).as(c.getKey()).contains(c.getValue());
            assertThat(r.json().get("fix").asText()).as(c.getKey()).isNotBlank();
        }
    }

    @Test
    void unknownPathsAre404AndWrongMethods405() throws Exception {
        ApiHarness.Reply nf = h.get("/api/nothing");
        assertThat(nf.status()).isEqualTo(404);
        assertThat(nf.json().get("error").asText()).contains("/api/nothing");
        ApiHarness.Reply del = h.method("DELETE", "/api/discrepancies");
        assertThat(del.status()).isEqualTo(405);
        assertThat(del.header("Allow")).isEqualTo("GET");
        assertThat(h.method("GET", "/api/discrepancies/0123456789abcdef/ack").header("Allow")).isEqualTo("POST");
        assertThat(h.post("/metrics", "", null).status()).isEqualTo(405);
    }

    @Test
    void metricsAreServedInThePrometheusTextFormat() throws Exception {
        ApiHarness.Reply r = h.get("/metrics");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.header("Content-Type")).startsWith("text/plain");
        assertThat(r.body()).contains("reconciler_discrepancies_open{rule=\"sale\",type=\"MISSING_RIGHT\"} 6.0")
                .contains("jvm_memory_used_bytes");
    }

    private static JsonNode find(JsonNode items, String orderId) {
        for (JsonNode i : items) if (i.get("key").get("order_id").asText().equals(orderId)) return i;
        throw new AssertionError("no item for " + orderId + " in " + items);
    }
}
