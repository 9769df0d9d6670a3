package dev.reconciler.app.api;

import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;

import java.time.Duration;
import java.util.List;

/**
 * The {@code http} section: the HTTP API and {@code /metrics} ({@link ApiConfig}). Each key is declared here once,
 * with its docs row: docs/configuration.md, the JSON Schema and {@code reconciler config print} are made from these
 * declarations.
 */
public final class HttpSection {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("http",
            ConfigKey.of("bindAddress", Kind.TEXT, "address", "`127.0.0.1`", "`0.0.0.0`",
                "Where the API listens. Loopback by default: nothing is reachable from other machines until you"
                + " choose (a container needs `0.0.0.0`)."),
            ConfigKey.of("port", Kind.INTEGER, "integer", "`8080`", "`9090`",
                "TCP port; `0` picks a free one.")
                .range(0L, 65535L),
            ConfigKey.of("token", Kind.TEXT, "secret", "none", "`${RECONCILER_API_TOKEN}`",
                "Bearer token (at least 16 printable characters, e.g. `openssl rand -hex 32`) that acknowledging"
                + " needs; without one acknowledging is disabled."),
            ConfigKey.of("protectReads", Kind.BOOLEAN, "boolean", "`false`", "`true`",
                "Require the token for `/api/*` and `/metrics` too (health checks stay open). Needs `token`."),
            ConfigKey.of("workerThreads", Kind.INTEGER, "integer", "`8`", "`16`",
                "Threads that answer `/api/*` requests (1-256). Health checks and `/metrics` never wait for them:"
                + " they are answered on the server's own threads.")
                .range(1L, 256L),
            ConfigKey.of("queueSize", Kind.INTEGER, "integer", "`64`", "`256`",
                "`/api/*` requests that may wait for a free worker (1-100000). When all workers are busy and the"
                + " queue is full, the API answers `503` with `Retry-After: 1` at once instead of making clients wait.")
                .range(1L, 100000L),
            ConfigKey.of("idleTimeout", Kind.DURATION, "duration", "`30s`", "`2m`",
                "A connection on which nothing arrives for this long is closed: idle between requests, or stalled in"
                + " the middle of a request header. Such connections hold no thread while they wait."),
            ConfigKey.of("readTimeout", Kind.DURATION, "duration", "`10s`", "`30s`",
                "Once a request's header is in, its whole body must arrive within this; else `408`. Also the longest"
                + " pause allowed while an answer is being sent."),
            ConfigKey.of("maxHeaderSize", Kind.SIZE, "size", "`8KiB`", "`16KiB`",
                "The request line plus headers (1KiB-64KiB). A longer request line (path and query) is answered"
                + " `414`, longer headers `431`."),
            ConfigKey.of("maxBodySize", Kind.SIZE, "size", "`64KiB`", "`1MiB`",
                "A request body (1KiB-16MiB); a larger one is answered `413`. Only an acknowledgement has a body, a"
                + " short note.")));


    /** The {@code http} section; null (with problems) when it is wrong. */
    public static ApiConfig bind(Section s) {
        ApiConfig d = ApiConfig.defaults();
        String bind = s.text("bindAddress", d.bindAddress());
        Integer port = s.integer("port", d.port(), 0, 65535);
        String token = s.text("token");
        boolean protect = s.bool("protectReads", d.protectReads());
        ApiConfig.Limits dl = d.limits();
        Integer workers = s.integer("workerThreads", dl.workerThreads(), 1, ApiConfig.Limits.MAX_WORKER_THREADS);
        Integer queue = s.integer("queueSize", dl.queueSize(), 1, ApiConfig.Limits.MAX_QUEUE_SIZE);
        Duration idle = s.duration("idleTimeout", dl.idleTimeout());
        Duration read = s.duration("readTimeout", dl.readTimeout());
        Long header = s.size("maxHeaderSize", dl.maxHeaderSize());
        Long body = s.size("maxBodySize", dl.maxBodySize());
        if (port == null || workers == null || queue == null || idle == null || read == null || header == null
                || body == null) {
            return null;
        }
        try {
            return new ApiConfig(bind, port, token, protect, new ApiConfig.Limits(workers, queue, idle, read,
                    (int) Math.min(Integer.MAX_VALUE, header), (int) Math.min(Integer.MAX_VALUE, body)));
        } catch (IllegalArgumentException e) {
            // ApiConfig names its problems http.<key>, as the file does; through problem() they name the
            // environment variable a value came from.
            for (String line : Section.detail(e)) {
                int colon = line.indexOf(": ");
                String key = line.startsWith("http.") && colon > 0 ? line.substring(5, colon) : null;
                if (key != null && s.declares(key)) s.problem(key, line.substring(colon + 2));
                else s.problems().add(line);
            }
            return null;
        }
    }

    private HttpSection() {
    }
}
