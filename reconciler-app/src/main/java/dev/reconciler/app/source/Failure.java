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

    /**
     * {@link #of(Throwable, String)}, and a refused login says what else than the password can refuse it: a server
     * or user that requires TLS, or a user that requires a client certificate (they answer "access denied" too).
     */
    static Failure of(Throwable error, String hostPort, Tls tls) {
        Failure f = of(error, hostPort);
        return f.kind() == Kind.LOGIN_REFUSED ? new Failure(f.kind(), f.reason() + loginHint(tls)) : f;
    }

    /** What to check after "access denied", given the source's TLS settings. */
    static String loginHint(Tls tls) {
        if (tls == null || tls.mode() == Tls.Mode.DISABLED || tls.mode() == Tls.Mode.PREFERRED) {
            return "; check the user and password, and whether the server (require_secure_transport) or the user"
                    + " (REQUIRE SSL) requires TLS: then set tls.mode";
        }
        if (tls.keyStore() == null) {
            return "; check the user and password, and whether the user requires a client certificate (REQUIRE"
                    + " X509): then set tls.keyStore";
        }
        return "; check the user, the password and the client certificate in tls.keyStore";
    }

    /** The TLS reason of a failure (see {@link #tlsReason(String)}), or null when it is not about TLS. */
    static String tlsReason(Throwable error) {
        return tlsReason(chain(error).toLowerCase(Locale.ROOT));
    }

    /** Classifies a failure of the source reading {@code host:port}. */
    static Failure of(Throwable error, String hostPort) {
        String all = chain(error);
        String lower = all.toLowerCase(Locale.ROOT);
        if (lower.contains("could not find gtid state requested") || lower.contains("error code: 1236")
                || lower.contains("could not find first log file name in binary log index")
                || lower.contains("binlog file") && lower.contains("purged")) {
            return new Failure(Kind.BINLOG_GAP, "the server no longer has the binlog at the stored position ("
                    + firstLine(rootMessage(error, "1236", "gtid state", "first log file")) + ")");
        }
        if (lower.contains("is no longer available on the server")) {
            // Debezium's own start-up check, before it asks the server: the binlog is purged, or (MariaDB) the server
            // is a new primary after a failover, whose GTID position carries its own server id, which Debezium 3.4
            // compares too (debezium/debezium#7503).
            return new Failure(Kind.BINLOG_GAP, "the server does not accept the stored position: its binlog no longer"
                    + " has it, or it is a new primary after a failover (Debezium 3.4 compares the GTID's server id)");
        }
        String tls = tlsReason(lower);
        if (tls != null) return new Failure(Kind.OTHER, hostPort + " TLS: " + tls);
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

    /**
     * A TLS failure in words an operator acts on, from the drivers' and the binlog client's messages; null when it is
     * not one. Checked before the network's words: a refused handshake also reads "failed to connect".
     */
    private static String tlsReason(String lower) {
        if (lower.contains("insecure transport are prohibited") || lower.contains("require_secure_transport")) {
            return "the server accepts only encrypted connections (require_secure_transport); set tls.mode required"
                    + " or stricter";
        }
        if (lower.contains("hostname verification failed") || lower.contains("identity check failed")
                || lower.contains("identity was not confirmed") || lower.contains("no subject alternative")
                || lower.contains("doesn't correspond to certificate")) {
            return "the server's certificate does not name the host connected to; set host to a name in the"
                    + " certificate, or use tls.mode verify_ca";
        }
        if (lower.contains("pkix path") || lower.contains("unable to find valid certification path")
                || lower.contains("certpathvalidatorexception") || lower.contains("signature check failed")) {
            return "the server's certificate is not signed by a CA in tls.trustStore; add the CA that signed it to"
                    + " the trust store, or check that host is the right server";
        }
        if (lower.contains("ssl not enabled in the server") || lower.contains("server does not support ssl")
                || lower.contains("server doesn't support ssl") || lower.contains("ssl connection required, but")) {
            return "the server does not offer TLS, but tls.mode requires it; enable TLS on the server (ssl_cert,"
                    + " ssl_key), or lower tls.mode";
        }
        if (lower.contains("sslhandshakeexception") || lower.contains("ssl handshake")) {
            return "the handshake failed; check tls.trustStore, tls.keyStore and the server's TLS settings";
        }
        return null;
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
