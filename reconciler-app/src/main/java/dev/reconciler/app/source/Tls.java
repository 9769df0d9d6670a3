package dev.reconciler.app.source;

import java.util.Locale;
import java.util.Properties;

/**
 * How a source's connections are encrypted and whom they trust: the binlog reader (Debezium), Debezium's own JDBC
 * connection and every JDBC connection the reconciler opens ({@link SourceConnections}) take the same settings.
 *
 * @param mode               see {@link Mode}
 * @param trustStore         a PKCS12 (or JKS) file holding the CA certificate(s) that signed the server's certificate;
 *                           null: the JVM's default trust store
 * @param trustStorePassword its password; may be null or empty
 * @param keyStore           a PKCS12 (or JKS) file holding the client certificate and its key, for users created
 *                           {@code REQUIRE X509} (or {@code SUBJECT}/{@code ISSUER}); null: no client certificate
 * @param keyStorePassword   its password (also the key's)
 */
public record Tls(Mode mode, String trustStore, String trustStorePassword, String keyStore, String keyStorePassword) {

    /** The drivers' defaults: see {@link Mode#PREFERRED}. */
    public static final Tls DEFAULT = new Tls(Mode.PREFERRED, null, null, null, null);

    public enum Mode {
        /** Never encrypted. */
        DISABLED,
        /**
         * The drivers' default, as before TLS was configurable: MySQL encrypts when the server offers it, without
         * checking the certificate; MariaDB's connector and driver have no such mode and connect unencrypted.
         */
        PREFERRED,
        /** Encrypted, or no connection; the certificate is not checked. */
        REQUIRED,
        /** Encrypted, and the server's certificate must be signed by a trusted CA (the trust store). */
        VERIFY_CA,
        /** As {@link #VERIFY_CA}, and the certificate must name the host connected to. */
        VERIFY_IDENTITY;

        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        boolean verifies() {
            return this == VERIFY_CA || this == VERIFY_IDENTITY;
        }

        boolean encrypts() {
            return this == REQUIRED || verifies();
        }
    }

    public Tls {
        mode = mode == null ? Mode.PREFERRED : mode;
        if (!mode.encrypts() && (trustStore != null || keyStore != null)) {
            throw new IllegalArgumentException("tls.mode " + mode.text() + " does not use the "
                    + (trustStore != null ? "trustStore" : "keyStore") + "; set mode verify_ca (or verify_identity,"
                    + " or required) to encrypt the connections");
        }
    }

    /** Debezium's settings for a connector of {@code flavour} (database.ssl.*, and the MariaDB driver's own). */
    void putDebeziumProperties(SourceConfig.Flavour flavour, Properties p) {
        if (mode == Mode.PREFERRED) return;   // each connector's default
        p.setProperty("database.ssl.mode", flavour == SourceConfig.Flavour.MARIADB ? mariaDbMode() : mode.text());
        if (!mode.encrypts()) return;
        // The binlog client's TLS socket comes from these two stores (both connectors); Debezium hands them to the
        // MySQL driver as trustCertificateKeyStoreUrl/clientCertificateKeyStoreUrl.
        if (trustStore != null) {
            p.setProperty("database.ssl.truststore", trustStore);
            p.setProperty("database.ssl.truststore.password", nullToEmpty(trustStorePassword));
        }
        if (keyStore != null) {
            p.setProperty("database.ssl.keystore", keyStore);
            p.setProperty("database.ssl.keystore.password", nullToEmpty(keyStorePassword));
        }
        if (flavour == SourceConfig.Flavour.MARIADB) {
            // The MariaDB driver does not read the MySQL driver's store names: give it its own ("driver." goes to
            // JDBC). Debezium passes the trust store's password as trustStorePassword itself. It logs its
            // configuration masking keys that end in lower-case "password" only, so driver.keyStorePassword would
            // show: logback.xml keeps that logger (BaseSourceTask) at WARN.
            if (trustStore != null) p.setProperty("driver.trustStore", trustStore);
            if (keyStore != null) {
                p.setProperty("driver.keyStore", keyStore);
                p.setProperty("driver.keyStorePassword", nullToEmpty(keyStorePassword));
            }
        }
    }

    /** The JDBC driver's settings for {@code flavour} (MariaDB Connector/J or MySQL Connector/J). */
    void putJdbcProperties(SourceConfig.Flavour flavour, Properties p) {
        if (mode == Mode.PREFERRED) return;   // each driver's default
        if (flavour == SourceConfig.Flavour.MARIADB) {
            p.setProperty("sslMode", mariaDbMode());
            if (mode.encrypts()) putMariaDbDriverStores(p);
            return;
        }
        p.setProperty("sslMode", mode.name());
        if (!mode.encrypts()) return;
        if (trustStore != null) {
            p.setProperty("trustCertificateKeyStoreUrl", fileUrl(trustStore));
            p.setProperty("trustCertificateKeyStorePassword", nullToEmpty(trustStorePassword));
        }
        if (keyStore != null) {
            p.setProperty("clientCertificateKeyStoreUrl", fileUrl(keyStore));
            p.setProperty("clientCertificateKeyStorePassword", nullToEmpty(keyStorePassword));
        }
    }

    private void putMariaDbDriverStores(Properties p) {
        if (trustStore != null) {
            p.setProperty("trustStore", trustStore);
            p.setProperty("trustStorePassword", nullToEmpty(trustStorePassword));
        }
        if (keyStore != null) {
            p.setProperty("keyStore", keyStore);
            p.setProperty("keyStorePassword", nullToEmpty(keyStorePassword));
        }
    }

    /** MariaDB's names: disable, trust, verify-ca, verify-full. */
    private String mariaDbMode() {
        return switch (mode) {
            case DISABLED, PREFERRED -> "disable";
            case REQUIRED -> "trust";
            case VERIFY_CA -> "verify-ca";
            case VERIFY_IDENTITY -> "verify-full";
        };
    }

    private static String fileUrl(String path) {
        return java.nio.file.Path.of(path).toAbsolutePath().toUri().toString();
    }

    private static String nullToEmpty(String s) {
        return s == null ? "" : s;
    }

    /** Never shows the passwords. */
    @Override
    public String toString() {
        return "tls " + mode.text() + (trustStore == null ? "" : ", trust store " + trustStore)
                + (keyStore == null ? "" : ", key store " + keyStore);
    }
}
