package dev.reconciler.app.console;

import dev.reconciler.app.TempDirs;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.demo.Demo;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web console in a real browser (headless Chromium through Selenium) against a running reconciler — the shipped
 * configuration, two local MariaDB servers, real discrepancies from rows committed in them — as an on-call engineer
 * uses it: the overview, a filtered list, a discrepancy's page, waiving it with a reason (and the metrics and the
 * overview no longer counting it), a phone-size screen, dark mode, and a database outage that the page must show.
 * Screenshots go to target/console-screenshots (docs/img has the ones docs/console.md shows).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    static final String TOKEN = "console-test-token-0123456789";
    static final Path SHOTS = Path.of("target", "console-screenshots");

    static Path tmp;
    static LocalMariaDbServer orders;
    static LocalMariaDbServer inventory;
    static ReconcilerRuntime runtime;
    static Browser browser;
    static String base;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        tmp = Files.createTempDirectory("reconciler-console-test-");
        orders = LocalMariaDbServer.start(tmp.resolve("orders-db"), 31);
        inventory = LocalMariaDbServer.start(tmp.resolve("inventory-db"), 32);
        DemoSchema.create(orders, inventory);
        Map<String, String> env = new HashMap<>();
        env.put("ORDER_DB_PORT", Integer.toString(orders.port()));
        env.put("ORDER_DB_USER", "root");
        env.put("INVENTORY_DB_PORT", Integer.toString(inventory.port()));
        env.put("INVENTORY_DB_USER", "root");
        env.put("RECONCILER_STATE_DIR", tmp.resolve("state").toString());
        env.put("RECONCILER_HTTP_PORT", "0");
        env.put("RECONCILER_GRACE", "2s");
        env.put("RECONCILER_API_TOKEN", TOKEN);
        // the shipped configuration, with an API token so that the console's actions are allowed
        String yaml = Demo.exampleConfig().replace("\nhttp:\n", "\nhttp:\n  token: ${RECONCILER_API_TOKEN}\n");
        assertThat(yaml).contains("token: ${RECONCILER_API_TOKEN}");
        ReconcilerConfig config = new ConfigLoader(env::get).load(yaml, "order-inventory.yml");
        runtime = ReconcilerRuntime.start(config, null);
        base = runtime.api().url();

        orders.execute(DemoSchema.ORDERS_DB, List.of(
                order(0, "E1", 1), order(1, "E2", 1), order(2, "Q1", 2), order(3, "E5", 1)));
        inventory.execute(DemoSchema.INVENTORY_DB, List.of(
                deduction("E1", 1), deduction("Q1", 1), deduction("E4", 1), deduction("E5", 1)));
        await("three discrepancies open").atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(500))
                .until(() -> get("/api/discrepancies").body().split("\"id\"").length - 1 == 3);
        browser = new Browser(1280, 1000);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.close();
        if (runtime != null) runtime.close();
        if (orders != null) orders.close();
        if (inventory != null) inventory.close();
        if (tmp != null) TempDirs.delete(tmp);
    }

    @Test
    @Order(1)
    void theOverviewShowsEachRuleAndSource() throws Exception {
        browser.open(base + "/");
        browser.await("the sale rule's open count", d -> browser.text("[data-open-total=sale]").equals("3"));
        String sale = browser.text("[data-rule=sale]");
        assertThat(sale).contains("MISSING_RIGHT", "MISSING_LEFT", "QUANTITY_MISMATCH", "reconciled until",
                "matches / min");
        browser.await("ages", d -> browser.text("[data-rule=sale]").contains("< 5m"));
        assertThat(browser.text("[data-source=orders]")).contains("STREAMING");
        assertThat(browser.text("[data-source=inventory]")).contains("STREAMING");
        assertThat(browser.all("#banners .banner")).as("nothing to warn about").isEmpty();
        assertThat(browser.text("#fresh")).startsWith("live");
        assertThat(browser.text("main")).doesNotContain("null", "undefined", "NaN");
        assertThat(browser.js("return performance.getEntriesByType('resource')"
                + ".every(e => e.name.startsWith(location.origin))")).as("no request leaves the reconciler").isEqualTo(true);
        browser.screenshot(SHOTS.resolve("console-overview.png"));
        assertThat(browser.consoleErrors()).as("no script error, no CSP violation").isEmpty();
    }

    @Test
    @Order(2)
    void theListFiltersByTypeAndKey() {
        browser.open(base + "/#/discrepancies");
        browser.await("three rows", d -> browser.all("#discrepancy-table tbody tr").size() == 3);
        new Select(browser.find("#filter-type")).selectByValue("MISSING_RIGHT");
        browser.find("#filter-apply").click();
        browser.await("one row", d -> browser.all("#discrepancy-table tbody tr").size() == 1);
        assertThat(browser.text("#discrepancy-table tbody")).contains("E2", "MISSING_RIGHT");
        assertThat(browser.text("main")).as("no missing value shown as such").doesNotContain("null", "undefined", "NaN");
        assertThat(browser.driver.getCurrentUrl()).contains("type=MISSING_RIGHT");

        browser.open(base + "/#/discrepancies");
        browser.await("three rows again", d -> browser.all("#discrepancy-table tbody tr").size() == 3);
        browser.find("#filter-key").sendKeys("Q");
        browser.find("#filter-apply").click();
        browser.await("Q1 only", d -> browser.all("#discrepancy-table tbody tr").size() == 1
                && browser.text("#discrepancy-table tbody").contains("QUANTITY_MISMATCH"));

        browser.open(base + "/#/discrepancies?status=all&since=2026-01-01T00:00:00Z");
        browser.await("a storm alert's link: the window said", d -> browser.text("#since-filter").contains("Detected since"));
        browser.await("all three", d -> browser.all("#discrepancy-table tbody tr").size() == 3);
        assertThat(browser.text("main")).doesNotContain("null", "undefined", "NaN");

        browser.open(base + "/#/discrepancies?key=NOPE");
        browser.await("an empty result, said so", d -> browser.text("#no-results").contains("No discrepancy matches"));
    }

    @Test
    @Order(3)
    void aDiscrepancyPageShowsBothSidesTheDecisionAndTheTimeline() throws Exception {
        browser.open(base + "/#/discrepancies?key=Q1");
        browser.await("Q1", d -> browser.all("#discrepancy-table tbody tr a").size() == 1);
        browser.find("#discrepancy-table tbody tr a").click();
        browser.await("the detail page", d -> browser.text("#why").contains("quantities differ"));
        assertThat(browser.text("#why")).contains("item_count = 2", "changed_quantity = 1", "right − left = -1");
        String left = browser.text("[data-side=left]");
        assertThat(left).contains("orders", "trade_order_stream_0002", "primary key", "item_count = 2", "commit time",
                "binlog position");
        assertThat(browser.text("[data-side=right]")).contains("collection_inventory_stream", "changed_quantity = 1");
        assertThat(browser.text("#timeline")).contains("opened");
        assertThat(browser.text("main")).doesNotContain("null", "undefined", "NaN");
        browser.screenshot(SHOTS.resolve("console-detail.png"));

        browser.open(base + "/#/discrepancies?key=E2");
        browser.await("E2", d -> browser.all("#discrepancy-table tbody tr a").size() == 1);
        browser.find("#discrepancy-table tbody tr a").click();
        browser.await("E2's page", d -> browser.text("#why").contains("absence, not lag"));
        assertThat(browser.text("[data-side=right]")).contains("No row on this side");
        assertThat(browser.text("#why")).contains("grace 2s")
                .as("verify before alert looked the deduction up in the inventory database first")
                .contains("Checked on the other database: verified absent at");
        assertThat(browser.consoleErrors()).isEmpty();
    }

    @Test
    @Order(4)
    void waivingWithAReasonStopsTheMetricsCountingIt() throws Exception {
        String open = "reconciler_discrepancies_open{rule=\"sale\",type=\"MISSING_RIGHT\"} ";
        assertThat(get("/metrics").body()).contains(open + "1.0");
        browser.open(base + "/#/discrepancies?key=E2");
        browser.await("E2", d -> browser.all("#discrepancy-table tbody tr a").size() == 1);
        browser.find("#discrepancy-table tbody tr a").click();
        browser.await("the waive button", d -> browser.find("#action-waive").isDisplayed());
        browser.find("#action-waive").click();
        browser.await("the dialog", d -> browser.find("#action-dialog").isDisplayed());
        browser.find("#action-by").clear();
        browser.find("#action-by").sendKeys("alice");
        browser.find("#action-submit").click();
        browser.await("a reason is required", d -> browser.text("#action-error").contains("reason is required"));
        browser.find("#action-reason").sendKeys("test order E2, never shipped: INC-42");
        WebElement token = browser.find("#action-token");
        assertThat(token.isDisplayed()).as("the token is asked for once").isTrue();
        token.sendKeys(TOKEN);
        browser.find("#action-submit").click();
        browser.await("waived", d -> browser.text("#notice").contains("done by alice"));
        assertThat(browser.text("#detail-title")).contains("WAIVED");
        assertThat(browser.text("#timeline")).contains("waived", "alice", "INC-42");
        assertThat(browser.all("#action-reopen")).hasSize(1);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(get("/metrics").body()).contains(open + "0.0"));
        browser.open(base + "/#/");
        browser.await("the overview counts two", d -> browser.text("[data-open-total=sale]").equals("2"));
        assertThat(browser.text("[data-rule=sale]")).contains("1 waived");
        browser.open(base + "/#/discrepancies?status=waived");
        browser.await("listed as waived", d -> browser.text("#discrepancy-table tbody").contains("E2"));
        browser.open(base + "/#/daily");
        browser.await("the day's summary", d -> !browser.all("#daily tr[data-rule=sale] td").isEmpty());
        List<WebElement> day = browser.all("#daily tr[data-rule=sale] td");
        assertThat(day.get(4).getText()).as("waived today: " + get("/api/reports/daily").body()).isEqualTo("1");
        assertThat(Integer.parseInt(day.get(2).getText())).as("opened today").isGreaterThanOrEqualTo(3);
        assertThat(browser.consoleErrors()).isEmpty();
    }

    @Test
    @Order(5)
    void onAPhoneNothingIsWiderThanTheScreen() throws Exception {
        browser.size(390, 844);
        try {
            for (String page : List.of("/#/", "/#/discrepancies")) {
                browser.open(base + page);
                browser.await("rendered", d -> !browser.text("main h1").isEmpty()
                        && browser.all("main .muted").stream().noneMatch(e -> e.getText().equals("Loading…")));
                long overflow = (Long) browser.js("return document.documentElement.scrollWidth - window.innerWidth");
                assertThat(overflow).as(page + ": no sideways scrolling of the page").isLessThanOrEqualTo(0);
            }
            browser.open(base + "/#/");
            browser.await("the overview", d -> !browser.text("[data-open-total=sale]").isEmpty());
            browser.screenshot(SHOTS.resolve("console-phone.png"));
        } finally {
            browser.size(1280, 1000);
        }
    }

    @Test
    @Order(6)
    void darkModeFollowsTheSystem() throws Exception {
        browser.colorScheme("dark");
        try {
            browser.open(base + "/#/discrepancies?status=all");
            browser.await("the list", d -> browser.all("#discrepancy-table tbody tr").size() == 3);
            String bg = (String) browser.js("return getComputedStyle(document.body).backgroundColor");
            assertThat(bg).isEqualTo("rgb(15, 18, 22)");
            browser.screenshot(SHOTS.resolve("console-dark.png"));
        } finally {
            browser.colorScheme("light");
        }
        String bg = (String) browser.js("return getComputedStyle(document.body).backgroundColor");
        assertThat(bg).isEqualTo("rgb(246, 247, 249)");
    }

    @Test
    @Order(7)
    void aDatabaseOutageIsShownOnEveryPage() throws Exception {
        browser.open(base + "/#/discrepancies");
        browser.await("the list", d -> !browser.all("#discrepancy-table tbody tr").isEmpty());
        inventory.close();
        browser.await("a banner naming the source", d -> browser.all("#banners .banner.bad").stream()
                .anyMatch(b -> b.getText().contains("Source inventory is")));
        assertThat(browser.text("#banners")).contains("not checked");
        browser.open(base + "/#/");
        browser.await("the source's state", d -> !browser.text("[data-source=inventory]").contains("STREAMING"));
        browser.screenshot(SHOTS.resolve("console-outage.png"));
    }

    // ------------------------------------------------------------------ helpers

    static HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(15)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String order(int shard, String id, int count) {
        return String.format("INSERT INTO trade_order_stream_%04d (order_id, buyer_id, seller_id, identifier, goods_id,"
                + " goods_type, order_amount, item_price, item_count, order_state, stream_identifier, stream_type)"
                + " VALUES ('%s', 'B1', 'S1', 'req-%s', '7', 'COLLECTION', 9.9, 9.9, %d, 'CONFIRM', '%s-c',"
                + " 'CREATE_AND_CONFIRM')", shard, id, id, count, id);
    }

    static String deduction(String id, int quantity) {
        return String.format("INSERT INTO collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                + " identifier) VALUES (7, %d, 'TRY_SALE', '%s')", quantity, id);
    }
}
