package dev.reconciler.app.api;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API's routing table: (method, path pattern) to a handler. A path that matches no route is a 404; a path that
 * matches routes of other methods only is a 405 with their methods in {@code Allow}. Path parameters are the
 * pattern's groups, percent-decoded one segment at a time (so an encoded '/' stays inside its segment).
 */
public final class Router {

    /** Who may call a route. */
    public enum Access {
        /** Health checks: always open (probes carry no token). */
        OPEN,
        /** Reads: open unless the configuration protects reads. */
        READ,
        /** Changes: always need the token. */
        WRITE
    }

    /** Which threads answer a route. */
    public enum Lane {
        /**
         * Health checks and {@code /metrics}: cheap, never wait for the engine, answered on the server's own threads
         * at once, so they never queue behind slow API requests.
         */
        PROBE,
        /** Everything else: the bounded API worker pool (docs/architecture.md). */
        WORKER
    }

    @FunctionalInterface
    public interface Handler {
        Reply handle(Request request) throws Exception;
    }

    /** A request as the handlers see it. */
    public record Request(List<String> params, Map<String, List<String>> query, byte[] body) {
        /** The single value of a query parameter, or null; more than one value is a 400. */
        public String query(String name) {
            List<String> v = query.get(name);
            if (v == null || v.isEmpty()) return null;
            if (v.size() > 1) {
                throw ApiException.badParameter(ApiException.shown(name), "given " + v.size() + " times", "give it once");
            }
            return v.get(0);
        }
    }

    /** What a handler answers: a status and a body that is either JSON (any object) or text. */
    public record Reply(int status, Object json, String text, String contentType, Map<String, String> headers) {
        public static Reply json(int status, Object body) {
            return new Reply(status, body, null, "application/json; charset=utf-8", Map.of());
        }

        public static Reply text(int status, String body, String contentType) {
            return new Reply(status, null, body, contentType, Map.of());
        }

        public Reply withHeader(String name, String value) {
            Map<String, String> h = new LinkedHashMap<>(headers);
            h.put(name, value);
            return new Reply(status, json, text, contentType, h);
        }
    }

    record Route(String method, Pattern path, Access access, Lane lane, Handler handler) {
    }

    /** The outcome of routing: a route and its decoded path parameters. */
    record Match(Route route, List<String> params) {
    }

    private final List<Route> routes = new ArrayList<>();

    public Router add(String method, String pathRegex, Access access, Handler handler) {
        return add(method, pathRegex, access, Lane.WORKER, handler);
    }

    public Router add(String method, String pathRegex, Access access, Lane lane, Handler handler) {
        routes.add(new Route(method, Pattern.compile(pathRegex), access, lane, handler));
        return this;
    }

    /**
     * @param rawPath the path as sent, still percent-encoded
     * @throws ApiException 404 for an unknown path, 405 for a known path with another method, 400 for a path
     *                      parameter that is not valid percent-encoding
     */
    Match route(String method, String rawPath) {
        Set<String> allowed = new LinkedHashSet<>();
        for (Route r : routes) {
            Matcher m = r.path().matcher(rawPath);
            if (!m.matches()) continue;
            if (!r.method().equals(method)) {
                allowed.add(r.method());
                continue;
            }
            List<String> params = new ArrayList<>(m.groupCount());
            // In a path '+' is a plus, not a space (that is a query-string convention).
            for (int g = 1; g <= m.groupCount(); g++) params.add(decode(m.group(g).replace("+", "%2B"), "path"));
            return new Match(r, params);
        }
        if (!allowed.isEmpty()) {
            throw new MethodNotAllowed(ApiException.shown(method), ApiException.shown(rawPath), String.join(", ", allowed));
        }
        throw ApiException.notFound("no endpoint " + ApiException.shown(rawPath), "see docs/api.md: /api/discrepancies, /api/pairs/{rule},"
                + " /api/status, /metrics, /health/live, /health/ready");
    }

    /** 405, carrying the methods for the {@code Allow} header. */
    static final class MethodNotAllowed extends RuntimeException {
        final String allow;
        final String method;
        final String path;

        MethodNotAllowed(String method, String path, String allow) {
            super(null, null, false, false);
            this.method = method;
            this.path = path;
            this.allow = allow;
        }
    }

    /** More query parameters than any endpoint takes, by far; a request with more is refused before parsing. */
    static final int MAX_QUERY_PARAMETERS = 32;

    /** Parses a raw query string: repeated names keep every value, in order. */
    static Map<String, List<String>> parseQuery(String rawQuery) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) return out;
        String[] parts = rawQuery.split("&", MAX_QUERY_PARAMETERS + 2);
        if (parts.length > MAX_QUERY_PARAMETERS) {
            throw new ApiException(400, "the query has more than " + MAX_QUERY_PARAMETERS + " parameters",
                    "send only the parameters the endpoint takes (docs/api.md)");
        }
        for (String part : parts) {
            if (part.isEmpty()) continue;
            int eq = part.indexOf('=');
            String name = decode(eq < 0 ? part : part.substring(0, eq), "query");
            String value = eq < 0 ? "" : decode(part.substring(eq + 1), "query");
            out.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
        }
        return out;
    }

    private static String decode(String raw, String where) {
        try {
            // URLDecoder treats '+' as a space, as HTML forms and most clients encode the query.
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "the " + where + " has invalid percent-encoding: '" + ApiException.shown(raw) + "'",
                    "encode reserved characters as %XX (UTF-8)");
        }
    }
}
