package dev.reconciler.app.runtime;

import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.app.source.SourceConnections;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.Locale;

/**
 * The server's version string ({@code SELECT VERSION()}) and the flavour it implies: a version containing
 * {@code MariaDB} is read by the MariaDB connector, any other by the MySQL connector.
 */
public record ServerVersion(String version, SourceConfig.Flavour flavour) {

    public static SourceConfig.Flavour flavourOf(String version) {
        return version.toLowerCase(Locale.ROOT).contains("mariadb") ? SourceConfig.Flavour.MARIADB
                : SourceConfig.Flavour.MYSQL;
    }

    /** @throws SQLException when the server cannot be reached or logged into */
    public static ServerVersion of(SourceConfig source) throws SQLException {
        // The flavour is not known yet: the configured one's driver first, then the other.
        SourceConfig mariadb = source.withFlavour(SourceConfig.Flavour.MARIADB);
        SourceConfig mysql = source.withFlavour(SourceConfig.Flavour.MYSQL);
        boolean mysqlFirst = source.flavour() == SourceConfig.Flavour.MYSQL;
        try {
            return query(mysqlFirst ? mysql : mariadb);
        } catch (SQLException first) {
            try {
                return query(mysqlFirst ? mariadb : mysql);
            } catch (SQLException second) {
                throw first;
            }
        }
    }

    private static ServerVersion query(SourceConfig source) throws SQLException {
        Properties extra = new Properties();
        if (source.flavour() == SourceConfig.Flavour.MYSQL) extra.setProperty("allowPublicKeyRetrieval", "true");
        try (Connection c = SourceConnections.open(source, null, SourceConnections.PROBE_TIMEOUT, extra);
             Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT VERSION()")) {
            r.next();
            String v = r.getString(1);
            return new ServerVersion(v, flavourOf(v));
        }
    }

    /**
     * A source with its flavour settled against its server.
     *
     * @param config  the source as it will be read: the detected flavour for {@code auto}, else as configured
     * @param version the server's version, or null when it could not be reached (its own checks say why)
     */
    public record Resolved(SourceConfig config, ServerVersion version) {
        /**
         * When a configured (not {@code auto}) flavour disagrees with the server: "configured with flavour X but the
         * server is Y; set flavour: y (or auto)"; null when they agree or the server was not reached.
         */
        public String mismatch() {
            if (version == null || version.flavour() == config.flavour()) return null;
            return "configured with flavour " + config.flavour().name().toLowerCase(Locale.ROOT) + " but the server is "
                    + version.describe() + "; set flavour: " + version.flavour().name().toLowerCase(Locale.ROOT)
                    + " (or auto)";
        }
    }

    /** Asks the source's server for its version and settles the flavour: detected for {@code auto}. */
    public static Resolved resolve(SourceSpec spec) {
        try {
            ServerVersion v = of(spec.config());
            return new Resolved(spec.autoFlavour() ? spec.withFlavour(v.flavour()) : spec.config(), v);
        } catch (SQLException e) {
            return new Resolved(spec.config(), null);   // the source's own start-up checks name the problem
        }
    }

    /** e.g. {@code MariaDB 10.11.6} or {@code MySQL 8.4.3}. */
    public String describe() {
        String v = version;
        int dash = v.indexOf('-');
        String number = dash < 0 ? v : v.substring(0, dash);
        return (flavour == SourceConfig.Flavour.MARIADB ? "MariaDB " : "MySQL ") + number;
    }
}
