package dev.reconciler.app.source;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/**
 * The one place where the reconciler opens a JDBC connection to a source's server: the start-up checks, the flavour
 * and binlog probes, the snapshot's cut-off, the heartbeat writer and {@code reconciler verify} all come here, so that
 * each of them uses the source's credentials and TLS settings ({@link Tls}) with the driver that matches its flavour.
 * The password travels in the driver's properties, never in the URL (which drivers may put into messages).
 */
public final class SourceConnections {
    /** The connect timeout of checks and probes: a dead host answers within it. */
    public static final Duration PROBE_TIMEOUT = Duration.ofSeconds(5);

    private SourceConnections() {
    }

    /** A connection to the server (no default database), with the driver's default connect timeout. */
    public static Connection open(SourceConfig source) throws SQLException {
        return open(source, null, null);
    }

    /** A connection that gives up connecting after {@link #PROBE_TIMEOUT}. */
    public static Connection probe(SourceConfig source) throws SQLException {
        return open(source, null, PROBE_TIMEOUT);
    }

    /**
     * @param database       the default database, or null
     * @param connectTimeout null: the driver's default
     */
    public static Connection open(SourceConfig source, String database, Duration connectTimeout) throws SQLException {
        return open(source, database, connectTimeout, new Properties());
    }

    /** @param extra driver settings of the caller (e.g. the MySQL driver's allowPublicKeyRetrieval); TLS overrides */
    public static Connection open(SourceConfig source, String database, Duration connectTimeout, Properties extra)
            throws SQLException {
        Properties p = new Properties();
        p.putAll(extra);
        p.putAll(properties(source, connectTimeout));
        return DriverManager.getConnection(url(source, database), p);
    }

    static String url(SourceConfig source, String database) {
        return (source.flavour() == SourceConfig.Flavour.MARIADB ? "jdbc:mariadb://" : "jdbc:mysql://")
                + source.host() + ":" + source.port() + "/" + (database == null ? "" : database);
    }

    static Properties properties(SourceConfig source, Duration connectTimeout) {
        Properties p = new Properties();
        p.setProperty("user", source.user());
        p.setProperty("password", source.password() == null ? "" : source.password());
        if (connectTimeout != null) p.setProperty("connectTimeout", Long.toString(connectTimeout.toMillis()));
        source.tls().putJdbcProperties(source.flavour(), p);
        return p;
    }
}
