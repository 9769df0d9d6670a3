package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** DingTalk, Feishu, Slack and WeCom robots, all at once, each on its own loopback receiver. */
class ChatSinksTest {
    static final String SECRET = "SECtest-robot-secret";
    private final Receiver dingtalk = new Receiver().answer(r -> new Receiver.Response(200, "{\"errcode\":0,\"errmsg\":\"ok\"}"));
    private final Receiver feishu = new Receiver().answer(r -> new Receiver.Response(200, "{\"code\":0,\"msg\":\"success\",\"data\":{}}"));
    private final Receiver slack = new Receiver().answer(r -> new Receiver.Response(200, "ok"));
    private final Receiver wecom = new Receiver().answer(r -> new Receiver.Response(200, "{\"errcode\":0,\"errmsg\":\"ok\"}"));
    private AlertRig rig;

    @AfterEach
    void close() {
        if (rig != null) rig.close();
        for (Receiver r : List.of(dingtalk, feishu, slack, wecom)) r.close();
    }

    @Test
    void eachRobotGetsAReadableMessageInItsOwnFormatSignedWhereItSignsAndRobotErrorCodesAreRetried() throws Exception {
        AtomicInteger dingCalls = new AtomicInteger();
        dingtalk.answer(r -> dingCalls.incrementAndGet() == 1
                ? new Receiver.Response(200, "{\"errcode\":130101,\"errmsg\":\"send too fast\"}")
                : new Receiver.Response(200, "{\"errcode\":0,\"errmsg\":\"ok\"}"));
        rig = new AlertRig();
        Duration fast = Duration.ofMillis(10);
        rig.start(AlertsConfig.of("https://reconciler.example.test", List.of(
                SinkConfig.of("ding", SinkType.DINGTALK, dingtalk.url() + "/robot/send?access_token=tok123")
                        .withSecret(SECRET).withBackoff(fast, fast),
                SinkConfig.of("lark", SinkType.FEISHU, feishu.url() + "/open-apis/bot/v2/hook/abc").withSecret(SECRET),
                SinkConfig.of("slack", SinkType.SLACK, slack.url() + "/services/T/B/X"),
                SinkConfig.of("wecom", SinkType.WECOM, wecom.url() + "/cgi-bin/webhook/send?key=k1"))));
        Discrepancy d = rig.openMissing("O1").get(0);
        rig.deduct("O1");
        // (robots answer HTTP 200 with an error code: DingTalk's first answer is one)
        await().atMost(Duration.ofSeconds(10)).until(() -> dingtalk.requests().size() == 3);
        for (Receiver r : List.of(feishu, slack, wecom)) {
            await().atMost(Duration.ofSeconds(10)).until(() -> r.answeredOk().size() == 2);
        }

        // DingTalk: markdown with a title; signed in the query with timestamp (ms) and sign
        Receiver.Request ding = dingtalk.requests().get(1);
        assertThat(dingtalk.requests().get(0).body()).as("errcode 130101 was retried").isEqualTo(ding.body());
        JsonNode dj = ding.json();
        assertThat(dj.get("msgtype").asText()).isEqualTo("markdown");
        assertThat(dj.get("markdown").get("title").asText()).contains("sale MISSING_RIGHT opened");
        assertThat(dj.get("markdown").get("text").asText()).contains("order_id=O1, goods_id=42")
                .contains("[Details](https://reconciler.example.test/#/discrepancies/" + d.id() + ")");
        Map<String, String> q = query(ding.query());
        assertThat(q.get("access_token")).isEqualTo("tok123");
        String ts = q.get("timestamp");
        assertThat(q.get("sign")).isEqualTo(Base64.getEncoder().encodeToString(Receiver.hmacSha256(SECRET.getBytes(StandardCharsets.UTF_8),
                (ts + "\n" + SECRET).getBytes(StandardCharsets.UTF_8))));
        assertThat(rig.sent("ding", "failure")).isEqualTo(1);

        // Feishu: an interactive card with lark_md; signed in the body
        JsonNode fj = feishu.answeredOk().get(0).json();
        assertThat(fj.get("msg_type").asText()).isEqualTo("interactive");
        assertThat(fj.get("card").get("header").get("template").asText()).isEqualTo("red");
        assertThat(fj.get("card").get("elements").get(0).get("text").get("tag").asText()).isEqualTo("lark_md");
        assertThat(fj.get("card").get("elements").get(0).get("text").get("content").asText()).contains("order_id=O1");
        String fts = fj.get("timestamp").asText();
        assertThat(fj.get("sign").asText()).isEqualTo(Base64.getEncoder().encodeToString(
                Receiver.hmacSha256((fts + "\n" + SECRET).getBytes(StandardCharsets.UTF_8), new byte[0])));
        assertThat(feishu.answeredOk().get(1).json().get("card").get("header").get("template").asText()).isEqualTo("green");

        // Slack: mrkdwn text with <url|text> links
        String st = slack.answeredOk().get(0).json().get("text").asText();
        assertThat(st).startsWith("*🔴 [Reconciler] sale MISSING_RIGHT opened*")
                .contains("<https://reconciler.example.test/#/discrepancies/" + d.id() + "|Details>");
        assertThat(slack.answeredOk().get(1).json().get("text").asText()).contains("resolved").contains("COUNTERPART_ARRIVED");

        // WeCom: markdown content
        JsonNode wj = wecom.answeredOk().get(0).json();
        assertThat(wj.get("msgtype").asText()).isEqualTo("markdown");
        assertThat(wj.get("markdown").get("content").asText()).contains("**🔴 [Reconciler] sale MISSING_RIGHT opened**")
                .contains("Left: `trade_order_stream_0000#1");
        assertThat(wecom.answeredOk().get(0).query()).isEqualTo("key=k1");
    }

    @Test
    void aMessageStaysWithinTheRobotsLimitHoweverWideTheRows() {
        List<RowImage> rows = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            Map<String, String> cols = new LinkedHashMap<>();
            for (int c = 0; c < 40; c++) cols.put("column_" + c, "值".repeat(50));
            rows.add(new RowImage(new RowId("inventory", "collection_inventory_stream", "" + i), cols, T0,
                    new SourcePosition("bin.000001", i, 0)));
        }
        Discrepancy d = new Discrepancy("abc", "sale", DiscrepancyType.QUANTITY_MISMATCH, Map.of("order_id", "O1"), 1,
                Status.OPEN, T0, null, null, new BigDecimal("-1"), rows, rows);
        Alert a = new Alert.DiscrepancyAlert(1, d, true);
        for (AlertFormat.Style style : List.of(ChatSink.WECOM, ChatSink.DINGTALK, ChatSink.SLACK, ChatSink.FEISHU)) {
            String text = AlertFormat.chat(a, "https://x.test", style).text();
            assertThat(text.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(style.maxBytes());
            assertThat(text).contains("Difference").contains("https://x.test/#/discrepancies/abc");
        }
    }

    private static Map<String, String> query(String q) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String p : q.split("&")) {
            int eq = p.indexOf('=');
            m.put(p.substring(0, eq), URLDecoder.decode(p.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return m;
    }
}
