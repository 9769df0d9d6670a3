package dev.reconciler.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Failure and scaling of the distributed mode, with the Streams application as separate JVMs against one broker:
 * under a live flash sale (Debezium-format change events with injected faults and heartbeats), instance 1 starts,
 * instances 2 and 3 join (the tasks rebalance), then the instance owning the most engine tasks is killed with
 * {@code kill -9}. The survivors take its tasks, restoring the stores from their changelogs (no standby replicas, so
 * this is the worst case). Every outcome ever committed is checked, not only the final state: no discrepancy is
 * ever opened for an order that is consistent in the history, no outcome is committed twice, and the final open
 * discrepancies are exactly the injected faults. The move's figures (detection, restore, resumption, outcome lag)
 * are printed and recorded in docs/scale-out.md.
 */
class StreamsFailoverTest {
    static final int PARTITIONS = 4;
    static final Duration GRACE = Duration.ofSeconds(5);
    static final String FACTS = "reconciler.facts";
    static final String OUTCOMES = "reconciler.outcomes";
    /** Fixed by the application (StreamsMain), unlike the change topics, which follow the source names. */

    @TempDir
    Path dir;

    @Test
    void killingAnInstanceUnderTrafficMovesItsTasksWithoutLosingOrInventingAnOutcome() throws Exception {
        String bootstrap = KafkaTestCluster.get().bootstrapServers();
        String app = KafkaTestCluster.unique("reconciler-failover");
        // 25 orders/s from before the first instance starts until 10 s after the moved tasks run again, then
        // heartbeats until the grace has passed for the last change.
        FlashSaleHistory history = new FlashSaleHistory(KafkaTestCluster.unique("orders"),
                KafkaTestCluster.unique("inventory"), 25, GRACE, Duration.ofMillis(500));
        Path yaml = dir.resolve("reconciler.yaml");
        Files.writeString(yaml, history.yaml(Duration.ofMinutes(1)));
        Properties settings = settings(bootstrap, app);
        List<StreamsProcess> instances = new ArrayList<>();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap))) {
            // The application's own topics have fixed names: start from empty ones, whatever ran before.
            Set<String> stale = new TreeSet<>(admin.listTopics().names().get());
            stale.retainAll(Set.of(FACTS, OUTCOMES));
            admin.deleteTopics(stale).all().get();
            await("old topics gone").atMost(Duration.ofSeconds(30))
                    .until(() -> admin.listTopics().names().get().stream().noneMatch(stale::contains));
            // What Connect's connectors create (one partition per source), and the application's own topics.
            admin.createTopics(List.of(new NewTopic(history.ordersTopic(), 1, (short) 1),
                    new NewTopic(history.inventoryTopic(), 1, (short) 1),
                    new NewTopic(FACTS, PARTITIONS, (short) 1), new NewTopic(OUTCOMES, PARTITIONS, (short) 1)))
                    .all().get();
            Set<TopicPartition> inputs = new TreeSet<>(java.util.Comparator.comparing(TopicPartition::toString));
            inputs.add(new TopicPartition(history.ordersTopic(), 0));
            inputs.add(new TopicPartition(history.inventoryTopic(), 0));
            for (int p = 0; p < PARTITIONS; p++) inputs.add(new TopicPartition(FACTS, p));

            try (OutcomesWatcher outcomes = new OutcomesWatcher(bootstrap, OUTCOMES, PARTITIONS);
                 ChangeTraffic traffic = new ChangeTraffic(bootstrap, history)) {
                Instant base = Instant.now();
                traffic.startLive(base);
                instances.add(start("instance-1", settings, yaml));
                await("instance-1 running").atMost(Duration.ofSeconds(90))
                        .until(() -> !instances.get(0).entered("RUNNING").isEmpty());

                // Scale out under traffic: 1 → 2 → 3 instances.
                instances.add(start("instance-2", settings, yaml));
                await("2 instances own every task").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> StreamsGroup.describe(admin, app).stableWith(names(instances), inputs));
                instances.add(start("instance-3", settings, yaml));
                await("3 instances own every task").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                        .until(() -> StreamsGroup.describe(admin, app).stableWith(names(instances), inputs));
                // Streams' assignor may probe and move warm-up tasks a little longer: let the group settle.
                sleepUntil(Instant.now().plusSeconds(4));
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                        .until(() -> StreamsGroup.describe(admin, app).stableWith(names(instances), inputs));

                // kill -9 the instance with the most engine tasks, while orders still flow.
                StreamsGroup before = StreamsGroup.describe(admin, app);
                StreamsProcess victim = instances.stream().max(java.util.Comparator.comparingInt(
                        i -> before.factsPartitions(i.name, FACTS).size())).orElseThrow();
                Set<Integer> moved = before.factsPartitions(victim.name, FACTS);
                assertThat(moved).as("the victim owns engine tasks").isNotEmpty();
                Map<Integer, Long> committedAtKill = committed(admin, app);
                Instant killed = victim.kill();
                List<StreamsProcess> survivors = instances.stream().filter(i -> i != victim).toList();

                await("the survivors own every task").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100))
                        .until(() -> StreamsGroup.describe(admin, app).stableWith(names(survivors), inputs));
                Instant owned = Instant.now();
                // Running again: each moved task has committed a transaction past the victim's last one (markers reach
                // every partition every second, so this does not wait for an order to land there).
                Map<Integer, Instant> resumed = new TreeMap<>();
                await("the moved engine tasks commit again").atMost(Duration.ofSeconds(60))
                        .pollInterval(Duration.ofMillis(100)).until(() -> {
                            Map<Integer, Long> now = committed(admin, app);
                            for (int p : moved) {
                                if (now.getOrDefault(p, -1L) > committedAtKill.getOrDefault(p, -1L)) {
                                    resumed.putIfAbsent(p, Instant.now());
                                }
                            }
                            return resumed.keySet().containsAll(moved);
                        });
                Instant resumedAll = resumed.values().stream().max(Instant::compareTo).orElseThrow();

                // The sale goes on for 10 s on the survivors, then ends; every order reaches its final outcome.
                sleepUntil(resumedAll.plusSeconds(10));
                history.stop();
                await("the traffic written").atMost(Duration.ofSeconds(60)).until(() -> traffic.finished() != null);
                Map<String, String> expected = history.expectedOpen();
                await("the final outcomes").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250))
                        .untilAsserted(() -> {
                            assertThat(outcomes.open()).isEqualTo(expected);
                            assertThat(outcomes.count("PairMatched")).isGreaterThanOrEqualTo(
                                    history.expectedMatched().size());
                        });

                List<OutcomesWatcher.Seen> all = outcomes.seen();
                report(history, all, victim, moved, survivors, killed, owned, resumed, base);
                // Exactly the injected faults are open at the end; every order whose rows agree matched (the late
                // deductions included), and a discrepancy resolved was one a late deduction's wait opened.
                assertThat(outcomes.open()).isEqualTo(expected);
                Set<String> matched = all.stream().filter(s -> s.outcome().type().equals("PairMatched"))
                        .map(s -> FlashSaleHistory.orderOf(s.outcome())).collect(Collectors.toCollection(TreeSet::new));
                assertThat(matched).isEqualTo(history.expectedMatched());
                Map<String, String> resolved = outcomes.discrepancies().values().stream()
                        .filter(r -> r.type().equals("DiscrepancyResolved"))
                        .collect(Collectors.toMap(FlashSaleHistory::orderOf, r -> r.outcome().path("discrepancy")
                                .path("type").asText(), (a, b) -> a, TreeMap::new));
                assertThat(resolved).allSatisfy((order, type) -> {
                    assertThat(FlashSaleHistory.fate(Integer.parseInt(order.substring(1))))
                            .isEqualTo(FlashSaleHistory.Fate.LATE_DEDUCTION);
                    assertThat(type).isEqualTo("MISSING_RIGHT");
                });
                // No false alarm at any moment: every discrepancy ever opened is about a faulty order.
                List<String> falseAlarms = all.stream().filter(s -> s.outcome().type().equals("DiscrepancyOpened"))
                        .map(s -> FlashSaleHistory.orderOf(s.outcome())).filter(o -> !history.mayOpen(o)).toList();
                assertThat(falseAlarms).as("discrepancies opened for consistent orders").isEmpty();
                // Exactly once across the moves: no outcome committed twice.
                Map<String, Long> twice = all.stream().filter(s -> s.outcome().type().startsWith("Discrepancy")
                                || s.outcome().type().equals("PairMatched"))
                        .collect(Collectors.groupingBy(s -> s.outcome().type() + " " + s.outcome().key(),
                                Collectors.counting()));
                twice.values().removeIf(n -> n == 1);
                assertThat(twice).as("outcomes committed more than once").isEmpty();
                // The moved partitions' engines decided orders committed after the kill (the sale went on there).
                Set<Integer> decidedAfter = all.stream().filter(s -> s.outcome().type().equals("PairMatched"))
                        .filter(s -> Instant.parse(s.outcome().outcome().path("lastCommit").asText()).isAfter(killed))
                        .map(s -> FlashSaleHistory.partitionOf(FlashSaleHistory.orderOf(s.outcome()), PARTITIONS))
                        .collect(Collectors.toSet());
                assertThat(decidedAfter).containsAll(moved);
                // The move took seconds, well under the stall bound: no source was reported stalled.
                assertThat(all).noneMatch(s -> s.outcome().type().equals("SourceStalled"));
                // And every partition's tasks are owned by a live instance.
                assertThat(StreamsGroup.describe(admin, app).stableWith(names(survivors), inputs)).isTrue();
            }
        } catch (Throwable t) {
            for (StreamsProcess i : instances) {
                System.err.println("---- log of " + i.name + (i.alive() ? "" : " (ended)") + "\n" + tail(i.log()));
            }
            throw t;
        } finally {
            StreamsProcess.closeAll(instances);
        }
    }

    private Properties settings(String bootstrap, String app) {
        Properties p = new Properties();
        p.put("bootstrap.servers", bootstrap);
        p.put("application.id", app);
        p.put("reconciler.facts.partitions", String.valueOf(PARTITIONS));
        p.put("reconciler.replication.factor", "1");
        p.put("num.stream.threads", "1");
        // A lost instance is noticed after the session timeout (Kafka's default is 45 s). 6 s is what an
        // operator who wants fast failover sets; the heartbeat is a third of it.
        p.put("consumer.session.timeout.ms", "6000");
        p.put("consumer.heartbeat.interval.ms", "2000");
        // The transactions a killed instance left open are aborted by the broker after this (Streams' EOS
        // default is 10 s); the new owner waits for that before it reads the partition.
        p.put("producer.transaction.timeout.ms", "10000");
        return p;
    }

    private StreamsProcess start(String name, Properties settings, Path yaml) {
        return StreamsProcess.start(name, dir.resolve(name), yaml, settings, List.of("-Xmx384m", "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1"));
    }

    /** The group's committed offsets on the facts topic: partition → offset. */
    private static Map<Integer, Long> committed(Admin admin, String app) throws Exception {
        Map<Integer, Long> out = new TreeMap<>();
        admin.listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get().forEach((tp, o) -> {
            if (tp.topic().equals(FACTS) && o != null) out.put(tp.partition(), o.offset());
        });
        return out;
    }

    private static Set<String> names(List<StreamsProcess> instances) {
        return instances.stream().filter(StreamsProcess::alive).map(i -> i.name).collect(Collectors.toSet());
    }

    private static void sleepUntil(Instant t) throws InterruptedException {
        long ms = Duration.between(Instant.now(), t).toMillis();
        if (ms > 0) Thread.sleep(ms);
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - 60), lines.length));
    }

    /** The move's figures, printed for docs/scale-out.md. */
    private static void report(FlashSaleHistory history, List<OutcomesWatcher.Seen> all, StreamsProcess victim,
                               Set<Integer> moved, List<StreamsProcess> survivors, Instant killed, Instant owned,
                               Map<Integer, Instant> resumed, Instant base) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("orders", history.orders());
        r.put("change events", history.generated());
        r.put("discrepancies opened", all.stream().filter(s -> s.outcome().type().equals("DiscrepancyOpened")).count());
        r.put("late deductions that opened and resolved a MISSING_RIGHT", all.stream()
                .filter(s -> s.outcome().type().equals("DiscrepancyResolved")).count());
        r.put("killed", victim.name + " owning facts partitions " + moved + " at +"
                + Duration.between(base, killed).toMillis() / 1000.0 + " s of the sale");
        r.put("kill -> group stable, every partition owned (s)", Duration.between(killed, owned).toMillis() / 1000.0);
        r.put("kill -> moved tasks commit again (s)", resumed.entrySet().stream().collect(Collectors.toMap(
                Map.Entry::getKey, e -> Duration.between(killed, e.getValue()).toMillis() / 1000.0)));
        List<String> restores = new ArrayList<>();
        for (StreamsProcess s : survivors) {
            long records = 0;
            Instant last = null;
            int changelogs = 0;
            for (StreamsProcess.Restore x : s.restores()) {
                if (x.finished().isBefore(killed)) continue;
                records += x.records();
                changelogs++;
                if (last == null || x.finished().isAfter(last)) last = x.finished();
            }
            if (changelogs > 0) {
                restores.add(s.name + ": " + changelogs + " changelogs, " + records + " records, done at kill +"
                        + Duration.between(killed, last).toMillis() / 1000.0 + " s");
            }
        }
        r.put("restores after the kill", restores);
        // Outcome lag: a match read by a read_committed consumer, against the commit of its later side.
        Map<String, List<Long>> lags = new HashMap<>();
        Instant resumedAll = resumed.values().stream().max(Instant::compareTo).orElse(owned);
        for (OutcomesWatcher.Seen s : all) {
            if (!s.outcome().type().equals("PairMatched")) continue;
            Instant commit = Instant.parse(s.outcome().outcome().path("lastCommit").asText());
            long lag = Duration.between(commit, s.readAt()).toMillis();
            String window = s.readAt().isBefore(killed.minusSeconds(10)) ? "scale-out (start to kill - 10 s)"
                    : s.readAt().isBefore(killed) ? "the 10 s before the kill"
                    : s.readAt().isAfter(resumedAll.plusSeconds(5)) ? "from 5 s after resumption on"
                    : "kill to 5 s after resumption";
            lags.computeIfAbsent(window, k -> new ArrayList<>()).add(lag);
        }
        lags.forEach((window, l) -> {
            l.sort(Long::compare);
            r.put("match lag " + window + " (ms): p50 / p99 / max / n", l.get(l.size() / 2) + " / "
                    + l.get((int) (l.size() * 0.99)) + " / " + l.get(l.size() - 1) + " / " + l.size());
        });
        System.out.println("FAILOVER " + r);
    }
}
