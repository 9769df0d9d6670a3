package dev.reconciler.app.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.reconciler.app.config.ConfigLoaderTest.MINIMAL;
import static dev.reconciler.app.config.ConfigLoaderTest.load;
import static dev.reconciler.app.config.ConfigLoaderTest.problems;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code ${file:PATH}}: secrets from mounted files, with problems that name the key and the path, never content. */
class SecretFilesTest {

    @Test
    void aSecretFileIsReadWithItsTrailingLineBreakTrimmed(@TempDir Path dir) throws Exception {
        Path password = dir.resolve("orders-db-password");
        Files.writeString(password, "p#ss: 'w\"rd with spaces \n");
        Path token = dir.resolve("token");
        Files.writeString(token, "0123456789abcdef0123456789abcdef\r\n");
        String yaml = MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                        "{name: a, host: h, user: u, databases: [d], password: '${file:" + password + "}'}")
                + "http: {token: '${file:" + token + "}'}\n";
        ReconcilerConfig c = load(yaml, Map.of());
        assertThat(c.source("a").config().password()).isEqualTo("p#ss: 'w\"rd with spaces ");
        assertThat(c.http().token()).isEqualTo("0123456789abcdef0123456789abcdef");
        assertThat(c.toString() + c.summary() + c.sources()).doesNotContain("w\"rd").doesNotContain("0123456789abcdef");
    }

    @Test
    void aMissingOrUnreadableSecretFileIsAProblemNamingTheKeyAndThePathNeverTheContent(@TempDir Path dir)
            throws Exception {
        Path missing = dir.resolve("no-such-secret");
        Path directory = Files.createDirectory(dir.resolve("a-directory"));
        String yaml = MINIMAL
                .replace("{name: a, host: h, user: u, databases: [d]}",
                        "{name: a, host: h, user: u, databases: [d], password: '${file:" + missing + "}'}")
                .replace("{name: b, host: h, user: u, databases: [d]}",
                        "{name: b, host: h, user: u, databases: [d], password: '${file:" + directory + "}'}")
                + "http: {token: '${file:}'}\n";
        List<String> p = problems(yaml, Map.of());
        assertThat(p).containsExactlyInAnyOrder(
                "sources[0].password: secret file " + missing + " does not exist; mount it, or fix the path in"
                        + " ${file:...}",
                "sources[1].password: secret file " + directory + " is not a regular file; point ${file:...} at the"
                        + " file itself",
                "http.token: '${file:}' names no file; write ${file:/run/secrets/NAME}");
    }

    @Test
    void aSecretThatLooksLikeABrokenReferenceIsNotQuotedBack() {
        String yaml = MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], password: 'pre${my hidden pw}post'}");
        assertThat(problems(yaml, Map.of())).containsExactly("sources[0].password: a '${' in the value does not start"
                + " a reference ${VAR}, ${VAR:-default} or ${file:PATH}; write $${ for a literal ${");
        assertThat(problems(MINIMAL.replace("databases: [d]}", "databases: ['${my db}']}"), Map.of()))
                .contains("sources[0].databases[0]: '${my db}' does not name an environment variable; write ${VAR} or"
                        + " ${VAR:-default} with letters, digits and _");
    }

    @Test
    void aSecretFileTheProcessCannotReadNamesThePathOnly(@TempDir Path dir) throws Exception {
        // Not valid UTF-8: the read fails; the message says so without a byte of the content.
        Path binary = dir.resolve("binary-secret");
        Files.write(binary, new byte[]{(byte) 0xC3, (byte) 0x28, 's', 'e', 'c', 'r', 'e', 't'});
        EnvSubstitution s = new EnvSubstitution(name -> null);
        try {
            s.apply("${file:" + binary + "}");
            throw new AssertionError("expected a problem");
        } catch (EnvSubstitution.Unresolved e) {
            assertThat(e.getMessage()).startsWith("secret file " + binary + " cannot be read (")
                    .doesNotContain("secret)").doesNotContain("(s");
        }
    }
}
