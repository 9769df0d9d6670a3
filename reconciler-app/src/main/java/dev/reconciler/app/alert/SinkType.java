package dev.reconciler.app.alert;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/** The kinds of receiver alerts go to. Configured by their lower-case name ({@code type: slack}). */
public enum SinkType {
    /** Any HTTP endpoint: one signed JSON document per alert. */
    WEBHOOK,
    /** Prometheus Alertmanager, API v2: alerts re-sent while firing, resolved with their real end. */
    ALERTMANAGER,
    /** DingTalk (钉钉) group robot: markdown, optionally signed. */
    DINGTALK,
    /** Feishu / Lark (飞书) group robot: a card with markdown, optionally signed. */
    FEISHU,
    /** Slack incoming webhook: mrkdwn text. */
    SLACK,
    /** WeCom (企业微信) group robot: markdown. */
    WECOM;

    /** The configuration name: {@code webhook}, {@code alertmanager}, … */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The type named {@code text} (case-insensitive), or empty. */
    public static Optional<SinkType> of(String text) {
        if (text == null) return Optional.empty();
        String t = text.trim().toUpperCase(Locale.ROOT);
        return Arrays.stream(values()).filter(v -> v.name().equals(t)).findFirst();
    }

    /** {@code webhook, alertmanager, …} for error messages. */
    public static String names() {
        return Arrays.stream(values()).map(SinkType::label).collect(Collectors.joining(", "));
    }
}
