package dev.reconciler.app.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.StreamDef;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A whole, valid configuration file, bound: what {@code reconciler run} needs to start. Built by {@link ConfigLoader}.
 *
 * @param alerts the {@code alerts} section as read (environment references substituted), for the alert sinks to
 *               bind; null when the file has none
 */
public record ReconcilerConfig(StateConfig state, ApiConfig http, List<SourceSpec> sources, EngineConfig engine,
                               JsonNode alerts) {

    public ReconcilerConfig {
        sources = List.copyOf(sources);
    }

    public SourceSpec source(String name) {
        return sources.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no source '" + name + "'"));
    }

    /**
     * For each table regex the source captures ({@code db\.table}), the columns the rules read on its rows: what
     * {@code validate --connect} and the source's start-up checks look for.
     */
    public Map<String, Set<String>> requiredColumns(SourceSpec source) {
        Map<String, Set<String>> out = new LinkedHashMap<>();
        for (StreamDef stream : engine.streams()) {
            Set<String> columns = new LinkedHashSet<>();
            for (Rule r : engine.rules()) {
                for (Side side : Side.values()) {
                    if (r.side(side).stream().equals(stream.name())) columns.addAll(r.columnsRead(side));
                }
            }
            for (StreamDef.TableSelector t : stream.tables()) {
                if (!t.source().equals(source.name())) continue;
                for (String db : source.config().databases()) {
                    out.computeIfAbsent(ConfigLoader.qualified(db, t.table().pattern()), k -> new LinkedHashSet<>())
                            .addAll(columns);
                }
            }
        }
        return out;
    }

    /** One line: what will run, no secrets. */
    public String summary() {
        return sources.size() + " sources " + sources.stream().map(SourceSpec::toString).toList() + ", "
                + engine.streams().size() + " streams, rules " + engine.rules().stream().map(Rule::name).toList()
                + ", state " + state.dir() + ", HTTP " + http.bindAddress() + ":" + http.port();
    }
}
