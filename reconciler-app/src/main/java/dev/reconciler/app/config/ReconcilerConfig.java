package dev.reconciler.app.config;

import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.metrics.MetricsConfig;
import dev.reconciler.app.source.RequiredColumns;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;

import java.util.List;

/**
 * A whole, valid configuration file, bound: what {@code reconciler run} needs to start. Built by {@link ConfigLoader}.
 *
 * @param alerts the alert sinks ({@link AlertsConfig#none()} when the file has no {@code alerts} section)
 */
public record ReconcilerConfig(StateConfig state, ApiConfig http, List<SourceSpec> sources, EngineConfig engine,
                               AlertsConfig alerts, MetricsConfig metrics) {

    public ReconcilerConfig {
        sources = List.copyOf(sources);
        alerts = alerts == null ? AlertsConfig.none() : alerts;
        metrics = metrics == null ? MetricsConfig.defaults() : metrics;
    }

    public ReconcilerConfig(StateConfig state, ApiConfig http, List<SourceSpec> sources, EngineConfig engine,
                            AlertsConfig alerts) {
        this(state, http, sources, engine, alerts, MetricsConfig.defaults());
    }

    public SourceSpec source(String name) {
        return sources.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no source '" + name + "'"));
    }

    /** What the streams and rules need on the tables of one source (the start-up checks look for it). */
    public List<RequiredColumns> requiredColumns(SourceSpec source) {
        return RequiredColumns.of(engine, source.name());
    }

    /** One line: what will run, no secrets. */
    public String summary() {
        return sources.size() + " sources " + sources.stream().map(SourceSpec::toString).toList() + ", "
                + engine.streams().size() + " streams, rules " + engine.rules().stream().map(Rule::name).toList()
                + ", state " + state.dir() + ", HTTP " + http.bindAddress() + ":" + http.port() + ", alert sinks "
                + alerts.sinks().stream().map(k -> k.name() + " (" + k.type() + ")").toList();
    }
}
