package dev.reconciler.app.config;

import dev.reconciler.app.source.SourceConfig;

/**
 * A configured source: its {@link SourceConfig}, and whether its flavour is to be detected from the server's version
 * when the reconciler connects ({@code flavour: auto}, the default).
 *
 * @param config with {@code autoFlavour}, the flavour in it is only a placeholder until {@link #withFlavour}
 */
public record SourceSpec(SourceConfig config, boolean autoFlavour) {

    public String name() {
        return config.name();
    }

    /** The same source read with {@code flavour}. */
    public SourceConfig withFlavour(SourceConfig.Flavour flavour) {
        return config.withFlavour(flavour);
    }

    /** The same source capturing {@code tables}. */
    public SourceSpec withTables(java.util.List<String> tables) {
        return new SourceSpec(config.withTables(tables), autoFlavour);
    }

    @Override
    public String toString() {
        return autoFlavour ? "source " + config.name() + " (auto " + config.user() + "@" + config.host() + ":"
                + config.port() + ")" : config.toString();
    }
}
