package dev.reconciler.app.api;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The web console's files (docs/console.md): plain HTML, CSS and JavaScript shipped in the jar under
 * {@code /reconciler/console/}, read once and served from memory. No build chain, no CDN: the page works offline.
 *
 * <p>Caching: {@code index.html} is revalidated on every load ({@code no-cache}); it names each asset with a hash of
 * its content ({@code console.js?h=1a2b3c4d5e6f}), and an asset asked for with its current hash is cached for a year
 * ({@code immutable}), so after an upgrade the browser never runs a stale script against a newer API. An asset asked
 * for without the current hash is served with {@code no-cache}.
 *
 * <p>Every file carries a strict Content-Security-Policy (scripts, styles and requests only from this origin, no
 * inline script, no framing), {@code X-Content-Type-Options: nosniff} and {@code Referrer-Policy: no-referrer}, so a
 * value from a database row shown on the page can never run as script, and the page's address (with a discrepancy
 * id) is not sent elsewhere.
 */
final class ConsoleFiles {
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
            + " connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final String ROOT = "/reconciler/console/";
    /** The assets index.html loads, with their content types. */
    private static final Map<String, String> ASSETS = Map.of(
            "console.js", "text/javascript; charset=utf-8",
            "console.css", "text/css; charset=utf-8");

    private record File(String text, String contentType, String hash) {
    }

    private final String index;
    private final Map<String, File> assets = new LinkedHashMap<>();

    ConsoleFiles() {
        String html = read("index.html");
        for (Map.Entry<String, String> e : ASSETS.entrySet()) {
            String text = read(e.getKey());
            File f = new File(text, e.getValue(), hash(text));
            assets.put(e.getKey(), f);
            // index.html names each asset as "/console/NAME" (no hash); the hash is added here
            html = html.replace("\"/console/" + e.getKey() + "\"", "\"/console/" + e.getKey() + "?h=" + f.hash() + "\"");
        }
        index = html;
    }

    Router.Reply index() {
        return secured(Router.Reply.text(200, index, "text/html; charset=utf-8")).withHeader("Cache-Control", "no-cache");
    }

    /** @param hash the {@code h} parameter of the request; null when absent */
    Router.Reply asset(String name, String hash) {
        File f = assets.get(name);
        if (f == null) {
            throw ApiException.notFound("no console file '" + ApiException.shown(name) + "'",
                    "open the console at / ; it loads its own files");
        }
        String cache = f.hash().equals(hash) ? "public, max-age=31536000, immutable" : "no-cache";
        return secured(Router.Reply.text(200, f.text(), f.contentType())).withHeader("Cache-Control", cache);
    }

    private static Router.Reply secured(Router.Reply r) {
        return r.withHeader("Content-Security-Policy", CSP)
                .withHeader("X-Content-Type-Options", "nosniff")
                .withHeader("Referrer-Policy", "no-referrer")
                .withHeader("X-Frame-Options", "DENY");
    }

    private static String read(String name) {
        try (InputStream in = ConsoleFiles.class.getResourceAsStream(ROOT + name)) {
            if (in == null) throw new IllegalStateException("console file " + ROOT + name + " is not in the jar; rebuild it");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
