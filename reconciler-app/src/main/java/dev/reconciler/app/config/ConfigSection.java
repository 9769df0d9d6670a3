package dev.reconciler.app.config;

import java.util.List;

/**
 * The keys of one mapping of the configuration file, e.g. {@code sources[]} (each source) or {@code sources[].tls},
 * as a feature declares them.
 *
 * @param path the section's path with {@code []} for "each element of a list"; the top level is {@code ""}
 */
public record ConfigSection(String path, List<ConfigKey> keys) {

    public ConfigSection {
        keys = List.copyOf(keys);
    }

    public static ConfigSection of(String path, ConfigKey... keys) {
        return new ConfigSection(path, List.of(keys));
    }

    public List<String> names() {
        return keys.stream().map(ConfigKey::name).toList();
    }

    public ConfigKey key(String name) {
        for (ConfigKey k : keys) {
            if (k.name().equals(name)) return k;
        }
        return null;
    }
}
