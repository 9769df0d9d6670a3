package dev.reconciler.app.cli;

import dev.reconciler.app.config.ConfigException;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;

/** The {@code -c/--config FILE} option of the commands that read a configuration file, and reading it. */
final class ConfigFile {
    @Option(names = {"-c", "--config"}, required = true, paramLabel = "FILE", description = "The YAML configuration file.")
    Path path;

    /** The file, bound with the environment; null after printing every problem to {@code err}. */
    ReconcilerConfig load(PrintWriter err) {
        try {
            return ConfigLoader.fromEnvironment().load(path);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return null;
        }
    }
}
