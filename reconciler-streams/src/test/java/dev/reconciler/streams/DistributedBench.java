package dev.reconciler.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The distributed mode's benchmark ({@code scripts/bench.sh --distributed}; docs/scale-out.md): for 1, 2 and 4
 * facts partitions, each with as many stream threads, a fresh in-process KRaft broker gets a pre-produced backlog of
 * a flash sale's change events (as Connect's Debezium connectors write them), then one Streams instance — a
 * separate JVM started as {@code StreamsMain}, exactly-once v2, RocksDB stores — drains it. Drained = every order's
 * final outcome committed (read_committed). Reports events/s from the application's RUNNING state to the last
 * outcome, the instance's CPU per million events over the same span, and the CPU of this JVM (the broker, plus the
 * outcome consumer, whose own thread CPU is subtracted). Measures; asserts nothing.
 *
 * <pre>
 *   DistributedBench [--orders N] [--configs 1,2,4] [--heap 1g] [--out target/bench/distributed.md]
 *                    [--set commit.interval.ms=1000 ...]   (Streams settings for the instance)
 * </pre>
 */
public final class DistributedBench {
    static final Duration GRACE = Duration.ofSeconds(5);
    /** Streams settings given with --set (e.g. commit.interval.ms=1000), on top of the defaults. */
    static final Properties EXTRA = new Properties();

    record Figure(int partitions, int threads, long events, double seconds, double eventsPerSecond,
                  double cpuSeconds, double cpuPerMillion, double brokerCpuSeconds, double startSeconds,
                  double warmEventsPerSecond, double warmCpuPerMillion) {
    }

    public static void main(String[] args) throws Exception {
        int orders = 100_000;
        List<Integer> configs = List.of(1, 2, 4);
        String heap = "1g";
        Path out = Path.of("target/bench/distributed.md");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--orders" -> orders = Integer.parseInt(args[++i].replace("k", "000"));
                case "--configs" -> configs = java.util.Arrays.stream(args[++i].split(",")).map(Integer::parseInt)
                        .toList();
                case "--heap" -> heap = args[++i];
                case "--out" -> out = Path.of(args[++i]);
                case "--set" -> {
                    String[] kv = args[++i].split("=", 2);
                    EXTRA.put(kv[0], kv[1]);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + "; usage: DistributedBench [--orders N] [--configs 1,2,4] [--heap 1g] [--out FILE]"
                        + " [--set streams.property=value ...]");
            }
        }
        List<Figure> figures = new ArrayList<>();
        for (int p : configs) figures.add(run(orders, p, heap));
        String table = table(orders, figures);
        System.out.println(table);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, table);
        System.exit(0);   // the broker's non-daemon threads
    }

    static Figure run(int orders, int partitions, String heap) throws Exception {
        Path dir = Files.createTempDirectory("reconciler-dbench-");
        FlashSaleHistory history = new FlashSaleHistory("orders", "inventory", 2000, GRACE, Duration.ofMillis(500))
                .stopAfter(orders);
        StreamsProcess instance = null;
        try (InProcessKafka kafka = InProcessKafka.start(dir.resolve("kafka"))) {
            String bootstrap = kafka.bootstrapServers();
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
                // The change topics as Connect creates them; the application's own ones up front too (StreamsMain
                // accepts them at the configured partition count), so the outcome consumer can start at once.
                admin.createTopics(List.of(new NewTopic(history.ordersTopic(), 1, (short) 1),
                        new NewTopic(history.inventoryTopic(), 1, (short) 1),
                        new NewTopic("reconciler.facts", partitions, (short) 1),
                        new NewTopic("reconciler.outcomes", partitions, (short) 1))).all().get();
            }
            // The backlog, its commit times ending now (a catch-up after an outage of the sale's length).
            long span = orders / 2 + GRACE.toMillis() + 8000;
            try (ChangeTraffic traffic = new ChangeTraffic(bootstrap, history)) {
                traffic.writeAll(Instant.now().minusMillis(span));
            }
            Path yaml = dir.resolve("reconciler.yaml");
            Files.writeString(yaml, history.yaml(Duration.ofMinutes(30)));
            Properties p = new Properties();
            p.put("bootstrap.servers", bootstrap);
            p.put("application.id", "reconciler-bench");
            p.put("reconciler.facts.partitions", String.valueOf(partitions));
            p.put("reconciler.replication.factor", "1");
            p.put("num.stream.threads", String.valueOf(partitions));
            p.putAll(EXTRA);
            try (OutcomesWatcher outcomes = new OutcomesWatcher(bootstrap, "reconciler.outcomes", partitions, true)) {
                Instant launched = Instant.now();
                List<String> jvm = new ArrayList<>(List.of("-Xms" + heap, "-Xmx" + heap, "-XX:+UseG1GC"));
                // BENCH_INSTANCE_OPTS: extra options for the instance's JVM (e.g. a JFR recording).
                String extra = System.getenv().getOrDefault("BENCH_INSTANCE_OPTS", "").trim();
                if (!extra.isEmpty()) jvm.addAll(List.of(extra.split("\\s+")));
                instance = StreamsProcess.start("bench-" + partitions, dir.resolve("instance"), yaml, p, jvm);
                StreamsProcess i = instance;
                Duration runningCpu = null;
                while (i.entered("RUNNING").isEmpty()) {
                    if (!i.alive()) throw new IllegalStateException("instance ended:\n" + i.log());
                    Thread.sleep(20);
                }
                Instant running = Instant.now();
                runningCpu = i.cpu().orElse(Duration.ZERO);
                long brokerCpu0 = processCpuNanos() - outcomes.threadCpuNanos();
                Map<String, String> expected = history.expectedOpen();
                long matches = history.expectedMatched().size();
                Duration lastCpu;
                Instant deadline = Instant.now().plus(Duration.ofMinutes(20));
                // The middle half of the drain (25 % to 75 % of the matches): warm, past the JIT's first minutes.
                Instant q1 = null;
                Instant q3 = null;
                Duration q1Cpu = null;
                Duration q3Cpu = null;
                while (true) {
                    lastCpu = i.cpu().orElse(Duration.ZERO);
                    long m = outcomes.count("PairMatched");
                    if (q1 == null && m >= matches / 4) {
                        q1 = Instant.now();
                        q1Cpu = lastCpu;
                    }
                    if (q3 == null && m >= matches * 3 / 4) {
                        q3 = Instant.now();
                        q3Cpu = lastCpu;
                    }
                    if (outcomes.count("PairMatched") >= matches && outcomes.open().size() >= expected.size()) {
                        break;
                    }
                    if (!i.alive()) throw new IllegalStateException("instance ended:\n" + i.log());
                    if (Instant.now().isAfter(deadline)) throw new IllegalStateException("not drained in 20 min");
                    Thread.sleep(200);
                }
                long brokerCpu = processCpuNanos() - outcomes.threadCpuNanos() - brokerCpu0;
                Instant last = outcomes.lastReadAt();
                sizes(bootstrap, history.generated());
                if (!outcomes.open().equals(expected)) {
                    System.err.println("WARNING: open discrepancies differ from the injected faults");
                }
                double seconds = Duration.between(running, last).toMillis() / 1000.0;
                double cpu = (lastCpu.toMillis() - runningCpu.toMillis()) / 1000.0;
                long events = history.generated();
                double middle = Math.max(0.001, Duration.between(q1, q3).toMillis() / 1000.0);
                double middleCpu = (q3Cpu.toMillis() - q1Cpu.toMillis()) / 1000.0;
                Figure f = new Figure(partitions, partitions, events, seconds, events / seconds, cpu,
                        cpu / events * 1e6, brokerCpu / 1e9, Duration.between(launched, running).toMillis() / 1000.0,
                        events / 2.0 / middle, middleCpu / (events / 2.0) * 1e6);
                System.out.printf(Locale.ROOT, "%d partition(s), %d thread(s): %,d events in %.1f s = %,.0f events/s;"
                                + " instance CPU %.1f s (%.1f s per million events); broker JVM CPU %.1f s;"
                                + " start to RUNNING %.1f s; middle half: %,.0f events/s, %.1f CPU s per million%n",
                        f.partitions(), f.threads(), f.events(), f.seconds(), f.eventsPerSecond(), f.cpuSeconds(),
                        f.cpuPerMillion(), f.brokerCpuSeconds(), f.startSeconds(), f.warmEventsPerSecond(),
                        f.warmCpuPerMillion());
                return f;
            }
        } finally {
            if (instance != null) instance.close();
            deleteTree(dir);
        }
    }

    /** Bytes on the broker per change event, by kind of topic (change, facts, outcomes, each store's changelog). */
    static void sizes(String bootstrap, long events) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            Map<String, Long> bytes = new java.util.TreeMap<>();
            admin.describeLogDirs(List.of(0)).allDescriptions().get().values().forEach(dirs -> dirs.values()
                    .forEach(d -> d.replicaInfos().forEach((tp, info) -> {
                        String t = tp.topic();
                        String kind = t.endsWith(".changes") ? "change topics" : t.equals("reconciler.facts") ? "facts"
                                : t.equals("reconciler.outcomes") ? "outcomes"
                                : t.contains("-changelog") ? t.replaceAll("^.*-(reconciler-\\w+)-changelog$", "$1 changelog")
                                : t.startsWith("__") ? "broker internal" : "other";
                        bytes.merge(kind, info.size(), Long::sum);
                    })));
            StringBuilder b = new StringBuilder("bytes on the broker per change event:");
            bytes.forEach((k, v) -> b.append(String.format(Locale.ROOT, " %s %.0f;", k, (double) v / events)));
            System.out.println(b);
        } catch (Exception e) {
            System.out.println("topic sizes unavailable: " + e);
        }
    }

    static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    static String table(int orders, List<Figure> figures) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "Backlog: %,d orders of a flash sale (%,d change events with heartbeats),"
                + " one Streams instance, exactly-once v2, RocksDB stores%s; load average at the end %.1f on %d cores.%n%n",
                orders, figures.isEmpty() ? 0 : figures.get(0).events(), EXTRA.isEmpty() ? "" : ", " + EXTRA,
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage(),
                Runtime.getRuntime().availableProcessors()));
        b.append("| facts partitions = stream threads | drain time | events/s | instance CPU | CPU s per million events"
                + " | middle half: events/s · CPU s per million | broker JVM CPU during the drain | start to RUNNING |\n"
                + "|---|---|---|---|---|---|---|---|\n");
        for (Figure f : figures) {
            b.append(String.format(Locale.ROOT, "| %d | %.1f s | %,.0f | %.1f s | %.0f | %,.0f · %.0f | %.1f s | %.1f s |%n",
                    f.partitions(), f.seconds(), f.eventsPerSecond(), f.cpuSeconds(), f.cpuPerMillion(),
                    f.warmEventsPerSecond(), f.warmCpuPerMillion(), f.brokerCpuSeconds(), f.startSeconds()));
        }
        return b.toString();
    }

    private static void deleteTree(Path dir) {
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (java.io.IOException e) {
            // best effort: a temp dir
        }
    }
}
