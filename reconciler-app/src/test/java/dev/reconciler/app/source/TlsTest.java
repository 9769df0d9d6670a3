package dev.reconciler.app.source;

import org.junit.jupiter.api.Test;

import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Which settings each connector and driver gets: the names differ between Debezium's MariaDB and MySQL connectors
 * (disable/trust/verify-ca/verify-full against disabled/required/verify_ca/verify_identity) and between the MariaDB
 * and MySQL JDBC drivers. {@link SecurityEndToEndTest} proves the MariaDB side against a real server.
 */
class TlsTest {
    private static final Tls FULL = new Tls(Tls.Mode.VERIFY_IDENTITY, "/s/ca.p12", "tp", "/s/client.p12", "kp");

    private static Properties debezium(Tls tls, SourceConfig.Flavour flavour) {
        Properties p = new Properties();
        tls.putDebeziumProperties(flavour, p);
        return p;
    }

    private static Properties jdbc(Tls tls, SourceConfig.Flavour flavour) {
        Properties p = new Properties();
        tls.putJdbcProperties(flavour, p);
        return p;
    }

    @Test
    void theDefaultLeavesEveryConnectorAndDriverAsItWas() {
        for (SourceConfig.Flavour f : SourceConfig.Flavour.values()) {
            assertThat(debezium(Tls.DEFAULT, f)).isEmpty();
            assertThat(jdbc(Tls.DEFAULT, f)).isEmpty();
        }
    }

    @Test
    void mariaDbGetsItsOwnModeNamesAndTheStoresUnderTheDriversNames() {
        assertThat(debezium(FULL, SourceConfig.Flavour.MARIADB)).containsEntry("database.ssl.mode", "verify-full")
                .containsEntry("database.ssl.truststore", "/s/ca.p12")
                .containsEntry("database.ssl.truststore.password", "tp")
                .containsEntry("database.ssl.keystore", "/s/client.p12")
                .containsEntry("database.ssl.keystore.password", "kp")
                .containsEntry("driver.trustStore", "/s/ca.p12").containsEntry("driver.keyStore", "/s/client.p12")
                .containsEntry("driver.keyStorePassword", "kp").doesNotContainKey("driver.trustStorePassword");
        assertThat(jdbc(FULL, SourceConfig.Flavour.MARIADB)).containsEntry("sslMode", "verify-full")
                .containsEntry("trustStore", "/s/ca.p12").containsEntry("trustStorePassword", "tp")
                .containsEntry("keyStore", "/s/client.p12").containsEntry("keyStorePassword", "kp");
        assertThat(jdbc(new Tls(Tls.Mode.REQUIRED, null, null, null, null), SourceConfig.Flavour.MARIADB))
                .containsExactlyEntriesOf(java.util.Map.of("sslMode", "trust"));
        assertThat(debezium(new Tls(Tls.Mode.DISABLED, null, null, null, null), SourceConfig.Flavour.MARIADB))
                .containsExactlyEntriesOf(java.util.Map.of("database.ssl.mode", "disable"));
    }

    @Test
    void mySqlGetsTheConnectorsModeNamesAndTheDriversKeyStoreUrls() {
        assertThat(debezium(FULL, SourceConfig.Flavour.MYSQL)).containsEntry("database.ssl.mode", "verify_identity")
                .containsEntry("database.ssl.truststore", "/s/ca.p12").containsEntry("database.ssl.keystore", "/s/client.p12")
                .doesNotContainKey("driver.trustStore");
        assertThat(jdbc(FULL, SourceConfig.Flavour.MYSQL)).containsEntry("sslMode", "VERIFY_IDENTITY")
                .containsEntry("trustCertificateKeyStoreUrl", "file:///s/ca.p12")
                .containsEntry("trustCertificateKeyStorePassword", "tp")
                .containsEntry("clientCertificateKeyStoreUrl", "file:///s/client.p12")
                .containsEntry("clientCertificateKeyStorePassword", "kp");
    }

    @Test
    void toStringNeverShowsThePasswords() {
        assertThat(FULL.toString()).isEqualTo("tls verify_identity, trust store /s/ca.p12, key store /s/client.p12");
        SourceConfig s = new SourceConfig("a", SourceConfig.Flavour.MYSQL, "h", 1, "u", "pw-secret", java.util.List.of("d"),
                java.util.List.of(), 1, SourceConfig.Snapshot.FROM_NOW, null, null).withTls(FULL);
        assertThat(s.toString()).doesNotContain("pw-secret").doesNotContain("tp").doesNotContain("kp");
    }
}
