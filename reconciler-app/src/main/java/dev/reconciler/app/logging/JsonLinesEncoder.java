package dev.reconciler.app.logging;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import org.slf4j.event.KeyValuePair;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One JSON object per log event, one per line (JSON Lines), for log collectors (Loki, Elasticsearch, Cloud
 * Logging): {@code time} (UTC, ISO-8601 with milliseconds), {@code level}, {@code logger}, {@code thread},
 * {@code message}; then, where the event has them, {@code source}, {@code rule}, {@code sink} and {@code key} (from
 * the MDC, or from SLF4J key-value pairs), {@code exception} (the stack trace as one string) and {@code mdc} (any other
 * MDC entries, e.g. Debezium's {@code dbz.*}).
 *
 * <p>Why not logback's own {@code JsonEncoder}: it writes the time as epoch milliseconds and nests the message's
 * context under fixed names; collectors and humans expect an ISO-8601 {@code time} and flat fields. Jackson writes
 * the JSON, so escaping is never done by hand. Debezium's threads carry its {@code dbz.connectorName} MDC entry,
 * which is the source's name (the reconciler sets it as {@code topic.prefix}): it becomes {@code source} when the
 * event has none of its own.
 */
public final class JsonLinesEncoder extends EncoderBase<ILoggingEvent> {
    /** Fields lifted to the top level, in this order, when the MDC or the event's key-value pairs have them. */
    static final List<String> CONTEXT_FIELDS = List.of("source", "rule", "sink", "key");
    private static final Set<String> RESERVED = Set.of("time", "level", "logger", "thread", "message", "exception", "mdc");
    private static final String DEBEZIUM_SOURCE = "dbz.connectorName";
    private static final byte[] NEWLINE = {'\n'};

    private final JsonFactory json = new JsonFactory();

    @Override
    public byte[] headerBytes() {
        return null;
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = json.createGenerator(out)) {
            g.writeStartObject();
            g.writeStringField("time", DateTimeFormatter.ISO_INSTANT.format(
                    event.getInstant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS)));
            g.writeStringField("level", event.getLevel().toString());
            g.writeStringField("logger", event.getLoggerName());
            g.writeStringField("thread", event.getThreadName());
            g.writeStringField("message", event.getFormattedMessage());
            Map<String, String> mdc = event.getMDCPropertyMap();
            for (String field : CONTEXT_FIELDS) {
                String v = contextValue(event, mdc, field);
                if (v != null) g.writeStringField(field, v);
            }
            IThrowableProxy thrown = event.getThrowableProxy();
            if (thrown != null) g.writeStringField("exception", ThrowableProxyUtil.asString(thrown));
            boolean opened = false;
            if (mdc != null) {
                for (Map.Entry<String, String> e : mdc.entrySet()) {
                    if (CONTEXT_FIELDS.contains(e.getKey()) || e.getValue() == null) continue;
                    if (!opened) {
                        g.writeObjectFieldStart("mdc");
                        opened = true;
                    }
                    g.writeStringField(e.getKey(), e.getValue());
                }
            }
            if (opened) g.writeEndObject();
            List<KeyValuePair> pairs = event.getKeyValuePairs();
            if (pairs != null) {
                for (KeyValuePair p : pairs) {
                    if (p.key == null || CONTEXT_FIELDS.contains(p.key) || RESERVED.contains(p.key)) continue;
                    g.writeStringField(p.key, String.valueOf(p.value));
                }
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);   // writing to memory: does not happen
        }
        out.writeBytes(NEWLINE);
        return out.toByteArray();
    }

    private static String contextValue(ILoggingEvent event, Map<String, String> mdc, String field) {
        List<KeyValuePair> pairs = event.getKeyValuePairs();
        if (pairs != null) {
            for (KeyValuePair p : pairs) {
                if (field.equals(p.key) && p.value != null) return String.valueOf(p.value);
            }
        }
        if (mdc == null) return null;
        String v = mdc.get(field);
        if (v == null && field.equals("source")) v = mdc.get(DEBEZIUM_SOURCE);
        return v;
    }

    @Override
    public byte[] footerBytes() {
        return null;
    }
}
