package dev.reconciler.app.config;

import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.alert.SinkConfig;
import dev.reconciler.app.source.SourceConfig;
import dev.reconciler.core.rule.ArticleRules;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.StreamDef;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

public class ConfigLoaderTest {
    static final Path EXAMPLE = Path.of("..", "deploy", "config", "order-inventory.yml");

    static ReconcilerConfig load(String yaml, Map<String, String> env) {
        return new ConfigLoader(env::get).load(yaml, "test.yml");
    }

    static List<String> problems(String yaml, Map<String, String> env) {
        try {
            load(yaml, env);
        } catch (ConfigException e) {
            return e.problems();
        }
        throw new AssertionError("expected problems");
    }

    /** The engine configurations are the same: streams by their parts (a Pattern has no equals), rules as records. */
    public static void assertSameEngine(EngineConfig actual, EngineConfig expected) {
        assertThat(actual.streams()).hasSameSizeAs(expected.streams());
        for (int i = 0; i < expected.streams().size(); i++) {
            StreamDef a = actual.streams().get(i);
            StreamDef e = expected.streams().get(i);
            assertThat(a.name()).isEqualTo(e.name());
            assertThat(a.columns()).isEqualTo(e.columns());
            assertThat(a.tables()).extracting(t -> t.source() + " " + t.table().pattern())
                    .isEqualTo(e.tables().stream().map(t -> t.source() + " " + t.table().pattern()).toList());
        }
        assertThat(actual.rules()).isEqualTo(expected.rules());
        assertThat(actual.clockSkew()).isEqualTo(expected.clockSkew());
        assertThat(actual.stallAfter()).isEqualTo(expected.stallAfter());
        assertThat(actual.retention()).isEqualTo(expected.retention());
    }

    @Test
    void theShippedExampleBuildsTheArticleRulesWithItsDefaults() {
        ReconcilerConfig c = new ConfigLoader(name -> null).load(EXAMPLE);
        assertSameEngine(c.engine(), ArticleRules.config("orders", "inventory", Duration.ofSeconds(30)));
        assertThat(c.state().dir()).isEqualTo(Path.of("./state"));
        assertThat(c.http().port()).isEqualTo(8080);
        assertThat(c.http().bindAddress()).isEqualTo("127.0.0.1");
        SourceConfig orders = c.source("orders").config();
        assertThat(orders.host()).isEqualTo("127.0.0.1");
        assertThat(orders.port()).isEqualTo(3306);
        assertThat(orders.user()).isEqualTo("reconciler");
        assertThat(orders.password()).isEmpty();
        assertThat(orders.databases()).containsExactly("orders");
        assertThat(orders.tables()).containsExactly("orders\\.trade_order_stream_\\d{4}");
        assertThat(orders.heartbeatTable()).isEqualTo("orders.reconciler_heartbeat");
        assertThat(c.source("orders").autoFlavour()).isTrue();
        SourceConfig inventory = c.source("inventory").config();
        assertThat(inventory.port()).isEqualTo(3307);
        assertThat(inventory.tables()).containsExactly("inventory\\.collection_inventory_stream");
        assertThat(inventory.serverId()).isNotEqualTo(orders.serverId());
        assertThat(c.alerts().sinks()).isEmpty();
    }

    @Test
    void theShippedExampleTakesEveryListedVariable() {
        Map<String, String> env = Map.ofEntries(
                Map.entry("ORDER_DB_HOST", "orders.db"), Map.entry("ORDER_DB_PORT", "3316"),
                Map.entry("ORDER_DB_USER", "rec"), Map.entry("ORDER_DB_PASSWORD", "p#ss: 'w\"rd"),
                Map.entry("ORDER_DB_DATABASE", "shop"), Map.entry("INVENTORY_DB_HOST", "inv.db"),
                Map.entry("INVENTORY_DB_PORT", "3317"), Map.entry("INVENTORY_DB_USER", "rec2"),
                Map.entry("INVENTORY_DB_PASSWORD", "s3cret"), Map.entry("INVENTORY_DB_DATABASE", "stock"),
                Map.entry("RECONCILER_STATE_DIR", "/var/lib/reconciler"), Map.entry("RECONCILER_HTTP_PORT", "9090"),
                Map.entry("RECONCILER_GRACE", "1m30s"));
        ReconcilerConfig c = new ConfigLoader(env::get).load(EXAMPLE);
        SourceConfig o = c.source("orders").config();
        assertThat(List.of(o.host(), "" + o.port(), o.user(), o.password(), o.databases().get(0), o.heartbeatTable()))
                .containsExactly("orders.db", "3316", "rec", "p#ss: 'w\"rd", "shop", "shop.reconciler_heartbeat");
        assertThat(o.tables()).containsExactly("shop\\.trade_order_stream_\\d{4}");
        SourceConfig i = c.source("inventory").config();
        assertThat(List.of(i.host(), "" + i.port(), i.user(), i.password(), i.databases().get(0)))
                .containsExactly("inv.db", "3317", "rec2", "s3cret", "stock");
        assertThat(c.state().dir()).isEqualTo(Path.of("/var/lib/reconciler"));
        assertThat(c.http().port()).isEqualTo(9090);
        assertThat(c.engine().rules()).allMatch(r -> r.grace().equals(Duration.ofSeconds(90)));
        assertThat(c.summary()).doesNotContain("p#ss", "s3cret");
        assertThat(c.toString()).doesNotContain("p#ss", "s3cret");
    }

    static final String MINIMAL = """
            sources:
              - {name: a, host: h, user: u, databases: [d]}
              - {name: b, host: h, user: u, databases: [d]}
            streams:
              - {name: left, tables: [{source: a, table: t}]}
              - {name: right, tables: [{source: b, table: 'u|v'}]}
            rules:
              - name: r
                left: {stream: left}
                right: {stream: right}
                key: {k: k}
            """;

    @Test
    void verifyBeforeAlertIsOnForEveryRuleByDefaultAndBoundedByTheVerifySection() {
        var d = load(MINIMAL, Map.of()).verify();
        assertThat(d.rules()).containsExactly("r");
        assertThat(d.threads()).isEqualTo(2);
        assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(2));
        assertThat(d.ratePerSecond()).isEqualTo(50);
        assertThat(d.queueSize()).isEqualTo(1000);
        assertThat(d.maxWait()).isEqualTo(Duration.ofMinutes(2));
        assertThat(d.policy().maxWait()).isEqualTo(Duration.ofMinutes(2));

        var c = load(MINIMAL + "    verifyBeforeAlert: false\nverify: {threads: 4, timeout: 500ms, ratePerSecond: 10,"
                + " queueSize: 20, maxWait: 5m}\n", Map.of()).verify();
        assertThat(c.rules()).isEmpty();
        assertThat(c.threads()).isEqualTo(4);
        assertThat(c.timeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(c.ratePerSecond()).isEqualTo(10);
        assertThat(c.queueSize()).isEqualTo(20);
        assertThat(c.maxWait()).isEqualTo(Duration.ofMinutes(5));

        assertThat(problems(MINIMAL + "verify: {threads: 0, timeout: 10ms, maxWait: 0, ratePerSecond: x}\n", Map.of()))
                .hasSize(4).anyMatch(p -> p.startsWith("verify.threads:")).anyMatch(p -> p.startsWith("verify.timeout:"))
                .anyMatch(p -> p.startsWith("verify.maxWait:")).anyMatch(p -> p.startsWith("verify.ratePerSecond:"));
    }

    @Test
    void defaultsFillEverythingNotWritten() {
        ReconcilerConfig c = load(MINIMAL, Map.of());
        assertThat(c.state()).isEqualTo(StateConfig.defaults());
        assertThat(c.http().port()).isEqualTo(8080);
        assertThat(c.engine().clockSkew()).isEqualTo(EngineConfig.DEFAULT_CLOCK_SKEW);
        assertThat(c.engine().rules().get(0).grace()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.engine().rules().get(0).quantity()).isNull();
        assertThat(c.sources()).extracting(s -> s.config().serverId()).containsExactly(5401L, 5402L);
        assertThat(c.sources()).extracting(s -> s.config().port()).containsExactly(3306, 3306);
        assertThat(c.source("b").config().tables()).containsExactly("d\\.(?:u|v)");
        assertThat(c.source("a").config().heartbeatTable()).isNull();
        assertThat(c.source("a").config().snapshot()).isEqualTo(SourceConfig.Snapshot.INITIAL);
    }

    @Test
    void filtersReadEqualsListsInAndNot() {
        ReconcilerConfig c = load(MINIMAL.replace("left: {stream: left}", """
                left:
                      stream: left
                      filter:
                        a: 1
                        b: [x, y]
                        c: {in: [z]}
                        d: {not: DISCARD}
                        e: ${E:-fallback}""".stripTrailing()), Map.of());
        assertThat(c.engine().rules().get(0).left().filter()).hasToString(
                "a = 1 and b in [x, y] and c in [z] and d != DISCARD and e = fallback");
    }

    @Test
    void everyProblemIsReportedAtOnceWithItsPath() {
        String yaml = """
                state: {cacheSize: lots, syncWrites: maybe}
                http: {port: 70000, token: short, protectReads: true}
                sources:
                  - {name: orders, host: h, user: u, databases: [orders], prot: 1, password: '${NO_SUCH_PASSWORD}'}
                  - {name: orders, flavour: oracle, user: u, databases: [inventory], heartbeatInterval: soon}
                streams:
                  - {name: order_stream, tables: [{source: ordrs, table: 'trade_(order'}]}
                  - {name: inventory_stream, tables: [{source: orders, table: collection_inventory_stream}]}
                rules:
                  - name: sale
                    left: {stream: order_stream, filter: {order_state: CONFIRM}}
                    right: {stream: inv, filter: {stream_type: {in: []}}}
                    key: {order_id: identifier}
                    quantity: {left: item_count}
                    grace: 30 seconds
                  - name: sale
                    left: {stream: order_stream, filter: {deleted: {nope: 1}}}
                    right: {stream: inventory_stream}
                    key: {}
                    multiplicity: many
                engine: {clockSkew: -1s, retention: 7d}
                alerts: {sinks: [], anything: [goes, here]}
                """;
        assertThat(problems(yaml, Map.of())).containsExactly(
                "state.cacheSize: 'lots' is not a size; write bytes or e.g. 512KiB, 256MiB, 1GiB",
                "state.syncWrites: 'maybe' is not a boolean; use true or false",
                "http.port: '70000' is out of range; use 0 to 65535",
                "sources[0].prot: unknown key (did you mean 'port'?); known keys here are [name, flavour, host, port,"
                        + " user, password, databases, serverId, snapshot, snapshotLookback, snapshotLookbackColumn,"
                        + " autoResync, heartbeatTable, heartbeatInterval, tls, debezium]",
                "sources[0].password: environment variable NO_SUCH_PASSWORD is not set; export it, or write"
                        + " ${NO_SUCH_PASSWORD:-default} in the configuration",
                "sources[1].name: 'orders' is also the name of sources[0]; give each source a unique name",
                "sources[1].flavour: 'oracle' is not one of [auto, mariadb, mysql]",
                "sources[1].host: missing; set it, e.g. host: db.example.internal",
                "sources[1].heartbeatInterval: 'soon' is not a duration; write e.g. 500ms, 30s, 2m, 1h30m or 7d",
                "streams[0].tables[0].source: unknown source 'ordrs'; declared sources are [orders]",
                "streams[0].tables[0].table: 'trade_(order' is not a regular expression (Unclosed group near index 12)",
                "rules[0].right.stream: unknown stream 'inv'; declared streams are [order_stream, inventory_stream]",
                "rules[0].right.filter.stream_type: an empty list matches no row; list at least one value",
                "rules[0].quantity.right: missing; set it, e.g. right: changed_quantity",
                "rules[0].grace: '30 seconds' is not a duration; write e.g. 500ms, 30s, 2m, 1h30m or 7d",
                "rules[1].left.filter.deleted: expected a value, a list, {in: [...]} or {not: value}, found a mapping"
                        + " with keys [nope]",
                "rules[1].key: is empty; map at least one left column to a right column, e.g. order_id: identifier",
                "rules[1].multiplicity: 'many' is not one of [one_to_one, sum]",
                "engine.clockSkew: '-1s' is not a duration; write e.g. 500ms, 30s, 2m, 1h30m or 7d",
                "alerts.anything: unknown key; known keys here are [publicUrl, sinks, stormThreshold, stormSample,"
                        + " journalMaxAge, journalMaxEntries]");
    }

    @Test
    void theEnginesOwnChecksComeBackWithFilePaths() {
        String yaml = MINIMAL + """
                  - name: r
                    left: {stream: left}
                    right: {stream: right}
                    key: {k: k}
                engine: {stallAfter: 0}
                """;
        assertThat(problems(yaml, Map.of())).containsExactly(
                "rules[1].name: 'r' is also the name of rules[0]; give each rule a unique name");
        assertThat(problems(MINIMAL + "engine: {stallAfter: 0}\n", Map.of())).containsExactly(
                "engine.stallAfter: must be > 0, was PT0S");
    }

    @Test
    void anHttpProblemFromApiConfigIsNamedUnderHttp() {
        assertThat(problems(MINIMAL + "http: {token: short, protectReads: true}\n", Map.of())).containsExactly(
                "http.token: shorter than 16 characters; use a random one, e.g. the output of 'openssl rand -hex 32'");
    }

    @Test
    void theHttpLimitsAreReadAndCheckedUnderHttp() {
        ApiConfig.Limits l = load(MINIMAL + "http: {workerThreads: 16, queueSize: 200, idleTimeout: 2m, readTimeout: 30s,"
                + " maxHeaderSize: 16KiB, maxBodySize: 1MiB}\n", Map.of()).http().limits();
        assertThat(l).isEqualTo(new ApiConfig.Limits(16, 200, java.time.Duration.ofMinutes(2),
                java.time.Duration.ofSeconds(30), 16 * 1024, 1024 * 1024));
        assertThat(load(MINIMAL, Map.of()).http().limits()).isEqualTo(ApiConfig.Limits.defaults());
        assertThat(problems(MINIMAL + "http: {workerThreads: 0, idleTimeout: soon}\n", Map.of())).hasSize(2)
                .anySatisfy(p -> assertThat(p).startsWith("http.workerThreads"))
                .anySatisfy(p -> assertThat(p).startsWith("http.idleTimeout"));
        assertThat(problems(MINIMAL + "http: {maxHeaderSize: 100MiB, maxBodySize: 10}\n", Map.of())).containsExactly(
                "http.maxHeaderSize: 104857600 bytes is out of range; use 1KiB-64KiB (default 8KiB)",
                "http.maxBodySize: 10 bytes is out of range; use 1KiB-16MiB (default 64KiB)");
    }

    @Test
    void secretsNeverAppearInProblems() {
        String secret = "hunter2-is-my-password";
        String yaml = MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], password: '" + secret + "', port: '" + secret + "'}")
                + "http: {token: '${TOKEN}', port: x}\n";
        List<String> p = problems(yaml, Map.of("TOKEN", "tok en with spaces and long enough"));
        assertThat(p).hasSize(2);
        assertThat(String.join("\n", p)).doesNotContain("tok en");
        ReconcilerConfig c = load(MINIMAL.replace("databases: [d]}", "databases: [d], password: " + secret + "}"),
                Map.of());
        assertThat(c.source("a").config().password()).isEqualTo(secret);
        assertThat(c.toString() + c.summary() + c.sources()).doesNotContain(secret);
    }

    @Test
    void notYamlOrEmptyOrMissingIsOneClearProblem() {
        assertThat(problems("sources: [a\n  b: c", Map.of())).singleElement().asString().startsWith("line ")
                .contains("not valid YAML").doesNotContain("\n");
        assertThat(problems("", Map.of())).singleElement().asString().contains("empty");
        assertThatThrownBy(() -> new ConfigLoader(x -> null).load(Path.of("no-such.yml")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("no such file");
        assertThat(problems("a: 1\na: 2\n", Map.of())).singleElement().asString().contains("Duplicate field 'a'");
    }

    @Test
    void theAlertsSectionBindsSinksWithReferencesSubstitutedAndReportsEveryProblemWithItsPath() {
        ReconcilerConfig c = load(MINIMAL + """
                alerts:
                  publicUrl: https://reconciler.example.com/
                  stormThreshold: 5
                  journalMaxAge: 2d
                  sinks:
                    - name: hook
                      type: webhook
                      url: '${HOOK:-http://localhost/x}'
                      secret: ${HOOK_SECRET}
                      headers: {X-Team: payments, Authorization: 'Bearer ${HOOK_TOKEN}'}
                      timeout: 3s
                    - {name: am, type: alertmanager, url: 'http://am:9093', resendInterval: 2m}
                """, Map.of("HOOK_SECRET", "s3cr3t-value", "HOOK_TOKEN", "t0k3n"));
        AlertsConfig a = c.alerts();
        assertThat(a.publicUrl()).isEqualTo("https://reconciler.example.com");
        assertThat(a.stormThreshold()).isEqualTo(5);
        assertThat(a.journalMaxAge()).isEqualTo(Duration.ofDays(2));
        assertThat(a.sinks()).hasSize(2);
        SinkConfig hook = a.sinks().get(0);
        assertThat(hook.url()).isEqualTo("http://localhost/x");
        assertThat(hook.secret()).isEqualTo("s3cr3t-value");
        assertThat(hook.headers()).containsEntry("Authorization", "Bearer t0k3n").containsEntry("X-Team", "payments");
        assertThat(hook.timeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(a.sinks().get(1).resendInterval()).isEqualTo(Duration.ofMinutes(2));
        assertThat(c.summary()).contains("hook (webhook)").doesNotContain("s3cr3t").doesNotContain("t0k3n");

        List<String> problems = problems(MINIMAL + """
                alerts:
                  stormSample: 0
                  sinks:
                    - {name: a, type: pager, url: 'http://x', secret: hunter2, timeout: soon}
                    - {name: a, type: webhook}
                """, Map.of());
        assertThat(problems).anyMatch(p -> p.startsWith("alerts.stormSample:"))
                .anyMatch(p -> p.startsWith("alerts.sinks[0].timeout:"))
                .noneMatch(p -> p.contains("hunter2"));
        assertThat(problems(MINIMAL + "alerts:\n  sinks:\n    - {name: a, type: pager, url: 'http://x'}\n"
                + "    - {name: a, type: webhook}\n", Map.of()))
                .anyMatch(p -> p.startsWith("alerts.sinks[0] (a).type: 'pager' is unknown"))
                .anyMatch(p -> p.startsWith("alerts.sinks[1] (a).url: missing"))
                .anyMatch(p -> p.startsWith("alerts.sinks[1].name:"));
    }

    @Test
    void environmentSubstitution() {
        EnvSubstitution s = new EnvSubstitution(Map.of("A", "1", "EMPTY", "")::get);
        assertThat(s.apply("x${A}y${B:-2}z")).isEqualTo("x1y2z");
        assertThat(s.apply("${EMPTY:-d}|${EMPTY}|${B:-}")).isEqualTo("d||");
        assertThat(s.apply("$${A} and $ and \\d{4}$")).isEqualTo("${A} and $ and \\d{4}$");
        assertThatThrownBy(() -> s.apply("${B}")).hasMessageContaining("B is not set");
        assertThatThrownBy(() -> s.apply("${A")).hasMessageContaining("unclosed");
        assertThatThrownBy(() -> s.apply("${1x}")).hasMessageContaining("does not name");
    }

    @Test
    void durationsAndSizes() {
        assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Durations.parse("2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("7d")).isEqualTo(Duration.ofDays(7));
        assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(Durations.parse("250ms")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.parse("0")).isZero();
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
        assertThatThrownBy(() -> Durations.parse("30")).hasMessageContaining("not a duration");
        assertThat(Sizes.parse("256MiB")).isEqualTo(256L << 20);
        assertThat(Sizes.parse("1GiB")).isEqualTo(1L << 30);
        assertThat(Sizes.parse("4096")).isEqualTo(4096);
        assertThat(Sizes.format(64L << 20)).isEqualTo("64MiB");
        assertThatThrownBy(() -> Sizes.parse("1TB")).hasMessageContaining("not a size");
    }

    @Test
    void requiredColumnsCoverEveryColumnTheRulesReadAndTheStreamsKeep() {
        ReconcilerConfig c = new ConfigLoader(name -> null).load(EXAMPLE);
        assertThat(c.requiredColumns(c.source("inventory"))).singleElement().satisfies(r -> {
            assertThat(r.table().pattern()).isEqualTo("collection_inventory_stream");
            assertThat(r.columns()).extracting(x -> x.name()).contains("identifier", "collection_id", "stream_type",
                    "deleted", "changed_quantity", "gmt_modified", "state");
        });
    }

    @Test
    void snapshotLookBackIsBoundAndItsChecksNameTheKey() {
        ReconcilerConfig c = load(MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], snapshotLookback: 3d, snapshotLookbackColumn: gmt_create}"),
                Map.of());
        assertThat(c.source("a").config().snapshotLookback()).isEqualTo(Duration.ofDays(3));
        assertThat(c.source("a").config().snapshotLookbackColumn()).isEqualTo("gmt_create");
        assertThat(c.source("b").config().snapshotLookback()).isNull();
        assertThat(c.source("b").config().snapshotLookbackColumn()).isEqualTo(SourceConfig.DEFAULT_LOOKBACK_COLUMN);
        assertThat(problems(MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], snapshot: from_now, snapshotLookback: 1d}"), Map.of()))
                .singleElement().asString().startsWith("sources[0].snapshotLookback: only applies to the initial snapshot");
        assertThat(problems(MINIMAL.replace("{name: a, host: h, user: u, databases: [d]}",
                "{name: a, host: h, user: u, databases: [d], snapshotLookback: 1d, snapshotLookbackColumn: 'a b'}"),
                Map.of())).singleElement().asString().startsWith("sources[0].snapshotLookbackColumn: 'a b' is not a plain column name");
    }
}
