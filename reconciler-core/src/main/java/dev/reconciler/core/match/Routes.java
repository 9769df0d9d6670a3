package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.StreamDef;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which (rule, side) pairs a table of a source feeds. Table regexes are evaluated once per table name and cached:
 * the hot path does two hash lookups. Owned by the engine thread.
 */
final class Routes {
    /** @param keep the columns to keep of the stream's rows (null: all); see {@link EngineConfig#columnsKept} */
    record Route(Rule rule, Side side, Set<String> keep) {
    }

    private final EngineConfig config;
    private final Map<String, Map<String, List<Route>>> cache = new HashMap<>();

    Routes(EngineConfig config) {
        this.config = config;
    }

    /** The last table asked for: a batch mostly comes from one source and a few tables, often in runs. */
    private String lastSource;
    private String lastTable;
    private List<Route> lastRoutes;

    List<Route> of(String source, String table) {
        if (table.equals(lastTable) && source.equals(lastSource)) return lastRoutes;
        List<Route> routes = cache.computeIfAbsent(source, s -> new HashMap<>())
                .computeIfAbsent(table, t -> resolve(source, t));
        lastSource = source;
        lastTable = table;
        lastRoutes = routes;
        return routes;
    }

    private List<Route> resolve(String source, String table) {
        List<Route> routes = new ArrayList<>();
        for (Rule rule : config.rules()) {
            for (Side side : Side.values()) {
                StreamDef stream = config.streamOf(rule, side);
                if (stream.contains(source, table)) routes.add(new Route(rule, side, config.columnsKept(stream)));
            }
        }
        return List.copyOf(routes);
    }
}
