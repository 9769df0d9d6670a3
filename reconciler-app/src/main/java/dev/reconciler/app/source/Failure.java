package dev.reconciler.app.source;

import java.util.Locale;

/**
 * Why a source could not connect or stopped reading, told in one short line that names the server, from whatever
 * the JDBC driver, the binlog client or Debezium threw (their messages are long and nested: the cause that matters
 * is usually several levels down, under "An exception occurred in the change event producer").
 *
 * @param kind   what the source does about it
 * @param reason e.g. {@code 127.0.0.1:3306 connection refused}; never a password
 */
record Failure(Kind kind, String reason) {

    enum Kind {
        /** Network: refused, unknown host, timed out, connection lost. Retried with backoff. */
        UNREACHABLE,
        /** The server refused the login. Retried with backoff (a password may be fixed meanwhile). */
        LOGIN_REFUSED,
        /** The binlog at the stored position is gone (purged). Not retried: needs a resync. */
        BINLOG_GAP,
        /** Anything else. Retried with backoff. */
        OTHER
    }

    /** Classifies a failure of the source reading {@code host:port}. */
    static Failure of(Throwable error, String hostPort) {
        String all = chain(error);
        String lower = all.toLowerCase(Locale.ROOT);
        if (lower.contains("could not find gtid state requested") || lower.contains("error code: 1236")
                || lower.contains("could not find first log file name in binary log index")
                || lower.contains("is no longer available on the server")
                || lower.contains("binlog file") && lower.contains("purged")) {
            return new Failure(Kind.BINLOG_GAP, hostPort + " no longer has the binlog at the stored position ("
                    + firstLine(rootMessage(error, "1236", "no longer available", "gtid state")) + ")");
        }
        if (lower.contains("access denied")) {
            return new Failure(Kind.LOGIN_REFUSED, hostPort + " refused the login (access denied)");
        }
        if (lower.contains("connection refused")) return new Failure(Kind.UNREACHABLE, hostPort + " connection refused");
        if (lower.contains("unknownhost") || lower.contains("unknown host") || lower.contains("name or service not known")) {
            return new Failure(Kind.UNREACHABLE, hostPort + " unknown host");
        }
        if (lower.contains("timed out") || lower.contains("timeout")) {
            return new Failure(Kind.UNREACHABLE, hostPort + " connection timed out");
        }
        if (lower.contains("communications link failure") || lower.contains("connection reset")
                || lower.contains("broken pipe") || lower.contains("eofexception") || lower.contains("socket fail")
                || lower.contains("failed to connect") || lower.contains("unable to connect")) {
            return new Failure(Kind.UNREACHABLE, hostPort + " connection lost or failed");
        }
        return new Failure(Kind.OTHER, hostPort + ": " + firstLine(rootMessage(error)));
    }

    /** Every message of the cause chain, with the exception class names, for matching. */
    private static String chain(Throwable error) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            b.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append('\n');
        }
        return b.toString();
    }

    /**
     * The most telling message: the deepest one in the chain that contains one of {@code hints}, or else the deepest
     * one with any text.
     */
    private static String rootMessage(Throwable error, String... hints) {
        String deepest = null;
        String hinted = null;
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            String m = t.getMessage();
            if (m == null || m.isBlank()) continue;
            deepest = m;
            for (String h : hints) {
                if (m.toLowerCase(Locale.ROOT).contains(h.toLowerCase(Locale.ROOT))) hinted = m;
            }
        }
        if (hinted != null) return hinted;
        return deepest != null ? deepest : error.getClass().getSimpleName();
    }

    static String firstLine(String s) {
        int i = s.indexOf('\n');
        String line = (i < 0 ? s : s.substring(0, i)).trim();
        return line.length() > 300 ? line.substring(0, 300) + "..." : line;
    }
}
