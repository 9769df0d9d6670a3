package dev.reconciler.app.source;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A throw-away PKI for TLS tests, made with the {@code openssl} and {@code keytool} command-line tools (no network):
 * a CA; a server certificate it signed for {@value #SERVER_NAME} only (so that connecting to 127.0.0.1 with
 * verify_identity is a host name mismatch); a client certificate it signed; and a second CA that signed nothing.
 * PEM files for mariadbd, PKCS12 stores for the reconciler.
 */
final class TestCertificates {
    static final String SERVER_NAME = "db.example.internal";
    static final String STORE_PASSWORD = "store-pass-Zq81";

    final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        Files.createDirectories(dir);
        TestCertificates c = new TestCertificates(dir);
        c.ca("ca", "reconciler test CA");
        c.ca("other-ca", "a CA that signed nothing here");
        c.signed("server", SERVER_NAME, "subjectAltName=DNS:" + SERVER_NAME);
        c.signed("client", "reconciler-client", "extendedKeyUsage=clientAuth");
        c.run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", "ca.pem", "-keystore", "ca.p12",
                "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        c.run("keytool", "-importcert", "-noprompt", "-alias", "ca", "-file", "other-ca.pem", "-keystore",
                "other-ca.p12", "-storetype", "PKCS12", "-storepass", STORE_PASSWORD);
        c.run("openssl", "pkcs12", "-export", "-in", "client-cert.pem", "-inkey", "client-key.pem", "-name", "client",
                "-out", "client.p12", "-passout", "pass:" + STORE_PASSWORD);
        return c;
    }

    /** mariadbd's arguments for TLS with the server certificate. */
    List<String> serverArgs() {
        return List.of("--ssl-ca=" + dir.resolve("ca.pem"), "--ssl-cert=" + dir.resolve("server-cert.pem"),
                "--ssl-key=" + dir.resolve("server-key.pem"));
    }

    String trustStore() {
        return dir.resolve("ca.p12").toString();
    }

    String wrongTrustStore() {
        return dir.resolve("other-ca.p12").toString();
    }

    String clientKeyStore() {
        return dir.resolve("client.p12").toString();
    }

    private void ca(String name, String subject) throws IOException, InterruptedException {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=" + subject,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", name + "-key.pem", "-out", name + ".pem");
    }

    private void signed(String name, String commonName, String extension) throws IOException, InterruptedException {
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + commonName, "-keyout",
                name + "-key.pem", "-out", name + ".csr");
        Files.writeString(dir.resolve(name + ".ext"), extension + "\n");
        run("openssl", "x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + "-cert.pem");
    }

    private void run(String... command) throws IOException, InterruptedException {
        Path log = dir.resolve("commands.log");
        Process p = new ProcessBuilder(new ArrayList<>(List.of(command))).directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException(String.join(" ", command) + " failed, see " + log + ":\n"
                    + Files.readString(log));
        }
    }
}
