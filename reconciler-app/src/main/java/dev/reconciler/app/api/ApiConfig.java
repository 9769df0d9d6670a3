package dev.reconciler.app.api;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Where the HTTP API listens, who may use it, and how much it takes from one client.
 *
 * @param bindAddress  the address to listen on; loopback by default, so nothing is exposed until someone decides to
 *                     (e.g. {@code 0.0.0.0} behind a firewall or in a container)
 * @param port         the TCP port; 0 picks a free one (tests)
 * @param token        the bearer token that acknowledging requires (and reading, with {@code protectReads}); null
 *                     disables acknowledging. At least 16 characters.
 * @param protectReads require the token for {@code /api/*} and {@code /metrics} too; health checks stay open
 * @param limits       timeouts, sizes and the worker pool
 */
public record ApiConfig(String bindAddress, int port, String token, boolean protectReads, Limits limits) {
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    static final int MIN_TOKEN_LENGTH = 16;

    /**
     * What one client may cost the server (docs/configuration.md, {@code http.*}).
     *
     * @param workerThreads threads that answer {@code /api/*} requests; health checks and {@code /metrics} never wait
     *                      for them
     * @param queueSize     {@code /api/*} requests that may wait for a worker; beyond that the API answers 503 at once
     * @param idleTimeout   a connection on which nothing arrives for this long is closed: idle between requests, or
     *                      stalled in the middle of a request header
     * @param readTimeout   once a request's header is in, its whole body must arrive within this (else 408)
     * @param maxHeaderSize the request line plus headers, in bytes (a longer request line is 414, longer headers 431)
     * @param maxBodySize   a request body, in bytes (else 413)
     */
    public record Limits(int workerThreads, int queueSize, Duration idleTimeout, Duration readTimeout,
                         int maxHeaderSize, int maxBodySize) {
        public static final int MAX_WORKER_THREADS = 256;
        public static final int MAX_QUEUE_SIZE = 100_000;
        public static final int MIN_HEADER_SIZE = 1024;
        public static final int MAX_HEADER_SIZE = 64 * 1024;
        public static final int MIN_BODY_SIZE = 1024;
        public static final int MAX_BODY_SIZE = 16 * 1024 * 1024;

        /** 8 workers, 64 waiting, idle 30 s, read 10 s, 8 KiB of header, 64 KiB of body. */
        public static Limits defaults() {
            return new Limits(8, 64, Duration.ofSeconds(30), Duration.ofSeconds(10), 8 * 1024, 64 * 1024);
        }

        /** The problems of these limits, each naming its {@code http.*} key; empty when they are sane. */
        List<String> problems() {
            List<String> p = new ArrayList<>();
            if (workerThreads < 1 || workerThreads > MAX_WORKER_THREADS) {
                p.add("http.workerThreads: " + workerThreads + " is out of range; use 1-" + MAX_WORKER_THREADS
                        + " (default 8)");
            }
            if (queueSize < 1 || queueSize > MAX_QUEUE_SIZE) {
                p.add("http.queueSize: " + queueSize + " is out of range; use 1-" + MAX_QUEUE_SIZE + " (default 64)");
            }
            if (idleTimeout == null || idleTimeout.compareTo(Duration.ofMillis(100)) < 0) {
                p.add("http.idleTimeout: must be at least 100ms (default 30s)");
            }
            if (readTimeout == null || readTimeout.compareTo(Duration.ofMillis(100)) < 0) {
                p.add("http.readTimeout: must be at least 100ms (default 10s)");
            }
            if (maxHeaderSize < MIN_HEADER_SIZE || maxHeaderSize > MAX_HEADER_SIZE) {
                p.add("http.maxHeaderSize: " + maxHeaderSize + " bytes is out of range; use 1KiB-64KiB (default 8KiB)");
            }
            if (maxBodySize < MIN_BODY_SIZE || maxBodySize > MAX_BODY_SIZE) {
                p.add("http.maxBodySize: " + maxBodySize + " bytes is out of range; use 1KiB-16MiB (default 64KiB)");
            }
            return p;
        }
    }

    public ApiConfig {
        bindAddress = bindAddress == null ? DEFAULT_BIND_ADDRESS : bindAddress.trim();
        if (token != null && token.isBlank()) token = null;
        if (limits == null) limits = Limits.defaults();
        List<String> problems = new ArrayList<>();
        if (bindAddress.isEmpty()) problems.add("http.bindAddress: empty; use 127.0.0.1 (default) or an address of this machine");
        if (port < 0 || port > 65535) problems.add("http.port: " + port + " is not a TCP port; use 1-65535 (or 0 for any free port)");
        if (token != null && token.length() < MIN_TOKEN_LENGTH) {
            problems.add("http.token: shorter than " + MIN_TOKEN_LENGTH + " characters; use a random one, e.g. the"
                    + " output of 'openssl rand -hex 32'");
        }
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            problems.add("http.token: must be printable ASCII without spaces (it travels in an HTTP header)");
        }
        if (protectReads && token == null) problems.add("http.protectReads: needs http.token; set a token or turn it off");
        problems.addAll(limits.problems());
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid API configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** With the default {@link Limits}. */
    public ApiConfig(String bindAddress, int port, String token, boolean protectReads) {
        this(bindAddress, port, token, protectReads, Limits.defaults());
    }

    /** Loopback, port 8080, no token (read-only API; acknowledging disabled), default limits. */
    public static ApiConfig defaults() {
        return new ApiConfig(DEFAULT_BIND_ADDRESS, DEFAULT_PORT, null, false);
    }

    public ApiConfig withBindAddress(String address) {
        return new ApiConfig(address, port, token, protectReads, limits);
    }

    public ApiConfig withPort(int p) {
        return new ApiConfig(bindAddress, p, token, protectReads, limits);
    }

    public ApiConfig withToken(String t) {
        return new ApiConfig(bindAddress, port, t, protectReads, limits);
    }

    public ApiConfig withProtectReads(boolean protect) {
        return new ApiConfig(bindAddress, port, token, protect, limits);
    }

    public ApiConfig withLimits(Limits l) {
        return new ApiConfig(bindAddress, port, token, protectReads, l);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "ApiConfig[bindAddress=" + bindAddress + ", port=" + port + ", token=" + (token == null ? "none" : "set")
                + ", protectReads=" + protectReads + ", workerThreads=" + limits.workerThreads() + ", queueSize="
                + limits.queueSize() + ", idleTimeout=" + limits.idleTimeout() + ", readTimeout="
                + limits.readTimeout() + ", maxHeaderSize=" + limits.maxHeaderSize() + ", maxBodySize="
                + limits.maxBodySize() + "]";
    }
}
