package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/**
 * The options and the HTTP calls of the commands that talk to a running reconciler ({@code discrepancies},
 * {@code status}): {@code --server}, the token ({@code RECONCILER_API_TOKEN} or {@code --token-file}), {@code --json}.
 * An answer the server refuses becomes a {@link Failure} with the server's error and fix, and an exit code
 * (docs/cli.md).
 */
final class ServerClient {
    static final String TOKEN_ENV = "RECONCILER_API_TOKEN";
    static final String SERVER_ENV = "RECONCILER_SERVER";
    /** The server answered 404: no such discrepancy (or endpoint). */
    static final int NOT_FOUND = 5;
    /** The server refused the step: the discrepancy's status does not allow it (409). */
    static final int REFUSED = 6;
    /** No token, a wrong one, or the server has none configured (401, 403). */
    static final int UNAUTHORIZED = 7;

    /** How client commands read the environment (tests set their own). */
    static volatile Function<String, String> env = System::getenv;

    /** The options every client command takes (a picocli mixin). */
    static final class Options {
        ServerClient client() {
            return new ServerClient(this, env);
        }

        @Option(names = "--server", paramLabel = "URL",
                description = "The reconciler's HTTP API (default: $" + SERVER_ENV + ", else http://127.0.0.1:8080).")
        String server;

        @Option(names = "--token-file", paramLabel = "FILE",
                description = "A file holding the API token (default: $" + TOKEN_ENV + "). Needed for steps, and for"
                        + " reads when the server protects them.")
        Path tokenFile;

        @Option(names = "--json", description = "Print the server's JSON answer as it is (for scripts).")
        boolean json;

        @Option(names = "--timeout", paramLabel = "D", defaultValue = "30s",
                description = "How long to wait for an answer (default ${DEFAULT-VALUE}).")
        String timeout;
    }

    /** A request the server refused or that could not be made; {@code code} is the exit code. */
    static final class Failure extends RuntimeException {
        final int code;

        Failure(int code, String message) {
            super(message);
            this.code = code;
        }
    }

    private final String base;
    private final String token;
    private final Duration timeout;
    private final HttpClient http;

    ServerClient(Options o, Function<String, String> env) {
        String s = o.server != null ? o.server : env.apply(SERVER_ENV);
        if (s == null || s.isBlank()) s = "http://127.0.0.1:8080";
        s = s.trim();
        while (s.endsWith("/")) s = s.substring(0, s.length() - 1);
        if (!s.startsWith("http://") && !s.startsWith("https://")) s = "http://" + s;
        this.base = s;
        this.token = token(o, env);
        try {
            this.timeout = dev.reconciler.app.config.Durations.parse(o.timeout);
        } catch (IllegalArgumentException e) {
            throw new Failure(Main.USAGE, "--timeout '" + o.timeout + "': " + e.getMessage() + "; write it like 30s");
        }
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static String token(Options o, Function<String, String> env) {
        if (o.tokenFile != null) {
            try {
                return Files.readString(o.tokenFile, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                throw new Failure(Main.USAGE, "--token-file " + o.tokenFile + ": cannot read it (" + e.getMessage()
                        + "); give a readable file that holds the token, or set " + TOKEN_ENV);
            }
        }
        String t = env.apply(TOKEN_ENV);
        return t == null || t.isBlank() ? null : t.strip();
    }

    String base() {
        return base;
    }

    JsonNode get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), path);
    }

    JsonNode post(String path, Map<String, String> body) {
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json)), path);
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private URI uri(String path) {
        try {
            return URI.create(base + path);
        } catch (IllegalArgumentException e) {
            throw new Failure(Main.USAGE, "--server " + base + ": not a URL (" + e.getMessage()
                    + "); write it like http://reconciler.internal:8080");
        }
    }

    private JsonNode send(HttpRequest.Builder b, String path) {
        if (token != null) b.header("Authorization", "Bearer " + token);
        HttpResponse<String> r;
        try {
            r = http.send(b.timeout(timeout).build(), HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new Failure(Main.FAILED, "cannot connect to " + base + " (" + e.getMessage() + "); is the reconciler"
                    + " running there? Give its address with --server or $" + SERVER_ENV);
        } catch (HttpTimeoutException e) {
            throw new Failure(Main.FAILED, base + path + " did not answer within " + timeout.toSeconds()
                    + " s; raise --timeout, or look at the reconciler's log");
        } catch (IOException e) {
            throw new Failure(Main.FAILED, "request to " + base + path + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Failure(Main.FAILED, "interrupted");
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(r.body());
        } catch (IOException e) {
            throw new Failure(Main.FAILED, base + path + " answered HTTP " + r.statusCode() + " but not JSON; is "
                    + base + " the reconciler's HTTP API?");
        }
        if (r.statusCode() / 100 == 2) return json;
        String error = json.path("error").asText("HTTP " + r.statusCode());
        String fix = json.path("fix").asText("");
        int code = switch (r.statusCode()) {
            case 404 -> NOT_FOUND;
            case 409 -> REFUSED;
            case 401, 403 -> UNAUTHORIZED;
            case 400 -> Main.USAGE;
            default -> Main.FAILED;
        };
        String hint = (r.statusCode() == 401 && token == null)
                ? "; set $" + TOKEN_ENV + " or pass --token-file" : "";
        throw new Failure(code, error + (fix.isEmpty() ? "" : " (fix: " + fix + ")") + hint);
    }

    /** Runs a client command: its exit code, or the failure's with its message on standard error. */
    static int run(CommandLine.Model.CommandSpec spec, java.util.concurrent.Callable<Integer> body) throws Exception {
        try {
            return body.call();
        } catch (Failure f) {
            spec.commandLine().getErr().println("reconciler: " + f.getMessage());
            return f.code;
        }
    }
}
