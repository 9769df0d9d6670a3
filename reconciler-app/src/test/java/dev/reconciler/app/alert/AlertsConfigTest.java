package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertsConfigTest {

    @Test
    void absentValuesGetTheirDefaults() {
        AlertsConfig none = AlertsConfig.none();
        assertThat(none.sinks()).isEmpty();
        assertThat(none.stormThreshold()).isEqualTo(20);
        assertThat(none.stormSample()).isEqualTo(10);
        assertThat(none.journalMaxAge()).isEqualTo(Duration.ofDays(7));
        assertThat(none.journalMaxEntries()).isEqualTo(1_000_000);
        SinkConfig s = SinkConfig.of("ops", SinkType.WEBHOOK, "https://hooks.example.test/x");
        assertThat(s.timeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(s.headers()).isEmpty();
        assertThat(s.minBackoff()).isEqualTo(Duration.ofSeconds(1));
        assertThat(s.maxBackoff()).isEqualTo(Duration.ofMinutes(5));
        AlertsConfig c = AlertsConfig.of("https://reconciler.example.test/", List.of(s,
                SinkConfig.of("am", SinkType.ALERTMANAGER, "http://am:9093")));
        assertThat(c.publicUrl()).as("trailing slash dropped").isEqualTo("https://reconciler.example.test");
        assertThat(c.stormThresholdFor(s)).isEqualTo(20);
        assertThat(c.stormThresholdFor(s.withStormThreshold(0))).isZero();
        assertThat(c.stormThresholdFor(c.sinks().get(1))).as("Alertmanager groups by itself").isZero();
        assertThat(c.sinks().get(1).effectiveResendInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(c.sinks().get(1).effectiveResendLimit()).isEqualTo(10_000);
    }

    @Test
    void everyProblemIsListedWithWhereItIsAndTheFix() {
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Content-Length", "1");
        headers.put("bad header", "x");
        headers.put("X-Ok", "two\nlines");
        List<SinkConfig> sinks = Arrays.asList(
                new SinkConfig(null, "pager", "ftp://x", null, headers, Duration.ZERO, null, null, null, null, null),
                SinkConfig.of("dup", SinkType.SLACK, "https://hooks.slack.test/T/B/secret-token").withSecret("s")
                        .withResend(Duration.ofSeconds(30), 5),
                SinkConfig.of("dup", SinkType.ALERTMANAGER, "http://am:9093").withStormThreshold(5)
                        .withResend(Duration.ofMillis(10), 0),
                new SinkConfig("bad name!", "WEBHOOK", null, null, null, null, null, null, -1,
                        Duration.ofSeconds(10), Duration.ofSeconds(1)),
                null);
        assertThatThrownBy(() -> new AlertsConfig("not a url", sinks, -1, 0, Duration.ZERO, 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("invalid alerts configuration:")
                .hasMessageContaining("alerts.publicUrl: 'not a url' is not an absolute http(s) URL")
                .hasMessageContaining("alerts.stormThreshold: must be 0 (off) or more")
                .hasMessageContaining("alerts.stormSample: must be 1 to 100")
                .hasMessageContaining("alerts.journalMaxAge: must be more than 0")
                .hasMessageContaining("alerts.journalMaxEntries: must be at least 1")
                .hasMessageContaining("alerts.sinks[0].name: missing")
                .hasMessageContaining("alerts.sinks[0].type: 'pager' is unknown; use one of webhook, alertmanager,"
                        + " dingtalk, feishu, slack, wecom")
                .hasMessageContaining("alerts.sinks[0].url: not an absolute http(s) URL")
                .hasMessageContaining("alerts.sinks[0].headers: Content-Length is set by the reconciler or the HTTP client")
                .hasMessageContaining("alerts.sinks[0].headers: 'bad header' is not a valid header name")
                .hasMessageContaining("alerts.sinks[0].headers.X-Ok: the value must be one line")
                .hasMessageContaining("alerts.sinks[0].timeout")
                .hasMessageContaining("alerts.sinks[1] (dup).secret: slack sinks do not sign requests")
                .hasMessageContaining("alerts.sinks[1] (dup).resendInterval: only alertmanager sinks re-send")
                .hasMessageContaining("alerts.sinks[1] (dup).resendLimit: only alertmanager sinks re-send")
                .hasMessageContaining("alerts.sinks[2].name: 'dup' is used by another sink")
                .hasMessageContaining("alerts.sinks[2] (dup).stormThreshold: Alertmanager groups alerts itself")
                .hasMessageContaining("alerts.sinks[2] (dup).resendInterval: PT0.01S is too short")
                .hasMessageContaining("alerts.sinks[2] (dup).resendLimit: must be at least 1")
                .hasMessageContaining("alerts.sinks[3] (bad name!).name: 'bad name!' may use only")
                .hasMessageContaining("alerts.sinks[3] (bad name!).url: missing")
                .hasMessageContaining("alerts.sinks[3] (bad name!).stormThreshold: must be 0 (off) or more")
                .hasMessageContaining("alerts.sinks[3] (bad name!).maxBackoff: PT1S is shorter than minBackoff PT10S")
                .hasMessageContaining("alerts.sinks[4]: empty")
                .message().doesNotContain("secret-token");
    }

    @Test
    void secretsHeaderValuesAndRobotTokensAreNeverPrinted() {
        SinkConfig s = SinkConfig.of("ding", SinkType.DINGTALK, "https://oapi.robot.test/robot/send?access_token=tok-123")
                .withSecret("SECsigning").withHeaders(Map.of("Authorization", "Bearer hidden-value"));
        String text = AlertsConfig.of(null, List.of(s)).toString();
        assertThat(text).doesNotContain("tok-123").doesNotContain("SECsigning").doesNotContain("hidden-value")
                .contains("https://oapi.robot.test/…").contains("secret=set").contains("Authorization");
        assertThat(s.redactedUrl()).isEqualTo("https://oapi.robot.test/…");
    }

    @Test
    void recordsBindFromJsonWithJacksonAsTheYamlBinderWill() throws Exception {
        ObjectMapper mapper = JsonMapper.builder().addModule(new JavaTimeModule()).build();
        AlertsConfig c = mapper.readValue("""
                {"publicUrl": "https://reconciler.example.test",
                 "stormThreshold": 50,
                 "sinks": [
                   {"name": "ops", "type": "webhook", "url": "https://hooks.example.test/reconciler",
                    "secret": "s3cr3t", "headers": {"X-Team": "orders"}, "timeout": "PT5S"},
                   {"name": "am", "type": "alertmanager", "url": "http://alertmanager:9093", "resendInterval": "PT2M"},
                   {"name": "oncall", "type": "DingTalk", "url": "https://oapi.robot.test/robot/send?access_token=t",
                    "stormThreshold": 5}
                 ]}""", AlertsConfig.class);
        assertThat(c.sinks()).hasSize(3);
        assertThat(c.sinks().get(0).timeout()).isEqualTo(Duration.ofSeconds(5));
        assertThat(c.sinks().get(0).headers()).containsEntry("X-Team", "orders");
        assertThat(c.sinks().get(0).maxBackoff()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.sinks().get(1).effectiveResendInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.sinks().get(2).kind()).isEqualTo(SinkType.DINGTALK);
        assertThat(c.stormThresholdFor(c.sinks().get(0))).isEqualTo(50);
        assertThat(c.stormThresholdFor(c.sinks().get(2))).isEqualTo(5);
        assertThat(c.journalMaxAge()).isEqualTo(Duration.ofDays(7));
    }
}
