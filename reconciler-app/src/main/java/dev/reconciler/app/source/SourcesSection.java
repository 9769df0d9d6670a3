package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;
import dev.reconciler.app.config.SourceSpec;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The {@code sources} list: the databases to tail ({@link SourceConfig}, {@link Tls}). Each key is declared here
 * once, with its docs row: docs/configuration.md, the JSON Schema and {@code reconciler config print} are made from
 * these declarations.
 */
public final class SourcesSection {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("sources[]",
            ConfigKey.of("name", Kind.TEXT, "name", "required", "`orders`",
                "Unique; letters, digits, `_`, `-`. Streams, metrics (`source` label) and the state directory use it."),
            ConfigKey.of("flavour", Kind.CHOICE, "`auto`, `mariadb`, `mysql`", "`auto`", "`mysql`",
                "Which connector reads it. `auto` asks the server for its version when the reconciler starts (a"
                + " version containing `MariaDB` → `mariadb`, else `mysql`).")
                .choices("auto", "mariadb", "mysql"),
            ConfigKey.of("host", Kind.TEXT, "host", "required", "`${ORDER_DB_HOST:-127.0.0.1}`",
                "The server. For failover to a replica, a name that follows the primary (a DNS name, a virtual IP or"
                + " a proxy): the source reconnects to it and resumes from its GTID position."),
            ConfigKey.of("port", Kind.INTEGER, "integer", "`3306`", "`3307`",
                "Its port.")
                .range(1L, 65535L),
            ConfigKey.of("user", Kind.TEXT, "text", "required", "`reconciler`",
                "The capture user."),
            ConfigKey.of("password", Kind.TEXT, "secret", "empty", "`${ORDER_DB_PASSWORD}`",
                "Its password."),
            ConfigKey.of("databases", Kind.TEXTS, "list of names", "required", "`[orders]`",
                "The databases (schemas) holding the streams' tables."),
            ConfigKey.of("serverId", Kind.INTEGER, "integer", "`5401`, `5402`, … in file order", "`5401`",
                "The replication client id the reader presents; unique among everything that replicates from the"
                + " server, and among the sources of this file.")
                .range(1L, 4294967295L),
            ConfigKey.of("snapshot", Kind.CHOICE, "`initial`, `from_now`", "`initial`", "`from_now`",
                "On the very first start (no offsets in `state.dir`): `initial` reads the existing rows, then the"
                + " binlog; `from_now` starts at the current binlog position. Later starts resume from the offsets.")
                .choices("initial", "from_now"),
            ConfigKey.of("snapshotLookback", Kind.DURATION, "duration", "none (read every row)", "`3d`",
                "With `snapshot: initial`: read only rows whose `snapshotLookbackColumn` is within this look-back of"
                + " the server's clock when the source first starts, so that years of history are not read again. A"
                + " counterpart older than the look-back is not read and its pair can show up as missing: choose it"
                + " well beyond `grace`."),
            ConfigKey.of("snapshotLookbackColumn", Kind.TEXT, "column", "`gmt_modified`", "`gmt_create`",
                "The column holding each row's last change time (DATETIME or TIMESTAMP in the server's time zone),"
                + " for `snapshotLookback`."),
            ConfigKey.of("autoResync", Kind.DURATION, "duration", "none (wait for an operator)", "`6h`",
                "When the server no longer has the binlog at the stored position (purged): re-read by itself the"
                + " rows whose `snapshotLookbackColumn` changed within this look-back, then stream from the binlog's"
                + " end; the window before it that was not read is reported once as a coverage gap. Without it the"
                + " source shows `BINLOG_GAP` and waits for `reconciler resync` (docs/operations.md)."),
            ConfigKey.of("heartbeatTable", Kind.TEXT, "`database.table`", "none", "`orders.reconciler_heartbeat`",
                "A table the reconciler creates and updates every `heartbeatInterval`, so that an idle database"
                + " still moves the source's watermark through the binlog. Needs `CREATE, INSERT, UPDATE` on it."
                + " Without it, an idle source holds every pair waiting on it and is eventually reported stalled."),
            ConfigKey.of("heartbeatInterval", Kind.DURATION, "duration", "`1s`", "`5s`",
                "How often to write the heartbeat, at most: each beat falls just after a second starts on the"
                + " database's clock, at least a second apart (binlog times are whole seconds, so a closer beat"
                + " cannot move the watermark sooner)."),
            ConfigKey.of("tls", Kind.SECTION, "mapping", "none (`mode: preferred`)", "see below",
                "Encryption and trust of every connection to this server: the binlog reader, Debezium's queries and"
                + " the reconciler's own (checks, heartbeats, `verify`)."),
            ConfigKey.of("debezium", Kind.MAP, "mapping", "none", "`{max.queue.size: 16384, snapshot.fetch.size: 5000}`",
                "Connector properties passed to this source's Debezium engine as written, after the reconciler's"
                + " own (so they may tune `max.batch.size`, `max.queue.size`, `poll.interval.ms`,"
                + " `connect.keep.alive.interval.ms`, `offset.flush.interval.ms`, `snapshot.locking.mode`). Properties"
                + " the reconciler owns are refused with the reason: see [connector properties](#connector-properties)."
                + " Values whose name holds `password`, `secret`, `token` or `credential` are treated as secrets.")),
        ConfigSection.of("sources[].tls",
            ConfigKey.of("mode", Kind.CHOICE, "`disabled`, `preferred`, `required`, `verify_ca`, `verify_identity`", "`preferred`", "`verify_identity`",
                "`disabled`: never encrypted. `preferred`: the drivers' defaults (MySQL encrypts when the server"
                + " offers it, unverified; MariaDB's connector and driver do not encrypt). `required`: encrypted or no"
                + " connection, the certificate not checked. `verify_ca`: and the server's certificate must be signed"
                + " by a CA in `trustStore`. `verify_identity`: and it must name `host`.")
                .choices("disabled", "preferred", "required", "verify_ca", "verify_identity"),
            ConfigKey.of("trustStore", Kind.TEXT, "path", "the JVM's trust store", "`/run/secrets/db-ca.p12`",
                "A PKCS12 (or JKS) file with the CA certificate(s) that signed the server's certificate. Only with"
                + " `required` or stricter."),
            ConfigKey.of("trustStorePassword", Kind.TEXT, "secret", "empty", "`${file:/run/secrets/db-ca-password}`",
                "Its password."),
            ConfigKey.of("keyStore", Kind.TEXT, "path", "none", "`/run/secrets/reconciler-client.p12`",
                "A PKCS12 (or JKS) file with the client certificate and its key, for a user created `REQUIRE X509`"
                + " (or `SUBJECT`/`ISSUER`). Only with `required` or stricter."),
            ConfigKey.of("keyStorePassword", Kind.TEXT, "secret", "empty", "`${file:/run/secrets/db-client-password}`",
                "Its password (also the key's).")));

    /** Replication client ids given to sources without a serverId: 5401, 5402, ... in file order. */
    public static final long FIRST_SERVER_ID = 5401;
    static final Duration DEFAULT_HEARTBEAT = Duration.ofSeconds(1);
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z0-9_$]+\\.[A-Za-z0-9_$]+");

    /**
     * The {@code sources} list; sources with problems are left out (and the problems added). The captured tables
     * are filled in once the streams are known.
     */
    public static List<SourceSpec> bind(Section root, List<Section> list) {
        if (list.isEmpty() && !root.has("sources")) {
            root.problem("sources", "none declared; declare the databases to tail, e.g. one for orders and one for"
                    + " inventory (see deploy/config/order-inventory.yml)");
        }
        List<SourceSpec> out = new ArrayList<>();
        Map<String, Integer> names = new HashMap<>();
        Map<Long, Integer> ids = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Section s = list.get(i);
            String name = s.required("name", "orders");
            if (name != null && !NAME.matcher(name).matches()) {
                s.problem("name", "'" + name + "' may hold only letters, digits, '_' and '-' (it names metrics and a"
                        + " state directory)");
                name = null;
            }
            if (name != null && names.putIfAbsent(name, i) != null) {
                s.problem("name", "'" + name + "' is also the name of sources[" + names.get(name) + "]; give each"
                        + " source a unique name");
            }
            SourceFlavour flavour = s.choice("flavour", SourceFlavour.class, SourceFlavour.AUTO);
            String host = s.required("host", "db.example.internal");
            Integer port = s.integer("port", 3306, 1, 65535);
            String user = s.required("user", "reconciler");
            String password = s.text("password", "");
            List<String> databases = s.texts("databases");
            if (databases == null || databases.isEmpty()) {
                if (!s.has("databases")) s.problem("databases", "missing; list the databases (schemas) whose tables"
                        + " the streams read, e.g. databases: [orders]");
                else if (databases != null) s.problem("databases", "is empty; list at least one database");
                databases = null;
            } else {
                for (String db : databases) {
                    if (!db.matches("[A-Za-z0-9_$]+")) {
                        s.problem("databases", "'" + db + "' is not a plain database name (letters, digits, _ and $)");
                    }
                }
            }
            Long serverId = s.longValue("serverId", 1, 4_294_967_295L);
            if (serverId == null && !s.has("serverId")) serverId = FIRST_SERVER_ID + i;
            if (serverId != null && ids.putIfAbsent(serverId, i) != null) {
                s.problem("serverId", serverId + " is also the serverId of sources[" + ids.get(serverId)
                        + "]; every reader of a binlog needs its own replication client id");
            }
            SourceConfig.Snapshot snapshot = s.choice("snapshot", SourceConfig.Snapshot.class, SourceConfig.Snapshot.INITIAL);
            Duration lookback = s.duration("snapshotLookback", null);
            boolean lookbackOk = !s.has("snapshotLookback") || lookback != null;
            String lookbackColumn = s.text("snapshotLookbackColumn");
            if (lookbackColumn != null && lookbackColumn.isBlank()) lookbackColumn = null;
            String heartbeat = s.text("heartbeatTable");
            if (heartbeat != null && heartbeat.isBlank()) heartbeat = null;
            if (heartbeat != null && !TABLE_NAME.matcher(heartbeat.trim()).matches()) {
                s.problem("heartbeatTable", "'" + heartbeat + "' is not database.table (e.g. orders.reconciler_heartbeat)");
            }
            Duration autoResync = s.duration("autoResync", null);
            boolean autoResyncOk = !s.has("autoResync") || autoResync != null;
            Tls tls = tls(s.section("tls", "sources[].tls"));
            Map<String, String> debezium = debezium(s);
            Duration interval = s.duration("heartbeatInterval", DEFAULT_HEARTBEAT);
            if (interval != null && (interval.isZero() || interval.isNegative())) {
                s.problem("heartbeatInterval", "must be more than 0, e.g. 1s");
            }
            if (name == null || flavour == null || host == null || port == null || user == null || password == null
                    || databases == null || serverId == null || snapshot == null || interval == null || !lookbackOk
                    || !autoResyncOk || tls == null || debezium == null) {
                continue;
            }
            SourceConfig.Flavour f = flavour == SourceFlavour.MYSQL ? SourceConfig.Flavour.MYSQL : SourceConfig.Flavour.MARIADB;
            // The captured tables are filled in once the streams are known.
            try {
                out.add(new SourceSpec(new SourceConfig(name, f, host, port, user, password, databases, List.of(),
                        serverId, snapshot, heartbeat == null ? null : heartbeat.trim(), interval, lookback,
                        lookbackColumn == null ? null : lookbackColumn.trim(), autoResync, tls, debezium),
                        flavour == SourceFlavour.AUTO));
            } catch (IllegalArgumentException e) {
                // SourceConfig's own checks ("source NAME: snapshotLookback ..."): name the key they are about.
                String msg = e.getMessage().replaceFirst("^source " + Pattern.quote(name) + ": ", "");
                String key = msg.startsWith("snapshotLookbackColumn") ? "snapshotLookbackColumn"
                        : msg.startsWith("snapshotLookback") ? "snapshotLookback"
                        : msg.startsWith("autoResync") ? "autoResync" : null;
                if (key != null) s.problem(key, msg.substring(key.length()).replaceFirst("^[ :]+", ""));
                else s.problems().add(s.path() + ": " + msg);
            }
        }
        return out;
    }

    /** A source's {@code debezium} map of connector properties; null (with problems) when it is wrong. */
    private static Map<String, String> debezium(Section s) {
        Map<String, JsonNode> raw = s.mapping("debezium");
        if (raw == null) return s.has("debezium") ? null : Map.of();
        int before = s.problems().size();
        Map<String, String> out = new java.util.TreeMap<>();
        for (Map.Entry<String, JsonNode> e : raw.entrySet()) {
            String path = s.path("debezium") + "." + e.getKey();
            String why = DebeziumProperties.refusal(e.getKey());
            JsonNode v = e.getValue();
            if (why != null) {
                s.problems().add(path + ": " + why);
            } else if (v == null || !v.isValueNode() || v.isNull()) {
                s.problems().add(path + ": expected a single value (connector properties are text), found "
                        + Section.kind(v) + (v != null && v.isObject() ? "; write the property's full dotted name as"
                        + " one key, e.g. 'max.queue.size: 16384', not nested mappings" : ""));
            } else {
                String value = s.substituteAt(path, v.asText());
                if (value != null) out.put(e.getKey().trim(), value);
            }
        }
        return s.problems().size() > before ? null : out;
    }

    /**
     * A source's {@code tls} section; null (with problems) when it is wrong. The stores are opened here with their
     * passwords, so that a wrong path or password shows in {@code validate}, not at the first connection.
     */
    private static Tls tls(Section t) {
        int before = t.problems().size();
        Tls.Mode mode = t.choice("mode", Tls.Mode.class, Tls.Mode.PREFERRED);
        String trustStore = blankToNull(t.text("trustStore"));
        String trustStorePassword = t.text("trustStorePassword");
        String keyStore = blankToNull(t.text("keyStore"));
        String keyStorePassword = t.text("keyStorePassword");
        if (mode != null && trustStore == null && t.has("trustStorePassword")) {
            t.problem("trustStorePassword", "set, but there is no trustStore; set trustStore or remove the password");
        }
        if (mode != null && keyStore == null && t.has("keyStorePassword")) {
            t.problem("keyStorePassword", "set, but there is no keyStore; set keyStore or remove the password");
        }
        checkStore(t, "trustStore", trustStore, trustStorePassword);
        checkStore(t, "keyStore", keyStore, keyStorePassword);
        if (mode == null || t.problems().size() > before) return null;
        try {
            return new Tls(mode, trustStore, trustStorePassword, keyStore, keyStorePassword);
        } catch (IllegalArgumentException e) {
            t.problem("mode", e.getMessage().replaceFirst("^tls\\.", ""));
            return null;
        }
    }

    /** A trust or key store must open with its password (PKCS12 or JKS); the problem never shows the password. */
    private static void checkStore(Section t, String key, String path, String password) {
        if (path == null) return;
        java.io.File file = new java.io.File(path);
        if (!file.isFile() || !file.canRead()) {
            t.problem(key, "'" + path + "' " + (file.exists() ? "is not a readable file" : "does not exist")
                    + "; point it at a PKCS12 (or JKS) file, see docs/configuration.md#tls");
            return;
        }
        try {
            java.security.KeyStore.getInstance(file, password == null ? new char[0] : password.toCharArray());
        } catch (java.io.IOException | java.security.GeneralSecurityException e) {
            t.problem(key, "'" + path + "' does not open as a PKCS12 or JKS store with " + key + "Password"
                    + " (wrong password, or not a key store); convert PEM files with openssl pkcs12 -export, see"
                    + " docs/configuration.md#tls");
        }
    }

    private static String blankToNull(String s) {
        return s == null || s.isBlank() ? null : s.trim();
    }

    /** {@code flavour:} in the file. */
    enum SourceFlavour { AUTO, MARIADB, MYSQL }


    private SourcesSection() {
    }
}
