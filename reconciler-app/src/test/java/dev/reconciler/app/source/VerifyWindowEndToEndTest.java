package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.cli.Main;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.runtime.ReconcilerRuntime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.reconciler.app.source.EndToEndScenarios.deduction;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code reconciler verify} and {@code POST /api/rules/{rule}/verify} against two local MariaDB servers: rows
 * written with {@code sql_log_bin=0} after the reconciler matched the rest are found, exactly those, as discrepancies
 * of their own kind, shown by the API and the metrics; a second verification adds nothing; a consistent window
 * reports nothing; the command's exit codes and output.
 */
class VerifyWindowEndToEndTest {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 61, 62);
    private static final String TOKEN = "verify-test-token-0123456789";

    @Test
    void rowsTheBinlogNeverShowedAreFoundOnceThroughTheApiAndTheCommand(@TempDir Path tmp) throws Exception {
        Path config = writeConfig(tmp);
        final LocalMariaDb orders = DATABASES.orders();
        LocalMariaDb inventory = DATABASES.inventory();
        Instant t0 = Instant.now().minusSeconds(2);
        Instant consistentFrom;
        Instant consistentTo;
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        try (ReconcilerRuntime r = ReconcilerRuntime.start(new ConfigLoader(k -> null).load(config), null)) {
            String base = r.api().url();
            orders.execute(order(0, "V1", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(1, "V2", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"),
                    order(2, "V4", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));   // V4: never deducted, found live
            inventory.execute(deduction("V1", 7, 1, "TRY_SALE"), deduction("V2", 7, 1, "TRY_SALE"));
            consistentFrom = Instant.now();
            orders.execute(order(3, "V3", 7, 2, "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory.execute(deduction("V3", 7, 2, "TRY_SALE"));
            consistentTo = Instant.now().plusMillis(5);
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(250)).untilAsserted(() ->
                    assertThat(open(http, base)).containsExactly("sale MISSING_RIGHT V4"));
            awaitReconciled(r, consistentTo);

            // everything the databases hold was seen: nothing to report (V4's discrepancy is already open)
            JsonNode clean = verify(http, base, t0, null);
            assertThat(clean.get("findings").size()).as(clean.toPrettyString()).isZero();
            assertThat(clean.get("rowsInRule").get("left").asLong()).isEqualTo(4);
            assertThat(clean.get("rowsInRule").get("right").asLong()).isEqualTo(3);

            // behind the binlog's back: an order and a deduction inserted, V2's deduction deleted
            orders.execute("SET SESSION sql_log_bin = 0", order(0, "V5", 7, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            inventory.execute("SET SESSION sql_log_bin = 0", deduction("V6", 7, 1, "TRY_SALE"),
                    "DELETE FROM inventory.collection_inventory_stream WHERE identifier = 'V2'");
            awaitReconciled(r, Instant.now().plusMillis(5));
            assertThat(open(http, base)).as("the binlog carried none of it").containsExactly("sale MISSING_RIGHT V4");

            JsonNode found = verify(http, base, t0, null);
            assertThat(found.get("opened").asLong()).as(found.toPrettyString()).isEqualTo(3);
            assertThat(found.get("findings").toString())
                    .isEqualTo("{\"UNOBSERVED_LEFT\":1,\"UNOBSERVED_RIGHT\":1,\"UNREPORTED_INCONSISTENCY\":1}");
            assertThat(open(http, base)).containsExactlyInAnyOrder("sale MISSING_RIGHT V4", "sale UNOBSERVED_LEFT V5",
                    "sale UNOBSERVED_RIGHT V6", "sale UNREPORTED_INCONSISTENCY V2");
            JsonNode v5 = get(http, base + "/api/discrepancies?type=UNOBSERVED_LEFT").get("items").get(0);
            assertThat(v5.get("left").get(0).get("columns").get("order_id").asText()).isEqualTo("V5");
            String metrics = get(http, base + "/metrics", String.class);
            assertThat(metrics).contains("reconciler_discrepancies_open{rule=\"sale\",type=\"UNOBSERVED_LEFT\"} 1.0",
                    "reconciler_discrepancies_open{rule=\"sale\",type=\"UNOBSERVED_RIGHT\"} 1.0",
                    "reconciler_discrepancies_open{rule=\"sale\",type=\"UNREPORTED_INCONSISTENCY\"} 1.0");

            JsonNode again = verify(http, base, t0, null);
            assertThat(again.get("opened").asLong()).as("a second run adds nothing").isZero();
            assertThat(again.get("alreadyOpen").asLong()).isEqualTo(3);
            assertThat(open(http, base)).hasSize(4);

            // the command cannot open the state of a running reconciler: it says so and points to the API
            Cli locked = cli("verify", "-c", config.toString(), "--rule", "sale", "--since", t0.toString());
            assertThat(locked.code()).isEqualTo(Main.FAILED);
            assertThat(locked.err()).contains("a running reconciler uses it").contains("POST /api/rules/sale/verify");
        }

        // the stopped reconciler, verified by the command: the same findings, none new
        Cli text = cli("verify", "-c", config.toString(), "--rule", "sale", "--since", t0.toString());
        assertThat(text.code()).as(text.err()).isEqualTo(4);
        assertThat(text.out()).contains("DIFFERENCES: 3 findings (0 new, 3 already open)")
                .contains("UNOBSERVED_LEFT").contains("[V5, 7]");
        Cli json = cli("verify", "-c", config.toString(), "--rule", "sale", "--since", t0.toString(), "--json",
                "--page-rows", "2");
        assertThat(json.code()).isEqualTo(4);
        JsonNode summary = Json.MAPPER.readTree(json.out());
        assertThat(summary.get("opened").asLong()).isZero();
        assertThat(summary.get("findings").size()).isEqualTo(3);
        // the unobserved order is deleted again (unlogged): the next verification no longer finds it and resolves it
        orders.execute("SET SESSION sql_log_bin = 0",
                "DELETE FROM orders.trade_order_stream_0000 WHERE order_id = 'V5'");
        Cli after = cli("verify", "-c", config.toString(), "--rule", "sale", "--since", t0.toString(), "--json");
        assertThat(after.code()).isEqualTo(4);
        JsonNode afterSummary = Json.MAPPER.readTree(after.out());
        assertThat(afterSummary.get("resolved").asLong()).isEqualTo(1);
        assertThat(afterSummary.get("findings").toString())
                .isEqualTo("{\"UNOBSERVED_RIGHT\":1,\"UNREPORTED_INCONSISTENCY\":1}");
        Cli consistent = cli("verify", "-c", config.toString(), "--rule", "sale", "--since", consistentFrom.toString(),
                "--until", consistentTo.toString());
        assertThat(consistent.code()).as(consistent.out() + consistent.err()).isZero();
        assertThat(consistent.out()).contains("no differences").contains("read 1 left and 1 right rows");
        assertThat(cli("verify", "-c", config.toString(), "--rule", "nope", "--since", "1h").code())
                .isEqualTo(Main.PROBLEMS);
        assertThat(cli("verify", "-c", config.toString(), "--rule", "sale", "--since", "yesterday").code())
                .isEqualTo(Main.USAGE);
    }

    private static void awaitReconciled(ReconcilerRuntime r, Instant upTo) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> {
            Instant until = r.pipeline().snapshot().rules().get("sale").reconciledUntil();
            return until != null && until.isAfter(upTo);
        });
    }

    /** The shipped configuration with its variables set: these servers, a test state dir, grace 2 s, a token. */
    private static Path writeConfig(Path tmp) throws Exception {
        Map<String, String> env = Map.of("ORDER_DB_PORT", Integer.toString(DATABASES.orders().port()),
                "ORDER_DB_USER", "root", "INVENTORY_DB_PORT", Integer.toString(DATABASES.inventory().port()),
                "INVENTORY_DB_USER", "root", "RECONCILER_STATE_DIR", tmp.resolve("state").toString(),
                "RECONCILER_HTTP_PORT", "0", "RECONCILER_GRACE", "2s");
        String shipped = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"));
        Matcher m = Pattern.compile("\\$\\{(\\w+):-([^}]*)}").matcher(shipped);
        StringBuilder sb = new StringBuilder();
        while (m.find()) m.appendReplacement(sb, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group(2))));
        m.appendTail(sb);
        String yaml = sb.toString().replace("http:\n", "http:\n  token: " + TOKEN + "\n")
                .replace("clockSkew: 5s", "clockSkew: 1s");
        Path file = tmp.resolve("reconciler.yml");
        Files.writeString(file, yaml);
        return file;
    }

    private static JsonNode verify(HttpClient http, String base, Instant since, Instant until) throws Exception {
        String url = base + "/api/rules/sale/verify?since=" + since + (until == null ? "" : "&until=" + until);
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.noBody()).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return Json.MAPPER.readTree(res.body());
    }

    private static List<String> open(HttpClient http, String base) throws Exception {
        List<String> out = new ArrayList<>();
        for (JsonNode d : get(http, base + "/api/discrepancies").get("items")) {
            out.add(d.get("rule").asText() + " " + d.get("type").asText() + " " + d.get("key").get("order_id").asText());
        }
        return out;
    }

    private static JsonNode get(HttpClient http, String url) throws Exception {
        return Json.MAPPER.readTree(get(http, url, String.class));
    }

    private static String get(HttpClient http, String url, Class<String> text) throws Exception {
        HttpResponse<String> res = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
        return res.body();
    }

    record Cli(int code, String out, String err) {
    }

    /** Runs the command line with its standard output and error captured. */
    private static synchronized Cli cli(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Cli(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
