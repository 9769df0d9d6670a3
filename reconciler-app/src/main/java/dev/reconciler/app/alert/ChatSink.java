package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The chat robots on-call teams use, one readable message per alert (per aggregate in a storm), in each robot's
 * documented webhook format:
 * <ul>
 *   <li>DingTalk: {@code {"msgtype":"markdown","markdown":{"title","text"}}}; with a secret, the URL gets
 *       {@code timestamp} (ms) and {@code sign} = Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)). Answers
 *       {@code {"errcode":0}}.</li>
 *   <li>Feishu / Lark: an interactive card with one {@code lark_md} block; with a secret, the body gets
 *       {@code timestamp} (s) and {@code sign} = Base64(HMAC-SHA256(key = timestamp + "\n" + secret, empty)).
 *       Answers {@code {"code":0}} (older: {@code {"StatusCode":0}}).</li>
 *   <li>Slack incoming webhook: {@code {"text"}} in mrkdwn. Answers {@code ok}.</li>
 *   <li>WeCom: {@code {"msgtype":"markdown","markdown":{"content"}}} (at most 4096 bytes). Answers
 *       {@code {"errcode":0}}.</li>
 * </ul>
 * Robots answer HTTP 200 with an error code for most failures (bad signature, rate limit); those are retried.
 */
record ChatSink(SinkConfig config, String publicUrl, RuleLabels labels) implements Sink {
    static final AlertFormat.Style DINGTALK = new AlertFormat.Style("**", "**", false, "\n\n", 18_000, false);
    static final AlertFormat.Style FEISHU = new AlertFormat.Style("**", "**", false, "\n", 18_000, false);
    static final AlertFormat.Style SLACK = new AlertFormat.Style("*", "*", true, "\n", 3_800, true);
    static final AlertFormat.Style WECOM = new AlertFormat.Style("**", "**", true, "\n", 4_000, false);

    @Override
    public HttpRequest request(List<Alert> alerts, Instant now) {
        Alert a = alerts.get(0);
        SinkType kind = config.kind();
        AlertFormat.ChatMessage m = AlertFormat.chat(a, publicUrl, style(kind), labels);
        Map<String, Object> body = new LinkedHashMap<>();
        URI uri = URI.create(config.url());
        switch (kind) {
            case DINGTALK -> {
                body.put("msgtype", "markdown");
                body.put("markdown", Map.of("title", m.title(), "text", m.text()));
                if (config.secret() != null) uri = dingTalkSigned(config.url(), config.secret(), now.toEpochMilli());
            }
            case FEISHU -> {
                if (config.secret() != null) {
                    long ts = now.getEpochSecond();
                    body.put("timestamp", Long.toString(ts));
                    body.put("sign", feishuSign(config.secret(), ts));
                }
                body.put("msg_type", "interactive");
                body.put("card", Map.of(
                        "header", Map.of("title", Map.of("tag", "plain_text", "content", m.title()),
                                "template", a.firing() ? "red" : "green"),
                        "elements", List.of(Map.of("tag", "div",
                                "text", Map.of("tag", "lark_md", "content", m.text())))));
            }
            case SLACK -> body.put("text", m.text());
            case WECOM -> {
                body.put("msgtype", "markdown");
                body.put("markdown", Map.of("content", m.text()));
            }
            default -> throw new IllegalStateException("not a chat robot: " + kind);
        }
        return Sink.post(config, uri, AlertFormat.json(body)).build();
    }

    /**
     * A plain message (a title and lines, e.g. the daily summary) to a chat sink, in its robot's format, signed like
     * an alert.
     */
    static HttpRequest text(SinkConfig config, String title, List<String> lines, String link, Instant now) {
        AlertFormat.Style style = style(config.kind());
        StringBuilder text = new StringBuilder(style.boldOpen()).append(title).append(style.boldClose());
        for (String l : lines) text.append(style.lineBreak()).append(l);
        if (link != null) text.append(style.lineBreak()).append(link);
        Map<String, Object> body = new LinkedHashMap<>();
        URI uri = URI.create(config.url());
        switch (config.kind()) {
            case DINGTALK -> {
                body.put("msgtype", "markdown");
                body.put("markdown", Map.of("title", title, "text", text.toString()));
                if (config.secret() != null) uri = dingTalkSigned(config.url(), config.secret(), now.toEpochMilli());
            }
            case FEISHU -> {
                if (config.secret() != null) {
                    long ts = now.getEpochSecond();
                    body.put("timestamp", Long.toString(ts));
                    body.put("sign", feishuSign(config.secret(), ts));
                }
                body.put("msg_type", "interactive");
                body.put("card", Map.of(
                        "header", Map.of("title", Map.of("tag", "plain_text", "content", title), "template", "blue"),
                        "elements", List.of(Map.of("tag", "div",
                                "text", Map.of("tag", "lark_md", "content", text.toString())))));
            }
            case SLACK -> body.put("text", text.toString());
            case WECOM -> {
                body.put("msgtype", "markdown");
                body.put("markdown", Map.of("content", text.toString()));
            }
            default -> throw new IllegalStateException("not a chat robot: " + config.kind());
        }
        return Sink.post(config, uri, AlertFormat.json(body)).build();
    }

    static AlertFormat.Style style(SinkType kind) {
        return switch (kind) {
            case DINGTALK -> DINGTALK;
            case FEISHU -> FEISHU;
            case SLACK -> SLACK;
            default -> WECOM;
        };
    }

    @Override
    public Result interpret(int status, String body) {
        Result byStatus = Sink.byStatus(status);
        if (!(byStatus instanceof Result.Delivered)) {
            return config.kind() == SinkType.SLACK && byStatus instanceof Result.Retry
                    ? new Result.Retry("HTTP " + status + " " + Sink.brief(body))   // Slack's errors are short codes
                    : byStatus;
        }
        if (config.kind() == SinkType.SLACK) return byStatus;
        JsonNode json;
        try {
            json = AlertFormat.JSON.readTree(body == null ? "" : body);
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) return new Result.Retry("HTTP " + status + " without the robot's JSON answer");
        JsonNode code = json.has("errcode") ? json.get("errcode") : json.has("code") ? json.get("code") : json.get("StatusCode");
        if (code != null && code.asLong(-1) == 0) return byStatus;
        JsonNode msg = json.has("errmsg") ? json.get("errmsg") : json.has("msg") ? json.get("msg") : json.get("StatusMessage");
        return new Result.Retry(config.kind().label() + " error " + (code == null ? "?" : code.asText()) + ": "
                + Sink.brief(msg == null ? "" : msg.asText()));
    }

    static URI dingTalkSigned(String url, String secret, long timestampMillis) {
        String toSign = timestampMillis + "\n" + secret;
        String sign = Base64.getEncoder().encodeToString(WebhookSink.hmac(secret.getBytes(StandardCharsets.UTF_8),
                toSign.getBytes(StandardCharsets.UTF_8)));
        return URI.create(url + (url.contains("?") ? "&" : "?") + "timestamp=" + timestampMillis + "&sign="
                + URLEncoder.encode(sign, StandardCharsets.UTF_8));
    }

    static String feishuSign(String secret, long timestampSeconds) {
        byte[] key = (timestampSeconds + "\n" + secret).getBytes(StandardCharsets.UTF_8);
        return Base64.getEncoder().encodeToString(WebhookSink.hmac(key, new byte[0]));
    }
}
