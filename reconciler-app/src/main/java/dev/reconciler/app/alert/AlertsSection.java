package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigKey.Shown;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code alerts} section: the sinks and the outbox's bounds ({@link AlertsConfig}, {@link SinkConfig}). Each
 * key is declared here once, with its docs row: docs/configuration.md, the JSON Schema and {@code reconciler config
 * print} are made from these declarations.
 */
public final class AlertsSection {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("alerts",
            ConfigKey.of("publicUrl", Kind.TEXT, "URL", "none", "`https://reconciler.example.com`",
                "The reconciler's address as on-call engineers reach it (its console and API); alerts and chat"
                + " messages link to the discrepancy's console page `<publicUrl>/#/discrepancies/<id>`. Without it,"
                + " alerts carry no links."),
            ConfigKey.of("sinks", Kind.SECTIONS, "list", "none", "see below",
                "The alert receivers, several at once; each entry is one sink (`alerts.sinks[]`)."),
            ConfigKey.of("stormThreshold", Kind.INTEGER, "integer", "`20`", "`5`",
                "Default of each webhook and chat sink's `stormThreshold`. `0` turns storm control off.")
                .range(0L, 1000000L),
            ConfigKey.of("stormSample", Kind.INTEGER, "integer", "`10`", "`20`",
                "Keys listed in an aggregated alert (1–100).")
                .range(1L, 100L),
            ConfigKey.of("journalMaxAge", Kind.DURATION, "duration", "`7d`", "`3d`",
                "Outbox entries older than this are dropped even if a sink has not delivered them (counted as"
                + " `reconciler_alerts_sent_total{outcome=\"dropped\"}`, alert `ReconcilerAlertsDropped`)."),
            ConfigKey.of("journalMaxEntries", Kind.INTEGER, "integer", "`1000000`", "`200000`",
                "The outbox keeps at most this many entries; older ones are dropped (counted and alerted as above).")
                .range(1L, 2147483647L)),
        ConfigSection.of("alerts.sinks[]",
            ConfigKey.of("name", Kind.TEXT, "text", "required", "`ops-webhook`",
                "Unique; letters, digits, `.`, `_`, `-` (at most 64). The `sink` label of the metrics, and the key"
                + " of the sink's cursor: **renaming a sink starts it afresh**."),
            ConfigKey.of("type", Kind.CHOICE, "choice", "required", "`webhook`",
                "`webhook`, `alertmanager`, `dingtalk`, `feishu`, `slack` or `wecom`.")
                .choices("webhook", "alertmanager", "dingtalk", "feishu", "slack", "wecom"),
            ConfigKey.of("url", Kind.TEXT, "URL", "required", "`${OPS_HOOK_URL}`",
                "http(s) URL (Alertmanager: its base URL). Never logged beyond scheme and host.")
                .shown(Shown.URL_HOST),
            ConfigKey.of("secret", Kind.TEXT, "secret", "none", "`${OPS_HOOK_SECRET}`",
                "Webhook: the HMAC key of `X-Reconciler-Signature`. DingTalk, Feishu: the robot's signing secret."
                + " Refused for the others. Never logged."),
            ConfigKey.of("headers", Kind.MAP, "mapping", "none", "`{X-Team: orders}`",
                "Extra request headers (e.g. `Authorization` for an Alertmanager behind a proxy). Values never"
                + " logged. `Content-Type`, `Idempotency-Key`, `X-Reconciler-*`, `Host`, `Content-Length`,"
                + " `Connection`, `Expect`, `Upgrade` are refused.")
                .shown(Shown.SECRET),
            ConfigKey.of("timeout", Kind.DURATION, "duration", "`10s`", "`5s`",
                "Per request (connect and answer), up to `5m`. A receiver slower than this never takes a delivery:"
                + " set it above the receiver's worst answer time."),
            ConfigKey.of("resendInterval", Kind.DURATION, "duration", "`1m`", "`30s`",
                "Alertmanager only: re-send period of firing alerts (at least `1s`); `endsAt` is 4 × this ahead."),
            ConfigKey.of("resendLimit", Kind.INTEGER, "integer", "`10000`", "`5000`",
                "Alertmanager only: the most firing alerts kept and re-sent.")
                .range(1L, 1000000L),
            ConfigKey.of("stormThreshold", Kind.INTEGER, "integer", "`alerts.stormThreshold`", "`5`",
                "Webhook and chat only (refused for Alertmanager).")
                .range(0L, 1000000L),
            ConfigKey.of("minBackoff", Kind.DURATION, "duration", "`1s`", "`2s`",
                "First retry delay; doubled per failure, times a random factor in [0.5, 1)."),
            ConfigKey.of("maxBackoff", Kind.DURATION, "duration", "`5m`", "`10m`",
                "The longest retry delay (Alertmanager: at most `resendInterval`). A receiver's `Retry-After` on"
                + " 429/503 is waited for even when longer, up to 1 hour.")));


    /** The {@code alerts} section (docs/alerts.md); no section means no sinks (the outbox is still trimmed). */
    public static AlertsConfig bind(Section root) {
        if (!root.has("alerts")) return AlertsConfig.none();
        Section s = root.section("alerts", "alerts");
        String publicUrl = s.text("publicUrl");
        Integer stormThreshold = s.integer("stormThreshold", AlertsConfig.DEFAULT_STORM_THRESHOLD, 0, 1_000_000);
        Integer stormSample = s.integer("stormSample", AlertsConfig.DEFAULT_STORM_SAMPLE, 1, 100);
        Duration maxAge = s.duration("journalMaxAge", AlertsConfig.DEFAULT_JOURNAL_MAX_AGE);
        Integer maxEntries = s.integer("journalMaxEntries", AlertsConfig.DEFAULT_JOURNAL_MAX_ENTRIES, 1,
                Integer.MAX_VALUE);
        List<SinkConfig> sinks = new ArrayList<>();
        for (Section k : s.list("sinks", "alerts.sinks[]")) {
            Map<String, String> headers = new LinkedHashMap<>();
            Map<String, JsonNode> raw = k.mapping("headers");
            if (raw != null) {
                // Header values are treated as secrets (an Authorization header): never shown in a problem.
                raw.forEach((name, v) -> {
                    if (!v.isValueNode()) k.problem("headers", "'" + name + "' must be a single value");
                    else headers.put(name, k.substituteAt(k.path("headers") + "." + name, v.asText()));
                });
            }
            Integer threshold = k.has("stormThreshold")
                    ? k.integer("stormThreshold", AlertsConfig.DEFAULT_STORM_THRESHOLD, 0, 1_000_000) : null;
            sinks.add(new SinkConfig(k.text("name"), k.text("type"), k.text("url"), k.text("secret"), headers,
                    k.duration("timeout", null), k.duration("resendInterval", null),
                    k.has("resendLimit") ? k.integer("resendLimit", SinkConfig.DEFAULT_RESEND_LIMIT, 1, 1_000_000) : null,
                    threshold, k.duration("minBackoff", null), k.duration("maxBackoff", null)));
        }
        if (stormThreshold == null || stormSample == null || maxAge == null || maxEntries == null) return null;
        try {
            return new AlertsConfig(publicUrl, sinks, stormThreshold, stormSample, maxAge, maxEntries);
        } catch (IllegalArgumentException e) {
            // AlertsConfig names its problems alerts.<key>, as the file does.
            s.problems().addAll(Section.detail(e));
            return null;
        }
    }

    private AlertsSection() {
    }
}
