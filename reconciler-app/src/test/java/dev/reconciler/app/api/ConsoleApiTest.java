package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.reconciler.core.testing.OrderInventory.INVENTORY;
import static dev.reconciler.core.testing.OrderInventory.INVENTORY_TABLE;
import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.inventoryRow;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the web console needs from the server, over real HTTP: its files (content types, caching, CSP, open even when
 * reads are protected), the list's key and age filters, the open-age summary and the status's matches per minute and
 * rule definitions. The page itself is driven in a real browser by {@code ConsoleBrowserTest}.
 */
class ConsoleApiTest {
    static ApiHarness h;
    static ApiHarness protectedReads;

    @BeforeAll
    static void start() throws Exception {
        h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults().withToken(ApiHarness.TOKEN));
        // detected at the engine clock: T0 (A1, A2, B1) — the harness clock is far in the past of the wall clock
        h.submit(ORDERS, null, h.fact(ORDERS, shard(0), orderRow(1, "A1", "42", "CONFIRM", "CONFIRM", 1, 0), T0),
                h.fact(ORDERS, shard(1), orderRow(2, "A2", "42", "CONFIRM", "CONFIRM", 1, 0), T0),
                h.fact(ORDERS, shard(2), orderRow(3, "B1", "77", "CONFIRM", "CONFIRM", 2, 0), T0),
                h.fact(ORDERS, shard(3), orderRow(4, "M1", "7", "CONFIRM", "CONFIRM", 1, 0), T0));
        h.submit(INVENTORY, null, h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(1, "B1", 77, "TRY_SALE", 1, 0), T0),
                h.fact(INVENTORY, INVENTORY_TABLE, inventoryRow(2, "M1", 7, "TRY_SALE", 1, 0), T0));
        h.watermarks(T0.plusSeconds(60));
        protectedReads = new ApiHarness(new InMemoryStateStore(),
                ApiConfig.defaults().withToken(ApiHarness.TOKEN).withProtectReads(true));
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
        if (protectedReads != null) protectedReads.close();
    }

    @Test
    void servesThePageWithAStrictPolicyAndRevalidation() throws Exception {
        ApiHarness.Reply page = h.get("/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.header("Content-Type")).isEqualTo("text/html; charset=utf-8");
        assertThat(page.header("Cache-Control")).isEqualTo("no-cache");
        assertThat(page.header("Content-Security-Policy")).contains("default-src 'none'", "script-src 'self'",
                "connect-src 'self'", "frame-ancestors 'none'").doesNotContain("unsafe");
        assertThat(page.header("X-Content-Type-Options")).isEqualTo("nosniff");
        assertThat(page.header("Referrer-Policy")).isEqualTo("no-referrer");
        assertThat(page.body()).contains("<title>reconciler</title>").doesNotContain("http://", "https://");

        Matcher js = Pattern.compile("\"/console/console\\.js\\?h=([0-9a-f]{12})\"").matcher(page.body());
        assertThat(js.find()).as("the script is named with its content hash").isTrue();
        ApiHarness.Reply script = h.get("/console/console.js?h=" + js.group(1));
        assertThat(script.status()).isEqualTo(200);
        assertThat(script.header("Content-Type")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(script.header("Cache-Control")).isEqualTo("public, max-age=31536000, immutable");
        assertThat(script.body()).doesNotContain("innerHTML", "eval(", "http://", "https://");

        ApiHarness.Reply oldScript = h.get("/console/console.js?h=000000000000");
        assertThat(oldScript.header("Cache-Control")).as("a stale hash is never cached for long").isEqualTo("no-cache");
        Matcher css = Pattern.compile("\"/console/console\\.css\\?h=([0-9a-f]{12})\"").matcher(page.body());
        assertThat(css.find()).isTrue();
        assertThat(h.get("/console/console.css?h=" + css.group(1)).header("Content-Type")).isEqualTo("text/css; charset=utf-8");

        ApiHarness.Reply missing = h.get("/console/secret.txt");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().get("error").asText()).contains("no console file");
        assertThat(h.method("POST", "/").status()).isEqualTo(405);
    }

    @Test
    void thePageIsOpenWhenReadsAreProtectedButItsDataIsNot() throws Exception {
        assertThat(protectedReads.get("/").status()).isEqualTo(200);
        assertThat(protectedReads.get("/api/status").status()).isEqualTo(401);
        assertThat(protectedReads.get("/api/discrepancies/ages").status()).isEqualTo(401);
        assertThat(protectedReads.get("/api/status", ApiHarness.TOKEN).status()).isEqualTo(200);
    }

    @Test
    void filtersByKeyPrefix() throws Exception {
        assertThat(orderIds("/api/discrepancies?key=A")).containsExactlyInAnyOrder("A1", "A2");
        assertThat(orderIds("/api/discrepancies?key=A2")).containsExactly("A2");
        assertThat(orderIds("/api/discrepancies?key=%20B1%20")).as("trimmed").containsExactly("B1");
        assertThat(orderIds("/api/discrepancies?key=77")).as("any key column: goods_id").containsExactly("B1");
        assertThat(orderIds("/api/discrepancies?key=Z")).isEmpty();
        assertThat(orderIds("/api/discrepancies?key=A&type=MISSING_RIGHT&rule=sale")).hasSize(2);
        ApiHarness.Reply tooLong = h.get("/api/discrepancies?key=" + "x".repeat(201));
        assertThat(tooLong.status()).isEqualTo(400);
        assertThat(tooLong.json().get("error").asText()).startsWith("parameter 'key'");
    }

    @Test
    void filtersByAge() throws Exception {
        // every discrepancy here was detected at T0 (2026), long before the wall clock's now
        long ageDays = java.time.Duration.between(T0, Instant.now()).toDays();
        assertThat(orderIds("/api/discrepancies?minAge=5m")).containsExactlyInAnyOrder("A1", "A2", "B1");
        assertThat(orderIds("/api/discrepancies?maxAge=1h")).isEmpty();
        assertThat(orderIds("/api/discrepancies?maxAge=" + (ageDays + 2) + "d")).hasSize(3);
        assertThat(orderIds("/api/discrepancies?minAge=" + (ageDays + 2) + "d")).isEmpty();
        for (String bad : List.of("minAge=soon", "maxAge=-1h", "minAge=99999d")) {
            ApiHarness.Reply r = h.get("/api/discrepancies?" + bad);
            assertThat(r.status()).as(bad).isEqualTo(400);
            assertThat(r.json().get("fix").asText()).contains("5m");
        }
    }

    @Test
    void summarisesOpenAgesPerRuleAndType() throws Exception {
        JsonNode ages = h.get("/api/discrepancies/ages").json();
        assertThat(ages.get("complete").asBoolean()).isTrue();
        assertThat(ages.get("buckets").toString()).isEqualTo("[\"under 5m\",\"5m to 1h\",\"1h to 24h\",\"over 24h\"]");
        JsonNode sale = null;
        for (JsonNode r : ages.get("rules")) if (r.get("rule").asText().equals("sale")) sale = r;
        assertThat(sale).isNotNull();
        assertThat(sale.get("types").get("MISSING_RIGHT").toString()).as("two, over a day old").isEqualTo("[0,0,0,2]");
        assertThat(sale.get("types").get("QUANTITY_MISMATCH").toString()).isEqualTo("[0,0,0,1]");
        assertThat(sale.get("oldest").asText()).isEqualTo(T0.toString());
        assertThat(sale.get("oldestId").asText()).matches("[0-9a-f]{16}");
        assertThat(h.get("/api/discrepancies/ages?x=1").status()).isEqualTo(400);
    }

    @Test
    void statusCarriesMatchesPerMinuteAndTheRuleDefinition() throws Exception {
        JsonNode status = h.get("/api/status").json();
        JsonNode sale = status.get("rules").get(0);
        assertThat(sale.get("name").asText()).isEqualTo("sale");
        assertThat(sale.get("matchesPerMinute").asLong()).as("M1 matched within the last minute").isEqualTo(1);
        assertThat(sale.get("matchesCountedSeconds").asLong()).isBetween(1L, 60L);
        JsonNode def = sale.get("definition");
        assertThat(def.get("key").get(0).toString()).isEqualTo("{\"name\":\"order_id\",\"left\":\"order_id\",\"right\":\"identifier\"}");
        assertThat(def.get("quantity").toString()).isEqualTo("{\"left\":\"item_count\",\"right\":\"changed_quantity\"}");
        assertThat(def.get("grace").asText()).isEqualTo("30s");
        assertThat(def.get("clockSkew").asText()).isNotBlank();
    }

    private static List<String> orderIds(String path) throws Exception {
        ApiHarness.Reply r = h.get(path);
        assertThat(r.status()).as(path + ": " + r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode i : r.json().get("items")) out.add(i.get("key").get("order_id").asText());
        return out;
    }
}
