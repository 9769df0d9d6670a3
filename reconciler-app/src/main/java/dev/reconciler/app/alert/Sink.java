package dev.reconciler.app.alert;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * How alerts are put on the wire for one kind of receiver, and how its answer is read. A sink builds requests; the
 * {@link AlertDispatcher} sends them, retries and keeps the cursor.
 */
sealed interface Sink permits WebhookSink, AlertmanagerSink, ChatSink {

    /** How many alerts one request may carry: 1, except for Alertmanager's re-sends. */
    default int batchSize() {
        return 1;
    }

    /** The request delivering {@code alerts} ({@link #batchSize()} at most), built at {@code now}. */
    HttpRequest request(List<Alert> alerts, Instant now);

    /** What the receiver's answer means. */
    Result interpret(int status, String body);

    /** What became of one request. */
    sealed interface Result {
        /** Taken: move on. */
        record Delivered() implements Result {
        }

        /**
         * Failed for a reason that may pass (receiver down, overloaded, misconfigured): try again later.
         *
         * @param retryAfter how long the receiver asked to wait ({@code Retry-After} on a 429 or 503); null if it did not
         */
        record Retry(String reason, Duration retryAfter) implements Result {
            Retry(String reason) {
                this(reason, null);
            }
        }

        /** The receiver refuses this request as malformed; sending the same bytes again would fail the same way. */
        record Rejected(String reason) implements Result {
        }
    }

    /**
     * Whether this sink is told of the alert at all. All are, except that Alertmanager gets only what no Prometheus
     * rule can know ({@link AlertmanagerSink#accepts}).
     */
    default boolean accepts(Alert alert) {
        return true;
    }

    static Sink of(SinkConfig config, String publicUrl) {
        return switch (config.kind()) {
            case WEBHOOK -> new WebhookSink(config, publicUrl);
            case ALERTMANAGER -> new AlertmanagerSink(config, publicUrl);
            case DINGTALK, FEISHU, SLACK, WECOM -> new ChatSink(config, publicUrl);
        };
    }

    /**
     * The common reading of an HTTP status: 2xx delivered; 400, 413 and 422 rejected (the request itself is wrong);
     * everything else retried — 5xx and 429 pass, and 401/403/404 are a configuration (token, URL) someone fixes,
     * after which the alerts must still arrive.
     */
    static Result byStatus(int status) {
        if (status >= 200 && status < 300) return new Result.Delivered();
        if (status == 400 || status == 413 || status == 422) return new Result.Rejected("HTTP " + status);
        return new Result.Retry("HTTP " + status);
    }

    /** A JSON POST to {@code uri} with the sink's timeout and configured headers. */
    static HttpRequest.Builder post(SinkConfig config, URI uri, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(config.timeout())
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        config.headers().forEach(b::header);
        return b;
    }

    /** At most 120 characters of a receiver's error text, on one line (for logs). */
    static String brief(String text) {
        if (text == null) return "";
        String t = text.replaceAll("[\\r\\n\\t]+", " ").trim();
        return t.length() > 120 ? t.substring(0, 120) + "…" : t;
    }
}
