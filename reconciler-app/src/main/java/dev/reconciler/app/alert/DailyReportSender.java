package dev.reconciler.app.alert;

import dev.reconciler.app.api.DailyReport;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends the daily summary to the chat sinks at {@code reports.daily.at}: once a minute it checks whether today's
 * sending time has passed and the last whole UTC day has not been sent yet (a marker in the state store, written by
 * this sender only, like the alert cursors), and sends it to each chat sink, trying a sink up to 3 times. A sink that
 * still fails is logged and not retried for that day: the summary is a convenience, the figures stay at
 * {@code GET /api/reports/daily}.
 */
public final class DailyReportSender implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DailyReportSender.class);
    static final String META_SENT = "reports/daily/sent";

    private final DailyReportConfig config;
    private final List<SinkConfig> sinks;
    private final String publicUrl;
    private final StateStore store;
    private final EngineConfig engine;
    private final Clock clock;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private ScheduledExecutorService timer;

    public DailyReportSender(DailyReportConfig config, AlertsConfig alerts, StateStore store, EngineConfig engine,
                             Clock clock) {
        this.config = config;
        this.sinks = alerts.sinks().stream().filter(s -> switch (s.kind()) {
            case DINGTALK, FEISHU, SLACK, WECOM -> true;
            default -> false;
        }).toList();
        this.publicUrl = alerts.publicUrl();
        this.store = store;
        this.engine = engine;
        this.clock = clock;
    }

    /** Starts the minute check; does nothing without a chat sink (logged). */
    public synchronized DailyReportSender start() {
        if (sinks.isEmpty()) {
            log.warn("reports.daily.at is set but alerts.sinks has no chat sink (dingtalk, feishu, slack, wecom): the"
                    + " daily summary is not sent; it is at GET /api/reports/daily");
            return this;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "reconciler-daily-report");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                sendIfDue();
            } catch (RuntimeException e) {
                log.warn("daily summary: {}", e.toString());
            }
        }, 5, 60, TimeUnit.SECONDS);
        return this;
    }

    /** The UTC day due to be sent at {@code now}, or null when none is (before today's time, or sent already). */
    LocalDate due(Instant now) {
        ZonedDateTime local = now.atZone(config.zone());
        if (local.toLocalTime().isBefore(config.at())) return null;
        LocalDate day = LocalDate.ofInstant(now, ZoneOffset.UTC).minusDays(1);
        String sent = store.meta(META_SENT).orElse(null);
        return sent != null && !LocalDate.parse(sent).isBefore(day) ? null : day;
    }

    /** Sends the due summary, if any; returns the day sent, or null. */
    LocalDate sendIfDue() {
        LocalDate day = due(clock.instant());
        if (day == null) return null;
        DailyReport report = DailyReport.of(ReconciliationEngine.daily(store, engine, day), null);
        for (SinkConfig sink : sinks) send(sink, report);
        store.write(new StateWrite().putMeta(META_SENT, day.toString()));
        return day;
    }

    private void send(SinkConfig sink, DailyReport report) {
        String link = publicUrl == null ? null : publicUrl + "/#/reports/daily/" + report.date();
        for (int attempt = 1; attempt <= 3; attempt++) {
            try {
                HttpRequest req = ChatSink.text(sink, "Reconciler daily summary " + report.date(), report.lines(),
                        link, clock.instant());
                HttpResponse<String> r = http.send(req, HttpResponse.BodyHandlers.ofString());
                Sink.Result result = new ChatSink(sink, publicUrl, RuleLabels.NONE).interpret(r.statusCode(), r.body());
                if (result instanceof Sink.Result.Delivered) {
                    log.info("daily summary of {} sent to {}", report.date(), sink.name());
                    return;
                }
                log.warn("daily summary of {} to {}: {} (attempt {} of 3)", report.date(), sink.name(), result,
                        attempt);
            } catch (java.io.IOException e) {
                log.warn("daily summary of {} to {}: {} (attempt {} of 3)", report.date(), sink.name(), e.toString(),
                        attempt);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            try {
                Thread.sleep(attempt * 5_000L);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    @Override
    public synchronized void close() {
        if (timer != null) timer.shutdownNow();
        timer = null;
    }
}
