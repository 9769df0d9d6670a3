package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import dev.reconciler.app.config.ConfigException;
import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.runtime.ServerVersion;
import dev.reconciler.app.source.ConnectConnectorConfig;
import dev.reconciler.app.source.ConnectConnectorConfig.Connector;
import dev.reconciler.app.source.ConnectConnectorConfig.Secrets;
import dev.reconciler.app.source.SourceConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "connect-config", mixinStandardHelpOptions = true,
        description = {"Prints the Debezium connector configuration of every source (or of --source) for Kafka Connect,"
                + " the distributed mode (docs/scale-out.md): the same tables, heartbeat table, snapshot look-back, TLS,"
                + " server id and topic prefix as `run`, from the same YAML.",
                "Secrets are never printed: each password is a config provider reference (${file:...} or ${env:...})"
                        + " that the Connect workers resolve. With flavour auto or a snapshot look-back, the command"
                        + " connects to the source to detect the flavour, list the captured tables and fix the"
                        + " look-back's cut-off (a later deployment reads more rows, never fewer)."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler connect-config -c reconciler.yml --bootstrap-servers kafka:9092 --source orders \\",
                "      | curl -X POST -H 'Content-Type: application/json' --data @- http://connect:8083/connectors",
                "  reconciler connect-config -c reconciler.yml --bootstrap-servers reconciler-kafka-bootstrap:9092 \\",
                "      --format strimzi --output-dir deploy/k8s/distributed/connectors",
                "",
                "Exit codes: 0 printed, 1 configuration problems or a source that had to be reached and was not,"
                        + " 2 usage error, 3 output could not be written."})
final class ConnectConfigCommand implements Callable<Integer> {
    /** What an unset ${VAR} reads as here: secrets need not be set to generate references to them. */
    static final String UNSET = "UNSET_ENVIRONMENT_VARIABLE_";

    enum Format { JSON, STRIMZI }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    ConfigFile config;

    @Option(names = "--bootstrap-servers", required = true, paramLabel = "HOST:PORT[,...]",
            description = "The Kafka cluster of the Connect workers (Debezium keeps each source's schema history there).")
    String bootstrapServers;

    @Option(names = "--source", paramLabel = "NAME", description = "Only this source (repeatable); default: every source.")
    List<String> sources = new ArrayList<>();

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "json",
            description = "json: the body of POST /connectors (an array for several sources); strimzi: KafkaConnector"
                    + " resources. Default: ${DEFAULT-VALUE}.")
    String format;

    @Option(names = "--connect-cluster", paramLabel = "NAME", defaultValue = "reconciler-connect",
            description = "With --format strimzi: the KafkaConnect resource's name (label strimzi.io/cluster). Default: ${DEFAULT-VALUE}.")
    String connectCluster;

    @Option(names = "--replication-factor", paramLabel = "N", defaultValue = "3",
            description = "Of the change topics the connectors create. Default: ${DEFAULT-VALUE}.")
    int replicationFactor;

    @Option(names = "--secrets", paramLabel = "file|env", defaultValue = "file",
            description = "file: ${file:FILE:SOURCE.PROPERTY} (Kafka's FileConfigProvider); env:"
                    + " ${env:RECONCILER_SOURCE_PROPERTY} (EnvVarConfigProvider). Default: ${DEFAULT-VALUE}.")
    String secrets;

    @Option(names = "--secrets-file", paramLabel = "PATH", defaultValue = ConnectConnectorConfig.Options.DEFAULT_SECRETS_FILE,
            description = "With --secrets file: the properties file on the workers. Default: ${DEFAULT-VALUE}.")
    String secretsFile;

    @Option(names = "--output-dir", paramLabel = "DIR",
            description = "Write one file per connector (NAME.json or NAME.yaml) instead of printing.")
    Path outputDir;

    /** The environment the YAML's ${VAR}s read (tests pass their own). */
    private final java.util.function.Function<String, String> environment;

    ConnectConfigCommand() {
        this(System::getenv);
    }

    ConnectConfigCommand(java.util.function.Function<String, String> environment) {
        this.environment = environment;
    }

    @Override
    public Integer call() throws IOException {
        logsToStandardError();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Format f = parse(Format.class, "--format", format);
        Secrets s = parse(Secrets.class, "--secrets", secrets);
        ConnectConnectorConfig.Options options;
        try {
            options = new ConnectConnectorConfig.Options(bootstrapServers, replicationFactor, s, secretsFile);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        ReconcilerConfig c = load(err);
        if (c == null) return Main.PROBLEMS;
        List<SourceSpec> chosen = new ArrayList<>();
        for (String name : sources) {
            SourceSpec spec = c.sources().stream().filter(x -> x.name().equals(name)).findFirst().orElse(null);
            if (spec == null) {
                err.println("--source " + name + ": no such source; the configuration has "
                        + c.sources().stream().map(SourceSpec::name).toList());
                return Main.PROBLEMS;
            }
            chosen.add(spec);
        }
        if (chosen.isEmpty()) chosen.addAll(c.sources());
        List<String> problems = new ArrayList<>();
        List<Connector> connectors = new ArrayList<>();
        for (SourceSpec spec : chosen) {
            Connector connector = connector(spec, options, problems, err);
            if (connector != null) connectors.add(connector);
        }
        if (!problems.isEmpty()) {
            err.println(config.path + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems")
                    + ":\n  - " + String.join("\n  - ", problems));
            return Main.PROBLEMS;
        }
        write(connectors, f, out, err);
        return Main.OK;
    }

    /**
     * The file bound with the environment, where a variable that is not set (e.g. a password only the Connect workers
     * know) reads as a marker: generation fails only where such a value would be printed. Null after printing the
     * problems.
     */
    private ReconcilerConfig load(PrintWriter err) {
        try {
            return new ConfigLoader(environment).load(config.path);
        } catch (ConfigException first) {
            java.util.Set<String> unset = new java.util.HashSet<>();
            java.util.regex.Matcher m = UNSET_PROBLEM.matcher(first.getMessage());
            while (m.find()) unset.add(m.group(1));
            if (!unset.isEmpty()) {
                try {
                    return new ConfigLoader(name -> unset.contains(name) ? UNSET + name : environment.apply(name))
                            .load(config.path);
                } catch (ConfigException ignored) {
                    // the first message names the variables to set
                }
            }
            err.println(first.getMessage());
            return null;
        }
    }

    private static final java.util.regex.Pattern UNSET_PROBLEM =
            java.util.regex.Pattern.compile("environment variable ([A-Za-z0-9_]+) is not set");

    /** The connector of one source, or null after adding why not to {@code problems}. */
    private Connector connector(SourceSpec spec, ConnectConnectorConfig.Options options, List<String> problems,
                                PrintWriter err) {
        SourceConfig source = spec.config();
        boolean lookback = source.snapshot() == SourceConfig.Snapshot.INITIAL && source.snapshotLookback() != null;
        if (spec.autoFlavour() || lookback) {
            String why = spec.autoFlavour() ? "detect its flavour (flavour: auto)" : "list its tables and fix the"
                    + " snapshot look-back's cut-off";
            ServerVersion.Resolved r = ServerVersion.resolve(spec);
            if (r.version() == null) {
                problems.add("source " + spec.name() + ": cannot reach " + source.host() + ":" + source.port()
                        + " to " + why + "; run where the database is reachable (`reconciler validate --connect`"
                        + " says why not)" + (spec.autoFlavour() ? ", or set flavour: mariadb or mysql" : ""));
                return null;
            }
            if (r.mismatch() != null) {
                problems.add("source " + spec.name() + " is " + r.mismatch());
                return null;
            }
            source = r.config();
        }
        Map<String, String> selects = Map.of();
        if (lookback) {
            try {
                selects = ConnectConnectorConfig.lookbackSelects(source);
            } catch (SQLException e) {
                problems.add("source " + spec.name() + ": cannot list its tables for the snapshot look-back ("
                        + e.getMessage() + "); `reconciler validate --connect` checks the privileges");
                return null;
            }
        }
        Connector connector = ConnectConnectorConfig.of(source, selects, options);
        connector.config().forEach((k, v) -> {
            int at = v.indexOf(UNSET);
            if (at >= 0) {
                String var = v.substring(at + UNSET.length()).split("[^A-Za-z0-9_]", 2)[0];
                problems.add("source " + spec.name() + ": " + k + " comes from environment variable " + var
                        + ", which is not set; export it (only passwords may be left unset: they are not printed)");
            }
        });
        err.println("connector " + connector.name() + ": " + source.flavour().name().toLowerCase(Locale.ROOT)
                + ", topic " + ConnectConnectorConfig.changeTopic(source.name()) + (lookback ? ", snapshot of " + selects.size()
                + " tables within the look-back" : ""));
        return connector;
    }

    private void write(List<Connector> connectors, Format f, PrintWriter out, PrintWriter err) throws IOException {
        ObjectMapper mapper = f == Format.JSON ? new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                : new ObjectMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
                .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build());
        List<Object> docs = new ArrayList<>();
        for (Connector connector : connectors) docs.add(f == Format.JSON ? restBody(connector) : strimzi(connector));
        if (outputDir != null) {
            Files.createDirectories(outputDir);
            for (int i = 0; i < connectors.size(); i++) {
                Path file = outputDir.resolve(resourceName(connectors.get(i).name()) + (f == Format.JSON ? ".json" : ".yaml"));
                Files.writeString(file, mapper.writeValueAsString(docs.get(i)));
                err.println("wrote " + file);
            }
            return;
        }
        if (f == Format.JSON) {
            out.println(mapper.writeValueAsString(docs.size() == 1 ? docs.get(0) : docs));
        } else {
            for (int i = 0; i < docs.size(); i++) {
                if (i > 0) out.println("---");
                out.print(mapper.writeValueAsString(docs.get(i)));
            }
            out.flush();
        }
    }

    /** The body of Connect's {@code POST /connectors}. */
    static Map<String, Object> restBody(Connector c) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("name", resourceName(c.name()));
        Map<String, String> config = new LinkedHashMap<>();
        config.put("name", resourceName(c.name()));
        config.putAll(c.config());
        body.put("config", config);
        return body;
    }

    /** A Strimzi {@code KafkaConnector}: class and tasksMax are fields of their own, the rest is config. */
    Map<String, Object> strimzi(Connector c) {
        Map<String, String> config = new LinkedHashMap<>(c.config());
        String connectorClass = config.remove("connector.class");
        int tasks = Integer.parseInt(config.remove("tasks.max"));
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", resourceName(c.name()));
        metadata.put("labels", Map.of("strimzi.io/cluster", connectCluster, "app.kubernetes.io/part-of", "reconciler"));
        Map<String, Object> specMap = new LinkedHashMap<>();
        specMap.put("class", connectorClass);
        specMap.put("tasksMax", tasks);
        specMap.put("config", config);
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("apiVersion", "kafka.strimzi.io/v1beta2");
        doc.put("kind", "KafkaConnector");
        doc.put("metadata", metadata);
        doc.put("spec", specMap);
        return doc;
    }

    /**
     * A Kubernetes object name (Strimzi names the connector after it): lower case, {@code -} for other characters.
     * The REST format uses the same name, so both formats keep their offsets under one connector name.
     */
    static String resourceName(String name) {
        return name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.-]", "-");
    }

    /**
     * Standard output carries the configuration (piped into curl or kubectl): the few log lines (the look-back's
     * cut-off) go to standard error instead.
     */
    private static void logsToStandardError() {
        if (!(org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME) instanceof ch.qos.logback.classic.Logger root)) {
            return;
        }
        root.iteratorForAppenders().forEachRemaining(a -> {
            if (a instanceof ch.qos.logback.core.ConsoleAppender<?> console && !"System.err".equals(console.getTarget())) {
                console.stop();
                console.setTarget("System.err");
                console.start();
            }
        });
    }

    private <E extends Enum<E>> E parse(Class<E> type, String option, String value) {
        try {
            return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), option + " " + value + ": use one of "
                    + java.util.Arrays.stream(type.getEnumConstants()).map(x -> x.name().toLowerCase(Locale.ROOT)).toList());
        }
    }
}
