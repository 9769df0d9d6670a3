package dev.reconciler.app.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.reconciler.app.api.Json;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * An HTTP receiver for tests, on a free loopback port (the JDK's server): records every request and answers as the
 * test says. {@link #accepted()} is what a receiver that deduplicates on {@code Idempotency-Key} keeps.
 */
public final class Receiver implements AutoCloseable {
    public static final ObjectMapper JSON = Json.MAPPER;

    public record Request(String method, String path, String query, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    /** An answer; {@code headers} are added to the response (e.g. {@code Retry-After}). */
    public record Response(int status, String body, Map<String, String> headers) {
        static final Response OK = new Response(200, "{}");

        public Response(int status, String body) {
            this(status, body, Map.of());
        }

        /** {@code status} (429 or 503) with {@code Retry-After: value} (seconds or an HTTP-date). */
        public static Response retryAfter(int status, String value) {
            return new Response(status, "{\"error\":\"slow down\"}", Map.of("Retry-After", value));
        }
    }

    private final HttpServer server;
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final List<Request> accepted = new CopyOnWriteArrayList<>();
    private final List<Request> answeredOk = new CopyOnWriteArrayList<>();
    private final Set<String> keys = new LinkedHashSet<>();
    private volatile Function<Request, Response> answer = r -> Response.OK;

    public Receiver() {
        this(0);
    }

    /**
     * On {@code port} (0: any free one). A test simulates a receiver that refuses connections by pointing a sink at
     * {@link #freePort()} and starting the receiver there later.
     */
    public Receiver(int port) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.createContext("/", this::handle);
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "test-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** A loopback port nothing listens on (at the time of the call). */
    public static int freePort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * How to answer from now on (default: 200 {}). The function runs on the receiver's one thread: one that sleeps
     * makes a receiver that hangs (requests queue behind it, as on a stuck server).
     */
    public Receiver answer(Function<Request, Response> f) {
        answer = f;
        return this;
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Every request, in arrival order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The requests answered 2xx, first delivery of each idempotency key only (what a deduplicating receiver keeps). */
    public List<Request> accepted() {
        return List.copyOf(accepted);
    }

    /** Every request answered 2xx, repeats included. */
    public List<Request> answeredOk() {
        return List.copyOf(answeredOk);
    }

    public List<String> acceptedKeys() {
        List<String> out = new ArrayList<>();
        for (Request r : accepted) out.add(r.header("Idempotency-Key"));
        return out;
    }

    private void handle(HttpExchange x) throws IOException {
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        Map<String, String> headers = new LinkedHashMap<>();
        x.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v.get(0)));
        Request r = new Request(x.getRequestMethod(), x.getRequestURI().getPath(), x.getRequestURI().getRawQuery(),
                headers, body);
        Response res = answer.apply(r);
        requests.add(r);
        if (res.status() >= 200 && res.status() < 300) {
            answeredOk.add(r);
            String key = r.header("Idempotency-Key");
            synchronized (keys) {
                if (key == null || keys.add(key)) accepted.add(r);
            }
        }
        byte[] out = res.body().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().set("Content-Type", "application/json");
        res.headers().forEach((k, v) -> x.getResponseHeaders().set(k, v));
        x.sendResponseHeaders(res.status(), out.length == 0 ? -1 : out.length);
        try (OutputStream os = x.getResponseBody()) {
            os.write(out);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
    }

    /** HMAC-SHA256 of {@code msg} with {@code key}, computed here, independently of the sinks under test. */
    public static byte[] hmacSha256(byte[] key, byte[] msg) throws Exception {
        javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
        mac.init(new javax.crypto.spec.SecretKeySpec(key, "HmacSHA256"));
        return mac.doFinal(msg);
    }

    /** The {@code X-Reconciler-Signature} a webhook body must carry: {@code sha256=<hex HMAC>}. */
    public static String signature(String secret, String body) throws Exception {
        return "sha256=" + java.util.HexFormat.of().formatHex(hmacSha256(secret.getBytes(StandardCharsets.UTF_8),
                body.getBytes(StandardCharsets.UTF_8)));
    }
}
