package dev.reconciler.app.logging;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.SimpleFormatter;

/**
 * Hands java.util.logging records (the binlog client's, the state store's) to SLF4J, so that they come out in the
 * process's one log format — a JSON line with {@code RECONCILER_LOG_FORMAT=json} — instead of java.util.logging's
 * own two-line text on standard error. (jul-to-slf4j does the same; it is not available at this build's SLF4J
 * version, and this is all of it that is needed.)
 */
public final class JavaUtilLoggingBridge extends Handler {
    private final Formatter formatter = new SimpleFormatter();

    /** Replaces the root logger's handlers with this bridge; {@code level} is the lowest level forwarded. */
    public static void install(java.util.logging.Level level) {
        java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) root.removeHandler(h);
        JavaUtilLoggingBridge bridge = new JavaUtilLoggingBridge();
        bridge.setLevel(level);
        root.addHandler(bridge);
        root.setLevel(level);
    }

    @Override
    public void publish(LogRecord record) {
        if (record == null || !isLoggable(record)) return;
        Logger log = LoggerFactory.getLogger(record.getLoggerName() == null ? "jul" : record.getLoggerName());
        Level level = level(record.getLevel().intValue());
        if (!log.isEnabledForLevel(level)) return;
        log.atLevel(level).setCause(record.getThrown()).log(formatter.formatMessage(record));
    }

    private static Level level(int jul) {
        if (jul >= java.util.logging.Level.SEVERE.intValue()) return Level.ERROR;
        if (jul >= java.util.logging.Level.WARNING.intValue()) return Level.WARN;
        if (jul >= java.util.logging.Level.INFO.intValue()) return Level.INFO;
        if (jul >= java.util.logging.Level.FINE.intValue()) return Level.DEBUG;
        return Level.TRACE;
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
