package dev.reconciler.app.alert;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

/**
 * A generic HTTP receiver: one JSON document per alert ({@link AlertFormat#webhookBody}), with
 * <ul>
 *   <li>{@code X-Reconciler-Signature: sha256=<hex HMAC-SHA256 of the body, keyed with the secret>} when a secret
 *       is configured (the receiver recomputes it over the raw body and compares in constant time);</li>
 *   <li>{@code Idempotency-Key}: the same for every delivery of one event, so the receiver drops repeats;</li>
 *   <li>{@code X-Reconciler-Event}: {@code discrepancy.opened}, {@code source.stalled}, …</li>
 * </ul>
 */
record WebhookSink(SinkConfig config, String publicUrl, RuleLabels labels) implements Sink {
    static final String SIGNATURE_HEADER = "X-Reconciler-Signature";
    static final String IDEMPOTENCY_HEADER = "Idempotency-Key";
    static final String EVENT_HEADER = "X-Reconciler-Event";

    @Override
    public HttpRequest request(List<Alert> alerts, Instant now) {
        Alert a = alerts.get(0);
        byte[] body = AlertFormat.webhookBody(a, publicUrl, labels);
        HttpRequest.Builder b = Sink.post(config, URI.create(config.url()), body)
                .header(IDEMPOTENCY_HEADER, a.idempotencyKey())
                .header(EVENT_HEADER, a.event());
        if (config.secret() != null) b.header(SIGNATURE_HEADER, "sha256=" + sign(config.secret(), body));
        return b.build();
    }

    @Override
    public Result interpret(int status, String body) {
        return Sink.byStatus(status);
    }

    /** Lower-case hex of HMAC-SHA256(key = secret as UTF-8, message = body). */
    static String sign(String secret, byte[] body) {
        return HexFormat.of().formatHex(hmac(secret.getBytes(StandardCharsets.UTF_8), body));
    }

    static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
    }
}
