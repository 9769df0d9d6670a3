package dev.reconciler.app.alert;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One receiver of alerts (docs/alerts.md lists every key). A plain record for configuration binding: absent values
 * are null and get their defaults here; {@link AlertsConfig} validates every sink and reports all problems at once.
 *
 * @param name           unique, used in metrics ({@code sink} label), logs and the stored cursor: letters, digits,
 *                       {@code . _ -}
 * @param type           {@code webhook}, {@code alertmanager}, {@code dingtalk}, {@code feishu}, {@code slack} or
 *                       {@code wecom} (see {@link SinkType})
 * @param url            where to POST; for Alertmanager its base URL ({@code /api/v2/alerts} is appended). Chat
 *                       robot URLs carry their token: the URL is treated as a secret (logs show scheme and host only)
 * @param secret         webhook: the HMAC-SHA256 key of {@code X-Reconciler-Signature}; DingTalk and Feishu: the
 *                       robot's signing secret. Not used by the others. Never logged
 * @param headers        extra request headers (e.g. {@code Authorization}); values are never logged
 * @param timeout        per request (connect and answer); default 10 s
 * @param resendInterval Alertmanager only: how often firing alerts are sent again (default 1 min); each carries
 *                       {@code endsAt} = now + 4 × this, as Prometheus does
 * @param resendLimit    Alertmanager only: at most this many firing alerts are kept and re-sent (default 10,000)
 * @param stormThreshold webhook and chat: more discrepancies than this opened (or resolved) by one rule within one
 *                       minute are sent as one aggregated alert; 0 turns it off; default {@link AlertsConfig#stormThreshold()}
 * @param minBackoff     first retry delay after a failed delivery (default 1 s); doubled per failure, with jitter
 * @param maxBackoff     the longest retry delay (default 5 min)
 */
public record SinkConfig(String name, String type, String url, String secret, Map<String, String> headers,
                         Duration timeout, Duration resendInterval, Integer resendLimit, Integer stormThreshold,
                         Duration minBackoff, Duration maxBackoff) {

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_RESEND_INTERVAL = Duration.ofMinutes(1);
    public static final int DEFAULT_RESEND_LIMIT = 10_000;
    public static final Duration DEFAULT_MIN_BACKOFF = Duration.ofSeconds(1);
    public static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
    /** Set by the HTTP client itself or by the sink: not configurable. */
    private static final Set<String> RESERVED_HEADERS = Set.of("connection", "content-length", "expect", "host",
            "upgrade", "content-type", "idempotency-key", "x-reconciler-signature", "x-reconciler-event");

    public SinkConfig {
        name = trimmed(name);
        type = trimmed(type);
        url = trimmed(url);
        if (secret != null && secret.isBlank()) secret = null;
        headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
        if (timeout == null) timeout = DEFAULT_TIMEOUT;
        if (minBackoff == null) minBackoff = DEFAULT_MIN_BACKOFF;
        if (maxBackoff == null) maxBackoff = DEFAULT_MAX_BACKOFF;
    }

    /** A sink with only the required keys; the rest default. */
    public static SinkConfig of(String name, SinkType type, String url) {
        return new SinkConfig(name, type.label(), url, null, null, null, null, null, null, null, null);
    }

    public SinkConfig withSecret(String s) {
        return new SinkConfig(name, type, url, s, headers, timeout, resendInterval, resendLimit, stormThreshold,
                minBackoff, maxBackoff);
    }

    public SinkConfig withHeaders(Map<String, String> h) {
        return new SinkConfig(name, type, url, secret, h, timeout, resendInterval, resendLimit, stormThreshold,
                minBackoff, maxBackoff);
    }

    public SinkConfig withTimeout(Duration t) {
        return new SinkConfig(name, type, url, secret, headers, t, resendInterval, resendLimit, stormThreshold,
                minBackoff, maxBackoff);
    }

    public SinkConfig withResend(Duration interval, Integer limit) {
        return new SinkConfig(name, type, url, secret, headers, timeout, interval, limit, stormThreshold,
                minBackoff, maxBackoff);
    }

    public SinkConfig withStormThreshold(Integer threshold) {
        return new SinkConfig(name, type, url, secret, headers, timeout, resendInterval, resendLimit, threshold,
                minBackoff, maxBackoff);
    }

    public SinkConfig withBackoff(Duration min, Duration max) {
        return new SinkConfig(name, type, url, secret, headers, timeout, resendInterval, resendLimit, stormThreshold,
                min, max);
    }

    /** The type; call it only on a validated configuration. */
    public SinkType kind() {
        return SinkType.of(type).orElseThrow(() -> new IllegalStateException("sink '" + name + "': unknown type '"
                + type + "'; use one of " + SinkType.names()));
    }

    public Duration effectiveResendInterval() {
        return resendInterval == null ? DEFAULT_RESEND_INTERVAL : resendInterval;
    }

    public int effectiveResendLimit() {
        return resendLimit == null ? DEFAULT_RESEND_LIMIT : resendLimit;
    }

    /**
     * Scheme, host and port only: chat robot URLs carry their access token in the path or the query, so a full URL
     * is a secret.
     */
    public String redactedUrl() {
        return redact(url);
    }

    static String redact(String url) {
        if (url == null) return "none";
        try {
            URI u = URI.create(url);
            if (u.getScheme() == null || u.getHost() == null) return "(not a URL)";
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort()) + "/…";
        } catch (IllegalArgumentException e) {
            return "(not a URL)";
        }
    }

    /** Every problem of this sink, each prefixed with {@code where} (e.g. {@code alerts.sinks[0]}). */
    List<String> problems(String where) {
        List<String> p = new ArrayList<>();
        String at = where + (name == null || name.isEmpty() ? "" : " (" + name + ")");
        if (name == null || name.isEmpty()) {
            p.add(at + ".name: missing; give every sink a short unique name, e.g. ops-webhook");
        } else if (!NAME.matcher(name).matches()) {
            p.add(at + ".name: '" + name + "' may use only letters, digits, '.', '_' and '-' (at most 64)");
        }
        SinkType kind = SinkType.of(type).orElse(null);
        if (kind == null) {
            p.add(at + ".type: " + (type == null || type.isEmpty() ? "missing" : "'" + type + "' is unknown")
                    + "; use one of " + SinkType.names());
        }
        if (url == null || url.isEmpty()) {
            p.add(at + ".url: missing; the receiver's http(s) URL");
        } else if (!isHttpUrl(url)) {
            p.add(at + ".url: not an absolute http(s) URL (" + redact(url) + "); write e.g. https://host:port/path");
        }
        if (secret != null && kind != null && kind != SinkType.WEBHOOK && kind != SinkType.DINGTALK
                && kind != SinkType.FEISHU) {
            p.add(at + ".secret: " + kind.label() + " sinks do not sign requests; remove it (put credentials in"
                    + " headers or in the URL as the receiver expects)");
        }
        headers.forEach((k, v) -> {
            if (k == null || !HEADER_NAME.matcher(k).matches()) {
                p.add(at + ".headers: '" + k + "' is not a valid header name");
            } else if (RESERVED_HEADERS.contains(k.toLowerCase(Locale.ROOT))) {
                p.add(at + ".headers: " + k + " is set by the reconciler or the HTTP client; remove it");
            }
            if (v == null || v.indexOf('\r') >= 0 || v.indexOf('\n') >= 0) {
                p.add(at + ".headers." + k + ": the value must be one line of text");
            }
        });
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(5)) > 0) {
            p.add(at + ".timeout: " + timeout + " must be more than 0 and at most 5 minutes (default 10s)");
        }
        if (minBackoff.isNegative() || minBackoff.isZero()) {
            p.add(at + ".minBackoff: must be more than 0 (default 1s)");
        }
        if (maxBackoff.compareTo(minBackoff) < 0) {
            p.add(at + ".maxBackoff: " + maxBackoff + " is shorter than minBackoff " + minBackoff);
        }
        if (kind != null && kind != SinkType.ALERTMANAGER) {
            if (resendInterval != null) p.add(at + ".resendInterval: only alertmanager sinks re-send; remove it");
            if (resendLimit != null) p.add(at + ".resendLimit: only alertmanager sinks re-send; remove it");
        }
        if (resendInterval != null && resendInterval.compareTo(Duration.ofSeconds(1)) < 0) {
            p.add(at + ".resendInterval: " + resendInterval + " is too short; use at least 1s (default 1m)");
        }
        if (resendLimit != null && resendLimit < 1) p.add(at + ".resendLimit: must be at least 1 (default 10000)");
        if (kind == SinkType.ALERTMANAGER && stormThreshold != null) {
            p.add(at + ".stormThreshold: Alertmanager groups alerts itself (route group_by: [alertname, rule]);"
                    + " remove it");
        }
        if (stormThreshold != null && stormThreshold < 0) {
            p.add(at + ".stormThreshold: must be 0 (off) or more");
        }
        return p;
    }

    /** An absolute http(s) URL with a host. */
    static boolean isHttpUrl(String url) {
        try {
            URI u = URI.create(url);
            String s = u.getScheme();
            return u.isAbsolute() && u.getHost() != null && ("http".equalsIgnoreCase(s) || "https".equalsIgnoreCase(s));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String trimmed(String s) {
        return s == null ? null : s.trim();
    }

    /** Never shows the secret, header values or the URL's path and query (robot tokens live there). */
    @Override
    public String toString() {
        return "SinkConfig[name=" + name + ", type=" + type + ", url=" + redact(url) + ", secret="
                + (secret == null ? "none" : "set") + ", headers=" + headers.keySet() + ", timeout=" + timeout
                + (resendInterval == null ? "" : ", resendInterval=" + resendInterval)
                + (resendLimit == null ? "" : ", resendLimit=" + resendLimit)
                + (stormThreshold == null ? "" : ", stormThreshold=" + stormThreshold)
                + ", backoff=" + minBackoff + ".." + maxBackoff + "]";
    }
}
