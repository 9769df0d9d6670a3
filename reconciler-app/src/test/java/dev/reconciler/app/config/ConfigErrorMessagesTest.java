package dev.reconciler.app.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Problems name the file's real keys, and the environment variable a bad value came from (never the value of a secret). */
class ConfigErrorMessagesTest {

    private static List<String> problems(String httpSection, Map<String, String> env) throws Exception {
        String yaml = Files.readString(ConfigLoaderTest.EXAMPLE)
                .replace("http:\n  port: ${RECONCILER_HTTP_PORT:-8080}\n", "http:\n" + httpSection);
        return ConfigLoaderTest.problems(yaml, env);
    }

    @Test
    void httpProblemsNameTheHttpKeys() throws Exception {
        assertThat(problems("  token: short\n  protectReads: false\n", Map.of())).singleElement().asString()
                .startsWith("http.token: shorter than 16 characters");
        assertThat(problems("  protectReads: true\n", Map.of()))
                .containsExactly("http.protectReads: needs http.token; set a token or turn it off");
        assertThat(problems("  workerThreads: 0\n", Map.of())).singleElement().asString().startsWith("http.workerThreads:");
    }

    @Test
    void aBadValueFromTheEnvironmentNamesTheVariable() throws Exception {
        assertThat(problems("  port: ${RECONCILER_HTTP_PORT:-8080}\n", Map.of("RECONCILER_HTTP_PORT", "80a")))
                .containsExactly("http.port: '80a' is not a whole number; use 0 to 65535 (the value comes from"
                        + " environment variable RECONCILER_HTTP_PORT)");
        // a secret: the variable, never the value
        assertThat(problems("  token: ${API_TOKEN}\n", Map.of("API_TOKEN", "tiny-secret")))
                .singleElement().asString()
                .startsWith("http.token: shorter than 16 characters")
                .endsWith("(the value comes from environment variable API_TOKEN)")
                .doesNotContain("tiny-secret");
        // the default written in the reference, when the variable is unset
        assertThat(problems("  idleTimeout: ${IDLE:-30 seconds}\n", Map.of())).containsExactly(
                "http.idleTimeout: '30 seconds' is not a duration; write e.g. 500ms, 30s, 2m, 1h30m or 7d (the value"
                        + " comes from the default of ${IDLE:-…} (IDLE unset))");
    }

    @Test
    void anUnresolvedReferenceAsASingleListValueIsOneProblem() throws Exception {
        // found by ConfigLoaderProperties: a list written as one scalar whose reference is unset threw
        String yaml = Files.readString(ConfigLoaderTest.EXAMPLE)
                .replace("databases: [ \"${ORDER_DB_DATABASE:-orders}\" ]", "databases: ${NO_SUCH_DB}");
        assertThat(ConfigLoaderTest.problems(yaml, Map.of())).containsExactly("sources[0].databases: environment"
                + " variable NO_SUCH_DB is not set; export it, or write ${NO_SUCH_DB:-default} in the configuration");
    }
}
