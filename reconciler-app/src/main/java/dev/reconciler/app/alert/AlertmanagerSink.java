package dev.reconciler.app.alert;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Prometheus Alertmanager, API v2: {@code POST <url>/api/v2/alerts} with a list of alerts (labels, annotations,
 * startsAt, endsAt, generatorURL). Alertmanager keeps an alert firing until its {@code endsAt}; a firing alert is
 * therefore sent with {@code endsAt} = now + 4 × the re-send interval and sent again every interval (the
 * {@link AlertDispatcher} keeps the firing set), and a resolved one with its real end.
 */
record AlertmanagerSink(SinkConfig config, String publicUrl) implements Sink {
    static final String PATH = "/api/v2/alerts";
    /** Alerts per re-send request. */
    static final int BATCH = 200;

    /** The {@code severity} label of the alerts this sink sends, as the shipped Prometheus rules use it. */
    static final String SEVERITY_DISCREPANCY = "warning";
    static final String SEVERITY_COVERAGE_GAP = "critical";

    /**
     * Only what Prometheus cannot know: each discrepancy (its key, rows and link) and each coverage gap (a window no
     * source observed). A stalled source, a paused rule and quarantined facts are metrics
     * ({@code reconciler_source_stalled}, {@code reconciler_rule_paused}, {@code reconciler_facts_quarantined_total})
     * whose Prometheus rules of the same names alert on them with the deployment's {@code job}, {@code instance} and
     * {@code severity}. Pushed as well, they would be a second alert of the same name with other labels (this
     * process does not know its scrape labels), so two notifications for one fact, and the pushed one would vanish
     * exactly when the process does. Webhook and chat sinks, which have no Prometheus behind them, get everything.
     */
    @Override
    public boolean accepts(Alert alert) {
        return alert instanceof Alert.DiscrepancyAlert || alert instanceof Alert.CoverageGapAlert;
    }

    /**
     * The alert's labels and its {@code severity}: {@code warning} for one discrepancy (the detail; the count per rule
     * and type pages through the Prometheus rule {@code ReconcilerDiscrepanciesOpen}), {@code critical} for a
     * coverage gap (changes no one will ever check).
     */
    static Map<String, String> labels(Alert a) {
        Map<String, String> labels = new java.util.LinkedHashMap<>(a.labels());
        labels.putIfAbsent("severity", a instanceof Alert.CoverageGapAlert ? SEVERITY_COVERAGE_GAP : SEVERITY_DISCREPANCY);
        return labels;
    }

    @Override
    public int batchSize() {
        return BATCH;
    }

    @Override
    public HttpRequest request(List<Alert> alerts, Instant now) {
        Instant endsAt = now.plus(config.effectiveResendInterval().multipliedBy(4));
        List<Map<String, Object>> body = new ArrayList<>(alerts.size());
        for (Alert a : alerts) body.add(AlertFormat.alertmanager(a, publicUrl, endsAt));
        return Sink.post(config, endpoint(config.url()), AlertFormat.json(body)).build();
    }

    @Override
    public Result interpret(int status, String body) {
        return Sink.byStatus(status);
    }

    /** The configured URL is Alertmanager's base URL; the API path is appended unless it is already there. */
    static URI endpoint(String url) {
        String u = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return URI.create(u.endsWith(PATH) ? u : u + PATH);
    }
}
