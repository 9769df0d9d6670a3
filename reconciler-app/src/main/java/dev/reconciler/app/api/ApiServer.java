package dev.reconciler.app.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.reconciler.app.Threads;
import dev.reconciler.app.config.Durations;
import dev.reconciler.core.state.StateStoreException;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The hardened HTTP server under the reconciler's APIs: a {@link Router}'s routes served with the {@code http}
 * section's limits and token. The embedded mode's {@link HttpApi} and the distributed mode's Streams application
 * each serve their own routes on it.
 *
 * <p>Jetty's core handler API (no servlets) under a small {@link Router} (see docs/architecture.md). Its connector is
 * non-blocking: a connection that is idle or sends half a request holds no thread, and is closed after
 * {@link ApiConfig.Limits#idleTimeout()}. Health checks and {@code /metrics} ({@link Router.Lane#PROBE}) are answered
 * at once on Jetty's own small pool; every other route runs on a bounded pool of
 * {@link ApiConfig.Limits#workerThreads()} with a bounded queue, and a full queue is a 503 at once, never a wait. A
 * request body is read without holding a thread, within {@link ApiConfig.Limits#readTimeout()} and
 * {@link ApiConfig.Limits#maxBodySize()}. Every answer, also the server's own 400/404/405/408/413/414/431/500, is
 * {@code {"error": ..., "fix": ...}} JSON. Access: {@link Router.Access#OPEN} routes need nothing,
 * {@link Router.Access#READ} routes the token when {@code http.protectReads} is set, {@link Router.Access#WRITE}
 * routes always the token.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    /** Jetty's own threads: acceptor, selector, probes and hand-offs; they never run slow work. */
    static final int SERVER_THREADS = 8;
    /** The largest over-limit body read (and dropped) so that its client sees the 413; see {@code exchange}. */
    private static final long DRAIN_LIMIT = 1 << 20;

    private final ApiConfig config;
    private final Router router;
    private final byte[] token;
    private final int maxBody;
    private final AtomicBoolean closed = new AtomicBoolean();
    private Server server;
    private ServerConnector connector;
    private InetSocketAddress address;
    private ThreadPoolExecutor workers;

    /** @param router the routes; add none after {@link #start()} */
    public ApiServer(ApiConfig config, Router router) {
        this.config = config;
        this.router = router;
        this.token = config.token() == null ? null : config.token().getBytes(StandardCharsets.US_ASCII);
        this.maxBody = config.limits().maxBodySize();
    }

    /**
     * Starts listening.
     *
     * @throws IllegalStateException if the address cannot be bound, naming it and the fix
     */
    public synchronized ApiServer start() {
        if (server != null) throw new IllegalStateException("the HTTP API is already started");
        if (closed.get()) throw new IllegalStateException("the HTTP API is closed");
        try {
            address = new InetSocketAddress(InetAddress.getByName(config.bindAddress()), config.port());
        } catch (IOException e) {
            throw new IllegalStateException("http.bindAddress: cannot resolve '" + config.bindAddress() + "' ("
                    + e.getMessage() + "); use an IP address of this machine, e.g. 127.0.0.1", e);
        }
        ApiConfig.Limits limits = config.limits();
        QueuedThreadPool serverThreads = new QueuedThreadPool(SERVER_THREADS, SERVER_THREADS);
        serverThreads.setName("reconciler-http");
        serverThreads.setDaemon(true);
        serverThreads.setReservedThreads(0);
        server = new Server(serverThreads);
        HttpConfiguration http = new HttpConfiguration();
        http.setSendServerVersion(false);
        http.setRequestHeaderSize(limits.maxHeaderSize());
        // While a request is in progress (its body arriving, its answer leaving) the longest pause allowed.
        http.setIdleTimeout(limits.readTimeout().toMillis());
        connector = new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setHost(address.getAddress().getHostAddress());
        connector.setPort(config.port());
        connector.setIdleTimeout(limits.idleTimeout().toMillis());
        connector.setAcceptQueueSize(512);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                exchange(request, response, callback);
                return true;
            }
        });
        server.setErrorHandler(new JsonErrors(limits));
        server.setStopTimeout(0);
        AtomicInteger n = new AtomicInteger();
        workers = new ThreadPoolExecutor(limits.workerThreads(), limits.workerThreads(), 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(limits.queueSize()), r -> {
            Thread t = new Thread(r, "reconciler-api-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            server.start();
        } catch (Exception e) {
            stopQuietly();
            Throwable c = e;
            while (c != null && !(c instanceof BindException)) c = c.getCause();
            if (c != null) {
                throw new IllegalStateException("cannot listen on " + config.bindAddress() + ":" + config.port()
                        + " (" + c.getMessage() + "); stop what uses the port or set http.port to another one", e);
            }
            throw new UncheckedIOException("cannot start the HTTP API on " + config.bindAddress() + ":"
                    + config.port() + ": " + e.getMessage(), e instanceof IOException io ? io : new IOException(e));
        }
        log.info("HTTP API listening on {}:{} ({})", config.bindAddress(), port(), config);
        return this;
    }

    /** The port listened on (the chosen one when configured as 0). */
    public synchronized int port() {
        if (server == null) throw new IllegalStateException("the HTTP API is not started");
        return connector.getLocalPort();
    }

    /** Base URL, e.g. {@code http://127.0.0.1:8080}. */
    public synchronized String url() {
        if (server == null) throw new IllegalStateException("the HTTP API is not started");
        String host = address.getAddress().getHostAddress();
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port();
    }

    /** Stops listening and ends the worker threads. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed.compareAndSet(false, true)) return;
        stopQuietly();
    }

    private void stopQuietly() {
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                log.warn("stopping the HTTP server: {}", e.toString());
            }
        }
        if (workers != null) Threads.stop(workers, Duration.ofSeconds(5));
    }

    /**
     * One request, on a Jetty thread: route and authorize at once (cheap); a probe is answered right here; anything
     * else has its body read without holding a thread, then runs on the worker pool, or is refused with 503 when the
     * pool and its queue are full.
     */
    private void exchange(Request request, Response response, Callback callback) {
        String method = request.getMethod().toUpperCase(Locale.ROOT);
        String rawPath = request.getHttpURI().getPath();
        Router.Match match;
        Map<String, List<String>> query;
        try {
            match = router.route(method, rawPath);
            authorize(match.route().access(), request.getHeaders().get(HttpHeader.AUTHORIZATION));
            query = Router.parseQuery(request.getHttpURI().getQuery());
        } catch (RuntimeException e) {
            Router.Reply refused = failure(e, method, rawPath);
            // Read (and drop) a small body before answering, so the connection stays usable for the client's next
            // request: answering with the body unread makes the server close the connection while the client may
            // already be sending its next request on it.
            if (request.getLength() > 0 && request.getLength() <= maxBody) {
                Content.Source.asByteArrayAsync(request, maxBody)
                        .orTimeout(config.limits().readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                        .whenComplete((body, failure) -> send(response, callback,
                                failure == null ? refused : refused.withHeader("Connection", "close")));
            } else {
                send(response, callback, unread(request, refused));
            }
            return;
        }
        if (match.route().lane() == Router.Lane.PROBE) {
            send(response, callback, run(match, new Router.Request(match.params(), query, new byte[0]), method, rawPath));
            return;
        }
        long length = request.getLength();
        if (length > maxBody) {
            Router.Reply refused = tooLarge().withHeader("Connection", "close");
            if (length <= DRAIN_LIMIT) {
                // Read and drop a body of a size an ordinary client may send: a client still writing it when the
                // server closes gets a broken pipe instead of this 413. A larger one is not worth reading.
                Content.Source.consumeAll(request, Callback.from(() -> send(response, callback, refused),
                        failure -> send(response, callback, refused)));
            } else {
                send(response, callback, refused);
            }
            return;
        }
        Content.Source.asByteArrayAsync(request, maxBody)
                .orTimeout(config.limits().readTimeout().toMillis(), TimeUnit.MILLISECONDS)
                .whenComplete((body, failure) -> {
                    if (failure != null) {
                        send(response, callback, bodyFailure(failure));
                        return;
                    }
                    try {
                        workers.execute(() -> send(response, callback,
                                run(match, new Router.Request(match.params(), query, body), method, rawPath)));
                    } catch (RejectedExecutionException e) {
                        send(response, callback, busy());
                    }
                });
    }

    /**
     * A reply sent before the request's body was read: the connection is closed after it. Otherwise the client may
     * send its next request on a connection the server is closing because the body is still unread (the JDK client
     * then sees "header parser received no bytes").
     */
    private static Router.Reply unread(Request request, Router.Reply reply) {
        boolean body = request.getLength() > 0 || request.getHeaders().contains(HttpHeader.TRANSFER_ENCODING);
        return body ? reply.withHeader("Connection", "close") : reply;
    }

    private Router.Reply run(Router.Match match, Router.Request req, String method, String rawPath) {
        try {
            return match.route().handler().handle(req);
        } catch (Exception e) {
            return failure(e, method, rawPath);
        }
    }

    private static Router.Reply failure(Exception e, String method, String rawPath) {
        if (e instanceof ApiException a) {
            Router.Reply reply = Router.Reply.json(a.status(), new Views.Error(a.getMessage(), a.fix()));
            return a.status() == 401 ? reply.withHeader("WWW-Authenticate", "Bearer realm=\"reconciler\"") : reply;
        }
        if (e instanceof Router.MethodNotAllowed m) {
            return Router.Reply.json(405, new Views.Error(m.method + " is not allowed on " + m.path, "use " + m.allow))
                    .withHeader("Allow", m.allow);
        }
        if (e instanceof StateStoreException || e instanceof IllegalStateException) {
            // The store failed or is closed (shutting down): the request may succeed elsewhere or later.
            log.warn("HTTP {} {}: {}", method, rawPath, e.getMessage());
            return Router.Reply.json(503, new Views.Error("the state is not available: " + e.getMessage(),
                    "retry later; if it persists, check the reconciler's log"));
        }
        if (e instanceof InterruptedException) Thread.currentThread().interrupt();
        log.error("HTTP {} {} failed", method, rawPath, e);
        return Router.Reply.json(500, new Views.Error("internal error (" + e.getClass().getSimpleName() + ")",
                "see the reconciler's log"));
    }

    private Router.Reply tooLarge() {
        return Router.Reply.json(413, new Views.Error("the request body is larger than " + maxBody + " bytes",
                "send a smaller body (an acknowledgement needs only a short note); the limit is http.maxBodySize"));
    }

    private Router.Reply bodyFailure(Throwable failure) {
        Throwable c = failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
        if (c instanceof TimeoutException) {
            return Router.Reply.json(408, new Views.Error("the request body did not arrive within "
                    + Durations.format(config.limits().readTimeout()), "send the whole body at once; the limit is"
                    + " http.readTimeout")).withHeader("Connection", "close");
        }
        if (c instanceof IllegalArgumentException || c instanceof IllegalStateException
                || String.valueOf(c.getMessage()).toLowerCase(Locale.ROOT).contains("too large")) {
            return tooLarge();
        }
        log.debug("HTTP request body failed: {}", c.toString());
        return Router.Reply.json(400, new Views.Error("the request body could not be read: " + c.getMessage(),
                "send the body with a Content-Length or as valid chunked encoding"));
    }

    private Router.Reply busy() {
        ApiConfig.Limits l = config.limits();
        return Router.Reply.json(503, new Views.Error("the API is busy: " + l.workerThreads() + " requests are being"
                + " answered and " + l.queueSize() + " wait (health checks and /metrics are not affected)",
                "retry in a second; if it persists, raise http.workerThreads or find the slow client"))
                .withHeader("Retry-After", "1");
    }

    private void authorize(Router.Access access, String header) {
        if (access == Router.Access.OPEN || (access == Router.Access.READ && !config.protectReads())) return;
        if (token == null) {
            throw new ApiException(403, "changes through the API are disabled: no API token is configured",
                    "set http.token in the configuration and send it as 'Authorization: Bearer <token>'");
        }
        if (header == null || header.isBlank()) {
            throw new ApiException(401, "this endpoint needs the API token",
                    "send the header 'Authorization: Bearer <http.token from the configuration>'");
        }
        String h = header.trim();
        if (h.length() < 7 || !h.substring(0, 7).equalsIgnoreCase("Bearer ")) {
            throw new ApiException(401, "the Authorization header is not a bearer token",
                    "send 'Authorization: Bearer <http.token from the configuration>'");
        }
        byte[] given = h.substring(7).trim().getBytes(StandardCharsets.UTF_8);
        if (!MessageDigest.isEqual(given, token)) {   // constant time
            throw new ApiException(401, "the bearer token is not the configured API token",
                    "send the http.token of this reconciler's configuration");
        }
    }

    private static void send(Response response, Callback callback, Router.Reply reply) {
        byte[] body;
        if (reply.json() != null) {
            try {
                body = Json.MAPPER.writeValueAsBytes(reply.json());
            } catch (JsonProcessingException e) {
                log.error("cannot write a JSON reply", e);
                reply = Router.Reply.json(500, null);
                body = "{\"error\":\"internal error (JSON)\",\"fix\":\"see the reconciler's log\"}"
                        .getBytes(StandardCharsets.UTF_8);
            }
        } else {
            body = reply.text() == null ? new byte[0] : reply.text().getBytes(StandardCharsets.UTF_8);
        }
        response.setStatus(reply.status());
        HttpFields.Mutable headers = response.getHeaders();
        headers.put(HttpHeader.CONTENT_TYPE, reply.contentType());
        headers.put(HttpHeader.CACHE_CONTROL, "no-store");
        reply.headers().forEach(headers::put);
        response.write(true, ByteBuffer.wrap(body), callback);
    }

    /**
     * The answers Jetty gives by itself, before a request reaches {@link #exchange}: a malformed request (400), an
     * ambiguous path (400), a request line or headers over {@code http.maxHeaderSize} (414, 431), a handler failure
     * (500). JSON like every other answer, never an HTML page or a stack trace.
     */
    private static final class JsonErrors extends ErrorHandler {
        private final ApiConfig.Limits limits;

        JsonErrors(ApiConfig.Limits limits) {
            this.limits = limits;
        }

        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Object s = request.getAttribute(ERROR_STATUS);
            int status = s instanceof Integer i ? i : response.getStatus();
            Object m = request.getAttribute(ERROR_MESSAGE);
            Object x = request.getAttribute(ERROR_EXCEPTION);
            if (x instanceof Throwable t && status >= 500) {
                // A client that goes away mid-request (EofException, a reset) is not our failure.
                if (t instanceof IOException || t instanceof org.eclipse.jetty.http.HttpException) {
                    log.debug("HTTP bad request or client went away: {}", t.toString());
                } else {
                    log.error("HTTP {} failed", ApiException.shown(request.getHttpURI().getPath()), t);
                }
            }
            byte[] body = json(status, m == null ? null : m.toString());
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(ERROR_CACHE_CONTROL);
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        }

        @Override
        public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
            fields.put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            return ByteBuffer.wrap(json(status, reason));
        }

        private byte[] json(int status, String reason) {
            String why = reason == null || reason.isBlank() ? "" : " (" + reason + ")";
            Views.Error e = switch (status) {
                case 400 -> reason != null && reason.toLowerCase(Locale.ROOT).contains("ambiguous")
                        ? new Views.Error("the path is ambiguous" + why + ": an encoded '/', '\\', '.' or NUL, or an"
                                + " empty or '..' segment", "use the path as docs/api.md writes it; discrepancy ids are"
                                + " 16 hex digits, as listed by GET /api/discrepancies")
                        : new Views.Error("the request is not valid HTTP/1.1" + why,
                                "send a well-formed request; encode reserved characters in the path and query as %XX");
                case 404 -> new Views.Error("no such endpoint", "see docs/api.md");
                case 408 -> new Views.Error("the request did not arrive in time" + why, "send the whole request at"
                        + " once; the limits are http.idleTimeout and http.readTimeout");
                case 413 -> new Views.Error("the request body is larger than " + limits.maxBodySize() + " bytes",
                        "send a smaller body; the limit is http.maxBodySize");
                case 414 -> new Views.Error("the request line (method, path and query) is longer than "
                        + limits.maxHeaderSize() + " bytes", "shorten the query; the limit is http.maxHeaderSize");
                case 431 -> new Views.Error("the request headers are larger than " + limits.maxHeaderSize()
                        + " bytes", "send fewer or shorter headers; the limit is http.maxHeaderSize");
                case 505 -> new Views.Error("the HTTP version is not supported" + why, "send HTTP/1.1 (or 1.0)");
                default -> status >= 500
                        ? new Views.Error("internal error (HTTP " + status + ")", "see the reconciler's log")
                        : new Views.Error("HTTP " + status + why, "see docs/api.md");
            };
            try {
                return Json.MAPPER.writeValueAsBytes(e);
            } catch (JsonProcessingException ex) {
                return "{\"error\":\"internal error (JSON)\",\"fix\":\"see the reconciler's log\"}"
                        .getBytes(StandardCharsets.UTF_8);
            }
        }
    }

}
