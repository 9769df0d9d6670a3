package dev.reconciler.app.alert;

import com.sun.net.httpserver.HttpServer;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.testing.EngineTestDriver;
import dev.reconciler.core.testing.OrderInventory;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.core.testing.OrderInventory.ORDERS;
import static dev.reconciler.core.testing.OrderInventory.T0;
import static dev.reconciler.core.testing.OrderInventory.orderRow;
import static dev.reconciler.core.testing.OrderInventory.shard;
import static org.assertj.core.api.Assertions.assertThat;

/** The daily summary reaches a chat robot (a local Slack-style webhook) once per day, at the configured time. */
class DailyReportSenderTest {

    @Test
    void theSummaryOfTheLastUtcDayIsSentOnceAtTheConfiguredLocalTime() throws Exception {
        List<String> received = new CopyOnWriteArrayList<>();
        HttpServer robot = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        robot.createContext("/hook", ex -> {
            received.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] ok = "ok".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, ok.length);
            ex.getResponseBody().write(ok);
            ex.close();
        });
        robot.start();
        try (EngineTestDriver d = new EngineTestDriver(OrderInventory.config(Duration.ofSeconds(30)))) {
            d.insert(ORDERS, shard(0), orderRow(1, "O1", "42", "CONFIRM", "CONFIRM", 1, 0), T0);
            List<Outcome> out = d.watermarkAll(T0.plusSeconds(40));
            assertThat(out).anyMatch(o -> o instanceof Outcome.DiscrepancyOpened);
            SinkConfig slack = new SinkConfig("team-chat", "slack", "http://127.0.0.1:" + robot.getAddress().getPort()
                    + "/hook", null, Map.of(), null, null, null, null, null, null);
            AlertsConfig alerts = new AlertsConfig("https://reconciler.example.test", List.of(slack), null, null,
                    null, null);
            // 08:00 in Shanghai is 00:00 UTC: on 2026-11-27 at 07:59 local nothing is due, at 08:00 the 26th is.
            DailyReportConfig config = new DailyReportConfig(LocalTime.of(8, 0), ZoneId.of("Asia/Shanghai"));
            Instant before = Instant.parse("2026-11-26T23:59:00Z");
            Instant at = Instant.parse("2026-11-27T00:00:30Z");
            DailyReportSender sender = new DailyReportSender(config, alerts, d.store(), d.engine().config(),
                    Clock.fixed(before, ZoneOffset.UTC));
            assertThat(sender.sendIfDue()).isNull();
            sender = new DailyReportSender(config, alerts, d.store(), d.engine().config(), Clock.fixed(at, ZoneOffset.UTC));
            assertThat(sender.sendIfDue()).isEqualTo(LocalDate.of(2026, 11, 26));
            assertThat(received).singleElement().satisfies(body -> assertThat(body)
                    .contains("daily summary 2026-11-26").contains("rule sale: 0 matched; discrepancies 1 opened"
                            + " (MISSING_RIGHT 1)").contains("coverage gaps: none"));
            assertThat(sender.sendIfDue()).as("once a day").isNull();
            assertThat(received).hasSize(1);
        } finally {
            robot.stop(0);
        }
    }
}
