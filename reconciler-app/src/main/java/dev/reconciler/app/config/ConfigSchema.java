package dev.reconciler.app.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every key of the configuration file, by section. The binder reads only keys declared here (reading another is a
 * programming error), reports keys found in a file but not declared here as problems, and docs/configuration.md
 * documents exactly these (a test keeps the two one list).
 *
 * <p>Section names use {@code []} for "each element of a list": {@code sources[]} is one source.
 */
public final class ConfigSchema {
    /** Values of these keys are secrets: never shown in problems, logs or the printed configuration. */
    public static final Set<String> SECRET_KEYS = Set.of("password", "token", "secret", "trustStorePassword",
            "keyStorePassword");

    private static final Map<String, List<String>> SECTIONS = new LinkedHashMap<>();

    static {
        SECTIONS.put("", List.of("state", "http", "sources", "streams", "rules", "engine", "alerts", "metrics"));
        SECTIONS.put("state", List.of("dir", "cacheSize", "writeBufferSize", "syncWrites"));
        SECTIONS.put("http", List.of("bindAddress", "port", "token", "protectReads", "workerThreads", "queueSize",
                "idleTimeout", "readTimeout", "maxHeaderSize", "maxBodySize"));
        SECTIONS.put("sources[]", List.of("name", "flavour", "host", "port", "user", "password", "databases",
                "serverId", "snapshot", "snapshotLookback", "snapshotLookbackColumn", "autoResync", "heartbeatTable",
                "heartbeatInterval", "tls"));
        SECTIONS.put("sources[].tls", List.of("mode", "trustStore", "trustStorePassword", "keyStore",
                "keyStorePassword"));
        SECTIONS.put("streams[]", List.of("name", "tables", "columns"));
        SECTIONS.put("streams[].tables[]", List.of("source", "table"));
        SECTIONS.put("rules[]", List.of("name", "left", "right", "key", "quantity", "multiplicity", "grace"));
        SECTIONS.put("rules[].left", List.of("stream", "filter"));
        SECTIONS.put("rules[].right", List.of("stream", "filter"));
        SECTIONS.put("rules[].quantity", List.of("left", "right", "tolerance"));
        SECTIONS.put("engine", List.of("clockSkew", "stallAfter", "retention"));
        SECTIONS.put("metrics", List.of("perTable"));
        SECTIONS.put("alerts", List.of("publicUrl", "sinks", "stormThreshold", "stormSample", "journalMaxAge",
                "journalMaxEntries"));
        SECTIONS.put("alerts.sinks[]", List.of("name", "type", "url", "secret", "headers", "timeout", "resendInterval",
                "resendLimit", "stormThreshold", "minBackoff", "maxBackoff"));
    }

    private ConfigSchema() {
    }

    /** The keys of one section; throws for an unknown section (a programming error). */
    public static List<String> keys(String section) {
        List<String> k = SECTIONS.get(section);
        if (k == null) throw new IllegalArgumentException("no configuration section '" + section + "'");
        return k;
    }

    /** Every key as a full path, e.g. {@code sources[].host}, in declaration order. */
    public static List<String> allPaths() {
        List<String> out = new ArrayList<>();
        SECTIONS.forEach((section, keys) -> {
            for (String k : keys) out.add(section.isEmpty() ? k : section + "." + k);
        });
        return out;
    }

    public static boolean isSecret(String key) {
        return SECRET_KEYS.contains(key);
    }
}
