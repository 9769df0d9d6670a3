package dev.reconciler.app.source;

import java.sql.SQLException;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * A source's Debezium connector as Kafka Connect runs it (the distributed mode, docs/scale-out.md): the properties
 * of {@link ConnectorProperties#capture} — the very ones the embedded engine gets — minus the embedded engine's
 * offset and schema-history files, plus what Connect needs. Secrets are never written out: every property whose name
 * is a password becomes a reference a Connect config provider resolves on the worker.
 */
public final class ConnectConnectorConfig {
    /** The properties of the embedded engine that Connect replaces (it keeps offsets in its own topic). */
    static final java.util.List<String> EMBEDDED_ONLY = java.util.List.of("offset.storage", "offset.storage.file.filename",
            "offset.flush.interval.ms", "schema.history.internal.file.filename");

    /** Where Connect workers find the secrets: Kafka's {@code FileConfigProvider} or {@code EnvVarConfigProvider}. */
    public enum Secrets {
        /** {@code ${file:FILE:SOURCE.PROPERTY}}: one properties file (e.g. a mounted Kubernetes Secret). */
        FILE,
        /** {@code ${env:RECONCILER_SOURCE_PROPERTY}}: environment variables of the workers. */
        ENV
    }

    /**
     * @param bootstrapServers  the Kafka cluster the schema history topic is in (the Connect workers' own)
     * @param replicationFactor of the change topics the connector creates
     * @param secrets           how secrets are referenced
     * @param secretsFile       with {@link Secrets#FILE}: the properties file's path on the workers
     */
    public record Options(String bootstrapServers, int replicationFactor, Secrets secrets, String secretsFile) {
        public static final String DEFAULT_SECRETS_FILE = "/mnt/reconciler-db/credentials.properties";

        public Options {
            if (bootstrapServers == null || bootstrapServers.isBlank()) {
                throw new IllegalArgumentException("name the Kafka cluster: --bootstrap-servers HOST:PORT[,...]"
                        + " (the schema history topic lives there)");
            }
            if (replicationFactor < 1) {
                throw new IllegalArgumentException("--replication-factor must be at least 1, was " + replicationFactor);
            }
            secrets = secrets == null ? Secrets.FILE : secrets;
            secretsFile = secretsFile == null ? DEFAULT_SECRETS_FILE : secretsFile;
        }
    }

    /**
     * @param source the source's name in the YAML
     * @param name   the connector's name in Connect (its offsets are stored under it: do not rename a running one)
     * @param config every property, sorted, {@code connector.class} and {@code tasks.max} included
     */
    public record Connector(String source, String name, Map<String, String> config) {
    }

    private ConnectConnectorConfig() {
    }

    /**
     * The connector of {@code source}, whose flavour is settled (not {@code auto}).
     *
     * @param snapshotSelects with a look-back, {@link #lookbackSelects}; else empty
     */
    public static Connector of(SourceConfig source, Map<String, String> snapshotSelects, Options o) {
        Properties p = ConnectorProperties.capture(source, false, snapshotSelects);
        Map<String, String> c = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> c.put(k, p.getProperty(k)));
        EMBEDDED_ONLY.forEach(c::remove);
        String name = c.remove("name");
        c.put("tasks.max", "1");   // a binlog is read by one task whatever this says
        // Schema history in Kafka, as Connect's Debezium needs it (the embedded engine keeps it in a file).
        c.put("schema.history.internal", "io.debezium.storage.kafka.history.KafkaSchemaHistory");
        c.put("schema.history.internal.kafka.bootstrap.servers", o.bootstrapServers());
        c.put("schema.history.internal.kafka.topic", "reconciler.schema-history." + source.name());
        // (Debezium creates it with unlimited retention and the brokers' default.replication.factor)
        // JSON with schemas: the Streams application turns a record back into the Struct the embedded mode's
        // normalizer reads (JsonConverter.toConnectData), so one normalize code serves both modes.
        for (String side : new String[] {"key", "value"}) {
            c.put(side + ".converter", "org.apache.kafka.connect.json.JsonConverter");
            c.put(side + ".converter.schemas.enable", "true");
        }
        // Every captured table (the heartbeat table too) into ONE topic per source, <source>.changes, which the
        // Streams application reads: one partition keeps the source's binlog order across tables, so stage 1 knows
        // that nothing committed before a change or heartbeat is still to come. The key stays the row's primary key
        // (no table identifier added), as in the embedded mode; the table is in each value's source block.
        c.put("transforms", "changes");
        c.put("transforms.changes.type", "io.debezium.transforms.ByLogicalTableRouter");
        c.put("transforms.changes.topic.regex", source.name().replaceAll("[^A-Za-z0-9_]", "\\\\$0") + "\\..*");
        c.put("transforms.changes.topic.replacement", changeTopic(source.name()));
        c.put("transforms.changes.key.enforce.uniqueness", "false");
        // Topics are created by the connector (Connect does not auto-create: without these it stays RUNNING and
        // writes nothing). One partition per change topic: a source's events stay in binlog order, which is what
        // lets stage 1 derive the source's watermark from commit times; scale comes from the facts topic.
        c.put("topic.creation.enable", "true");
        c.put("topic.creation.default.partitions", "1");
        c.put("topic.creation.default.replication.factor", Integer.toString(o.replicationFactor()));
        c.put("topic.creation.default.cleanup.policy", "delete");
        c.put("topic.creation.default.retention.ms", Long.toString(7L * 24 * 3600 * 1000));
        c.replaceAll((k, v) -> DebeziumPasswords.isSecret(k) ? reference(source.name(), k, o) : v);
        return new Connector(source.name(), name, c);
    }

    /** The topic a source's connector writes every change to (the Streams application reads it). */
    public static String changeTopic(String source) {
        return source + ".changes";
    }

    /** The snapshot SELECTs of the source's look-back: asks the server for its clock and lists the captured tables. */
    public static Map<String, String> lookbackSelects(SourceConfig source) throws SQLException {
        return DebeziumSource.lookbackSelects(source);
    }

    /** The config provider reference of a secret property. */
    static String reference(String source, String property, Options o) {
        return switch (o.secrets()) {
            case FILE -> "${file:" + o.secretsFile() + ":" + source + "." + property + "}";
            case ENV -> "${env:" + envName(source, property) + "}";
        };
    }

    /** e.g. {@code RECONCILER_ORDERS_DATABASE_PASSWORD} for source orders' {@code database.password}. */
    public static String envName(String source, String property) {
        return ("RECONCILER_" + source + "_" + property).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Which connector properties are secrets. */
    static final class DebeziumPasswords {
        private DebeziumPasswords() {
        }

        static boolean isSecret(String key) {
            String k = key.toLowerCase(Locale.ROOT);
            return k.contains("password") || k.contains("secret") || k.contains("token") || k.contains("credential");
        }
    }
}
