package dev.reconciler.app.logging;

import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;

import java.util.Locale;

/**
 * The console encoder of the shipped logback.xml: readable text lines (the default, {@code pattern}) or JSON lines
 * ({@link JsonLinesEncoder}), chosen by {@code format}, which logback.xml fills from the environment variable (or
 * system property) {@code RECONCILER_LOG_FORMAT}. An environment variable rather than a key of the YAML file: the
 * format must hold from the first line, before the file is read (and also for a configuration error).
 * An unknown value logs text and says so once on stderr, rather than losing the logs.
 */
public final class LogFormatEncoder extends EncoderBase<ILoggingEvent> {
    /** The environment variable (or system property) that chooses the format. */
    public static final String VARIABLE = "RECONCILER_LOG_FORMAT";

    private String format = "text";
    private String pattern = "%d{yyyy-MM-dd HH:mm:ss.SSS} %-5level %logger{24} - %msg%n";
    private Encoder<ILoggingEvent> delegate;

    public void setFormat(String format) {
        this.format = format;
    }

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    @Override
    public void start() {
        String f = format == null ? "" : format.trim().toLowerCase(Locale.ROOT);
        if (f.equals("json")) {
            delegate = new JsonLinesEncoder();
        } else {
            if (!f.equals("text") && !f.isEmpty()) {
                System.err.println("reconciler: " + VARIABLE + "=" + format + " is neither text nor json; logging text");
            }
            PatternLayoutEncoder text = new PatternLayoutEncoder();
            text.setPattern(pattern);
            delegate = text;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) delegate.stop();
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
