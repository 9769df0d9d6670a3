package dev.reconciler.app.cli;

import dev.reconciler.app.config.ConfigSchema;
import dev.reconciler.app.config.EffectiveConfig;
import dev.reconciler.app.config.JsonSchema;
import dev.reconciler.app.config.ReconcilerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@code reconciler config schema|print}: the configuration file's JSON Schema, and a file's effective values. */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "The configuration file: its JSON Schema, and the effective values of a file with their origin.",
        subcommands = {ConfigCommand.Schema.class, ConfigCommand.Print.class, CommandLine.HelpCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler config schema > reconciler.schema.json",
                "  reconciler config print --config reconciler.yml"})
final class ConfigCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command: schema or print");
    }

    @Command(name = "schema", mixinStandardHelpOptions = true,
            description = {"Prints the JSON Schema (draft-07) of the configuration file, for editors and CI checks.",
                    "With the YAML language server (VS Code's YAML extension, IntelliJ, Neovim), a first line",
                    "  # yaml-language-server: $schema=reconciler.schema.json",
                    "gives completion, descriptions and checks while editing. docs/reconciler.schema.json is the same."},
            footer = {"", "Exit codes: 0 printed."})
    static final class Schema implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().getOut().print(JsonSchema.text());
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }

    @Command(name = "print", mixinStandardHelpOptions = true,
            description = {"Prints the effective configuration: every key with the value the reconciler uses and its",
                    "origin (the file's line, the environment variable, the secret file, or the default). Secrets are",
                    "masked; alert sink URLs are shown by scheme and host. The file is validated first."},
            footer = {"", "Exit codes: 0 printed, 1 the file has problems (listed, as validate does), 2 usage error."})
    static final class Print implements Callable<Integer> {
        private static final Pattern SERVER_ID = Pattern.compile("sources\\[(\\d+)]\\.serverId");

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @CommandLine.Mixin
        ConfigFile config;

        @Option(names = "--format", defaultValue = "text", paramLabel = "FORMAT",
                description = "text (aligned lines: path = value  # origin) or json (a list of {path, value, origin}).")
        String format;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!format.equals("text") && !format.equals("json")) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--format: use text or json, not '"
                        + format + "'");
            }
            ReconcilerConfig c = config.load(err);
            if (c == null) return Main.PROBLEMS;
            String yaml = Files.readString(config.path, StandardCharsets.UTF_8);
            List<EffectiveConfig.Entry> entries = EffectiveConfig.of(yaml, System::getenv, path -> {
                Matcher m = SERVER_ID.matcher(path);
                return m.matches() ? Long.toString(c.sources().get(Integer.parseInt(m.group(1))).config().serverId())
                        : null;
            });
            if (format.equals("json")) {
                out.println(dev.reconciler.app.api.Json.MAPPER.writerWithDefaultPrettyPrinter()
                        .writeValueAsString(entries));
            } else {
                out.println("# " + config.path + ": the effective configuration (" + ConfigSchema.allPaths().size()
                        + " keys declared; secrets masked)");
                out.print(EffectiveConfig.text(entries));
            }
            out.flush();
            return Main.OK;
        }
    }
}
