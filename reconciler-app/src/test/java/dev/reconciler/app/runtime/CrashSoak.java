package dev.reconciler.app.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.alert.RealAlertmanagerTest;
import dev.reconciler.app.alert.Receiver;
import dev.reconciler.app.demo.DemoSchema;
import dev.reconciler.app.demo.FlashSaleTraffic;
import dev.reconciler.app.demo.LocalMariaDbServer;
import dev.reconciler.app.metrics.Scrape;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Issue 12's crash soak: {@code reconciler run} (the shipped configuration, a webhook sink and an Alertmanager sink)
 * in a JVM of its own against two local MariaDB servers, under steady flash-sale traffic with the article's faults
 * injected ({@link FlashSaleTraffic}) plus late fixes (a deduction that comes after the grace, a duplicate deduction
 * logically deleted later), {@code kill -9}-ed at moments drawn from a seed: every fourth kill while it starts (maybe
 * before its first batch, maybe mid-snapshot), the others while it runs. The webhook receiver refuses a share of the requests (503), so
 * retries and re-deliveries happen too. After the last restart and quiescence (every source streaming, every rule's
 * reconciled-until past the last commit):
 * <ul>
 *   <li>the open discrepancies ({@code GET /api/discrepancies?status=open}, every page) equal {@link FinalTablesOracle}'s
 *       by (rule, type, key), quantity mismatches with their difference: nothing lost, nothing false;</li>
 *   <li>nothing was resolved that the traffic did not fix (a resolved discrepancy of another key was a false alarm);</li>
 *   <li>every transition (each discrepancy's opening, and its resolution) reached the webhook receiver at least once
 *       (by idempotency key), every delivery of one key with the same body and signature (no field of the webhook
 *       document is delivery-time), and nothing else was alerted;</li>
 *   <li>Alertmanager lists exactly the open discrepancies as firing.</li>
 * </ul>
 * Used by {@code scripts/soak.sh} (main) and by {@link CrashSoakTest} (CI-sized).
 */
public final class CrashSoak {
    private static final String DB_PASSWORD = "soak capture pw";
    private static final String WEBHOOK = "soak-webhook";
    private static final String ALERTMANAGER = "soak-alertmanager";
    private static final String SECRET = "soak-webhook-secret";
    /** A restarted process must have applied a batch within this; else the restart is stuck (a finding). */
    private static final Duration RECOVERY_BOUND = Duration.ofSeconds(120);
    private static final Duration QUIESCENCE_BOUND = Duration.ofSeconds(180);
    private static final String LATE_PREFIX = "LATE-";
    private static final String RETRACT_PREFIX = "RETRACT-";

    /**
     * @param kills               how many times the process is killed with SIGKILL
     * @param duration            traffic runs at least this long (longer when the kills need more time)
     * @param rate                orders per second
     * @param faultRate           share of orders with an injected fault
     * @param seed                kill moments, faults and receiver refusals follow from it
     * @param receiverFailureRate share of webhook requests the receiver answers 503
     */
    public record Options(int kills, Duration duration, double rate, double faultRate, long seed,
                          double receiverFailureRate) {
        static Options parse(String[] args) {
            int kills = 20;
            Duration duration = Duration.ofMinutes(5);
            double rate = 50;
            double faultRate = 0.05;
            long seed = System.nanoTime();
            double receiverFailures = 0.05;
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("-h") || a.equals("--help")) {
                    throw new IllegalArgumentException("usage");
                }
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                switch (a) {
                    case "--kills" -> kills = Integer.parseInt(v);
                    case "--duration" -> duration = duration(v);
                    case "--rate" -> rate = Double.parseDouble(v);
                    case "--fault-rate" -> faultRate = Double.parseDouble(v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--receiver-failure-rate" -> receiverFailures = Double.parseDouble(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            }
            if (kills < 0 || rate <= 0 || faultRate < 0 || faultRate > 1 || receiverFailures < 0 || receiverFailures >= 1) {
                throw new IllegalArgumentException("--kills ≥ 0, --rate > 0, --fault-rate in [0, 1],"
                        + " --receiver-failure-rate in [0, 1)");
            }
            return new Options(kills, duration, rate, faultRate, seed, receiverFailures);
        }

        /** {@code 90s}, {@code 10m}, {@code 1h} or seconds. */
        static Duration duration(String v) {
            String s = v.trim().toLowerCase(Locale.ROOT);
            if (s.endsWith("h")) return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1)));
            if (s.endsWith("m")) return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
            if (s.endsWith("s")) return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
            return Duration.ofSeconds(Long.parseLong(s));
        }

        /** The command line that repeats this run. */
        String commandLine() {
            return String.format(Locale.ROOT, "scripts/soak.sh --kills %d --duration %ds --rate %s --fault-rate %s"
                    + " --receiver-failure-rate %s --seed %d", kills, duration.toSeconds(), num(rate), num(faultRate),
                    num(receiverFailureRate), seed);
        }
    }

    /**
     * One kill.
     *
     * @param at       seconds since the soak started
     * @param moment   when in the process's life it came
     * @param recovery seconds from the kill to the first batch applied after it (by the next process that got there);
     *                 null if none did
     */
    record Kill(int number, double at, String moment, Double recovery) {
    }

    /** Everything measured; {@link #problems()} empty means the soak passed. */
    record Result(Options options, List<Kill> kills, long orders, Map<String, Long> injected, int lateFixes,
                  Set<String> expected, Set<String> open, List<String> lost, List<String> falseAlarms,
                  int transitions, int transitionsDelivered, List<String> undelivered, int duplicateDeliveries,
                  List<String> differingDuplicates, List<String> unexpectedAlerts, List<String> alertmanager,
                  int resolved, double quiescenceSeconds, double sigtermSeconds, List<String> other) {

        List<String> problems() {
            List<String> p = new ArrayList<>();
            lost.forEach(x -> p.add("lost: " + x));
            falseAlarms.forEach(x -> p.add("false alarm: " + x));
            undelivered.forEach(x -> p.add("alert transition never delivered: " + x));
            differingDuplicates.forEach(x -> p.add("two deliveries of one transition differ: " + x));
            unexpectedAlerts.forEach(x -> p.add("alerted, but no such transition: " + x));
            alertmanager.forEach(x -> p.add("Alertmanager: " + x));
            for (Kill k : kills) {
                if (k.recovery() == null) p.add("kill " + k.number() + ": no batch applied after it");
            }
            p.addAll(other);
            return p;
        }

        String table() {
            StringBuilder b = new StringBuilder();
            b.append(String.format(Locale.ROOT, "%-5s %9s  %-44s %14s%n", "kill", "at (s)", "moment",
                    "recovered (s)"));
            for (Kill k : kills) {
                b.append(String.format(Locale.ROOT, "%-5d %9.1f  %-44s %14s%n", k.number(), k.at(), k.moment(),
                        k.recovery() == null ? "never" : String.format(Locale.ROOT, "%.1f", k.recovery())));
            }
            List<Double> r = kills.stream().map(Kill::recovery).filter(x -> x != null).sorted().toList();
            if (!r.isEmpty()) {
                b.append(String.format(Locale.ROOT, "time to recover (kill → first batch applied): min %.1f s,"
                        + " median %.1f s, max %.1f s over %d kills%n", r.get(0), r.get(r.size() / 2),
                        r.get(r.size() - 1), r.size()));
            }
            b.append(String.format(Locale.ROOT, "traffic: %d orders, injected %s, late fixes %d%n", orders, injected,
                    lateFixes));
            b.append(String.format(Locale.ROOT, "oracle (final tables): %d open discrepancies; reconciler: %d open,"
                    + " %d resolved (late fixes)%n", expected.size(), open.size(), resolved));
            b.append(String.format(Locale.ROOT, "lost %d, false %d%n", lost.size(), falseAlarms.size()));
            b.append(String.format(Locale.ROOT, "alert transitions: %d, delivered %d, deliveries repeated %d"
                    + " (differing %d), unexpected %d; Alertmanager %s%n", transitions, transitionsDelivered,
                    duplicateDeliveries, differingDuplicates.size(), unexpectedAlerts.size(),
                    alertmanager.isEmpty() ? "firing set = the open discrepancies" : alertmanager.size() + " problems"));
            b.append(String.format(Locale.ROOT, "quiescence after the traffic stopped: %.1f s; final SIGTERM: exited"
                    + " after %.1f s%n", quiescenceSeconds, sigtermSeconds));
            List<String> p = problems();
            b.append(p.isEmpty() ? "PASS" : "FAIL: " + p.size() + " problems").append(" (")
                    .append(options.commandLine()).append(")\n");
            p.stream().limit(50).forEach(x -> b.append("  ").append(x).append('\n'));
            return b.toString();
        }
    }

    private final Options options;
    private final Path dir;
    private final PrintStream out;
    private final ObjectMapper mapper = new ObjectMapper();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final List<ReconcilerProcess> processes = new ArrayList<>();
    private final long t0 = System.nanoTime();

    private CrashSoak(Options options, Path dir, PrintStream out) {
        this.options = options;
        this.dir = dir;
        this.out = out;
    }

    /** Runs the soak in {@code dir} (servers, state, logs); prints progress to {@code out}. */
    static Result run(Options options, Path dir, PrintStream out) throws Exception {
        return new CrashSoak(options, dir, out).run();
    }

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println((e.getMessage().equals("usage") ? "" : e.getMessage() + "\n")
                    + "usage: scripts/soak.sh [--kills 20] [--duration 5m] [--rate 50] [--fault-rate 0.05]"
                    + " [--receiver-failure-rate 0.05] [--seed N]");
            System.exit(2);
            return;
        }
        Path dir = Files.createTempDirectory("reconciler-soak-");
        System.out.println("crash soak: " + o.commandLine() + "\n  work directory (servers, state, logs): " + dir);
        Result r = run(o, dir, System.out);
        String table = r.table();
        System.out.println();
        System.out.print(table);
        Path figures = dir.resolve("soak-result.txt");
        Files.writeString(figures, table);
        System.out.println("figures written to " + figures);
        System.exit(r.problems().isEmpty() ? 0 : 1);
    }

    private double now() {
        return (System.nanoTime() - t0) / 1e9;
    }

    private void say(String fmt, Object... args) {
        out.printf(Locale.ROOT, "[soak %6.1f s] " + fmt + "%n", prepend(now(), args));
    }

    private static Object[] prepend(Object first, Object[] rest) {
        Object[] all = new Object[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    private Result run() throws Exception {
        Random random = new Random(options.seed());
        Random refusals = new Random(options.seed() * 31 + 7);
        try (LocalMariaDbServer orders = LocalMariaDbServer.start(dir.resolve("orders-db"), 61);
             LocalMariaDbServer inventory = LocalMariaDbServer.start(dir.resolve("inventory-db"), 62);
             Receiver receiver = new Receiver()) {
            int amPort = RealAlertmanagerTest.freePort();
            Process alertmanager = RealAlertmanagerTest.launch(dir.resolve("alertmanager"), amPort);
            String am = "http://127.0.0.1:" + amPort;
            try {
                DemoSchema.create(orders, inventory);
                ExampleConfigEndToEndTest.createCaptureUser(List.of(orders, inventory), DB_PASSWORD);
                // A share of the deliveries refused: retries, and re-deliveries after kills, must not change content.
                receiver.answer(r -> refusals.nextDouble() < options.receiverFailureRate()
                        ? new Receiver.Response(503, "{\"error\":\"soak: refused\"}") : new Receiver.Response(200, "{}"));
                return soak(orders, inventory, receiver, am, random);
            } catch (Throwable t) {
                for (ReconcilerProcess p : processes) out.println("  log of the failed run: " + p.logFile);
                throw t;
            } finally {
                for (ReconcilerProcess p : processes) p.terminate();
                alertmanager.destroy();
                if (!alertmanager.waitFor(10, TimeUnit.SECONDS)) alertmanager.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private Result soak(LocalMariaDbServer orders, LocalMariaDbServer inventory, Receiver receiver, String am,
                        Random random) throws Exception {
        Path config = dir.resolve("reconciler.yml");
        Files.writeString(config, Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"))
                + "\nalerts:\n"
                + "  publicUrl: https://reconciler.example.test\n"
                + "  sinks:\n"
                + "    - name: " + WEBHOOK + "\n"
                + "      type: webhook\n"
                + "      url: " + receiver.url() + "/hooks/reconciler\n"
                + "      secret: ${RECONCILER_WEBHOOK_SECRET}\n"
                + "      timeout: 5s\n"
                + "      minBackoff: 200ms\n"
                + "      maxBackoff: 1s\n"
                + "      stormThreshold: 0\n"   // every transition on its own: the soak accounts for each
                + "    - name: " + ALERTMANAGER + "\n"
                + "      type: alertmanager\n"
                + "      url: " + am + "\n"
                + "      minBackoff: 200ms\n"
                + "      maxBackoff: 1s\n");
        Map<String, String> env = ReconcilerProcess.exampleEnvironment(orders, inventory, DB_PASSWORD,
                dir.resolve("state"));
        env.put("RECONCILER_WEBHOOK_SECRET", SECRET);

        FlashSaleTraffic traffic = new FlashSaleTraffic(connections(orders, DemoSchema.ORDERS_DB),
                connections(inventory, DemoSchema.INVENTORY_DB), options.rate(), options.faultRate(), options.seed());
        LateFixes late = new LateFixes(orders, inventory);
        List<String> other = new ArrayList<>();

        ReconcilerProcess p = launch(config, env);
        double launchedAt = now();
        traffic.start();
        late.start();
        double trafficFrom = now();
        say("traffic started: %s orders/s, fault rate %s", num(options.rate()), num(options.faultRate()));

        // Kill moments from the seed. Every fourth kill (the 2nd, 6th, ...) comes while the process starts, 0.3-12 s
        // after its launch: while the JVM starts, the store opens, the binlog readers connect, or the first snapshot
        // runs. The others come 0.5 s to 2 slots after the process applied its first batch.
        double slot = Math.max(1.0, options.duration().toMillis() / 1000.0 / (options.kills() + 1));
        List<double[]> killed = new ArrayList<>();   // {soak time of the kill, recovery or NaN}
        List<String> moments = new ArrayList<>();
        for (int k = 1; k <= options.kills(); k++) {
            boolean whileStarting = k % 4 == 2;
            double startDelay = 0.3 + random.nextDouble() * 11.7;
            double uptime = 0.5 + random.nextDouble() * Math.max(0.5, 2 * slot - 1.0);
            String moment;
            if (whileStarting) {
                double killAt = launchedAt + startDelay;
                Double batch = awaitFirstBatch(p, killAt);
                if (batch != null) recovered(killed, batch);
                sleepUntil(killAt);
                moment = String.format(Locale.ROOT, "starting, %.1f s after launch%s", startDelay,
                        batch == null ? " (no batch yet)" : " (first batch done)");
            } else {
                Double batch = awaitFirstBatch(p, now() + RECOVERY_BOUND.toSeconds());
                if (batch == null) {
                    other.add("process " + processes.size() + " applied no batch within " + RECOVERY_BOUND.toSeconds()
                            + " s of its launch (stuck restart; alive: " + p.process.isAlive() + ", log " + p.logFile + ")");
                    break;
                }
                recovered(killed, batch);
                sleepUntil(batch + uptime);
                moment = String.format(Locale.ROOT, "running, %.1f s after its first batch", uptime);
            }
            if (!p.process.isAlive()) {
                other.add("process " + processes.size() + " exited by itself (" + p.process.exitValue() + ", log "
                        + p.logFile + ")");
                break;
            }
            double at = now();
            p.kill();
            killed.add(new double[] {at, Double.NaN});
            moments.add(moment);
            say("kill -9 %d/%d: %s", k, options.kills(), moment);
            p = launch(config, env);
            launchedAt = now();
        }
        Double batch = awaitFirstBatch(p, now() + RECOVERY_BOUND.toSeconds());
        if (batch == null) {
            other.add("the last process applied no batch within " + RECOVERY_BOUND.toSeconds() + " s (log "
                    + p.logFile + ")");
        } else {
            recovered(killed, batch);
        }
        sleepUntil(trafficFrom + options.duration().toMillis() / 1000.0);
        traffic.stop();
        late.stop();
        Instant stoppedAt = Instant.now();
        double stopped = now();
        say("traffic stopped: %d orders, injected %s; %d late fixes", traffic.orders(), traffic.injectedByRuleType(),
                late.cases());

        List<Kill> kills = new ArrayList<>();
        for (int i = 0; i < killed.size(); i++) {
            double[] k = killed.get(i);
            kills.add(new Kill(i + 1, k[0], moments.get(i), Double.isNaN(k[1]) ? null : k[1]));
        }
        if (batch == null) {
            return new Result(options, kills, traffic.orders(), traffic.injectedByRuleType(), late.cases(), Set.of(),
                    Set.of(), List.of(), List.of(), 0, 0, List.of(), 0, List.of(), List.of(), List.of(), 0, 0, 0, other);
        }

        // ---- quiescence: every source streaming, every rule decided up to past the last commit, outboxes empty
        ReconcilerProcess last = p;
        String api = last.awaitReady();
        String[] why = {""};
        try {
            org.awaitility.Awaitility.await("quiescence").atMost(QUIESCENCE_BOUND).pollInterval(Duration.ofMillis(500))
                    .failFast("the reconciler exited", () -> !last.process.isAlive())
                    .ignoreExceptionsInstanceOf(IOException.class)
                    .until(() -> quiet(api, stoppedAt, why));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            other.add("no quiescence within " + QUIESCENCE_BOUND.toSeconds() + " s of the traffic's end: " + why[0]);
        }
        double quiescence = now() - stopped;
        say("quiescent %.1f s after the traffic stopped", quiescence);

        // ---- the oracle against the open discrepancies
        Set<String> expected = new TreeSet<>();
        Set<String> expectedAlerts = new TreeSet<>();
        for (FinalTablesOracle.Expected e : FinalTablesOracle.judge(orders, inventory)) {
            expected.add(e.toString());
            expectedAlerts.add(e.rule() + " " + e.type() + " " + e.key());
        }
        List<JsonNode> all = discrepancies(api, "all");
        Set<String> open = new TreeSet<>();
        List<String> falseAlarms = new ArrayList<>();
        int resolved = 0;
        for (JsonNode d : all) {
            String text = describe(d);
            if (d.get("status").asText().equals("OPEN")) {
                if (!open.add(text)) falseAlarms.add("listed open twice: " + text);
            } else {
                resolved++;
                String orderId = d.get("key").get("order_id").asText();
                boolean fixed = (orderId.startsWith(LATE_PREFIX) && d.get("type").asText().equals("MISSING_RIGHT"))
                        || (orderId.startsWith(RETRACT_PREFIX) && d.get("type").asText().equals("DUPLICATE_RIGHT"));
                if (!fixed) falseAlarms.add("opened, then resolved (" + d.get("resolution").asText() + "): " + text);
            }
        }
        List<String> lost = new ArrayList<>();
        for (String e : expected) if (!open.contains(e)) lost.add(e);
        for (String o : open) if (!expected.contains(o)) falseAlarms.add(o);

        // ---- alert transitions at the webhook receiver
        Set<String> transitions = new LinkedHashSet<>();
        for (JsonNode d : all) {
            transitions.add(d.get("id").asText() + ":opened");
            if (d.get("status").asText().equals("RESOLVED")) transitions.add(d.get("id").asText() + ":resolved");
        }
        Set<String> accepted = new LinkedHashSet<>(receiver.acceptedKeys());
        List<String> undelivered = new ArrayList<>();
        for (String t : transitions) if (!accepted.contains(t)) undelivered.add(t);
        List<String> unexpected = new ArrayList<>();
        for (Receiver.Request r : receiver.accepted()) {
            String key = r.header("Idempotency-Key");
            String event = r.header("X-Reconciler-Event");
            if (transitions.contains(key)) continue;
            if (event != null && event.startsWith("discrepancy.")) unexpected.add(event + " " + key);
            else say("other alert delivered (not a discrepancy; listed, not judged): %s %s", event, key);
        }
        // Every delivery attempt of one key (refused ones too) must carry the same body and signature.
        Map<String, Set<String>> contents = new HashMap<>();
        for (Receiver.Request r : receiver.requests()) {
            contents.computeIfAbsent(r.header("Idempotency-Key"), k -> new LinkedHashSet<>())
                    .add(r.header("X-Reconciler-Signature") + "\n" + r.body());
        }
        List<String> differing = new ArrayList<>();
        contents.forEach((k, v) -> {
            if (v.size() > 1) differing.add(k + " (" + v.size() + " different bodies)");
        });
        for (Receiver.Request r : receiver.answeredOk()) {
            if (!r.header("X-Reconciler-Signature").equals(Receiver.signature(SECRET, r.body()))) {
                differing.add(r.header("Idempotency-Key") + ": signature does not match the body");
            }
        }
        int repeated = receiver.answeredOk().size() - receiver.accepted().size();

        // ---- Alertmanager: firing = the open discrepancies
        List<String> amProblems = new ArrayList<>();
        try {
            org.awaitility.Awaitility.await("Alertmanager's firing set").atMost(Duration.ofSeconds(60))
                    .pollInterval(Duration.ofMillis(500)).ignoreExceptionsInstanceOf(IOException.class)
                    .until(() -> firing(am).equals(expectedAlerts));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            Set<String> f = firing(am);
            for (String x : expectedAlerts) if (!f.contains(x)) amProblems.add("not firing: " + x);
            for (String x : f) if (!expectedAlerts.contains(x)) amProblems.add("firing, but not open: " + x);
        }

        // ---- a clean stop at the end
        double termFrom = now();
        int exit = last.terminate();
        double sigterm = now() - termFrom;
        if (exit != 143 || !last.log().contains("stopped: state store closed")) {
            other.add("the final SIGTERM did not stop cleanly (exit " + exit + ", log " + last.logFile + ")");
        }
        return new Result(options, kills, traffic.orders(), traffic.injectedByRuleType(), late.cases(), expected,
                open, lost, falseAlarms, transitions.size(), transitions.size() - undelivered.size(), undelivered,
                repeated, differing, unexpected, amProblems, resolved, quiescence, sigterm, other);
    }

    // ---------------------------------------------------------------- helpers

    private ReconcilerProcess launch(Path config, Map<String, String> env) throws IOException {
        ReconcilerProcess p = ReconcilerProcess.start(config, env, dir.resolve("run-" + (processes.size() + 1) + ".log"));
        processes.add(p);
        return p;
    }

    /** Marks every kill not yet recovered as recovered at {@code at} (soak seconds). */
    private static void recovered(List<double[]> killed, double at) {
        for (double[] k : killed) {
            if (Double.isNaN(k[1])) k[1] = at - k[0];
        }
    }

    /**
     * Polls the process's status until a source reports a batch applied by it ({@code lastBatchAt}); returns that
     * moment (soak seconds), or null once {@code until} passed or the process died.
     */
    private Double awaitFirstBatch(ReconcilerProcess p, double until) throws InterruptedException {
        while (now() < until && p.process.isAlive()) {
            String url = p.apiUrlIfListening();
            if (url != null) {
                try {
                    for (JsonNode s : json(url + "/api/status").get("sources")) {
                        if (!s.get("lastBatchAt").isNull()) return now();
                    }
                } catch (IOException | RuntimeException e) {
                    // not answering yet
                }
            }
            Thread.sleep(100);
        }
        return null;
    }

    private void sleepUntil(double soakSeconds) throws InterruptedException {
        double wait = soakSeconds - now();
        if (wait > 0) Thread.sleep((long) (wait * 1000));
    }

    /** Quiet: every source streaming, every rule reconciled past the last commit, both outboxes empty. */
    private boolean quiet(String api, Instant stoppedAt, String[] why) throws Exception {
        JsonNode status = json(api + "/api/status");
        for (JsonNode s : status.get("sources")) {
            if (!s.get("phase").asText().equals("STREAMING")) {
                why[0] = "source " + s.get("name").asText() + " is " + s.get("phase").asText();
                return false;
            }
        }
        // Commit times have one-second resolution: past the second after the traffic stopped.
        Instant past = stoppedAt.plusSeconds(1);
        for (JsonNode r : status.get("rules")) {
            JsonNode until = r.get("reconciledUntil");
            if (until == null || until.isNull() || Instant.parse(until.asText()).isBefore(past)) {
                why[0] = "rule " + r.get("name").asText() + " reconciled until " + until + ", not yet " + past;
                return false;
            }
        }
        Scrape m = new Scrape(get(api + "/metrics"));
        for (String sink : List.of(WEBHOOK, ALERTMANAGER)) {
            double size = m.value("reconciler_alert_outbox_size", "sink", sink);
            if (size != 0) {
                why[0] = "sink " + sink + " has " + size + " alerts in its outbox";
                return false;
            }
        }
        return true;
    }

    /** Every discrepancy of a status, following {@code next} to the end. */
    private List<JsonNode> discrepancies(String api, String status) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        String cursor = null;
        do {
            JsonNode page = json(api + "/api/discrepancies?status=" + status + "&limit=1000"
                    + (cursor == null ? "" : "&cursor=" + URLEncoder.encode(cursor, StandardCharsets.UTF_8)));
            page.get("items").forEach(out::add);
            cursor = page.get("next").isNull() ? null : page.get("next").asText();
        } while (cursor != null);
        return out;
    }

    /** As {@link FinalTablesOracle.Expected#toString()} writes it. */
    private static String describe(JsonNode d) {
        String type = d.get("type").asText();
        String difference = null;
        if (type.equals("QUANTITY_MISMATCH") && !d.get("difference").isNull()) {
            difference = FinalTablesOracle.plain(new BigDecimal(d.get("difference").asText()));
        }
        return new FinalTablesOracle.Expected(d.get("rule").asText(), type,
                FinalTablesOracle.key(d.get("key").get("order_id").asText(), d.get("key").get("goods_id").asText()),
                difference).toString();
    }

    /** "rule TYPE key" of every discrepancy alert Alertmanager lists as active. */
    private Set<String> firing(String am) throws Exception {
        String filter = URLEncoder.encode("alertname=\"ReconcilerDiscrepancy\"", StandardCharsets.UTF_8);
        Set<String> out = new TreeSet<>();
        for (JsonNode a : json(am + "/api/v2/alerts?filter=" + filter)) {
            if (!a.get("status").get("state").asText().equals("active")) continue;
            JsonNode l = a.get("labels");
            out.add(l.get("rule").asText() + " " + l.get("type").asText() + " " + l.get("key").asText());
        }
        return out;
    }

    private JsonNode json(String url) throws IOException, InterruptedException {
        return mapper.readTree(get(url));
    }

    private String get(String url) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IOException("GET " + url + ": " + r.statusCode() + " " + r.body());
        return r.body();
    }

    private static Supplier<Connection> connections(LocalMariaDbServer server, String database) {
        return () -> {
            try {
                return server.connect(database);
            } catch (SQLException e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        };
    }

    /**
     * Discrepancies that the traffic fixes later, so that resolutions are alerted (and judged) too: every 2 s either
     * an order whose deduction comes 10 s later (past grace + clock skew: MISSING_RIGHT opens, then resolves as
     * COUNTERPART_ARRIVED — unless the reconciler, replaying after a kill, sees both before the wait ran out), or an
     * order deducted twice whose second deduction is logically deleted 10 s later (DUPLICATE_RIGHT opens at once,
     * then resolves as RETRACTED). {@link #stop()} applies the fixes still due, so the final tables hold them all.
     */
    private final class LateFixes implements Runnable {
        private record Due(long at, LocalMariaDbServer server, String database, String sql) {
        }

        private final LocalMariaDbServer orders;
        private final LocalMariaDbServer inventory;
        private final java.util.ArrayDeque<Due> due = new java.util.ArrayDeque<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicLong cases = new AtomicLong();
        private final Thread thread = new Thread(this, "soak-late-fixes");

        LateFixes(LocalMariaDbServer orders, LocalMariaDbServer inventory) {
            this.orders = orders;
            this.inventory = inventory;
            thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        int cases() {
            return (int) cases.get();
        }

        void stop() throws SQLException, InterruptedException {
            running.set(false);
            thread.join(30_000);
            for (Due d : due) d.server().execute(d.database(), List.of(d.sql()));
            due.clear();
        }

        @Override
        public void run() {
            long next = System.nanoTime();
            while (running.get()) {
                try {
                    long now = System.nanoTime();
                    while (!due.isEmpty() && due.peek().at() <= now) {
                        Due d = due.peek();
                        d.server().execute(d.database(), List.of(d.sql()));
                        due.poll();
                    }
                    if (now >= next) {
                        long n = cases.incrementAndGet();
                        long fixAt = now + TimeUnit.SECONDS.toNanos(10);
                        if (n % 2 == 1) {
                            String id = LATE_PREFIX + n;
                            orders.execute(DemoSchema.ORDERS_DB, List.of(ExampleConfigEndToEndTest.order((int) (n % 4),
                                    id, 2, "CREATE_AND_CONFIRM", "CONFIRM")));
                            due.add(new Due(fixAt, inventory, DemoSchema.INVENTORY_DB,
                                    ExampleConfigEndToEndTest.deduction(id, 2, "TRY_SALE")));
                        } else {
                            String id = RETRACT_PREFIX + n;
                            orders.execute(DemoSchema.ORDERS_DB, List.of(ExampleConfigEndToEndTest.order((int) (n % 4),
                                    id, 1, "CREATE_AND_CONFIRM", "CONFIRM")));
                            inventory.execute(DemoSchema.INVENTORY_DB, List.of(
                                    ExampleConfigEndToEndTest.deduction(id, 1, "TRY_SALE"),
                                    ExampleConfigEndToEndTest.deduction(id, 1, "TRY_SALE")));
                            due.add(new Due(fixAt, inventory, DemoSchema.INVENTORY_DB, "UPDATE collection_inventory_stream"
                                    + " SET deleted = 1 WHERE identifier = '" + id + "' ORDER BY id DESC LIMIT 1"));
                        }
                        next = now + TimeUnit.SECONDS.toNanos(2);
                    }
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                } catch (SQLException e) {
                    throw new UncheckedIOException(new IOException("soak late fixes: " + e.getMessage(), e));
                }
            }
        }
    }

    private static String num(double d) {
        return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
    }
}
