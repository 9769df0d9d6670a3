package dev.reconciler.app.source;

import dev.reconciler.app.TempDirs;
import dev.reconciler.app.source.EndToEndScenarios.Session;
import dev.reconciler.app.source.SourceStatus.Phase;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.reconciler.app.source.EndToEndScenarios.deduction;
import static dev.reconciler.app.source.EndToEndScenarios.kinds;
import static dev.reconciler.app.source.EndToEndScenarios.order;
import static dev.reconciler.app.source.EndToEndScenarios.saleRule;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * TLS to the databases on two local MariaDB servers started with a certificate this test generates
 * ({@link TestCertificates}): the source streams and reconciles through verified TLS as a least-privilege capture user
 * that the server lets in only over TLS (and one only with a client certificate); a plain connection to a server
 * that requires secure transport, a wrong CA, and a host name the certificate does not name are refused, and the
 * source says so in its WAITING reason.
 */
class SecurityEndToEndTest {
    static final String CAPTURE_PASSWORD = "Capture-Pw-7f3e91c2";
    private static Path certDir;
    private static TestCertificates certs;

    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id,
            certificates().serverArgs().toArray(String[]::new)), 61, 62);

    private static synchronized TestCertificates certificates() throws Exception {
        if (certs == null) {
            certDir = Files.createTempDirectory("reconciler-certs-");
            certs = TestCertificates.create(certDir);
        }
        return certs;
    }

    /**
     * On each server: {@code capture} (REQUIRE SSL) and {@code capture_x509} (REQUIRE X509), with only the documented
     * least privileges: replication globally, SELECT on the flow's database, and the heartbeat table.
     */
    @BeforeAll
    static void captureUsers() throws Exception {
        for (var db : List.of(new Object[]{DATABASES.orders(), "orders"}, new Object[]{DATABASES.inventory(), "inventory"})) {
            LocalMariaDb server = (LocalMariaDb) db[0];
            String schema = (String) db[1];
            rootOverTls(server,
                    "CREATE TABLE IF NOT EXISTS " + schema + ".reconciler_heartbeat (id INT PRIMARY KEY,"
                            + " beat DATETIME(3) NOT NULL)");
            for (String user : List.of("capture", "capture_x509")) {
                rootOverTls(server,
                        "CREATE USER '" + user + "'@'%' IDENTIFIED BY '" + CAPTURE_PASSWORD + "' REQUIRE "
                                + (user.equals("capture") ? "SSL" : "X509"),
                        "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO '" + user + "'@'%'",
                        "GRANT SELECT ON " + schema + ".* TO '" + user + "'@'%'",
                        "GRANT CREATE, INSERT, UPDATE ON " + schema + ".reconciler_heartbeat TO '" + user + "'@'%'");
            }
        }
    }

    @AfterAll
    static void removeCertificates() {
        if (certDir != null) TempDirs.delete(certDir);
    }

    /** Root over TLS (unverified): works whether or not the server requires secure transport. */
    static void rootOverTls(LocalMariaDb db, String... sql) throws SQLException {
        SourceConfig root = capture("root", db, "mysql", 1).withTls(new Tls(Tls.Mode.REQUIRED, null, null, null, null));
        try (Connection c = SourceConnections.open(new SourceConfig(root.name(), root.flavour(), root.host(),
                root.port(), "root", "", root.databases(), root.tables(), root.serverId(), root.snapshot(), null,
                null, null, null, null, root.tls())); Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }

    /** The source {@code name} of {@code db} as {@code user}, with the documented least privileges. */
    static SourceConfig capture(String user, LocalMariaDb db, String schema, long serverId) {
        String tables = schema.equals("orders") ? "orders\\.trade_order_stream_\\d{4}"
                : "inventory\\.collection_inventory_stream";
        return new SourceConfig(schema, db.flavour(), db.host(), db.port(), user, CAPTURE_PASSWORD,
                List.of(schema), List.of(tables), serverId, SourceConfig.Snapshot.INITIAL,
                schema + ".reconciler_heartbeat", Duration.ofMillis(500), null, null, null, Tls.DEFAULT);
    }

    static SourceConfig orders(String user, Tls tls) {
        return capture(user, DATABASES.orders(), "orders", 5461).withTls(tls);
    }

    static SourceConfig inventory(String user, Tls tls) {
        return capture(user, DATABASES.inventory(), "inventory", 5462).withTls(tls);
    }

    static Tls verifyCa() {
        return new Tls(Tls.Mode.VERIFY_CA, certs.trustStore(), TestCertificates.STORE_PASSWORD, null, null);
    }

    static Tls verifyCaWithClientCertificate() {
        return new Tls(Tls.Mode.VERIFY_CA, certs.trustStore(), TestCertificates.STORE_PASSWORD,
                certs.clientKeyStore(), TestCertificates.STORE_PASSWORD);
    }

    @Test
    void overVerifiedTlsALeastPrivilegeUserStreamsReconcilesAndVerifiesWithAndWithoutAClientCertificate(
            @TempDir Path state) throws Exception {
        EngineConfig config = saleRule(Duration.ofSeconds(60));
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        // orders: a user the server lets in over TLS only; inventory: one it lets in with a client certificate only
        SourceConfig orders = orders("capture", verifyCa());
        SourceConfig inventory = inventory("capture_x509", verifyCaWithClientCertificate());
        rootOverTls(DATABASES.orders(), order(0, "TLS1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));   // snapshot
        try (Session s = new Session(config, state, outcomes, orders, inventory)) {
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(s.orderSource.status().phase()).isEqualTo(Phase.STREAMING);
                assertThat(s.inventorySource.status().phase()).isEqualTo(Phase.STREAMING);
            });
            rootOverTls(DATABASES.inventory(), deduction("TLS1", 9, 1, "TRY_SALE"));
            rootOverTls(DATABASES.orders(), order(1, "TLS2", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
            rootOverTls(DATABASES.inventory(), deduction("TLS2", 9, 1, "TRY_SALE"));
            await().atMost(Duration.ofSeconds(60)).until(() -> kinds(outcomes, "TLS").size() == 2);
            assertThat(kinds(outcomes, "TLS")).containsExactlyInAnyOrder("matched TLS1", "matched TLS2");
            // reconciler verify reads the rows over the same TLS with the same least-privilege users
            var verifier = new dev.reconciler.app.verify.WindowVerifier(config, List.of(orders, inventory), s.store,
                    dev.reconciler.app.verify.FindingSink.through(s.pipeline, Duration.ofSeconds(30)),
                    dev.reconciler.app.verify.WindowVerifier.Options.defaults());
            java.time.Instant since = java.time.Instant.now().minus(Duration.ofHours(1));
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                java.time.Instant reconciled = s.pipeline.call(e -> e.reconciledUntil("sale").orElse(null))
                        .get(30, java.util.concurrent.TimeUnit.SECONDS);
                var summary = verifier.verify("sale", since, java.time.Instant.now().plusSeconds(60), reconciled);
                assertThat(summary.rowsRead().values().stream().mapToLong(Long::longValue).sum())
                        .as(summary.text()).isGreaterThanOrEqualTo(4);
                assertThat(summary.totalFindings()).as(summary.text()).isZero();
            });
        }
        // the reconciler's own connections are encrypted too (the users could not log in otherwise; and it says so)
        for (SourceConfig source : List.of(orders, inventory)) {
            try (Connection c = SourceConnections.open(source); Statement st = c.createStatement();
                 ResultSet r = st.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) {
                r.next();
                assertThat(r.getString(2)).as(source.name()).isNotBlank();
            }
        }
    }

    @Test
    void aServerThatRequiresSecureTransportRefusesAPlainConnectionAndTheSourceSaysWhy(@TempDir Path state)
            throws Exception {
        SourceConfig plain = orders("capture", new Tls(Tls.Mode.DISABLED, null, null, null, null));
        rootOverTls(DATABASES.orders(), "SET GLOBAL require_secure_transport = ON");
        try {
            assertThatThrownBy(() -> SourceConnections.probe(plain)).isInstanceOf(SQLException.class);
            // root too: the server, not the user's REQUIRE, refuses plain connections
            SourceConfig rootPlain = new SourceConfig("orders", plain.flavour(), plain.host(), plain.port(), "root", "",
                    plain.databases(), plain.tables(), 5461, SourceConfig.Snapshot.INITIAL, null, null, null, null,
                    null, plain.tls());
            // MariaDB answers a plain login under require_secure_transport with "access denied"
            assertThatThrownBy(() -> SourceConnections.probe(rootPlain)).isInstanceOf(SQLException.class)
                    .hasMessageContaining("Access denied");
            assertWaiting(state, rootPlain, "refused the login (access denied); check the user and password, and"
                    + " whether the server (require_secure_transport) or the user (REQUIRE SSL) requires TLS: then set"
                    + " tls.mode");
            assertThat(SourceValidator.validate(rootPlain, List.of())).containsExactly("source orders (127.0.0.1:"
                    + DATABASES.orders().port() + "): access denied for user 'root': check the user name and password"
                    + " (password from the configuration, its environment variable or its secret file); check whether"
                    + " the server (require_secure_transport) or the user (REQUIRE SSL) requires TLS: then set"
                    + " tls.mode");
            // and the same source over TLS gets in
            try (Connection c = SourceConnections.probe(rootPlain.withTls(verifyCa()))) {
                assertThat(c.isValid(5)).isTrue();
            }
        } finally {
            rootOverTls(DATABASES.orders(), "SET GLOBAL require_secure_transport = OFF");
        }
    }

    @Test
    void aServerCertificateNotSignedByTheTrustedCaIsRefusedWithAClearReason(@TempDir Path state) throws Exception {
        SourceConfig wrongCa = orders("capture", new Tls(Tls.Mode.VERIFY_CA, certs.wrongTrustStore(),
                TestCertificates.STORE_PASSWORD, null, null));
        assertWaiting(state, wrongCa, "TLS: the server's certificate is not signed by a CA in tls.trustStore; add the"
                + " CA that signed it to the trust store, or check that host is the right server");
    }

    @Test
    void verifyIdentityRefusesAServerWhoseCertificateDoesNotNameTheHost(@TempDir Path state) throws Exception {
        // the certificate names db.example.internal; the source connects to 127.0.0.1
        SourceConfig mismatch = orders("capture", new Tls(Tls.Mode.VERIFY_IDENTITY, certs.trustStore(),
                TestCertificates.STORE_PASSWORD, null, null));
        assertWaiting(state, mismatch, "TLS: the server's certificate does not name the host connected to; set host"
                + " to a name in the certificate, or use tls.mode verify_ca");
    }

    @Test
    void aUserThatRequiresX509IsRefusedWithoutAClientCertificate(@TempDir Path state) throws Exception {
        assertWaiting(state, orders("capture_x509", verifyCa()), "refused the login (access denied); check the user"
                + " and password, and whether the user requires a client certificate (REQUIRE X509): then set"
                + " tls.keyStore");
    }


    /**
     * A reconciler run from a configuration file whose database password, trust store password and API token come
     * from secret files, over verified TLS, while the capture user's password is rotated (an ALTER USER, which the
     * server writes into the binlog the source reads): none of the three appears in any file under the state
     * directory, in the log (ours at DEBUG, Debezium's and Kafka's at INFO but for the connector-configuration
     * logger that logback.xml keeps at WARN, see there; stack traces included), in
     * {@code /api/status} or in {@code validate --connect}'s output.
     */
    @Test
    void noSecretReachesTheStateDirectoryTheLogTheApiOrValidate(@TempDir Path tmp) throws Exception {
        String token = "Api-Token-3d9b0c7e51a24f68";
        Path secrets = Files.createDirectory(tmp.resolve("secrets"));
        Files.writeString(secrets.resolve("db-password"), CAPTURE_PASSWORD + "\n");
        Files.writeString(secrets.resolve("store-password"), TestCertificates.STORE_PASSWORD + "\n");
        Files.writeString(secrets.resolve("token"), token + "\n");
        List<String> forbidden = List.of(CAPTURE_PASSWORD, TestCertificates.STORE_PASSWORD, token);
        Path state = tmp.resolve("state");
        Path file = tmp.resolve("reconciler.yml");
        Files.writeString(file, configuration(state, secrets));

        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger)
                org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        LogScanner scanner = new LogScanner(forbidden);
        java.util.Map<String, ch.qos.logback.classic.Level> levels = new java.util.HashMap<>();
        for (String name : List.of("dev.reconciler", "io.debezium", "org.apache.kafka")) {
            ch.qos.logback.classic.Logger l = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name);
            levels.put(name, l.getLevel());
            l.setLevel(name.equals("dev.reconciler") ? ch.qos.logback.classic.Level.DEBUG
                    : ch.qos.logback.classic.Level.INFO);
        }
        scanner.setContext(root.getLoggerContext());
        scanner.start();
        root.addAppender(scanner);
        java.io.PrintStream out = System.out;
        java.io.ByteArrayOutputStream printed = new java.io.ByteArrayOutputStream();
        try {
            dev.reconciler.app.config.ReconcilerConfig config =
                    new dev.reconciler.app.config.ConfigLoader(name -> null).load(file);
            List<Outcome> outcomes = new CopyOnWriteArrayList<>();
            try (dev.reconciler.app.runtime.ReconcilerRuntime r =
                         dev.reconciler.app.runtime.ReconcilerRuntime.start(config, outcomes::addAll)) {
                await().atMost(Duration.ofSeconds(60)).until(() -> r.statuses().stream()
                        .allMatch(st -> st.phase() == Phase.STREAMING));
                rootOverTls(DATABASES.orders(), "ALTER USER 'capture'@'%' IDENTIFIED BY '" + CAPTURE_PASSWORD + "'",
                        order(2, "SEC1", 9, 1, "CREATE_AND_CONFIRM", "CONFIRM"));
                rootOverTls(DATABASES.inventory(), "ALTER USER 'capture_x509'@'%' IDENTIFIED BY '" + CAPTURE_PASSWORD
                        + "'", deduction("SEC1", 9, 1, "TRY_SALE"));
                await().atMost(Duration.ofSeconds(60)).until(() -> kinds(outcomes, "SEC").contains("matched SEC1"));
                java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
                String status = http.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create(r.api().url() + "/api/status"))
                        .header("Authorization", "Bearer " + token).build(),
                        java.net.http.HttpResponse.BodyHandlers.ofString()).body();
                assertThat(status).contains("STREAMING");
                forbidden.forEach(secret -> assertThat(status).doesNotContain(secret));
            }
            System.setOut(new java.io.PrintStream(printed, true, java.nio.charset.StandardCharsets.UTF_8));
            int code = dev.reconciler.app.cli.Main.execute("validate", "--config", file.toString(), "--connect");
            System.setOut(out);
            assertThat(code).as(printed.toString()).isZero();
        } finally {
            System.setOut(out);
            root.detachAppender(scanner);
            scanner.stop();
            levels.forEach((name, level) -> ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(name))
                    .setLevel(level));
        }
        String validated = printed.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(validated).contains("configuration OK").contains("every source is reachable and ready");
        forbidden.forEach(secret -> assertThat(validated).doesNotContain(secret));
        assertThat(scanner.lines).as("log lines seen").isGreaterThan(20);
        assertThat(scanner.hits).as("log lines holding a secret").isEmpty();

        List<Path> files;
        try (var walk = Files.walk(state)) {
            files = walk.filter(Files::isRegularFile).toList();
        }
        assertThat(files).as("offsets, schema history and the store were written")
                .anyMatch(f -> f.endsWith("offsets.dat")).anyMatch(f -> f.endsWith("schema-history.dat"))
                .anyMatch(f -> f.getFileName().toString().endsWith(".log") || f.getFileName().toString().endsWith(".sst"));
        for (Path f : files) {
            String content = new String(Files.readAllBytes(f), java.nio.charset.StandardCharsets.ISO_8859_1);
            for (String secret : forbidden) {
                assertThat(content.contains(secret)).as(secret + " in " + state.relativize(f)).isFalse();
            }
        }
    }

    /**
     * Both sources over verified TLS, orders as {@code capture}, inventory as {@code capture_x509} with a client
     * certificate; every secret from a file; the sale rule.
     */
    private static String configuration(Path state, Path secrets) {
        String source = """
                  - name: %1$s
                    host: 127.0.0.1
                    port: %2$d
                    user: %6$s
                    password: ${file:%3$s/db-password}
                    databases: [%1$s]
                    serverId: %4$d
                    heartbeatTable: %1$s.reconciler_heartbeat
                    heartbeatInterval: 500ms
                    tls:
                      mode: verify_ca
                      trustStore: %5$s
                      trustStorePassword: ${file:%3$s/store-password}
                """;
        String clientCertificate = """
                      keyStore: %s
                      keyStorePassword: ${file:%s/store-password}
                """.formatted(certs.clientKeyStore(), secrets);
        return "state: {dir: " + state + "}\n"
                + "http: {port: 0, token: '${file:" + secrets + "/token}', protectReads: true}\n"
                + "sources:\n"
                + source.formatted("orders", DATABASES.orders().port(), secrets, 5463, certs.trustStore(), "capture")
                + source.formatted("inventory", DATABASES.inventory().port(), secrets, 5464, certs.trustStore(),
                "capture_x509") + clientCertificate
                + """
                streams:
                  - name: order_stream
                    tables: [{source: orders, table: 'trade_order_stream_\\d{4}'}]
                  - name: inventory_stream
                    tables: [{source: inventory, table: collection_inventory_stream}]
                rules:
                  - name: sale
                    left: {stream: order_stream, filter: {order_state: CONFIRM, goods_type: COLLECTION, deleted: 0}}
                    right: {stream: inventory_stream, filter: {stream_type: TRY_SALE, deleted: 0}}
                    key: {order_id: identifier, goods_id: collection_id}
                    quantity: {left: item_count, right: changed_quantity}
                    grace: 2s
                """;
    }

    /** Every log event, formatted with its stack trace, checked for the secrets; keeps the offending lines. */
    private static final class LogScanner extends ch.qos.logback.core.AppenderBase<ch.qos.logback.classic.spi.ILoggingEvent> {
        private final List<String> secrets;
        final List<String> hits = new CopyOnWriteArrayList<>();
        volatile int lines;

        LogScanner(List<String> secrets) {
            this.secrets = secrets;
        }

        @Override
        protected void append(ch.qos.logback.classic.spi.ILoggingEvent e) {
            lines++;
            String text = e.getLoggerName() + " " + e.getFormattedMessage() + (e.getThrowableProxy() == null ? ""
                    : ch.qos.logback.classic.spi.ThrowableProxyUtil.asString(e.getThrowableProxy()));
            for (String s : secrets) {
                if (text.contains(s)) hits.add(text.length() > 400 ? text.substring(0, 400) : text);
            }
        }
    }

    /** The orders source, read with {@code orders}, waits with {@code reason} (after host:port) and keeps trying. */
    private static void assertWaiting(Path state, SourceConfig orders, String reason) {
        List<Outcome> outcomes = new CopyOnWriteArrayList<>();
        try (Session s = new Session(saleRule(Duration.ofSeconds(60)), state, outcomes, orders,
                inventory("capture", verifyCa()))) {
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                SourceStatus st = s.orderSource.status();
                assertThat(st.phase()).isEqualTo(Phase.WAITING);
                assertThat(st.reason()).isEqualTo("127.0.0.1:" + DATABASES.orders().port() + " " + reason);
                assertThat(s.inventorySource.status().phase()).as("the other source streams")
                        .isEqualTo(Phase.STREAMING);
            });
        }
    }
}
