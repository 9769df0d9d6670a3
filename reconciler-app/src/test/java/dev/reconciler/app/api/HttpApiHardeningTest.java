package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The API under hostile and heavy clients, over real sockets on loopback (issue 12, sections 4 and 5): slow and idle
 * connections, a busy engine and a full worker pool, a client paging through a large store, oversize requests,
 * malformed and hostile parameters and ids, and bad bearer tokens. Every answer is asserted for its status and its
 * JSON message. Health and metrics must answer within 1 s throughout (the measured figures are printed).
 *
 * <p>The store holds {@link #DISCREPANCIES} discrepancies (100 000 by default; {@code -Dreconciler.api.discrepancies=
 * 1000000} for the full-size run of docs/reliability.md).
 */
class HttpApiHardeningTest {
    static final int DISCREPANCIES = Integer.getInteger("reconciler.api.discrepancies", 100_000);
    static final Duration PROBE_BOUND = Duration.ofSeconds(1);
    static final ApiConfig.Limits LIMITS = new ApiConfig.Limits(4, 8, Duration.ofSeconds(2), Duration.ofSeconds(2),
            8 * 1024, 64 * 1024);
    static ApiHarness h;

    @BeforeAll
    static void start() {
        InMemoryStateStore store = new InMemoryStateStore();
        ApiHarness.putOpenDiscrepancies(store, DISCREPANCIES);
        h = new ApiHarness(store, ApiConfig.defaults().withToken(ApiHarness.TOKEN).withLimits(LIMITS));
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    // ---------------------------------------------------------------- starvation

    @Test
    void probesAnswerWithinASecondWhile200HalfRequestsAnd50IdleConnectionsAreHeldAndTheServerClosesThem()
            throws Exception {
        List<Socket> slow = new ArrayList<>();
        try {
            long opened = System.nanoTime();
            for (int i = 0; i < 200; i++) {
                Socket s = socket();
                s.getOutputStream().write(("GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: ")
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                slow.add(s);
            }
            for (int i = 0; i < 50; i++) slow.add(socket());
            long worst = 0;
            for (int i = 0; i < 5; i++) {
                worst = Math.max(worst, timed("/health/live", 200));
                worst = Math.max(worst, timed("/health/ready", 200));
                worst = Math.max(worst, timed("/metrics", 200));
            }
            long api = timed("/api/status", 200);
            System.out.printf("[figure] 200 half-request + 50 idle connections held: worst probe %d ms,"
                    + " /api/status %d ms%n", worst, api);
            assertThat(Duration.ofMillis(worst)).isLessThan(PROBE_BOUND);
            assertThat(Duration.ofMillis(api)).isLessThan(PROBE_BOUND);

            // After http.idleTimeout (2 s here) the server closes every one of them.
            for (Socket s : slow) s.setSoTimeout(50);
            await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100))
                    .until(() -> slow.stream().allMatch(HttpApiHardeningTest::closedByServer));
            System.out.printf("[figure] all 250 closed by the server %d ms after they were opened (idleTimeout %s)%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - opened), LIMITS.idleTimeout());
            assertThat(timed("/health/live", 200)).isLessThan(PROBE_BOUND.toMillis());
        } finally {
            for (Socket s : slow) s.close();
        }
    }

    @Test
    void probesAnswerWhileTheEngineIsBusyAndEveryWorkerWaitsAndAFullQueueIs503AtOnce() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Object> blocked = h.pipeline.call(engine -> {
            try {
                release.await(20, TimeUnit.SECONDS);   // the engine inside one long task
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> acks = new ArrayList<>();
        int sent = 30;
        try {
            // Each acknowledgement waits for the engine on a worker: 4 workers busy, 8 queued, the rest refused.
            for (int i = 0; i < sent; i++) {
                acks.add(client.sendAsync(HttpRequest.newBuilder(
                                URI.create(h.api.url() + "/api/discrepancies/0123456789abcdef/ack"))
                        .header("Authorization", "Bearer " + ApiHarness.TOKEN)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"note\":\"x\"}")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            int refusable = sent - LIMITS.workerThreads() - LIMITS.queueSize();
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(acks.stream()
                    .filter(CompletableFuture::isDone).map(f -> f.handle((r, e) -> e == null ? r.statusCode() + "" : e.toString()).join())
                    .toList()).as("answered while the engine is blocked").hasSize(refusable).containsOnly("503"));
            HttpResponse<String> refused = acks.stream().filter(CompletableFuture::isDone).findFirst().orElseThrow().join();
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            JsonNode busy = ApiHarness.JSON.readTree(refused.body());
            assertThat(busy.get("error").asText()).contains("the API is busy");
            assertThat(busy.get("fix").asText()).contains("http.workerThreads");

            long worst = 0;
            for (int i = 0; i < 5; i++) {
                worst = Math.max(worst, timed("/health/live", 200));
                worst = Math.max(worst, timed("/health/ready", 200));
                worst = Math.max(worst, timed("/metrics", 200));
            }
            System.out.printf("[figure] engine blocked, 4 workers and 8 queue places taken: worst probe %d ms%n", worst);
            assertThat(Duration.ofMillis(worst)).isLessThan(PROBE_BOUND);
        } finally {
            release.countDown();
        }
        blocked.get(10, TimeUnit.SECONDS);
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> f : acks) statuses.add(f.get(15, TimeUnit.SECONDS).statusCode());
        assertThat(statuses.stream().filter(s -> s == 404).count()).as("the accepted ones answered once the engine"
                + " was free (an unknown id)").isEqualTo(LIMITS.workerThreads() + LIMITS.queueSize());
        assertThat(statuses.stream().filter(s -> s == 503).count()).isEqualTo(sent - 12);
    }

    @Test
    void aRequestThatWorksLongerThanTheReadTimeoutStillGetsItsAnswer() throws Exception {
        // The read timeout bounds waiting for the client, never the server's own work (a verification takes minutes).
        CountDownLatch release = new CountDownLatch(1);
        h.pipeline.call(engine -> {
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        long free = LIMITS.readTimeout().toMillis() + 1500;
        CompletableFuture.runAsync(release::countDown, CompletableFuture.delayedExecutor(free, TimeUnit.MILLISECONDS));
        long t0 = System.nanoTime();
        ApiHarness.Reply r = h.post("/api/discrepancies/0123456789abcdef/ack", "{}", "Bearer " + ApiHarness.TOKEN);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertJsonError(r.status(), r.header("Content-Type"), r.body(), 404, "no discrepancy with id");
        assertThat(ms).isGreaterThanOrEqualTo(free - 200);
    }

    @Test
    void aClientPagingThroughEveryDiscrepancyDoesNotSlowTheProbes() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        AtomicInteger pages = new AtomicInteger();
        AtomicReference<Throwable> failed = new AtomicReference<>();
        AtomicLong took = new AtomicLong();
        Thread pager = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                String cursor = null;
                String last = "";
                do {
                    ApiHarness.Reply r = h.get("/api/discrepancies?status=all&limit=1000"
                            + (cursor == null ? "" : "&cursor=" + cursor));
                    if (r.status() != 200) throw new AssertionError(r.status() + " " + r.body());
                    JsonNode page = r.json();
                    for (JsonNode i : page.get("items")) {
                        String id = i.get("id").asText();
                        if (id.compareTo(last) <= 0) throw new AssertionError("out of order: " + id + " after " + last);
                        last = id;
                        seen.incrementAndGet();
                    }
                    pages.incrementAndGet();
                    cursor = page.get("next").isNull() ? null : page.get("next").asText();
                } while (cursor != null);
            } catch (Throwable e) {
                failed.set(e);
            }
            took.set(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        }, "pager");
        pager.start();
        long worst = 0;
        int probes = 0;
        while (pager.isAlive()) {
            worst = Math.max(worst, timed(probes % 2 == 0 ? "/health/live" : "/metrics", 200));
            probes++;
            pager.join(50);
        }
        assertThat(failed.get()).isNull();
        System.out.printf("[figure] paged %d discrepancies in %d pages in %d ms; %d probes meanwhile, worst %d ms%n",
                seen.get(), pages.get(), took.get(), probes, worst);
        assertThat(seen.get()).isGreaterThanOrEqualTo(DISCREPANCIES);
        assertThat(Duration.ofMillis(worst)).isLessThan(PROBE_BOUND);
    }

    // ---------------------------------------------------------------- sizes and timeouts

    @Test
    void anOversizeBodyIs413Json() throws Exception {
        String big = "{\"note\":\"" + "x".repeat(70 * 1024) + "\"}";
        ApiHarness.Reply r = h.post("/api/discrepancies/0123456789abcdef/ack", big, "Bearer " + ApiHarness.TOKEN);
        assertJsonError(r.status(), r.header("Content-Type"), r.body(), 413, "larger than 65536 bytes");

        // chunked, so the server learns the size only while reading
        String chunk = "x".repeat(16 * 1024);
        StringBuilder req = new StringBuilder("POST /api/discrepancies/0123456789abcdef/ack HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Authorization: Bearer " + ApiHarness.TOKEN + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        for (int i = 0; i < 5; i++) req.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
        req.append("0\r\n\r\n");
        Raw chunked = raw(req.toString());
        assertJsonError(chunked.status, chunked.contentType, chunked.body, 413, "larger than 65536 bytes");
    }

    @Test
    void aBodyThatStopsArrivingIs408JsonAfterTheReadTimeout() throws Exception {
        long t0 = System.nanoTime();
        Raw r = raw("POST /api/discrepancies/0123456789abcdef/ack HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
                + ApiHarness.TOKEN + "\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"note\":");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        System.out.printf("[figure] stalled body answered %d after %d ms (readTimeout %s)%n", r.status, ms,
                LIMITS.readTimeout());
        assertJsonError(r.status, r.contentType, r.body, 408, "did not arrive");
        assertThat(ms).isBetween(LIMITS.readTimeout().toMillis() - 200, LIMITS.readTimeout().toMillis() + 5_000);
    }

    @Test
    void anOversizeRequestLineIs414AndOversizeHeadersAre431Json() throws Exception {
        Raw line = raw("GET /api/discrepancies?status=" + "a".repeat(9000) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertJsonError(line.status, line.contentType, line.body, 414, "request line");
        Raw headers = raw("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + "b".repeat(9000) + "\r\n\r\n");
        assertJsonError(headers.status, headers.contentType, headers.body, 431, "headers are larger than 8192");
        Raw many = raw("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n" + "X-A: 1234567890\r\n".repeat(600) + "\r\n");
        assertJsonError(many.status, many.contentType, many.body, 431, "headers are larger");
    }

    @Test
    void malformedHttpIs400Json() throws Exception {
        Raw garbage = raw("HELLO\r\n\r\n");
        assertJsonError(garbage.status, garbage.contentType, garbage.body, 400, "not valid HTTP");
        Raw noHost = raw("GET /health/live HTTP/1.1\r\n\r\n");
        assertJsonError(noHost.status, noHost.contentType, noHost.body, 400, "not valid HTTP");
        Raw badVersion = raw("GET /health/live HTTP/9.9\r\nHost: x\r\n\r\n");
        assertThat(badVersion.status).isIn(400, 505);
        assertThat(badVersion.contentType).startsWith("application/json");
    }

    // ---------------------------------------------------------------- hostile parameters and ids

    @Test
    void hostileIdsAreRefusedWithAClearJsonMessage() throws Exception {
        Map<String, Integer> cases = new LinkedHashMap<>();
        cases.put("/api/discrepancies/..%2F..%2Fetc%2Fpasswd", 400);
        cases.put("/api/discrepancies/%2e%2e%2f%2e%2e%2fetc%2fpasswd", 400);
        cases.put("/api/discrepancies/../../etc/passwd", 404);   // no such endpoint
        cases.put("/api/discrepancies/..%5C..%5Cwindows", 400);
        cases.put("/api/discrepancies/%2e%2e", 400);
        cases.put("/api/discrepancies/%00", 400);
        cases.put("/api/discrepancies/0123456789abcde%00", 400);
        cases.put("/api/discrepancies/%ZZ", 400);
        cases.put("/api/discrepancies/" + "a".repeat(4000), 404);
        cases.put("/api/discrepancies/%EF%BC%90123456789abcdef", 404);   // a fullwidth digit
        cases.put("/api/discrepancies/0123456789abcdef%E2%80%AE", 404);  // a right-to-left override
        cases.put("/api/discrepancies/0123456789ABCDEF", 404);
        cases.put("/api/discrepancies/%C0%AE%C0%AE", 400);               // overlong UTF-8 for '..'
        cases.put("/api/pairs/..%2Fsale?key.order_id=O1&key.goods_id=42", 400);
        cases.put("/api/pairs/sa%00le?key.order_id=O1&key.goods_id=42", 400);
        for (Map.Entry<String, Integer> c : cases.entrySet()) {
            Raw r = raw("GET " + c.getKey() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertJsonError(r.status, r.contentType, r.body, c.getValue(), "", c.getKey());
            assertThat(r.body).as(c.getKey()).doesNotContain("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
                    .doesNotContain("\u202e");
        }
    }

    @Test
    void malformedAndHugeParametersAreNamed() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/api/discrepancies?limit=999999999", "'limit'");
        cases.put("/api/discrepancies?limit=99999999999999999999999", "'limit'");
        cases.put("/api/discrepancies?limit=-1", "'limit'");
        cases.put("/api/discrepancies?limit=1e3", "'limit'");
        cases.put("/api/discrepancies?limit=%00", "'limit'");
        cases.put("/api/discrepancies?limit=", "'limit'");
        cases.put("/api/discrepancies?cursor=..%2F..%2Fetc%2Fpasswd", "'cursor'");
        cases.put("/api/discrepancies?cursor=%00", "'cursor'");
        cases.put("/api/discrepancies?since=%00", "'since'");
        cases.put("/api/discrepancies?status=%E2%80%AEopen", "'status'");
        cases.put("/api/discrepancies?rule=" + "r".repeat(3000), "'rule'");
        cases.put("/api/discrepancies?type=MISSING_RIGHT%00", "'type'");
        cases.put("/api/discrepancies?status=%ZZ", "percent-encoding");
        cases.put("/api/discrepancies?" + "a=1&".repeat(40), "more than 32 parameters");
        cases.put("/api/status?verbose=1", "'verbose'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Raw r = raw("GET " + c.getKey() + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            assertJsonError(r.status, r.contentType, r.body, 400, c.getValue(), c.getKey());
            assertThat(r.body.length()).as("the answer does not echo a huge value: " + c.getKey()).isLessThan(1000);
        }
    }

    @Test
    void missingWrongOrMalformedBearerTokensAre401WithWwwAuthenticate() throws Exception {
        String path = "/api/discrepancies/0123456789abcdef/ack";
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put(null, "needs the API token");
        cases.put("", "needs the API token");
        cases.put("   ", "needs the API token");
        cases.put("Bearer", "not a bearer token");
        cases.put("Bearer ", "not a bearer token");
        cases.put("Basic " + ApiHarness.TOKEN, "not a bearer token");
        cases.put("Token " + ApiHarness.TOKEN, "not a bearer token");
        cases.put("Bearer wrong-token-0123456789", "not the configured API token");
        cases.put("Bearer " + ApiHarness.TOKEN + "x", "not the configured API token");
        cases.put("Bearer " + ApiHarness.TOKEN.substring(1), "not the configured API token");
        cases.put("Bearer " + ApiHarness.TOKEN.toUpperCase(), "not the configured API token");
        cases.put("Bearer " + "é".repeat(20), "not the configured API token");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Raw r = raw("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
                    + (c.getKey() == null ? "" : "Authorization: " + c.getKey() + "\r\n") + "\r\n");
            assertJsonError(r.status, r.contentType, r.body, 401, c.getValue(), String.valueOf(c.getKey()));
            assertThat(r.headers).as(c.getKey()).containsIgnoringCase("WWW-Authenticate: Bearer realm=\"reconciler\"");
        }
        // the scheme is case-insensitive (RFC 7235), the token is not
        Raw ok = raw("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n"
                + "Authorization: bearer " + ApiHarness.TOKEN + "\r\n\r\n");
        assertJsonError(ok.status, ok.contentType, ok.body, 404, "no discrepancy with id '0123456789abcdef'");
    }

    @Test
    void unknownPathsAndMethodsAreJsonToo() throws Exception {
        Raw nf = raw("GET /index.html HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertJsonError(nf.status, nf.contentType, nf.body, 404, "no endpoint /index.html");
        Raw trace = raw("TRACE /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertJsonError(trace.status, trace.contentType, trace.body, 405, "TRACE is not allowed");
        Raw star = raw("OPTIONS * HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        assertThat(star.status).isIn(400, 404, 405);
        assertThat(star.contentType).startsWith("application/json");
    }

    // ---------------------------------------------------------------- helpers

    static void assertJsonError(int status, String contentType, String body, int expected, String message)
            throws IOException {
        assertJsonError(status, contentType, body, expected, message, "");
    }

    static void assertJsonError(int status, String contentType, String body, int expected, String message, String what)
            throws IOException {
        assertThat(status).as(what + " -> " + body).isEqualTo(expected);
        assertThat(contentType).as(what).startsWith("application/json");
        JsonNode json = ApiHarness.JSON.readTree(body);
        assertThat(json.get("error").asText()).as(what).isNotBlank().contains(message);
        assertThat(json.get("fix").asText()).as(what).isNotBlank();
        assertThat(body).as(what).doesNotContain("<html", "Exception", "\tat ");
    }

    /** Milliseconds for one GET with a fresh connection, asserting its status. */
    static long timed(String path, int status) throws Exception {
        long t0 = System.nanoTime();
        Raw r = raw("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertThat(r.status).as(path + ": " + r.body).isEqualTo(status);
        return ms;
    }

    static Socket socket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), h.api.port());
        s.setSoTimeout(15_000);
        return s;
    }

    static boolean closedByServer(Socket s) {
        try {
            InputStream in = s.getInputStream();
            byte[] b = new byte[4096];
            while (true) {
                int n = in.read(b);
                if (n < 0) return true;   // closed (a 408 may come first)
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;   // reset
        }
    }

    record Raw(int status, String headers, String contentType, String body) {
    }

    /** Sends bytes as they are and reads the answer until the server closes or the body is complete. */
    static Raw raw(String request) throws IOException {
        try (Socket s = socket()) {
            OutputStream out = s.getOutputStream();
            out.write(request.getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            byte[] b = new byte[8192];
            int headerEnd = -1;
            long length = -1;
            while (true) {
                int n;
                try {
                    n = in.read(b);
                } catch (IOException e) {
                    n = -1;   // the server may reset after answering a request it will not read
                }
                if (n < 0) break;
                all.write(b, 0, n);
                String text = all.toString(StandardCharsets.ISO_8859_1);
                if (headerEnd < 0 && (headerEnd = text.indexOf("\r\n\r\n")) >= 0) {
                    for (String line : text.substring(0, headerEnd).split("\r\n")) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Long.parseLong(line.substring(15).trim());
                        }
                    }
                }
                if (headerEnd >= 0 && length >= 0 && all.size() >= headerEnd + 4 + length) break;
            }
            String text = all.toString(StandardCharsets.UTF_8);
            if (headerEnd < 0) throw new AssertionError("no HTTP answer: '" + text + "'");
            int end = text.indexOf("\r\n\r\n");
            String head = text.substring(0, end);
            int status = Integer.parseInt(head.split(" ", 3)[1]);
            String ct = "";
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-type:")) ct = line.substring(13).trim();
            }
            return new Raw(status, head, ct, text.substring(end + 4));
        }
    }
}
