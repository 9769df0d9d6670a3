package dev.reconciler.app.config;

import dev.reconciler.app.alert.AlertsSection;
import dev.reconciler.app.metrics.MetricsSection;
import dev.reconciler.app.api.HttpSection;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.source.SourcesSection;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Every key of the configuration file, by section, assembled from the declarations of the features that bind them
 * ({@link StateSection}, {@link HttpSection}, {@link SourcesSection}, {@link FlowSections}, {@link AlertsSection}).
 * The binder reads only keys declared here (reading another is a programming error), reports keys found in a file
 * but not declared here as problems; docs/configuration.md, the JSON Schema ({@link JsonSchema}) and
 * {@code reconciler config print} are made from the same declarations (tests keep the docs and the checked-in schema
 * equal to them).
 *
 * <p>Section names use {@code []} for "each element of a list": {@code sources[]} is one source.
 */
public final class ConfigSchema {
    /** Values of these keys are secrets: never shown in problems, logs or the printed configuration. */
    public static final Set<String> SECRET_KEYS = Set.of("password", "token", "secret", "trustStorePassword",
            "keyStorePassword");

    /** The top level. */
    static final ConfigSection ROOT = ConfigSection.of("",
            ConfigKey.of("state", Kind.SECTION, "mapping", "see below", "",
                "Where the state lives."),
            ConfigKey.of("http", Kind.SECTION, "mapping", "see below", "",
                "The HTTP API and `/metrics`."),
            ConfigKey.of("sources", Kind.SECTIONS, "list", "required", "",
                "The databases to tail, one entry per server."),
            ConfigKey.of("streams", Kind.SECTIONS, "list", "required", "",
                "The flows (sets of tables) the rules compare."),
            ConfigKey.of("rules", Kind.SECTIONS, "list", "required", "",
                "What must match what."),
            ConfigKey.of("engine", Kind.SECTION, "mapping", "see below", "",
                "The time model's bounds."),
            ConfigKey.of("alerts", Kind.SECTION, "mapping", "none", "",
                "Alert sinks and the outbox's bounds (see below and [alerts.md](alerts.md))."),
            ConfigKey.of("metrics", Kind.SECTION, "mapping", "see below", "",
                "What `/metrics` exports beyond the defaults."));

    private static final Map<String, ConfigSection> SECTIONS = new LinkedHashMap<>();

    static {
        List<ConfigSection> all = new ArrayList<>();
        all.add(ROOT);
        all.addAll(StateSection.DECLARED);
        all.addAll(HttpSection.DECLARED);
        all.addAll(SourcesSection.DECLARED);
        all.addAll(FlowSections.DECLARED);
        all.addAll(AlertsSection.DECLARED);
        all.addAll(MetricsSection.DECLARED);
        for (ConfigSection s : all) {
            if (SECTIONS.put(s.path(), s) != null) throw new IllegalStateException("section '" + s.path() + "' declared twice");
        }
        // Every SECTION and SECTIONS key names a declared section.
        for (ConfigSection s : all) {
            for (ConfigKey k : s.keys()) {
                if (k.kind() == Kind.SECTION || k.kind() == Kind.SECTIONS) section(childSection(s.path(), k));
            }
        }
    }

    private ConfigSchema() {
    }

    /** The keys of one section; throws for an unknown section (a programming error). */
    public static List<String> keys(String section) {
        return section(section).names();
    }

    /** One section's declaration; throws for an unknown section (a programming error). */
    public static ConfigSection section(String section) {
        ConfigSection s = SECTIONS.get(section);
        if (s == null) throw new IllegalArgumentException("no configuration section '" + section + "'");
        return s;
    }

    /** Every section, in declaration order, the top level first. */
    public static List<ConfigSection> sections() {
        return List.copyOf(SECTIONS.values());
    }

    /** The section a SECTION or SECTIONS key holds: {@code sources[]} for {@code sources}, {@code sources[].tls}. */
    public static String childSection(String section, ConfigKey key) {
        String path = section.isEmpty() ? key.name() : section + "." + key.name();
        return key.kind() == Kind.SECTIONS ? path + "[]" : path;
    }

    /** Every key as a full path, e.g. {@code sources[].host}, in declaration order. */
    public static List<String> allPaths() {
        List<String> out = new ArrayList<>();
        SECTIONS.forEach((section, s) -> {
            for (String k : s.names()) out.add(section.isEmpty() ? k : section + "." + k);
        });
        return out;
    }

    /** Every key with its full path, in declaration order. */
    public static Map<String, ConfigKey> allKeys() {
        Map<String, ConfigKey> out = new LinkedHashMap<>();
        SECTIONS.forEach((section, s) -> {
            for (ConfigKey k : s.keys()) out.put(section.isEmpty() ? k.name() : section + "." + k.name(), k);
        });
        return out;
    }

    /**
     * The row of docs/configuration.md that documents a key: {@code | `path` | type | default | example | meaning |}.
     * The docs tables are these rows (a test keeps them equal); the prose around them is the docs' own.
     */
    public static String docRow(String path, ConfigKey k) {
        return "| `" + path + "` | " + k.type() + " | " + k.dflt() + " | " + (k.example().isEmpty() ? "" : k.example() + " ")
                + "| " + k.doc() + " |";
    }

    public static boolean isSecret(String key) {
        return SECRET_KEYS.contains(key);
    }
}
