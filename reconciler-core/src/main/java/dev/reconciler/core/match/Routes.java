package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.StreamDef;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which (rule, side) pairs a table of a source feeds. Table regexes are evaluated once per table name and cached:
 * the hot path does two hash lookups. Safe from any thread (facts are prepared on the sources' threads).
 */
final class Routes {
    /**
     * @param keep the columns to keep of the stream's rows (null: all); see {@link EngineConfig#columnsKept}
     * @param read the columns the rule reads on the side ({@link Rule#columnsRead}); a row lacking one pauses the rule
     */
    record Route(Rule rule, Side side, Set<String> keep, List<String> read) {
    }

    private final EngineConfig config;
    private final Map<String, Map<String, List<Route>>> cache = new ConcurrentHashMap<>();

    Routes(EngineConfig config) {
        this.config = config;
    }

    List<Route> of(String source, String table) {
        Map<String, List<Route>> bySource = cache.get(source);
        if (bySource == null) bySource = cache.computeIfAbsent(source, s -> new ConcurrentHashMap<>());
        List<Route> routes = bySource.get(table);
        return routes != null ? routes : bySource.computeIfAbsent(table, t -> resolve(source, t));
    }

    /** One kept-column set per stream, shared by its routes, so a fact's image is reused by identity. */
    private final Map<String, Optional<Set<String>>> keepByStream = new ConcurrentHashMap<>();

    private Set<String> keep(StreamDef stream) {
        return keepByStream.computeIfAbsent(stream.name(),
                // In the configuration's order (Set.copyOf's order changes from run to run): images list their columns so.
                n -> Optional.ofNullable(config.columnsKept(stream))
                        .map(k -> Collections.unmodifiableSet(new LinkedHashSet<>(k)))).orElse(null);
    }

    private List<Route> resolve(String source, String table) {
        List<Route> routes = new ArrayList<>();
        for (Rule rule : config.rules()) {
            for (Side side : Side.values()) {
                StreamDef stream = config.streamOf(rule, side);
                if (stream.contains(source, table)) routes.add(new Route(rule, side, keep(stream), List.copyOf(rule.columnsRead(side))));
            }
        }
        return List.copyOf(routes);
    }
}
