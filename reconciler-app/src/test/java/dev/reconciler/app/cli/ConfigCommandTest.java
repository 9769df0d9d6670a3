package dev.reconciler.app.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code reconciler config print}: the effective configuration of a file, secrets masked, every value's origin. */
class ConfigCommandTest {

    @Test
    void printShowsEveryValueWithItsOriginAndMasksSecrets(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.yml");
        Files.writeString(file, """
                http:
                  port: 9090
                  token: a-very-long-api-token-0123456789
                sources:
                  - {name: orders, host: db1, user: r, password: hunter2-hunter2, databases: [orders]}
                  - {name: inventory, host: db2, user: r, databases: [inventory]}
                streams:
                  - {name: o, tables: [{source: orders, table: t}]}
                  - {name: i, tables: [{source: inventory, table: u}]}
                rules:
                  - name: sale
                    left: {stream: o}
                    right: {stream: i}
                    key: {id: id}
                    labels: {severity: critical, team: payments}
                alerts:
                  sinks:
                    - {name: chat, type: slack, url: "https://hooks.slack.com/services/T0/B0/SECRETPATH"}
                """);
        CliTest.Run r = CliTest.run("config", "print", "--config", file.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out())
                .containsPattern("http\\.port = 9090 +# line 2\\n")
                .containsPattern("http\\.bindAddress = 127\\.0\\.0\\.1 +# default\\n")
                .containsPattern("http\\.token = \\*{6} +# line 3\\n")
                .containsPattern("sources\\[0]\\.password = \\*{6} +# line 5\\n")
                .containsPattern("sources\\[1]\\.password = empty +# default\\n")
                // a default the binder computes per source
                .containsPattern("sources\\[1]\\.serverId = 5402 +# default \\(computed\\)\\n")
                .containsPattern("rules\\[0]\\.labels\\.severity = critical +# line 15\\n")
                .containsPattern("rules\\[0]\\.grace = 30s +# default\\n")
                .containsPattern("alerts\\.sinks\\[0]\\.url = https://hooks\\.slack\\.com/… +# line 18\\n")
                .doesNotContain("hunter2").doesNotContain("a-very-long-api-token").doesNotContain("SECRETPATH");

        CliTest.Run json = CliTest.run("config", "print", "--config", file.toString(), "--format", "json");
        assertThat(json.code()).isZero();
        assertThat(json.out()).contains("\"path\" : \"http.port\"", "\"origin\" : \"line 2\"").doesNotContain("hunter2");
    }

    @Test
    void printRefusesAFileWithProblemsAsValidateDoes(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yml");
        Files.writeString(file, "http: {port: 70000}\n");
        CliTest.Run r = CliTest.run("config", "print", "--config", file.toString());
        assertThat(r.code()).isEqualTo(Main.PROBLEMS);
        assertThat(r.err()).contains("http.port: '70000' is out of range");
        assertThat(r.out()).isEmpty();
    }
}
