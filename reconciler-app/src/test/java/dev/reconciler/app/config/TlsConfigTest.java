package dev.reconciler.app.config;

import dev.reconciler.app.source.Tls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.security.KeyStore;
import java.util.List;
import java.util.Map;

import static dev.reconciler.app.config.ConfigLoaderTest.MINIMAL;
import static dev.reconciler.app.config.ConfigLoaderTest.load;
import static dev.reconciler.app.config.ConfigLoaderTest.problems;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code sources[].tls}: bound, its stores opened at load time, its passwords never shown. */
class TlsConfigTest {

    private static String withTls(String tls) {
        return MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], tls: " + tls + "}");
    }

    /** An empty PKCS12 trust store with {@code password}. */
    private static Path store(Path dir, String name, String password) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        Path file = dir.resolve(name);
        try (var out = java.nio.file.Files.newOutputStream(file)) {
            ks.store(out, password.toCharArray());
        }
        return file;
    }

    @Test
    void tlsIsBoundWithPasswordsFromSecretFilesAndNeverShown(@TempDir Path dir) throws Exception {
        Path trust = store(dir, "ca.p12", "Trust-Pw-55a1");
        Path password = dir.resolve("ca-password");
        java.nio.file.Files.writeString(password, "Trust-Pw-55a1\n");
        ReconcilerConfig c = load(withTls("{mode: verify-identity, trustStore: " + trust
                + ", trustStorePassword: '${file:" + password + "}'}"), Map.of());
        Tls tls = c.source("a").config().tls();
        assertThat(tls.mode()).isEqualTo(Tls.Mode.VERIFY_IDENTITY);
        assertThat(tls.trustStore()).isEqualTo(trust.toString());
        assertThat(tls.trustStorePassword()).isEqualTo("Trust-Pw-55a1");
        assertThat(c.toString() + c.summary() + c.sources() + tls).doesNotContain("Trust-Pw");
        assertThat(load(MINIMAL, Map.of()).source("a").config().tls()).isEqualTo(Tls.DEFAULT);
    }

    @Test
    void aMissingStoreAWrongPasswordOrAStoreWithoutEncryptionIsAProblemWithoutThePassword(@TempDir Path dir)
            throws Exception {
        Path trust = store(dir, "ca.p12", "right-password");
        List<String> p = problems(withTls("{mode: verify_ca, trustStore: " + trust
                + ", trustStorePassword: Wrong-Pw-9c1, keyStore: " + dir.resolve("none.p12") + "}")
                .replace("{name: b, host: h, user: u, databases: [d]}",
                        "{name: b, host: h, user: u, databases: [d], tls: {trustStore: " + trust
                                + ", trustStorePassword: right-password}}"), Map.of());
        assertThat(p).containsExactlyInAnyOrder(
                "sources[0].tls.trustStore: '" + trust + "' does not open as a PKCS12 or JKS store with"
                        + " trustStorePassword (wrong password, or not a key store); convert PEM files with openssl"
                        + " pkcs12 -export, see docs/configuration.md#tls",
                "sources[0].tls.keyStore: '" + dir.resolve("none.p12") + "' does not exist; point it at a PKCS12 (or"
                        + " JKS) file, see docs/configuration.md#tls",
                "sources[1].tls.mode: mode preferred does not use the trustStore; set mode verify_ca (or"
                        + " verify_identity, or required) to encrypt the connections");
        assertThat(String.join("\n", p)).doesNotContain("Wrong-Pw").doesNotContain("right-password");
        assertThat(problems(withTls("{mode: verify}"), Map.of())).containsExactly("sources[0].tls.mode: 'verify' is"
                + " not one of [disabled, preferred, required, verify_ca, verify_identity]");
    }
}
