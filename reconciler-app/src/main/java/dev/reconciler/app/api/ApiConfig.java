package dev.reconciler.app.api;

import java.util.ArrayList;
import java.util.List;

/**
 * Where the HTTP API listens and who may use it.
 *
 * @param bindAddress  the address to listen on; loopback by default, so nothing is exposed until someone decides to
 *                     (e.g. {@code 0.0.0.0} behind a firewall or in a container)
 * @param port         the TCP port; 0 picks a free one (tests)
 * @param token        the bearer token that acknowledging requires (and reading, with {@code protectReads}); null
 *                     disables acknowledging. At least 16 characters.
 * @param protectReads require the token for {@code /api/*} and {@code /metrics} too; health checks stay open
 */
public record ApiConfig(String bindAddress, int port, String token, boolean protectReads) {
    public static final String DEFAULT_BIND_ADDRESS = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    static final int MIN_TOKEN_LENGTH = 16;

    public ApiConfig {
        bindAddress = bindAddress == null ? DEFAULT_BIND_ADDRESS : bindAddress.trim();
        if (token != null && token.isBlank()) token = null;
        List<String> problems = new ArrayList<>();
        if (bindAddress.isEmpty()) problems.add("api.bindAddress: empty; use 127.0.0.1 (default) or an address of this machine");
        if (port < 0 || port > 65535) problems.add("api.port: " + port + " is not a TCP port; use 1-65535 (or 0 for any free port)");
        if (token != null && token.length() < MIN_TOKEN_LENGTH) {
            problems.add("api.token: shorter than " + MIN_TOKEN_LENGTH + " characters; use a random one, e.g. the"
                    + " output of 'openssl rand -hex 32'");
        }
        if (token != null && !token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            problems.add("api.token: must be printable ASCII without spaces (it travels in an HTTP header)");
        }
        if (protectReads && token == null) problems.add("api.protectReads: needs api.token; set a token or turn it off");
        if (!problems.isEmpty()) {
            throw new IllegalArgumentException("invalid API configuration:\n  - " + String.join("\n  - ", problems));
        }
    }

    /** Loopback, port 8080, no token (read-only API; acknowledging disabled). */
    public static ApiConfig defaults() {
        return new ApiConfig(DEFAULT_BIND_ADDRESS, DEFAULT_PORT, null, false);
    }

    public ApiConfig withBindAddress(String address) {
        return new ApiConfig(address, port, token, protectReads);
    }

    public ApiConfig withPort(int p) {
        return new ApiConfig(bindAddress, p, token, protectReads);
    }

    public ApiConfig withToken(String t) {
        return new ApiConfig(bindAddress, port, t, protectReads);
    }

    public ApiConfig withProtectReads(boolean protect) {
        return new ApiConfig(bindAddress, port, token, protect);
    }

    /** Never prints the token. */
    @Override
    public String toString() {
        return "ApiConfig[bindAddress=" + bindAddress + ", port=" + port + ", token=" + (token == null ? "none" : "set")
                + ", protectReads=" + protectReads + "]";
    }
}
