package dev.reconciler.app.alert;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.state.JournalEntry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Receivers that fail for a long time (issue 12, section 2). The hour is simulated: the sinks' threads wait through a
 * sleeper that moves the alert clock, so each case takes seconds of wall time.
 */
class ReceiverOutageTest {
    static final Duration HOUR = Duration.ofHours(1);
    static final Duration MAX_BACKOFF = SinkConfig.DEFAULT_MAX_BACKOFF;
    private final List<Receiver> receivers = new ArrayList<>();
    private AlertRig rig;

    @AfterEach
    void close() {
        if (rig != null) rig.close();
        receivers.forEach(Receiver::close);
    }

    private Receiver receiver(int port) {
        Receiver r = new Receiver(port);
        receivers.add(r);
        return r;
    }

    /** The simulated clock of the alert side, moved by the sinks' waits (and by a receiver's simulated slowness). */
    private final class SimulatedSleeps implements Sleeper {
        record Wait(Instant from, Duration length) {
        }

        final List<Wait> waits = new CopyOnWriteArrayList<>();

        List<Duration> sleeps() {
            return waits.stream().map(Wait::length).toList();
        }

        List<Duration> before(Instant t) {
            return waits.stream().filter(w -> w.from().isBefore(t)).map(Wait::length).toList();
        }

        @Override
        public void sleep(Duration d) throws InterruptedException {
            waits.add(new Wait(rig.clock.instant(), d));
            advance(d);
            Thread.sleep(2);   // let the other threads (receiver, test) see the new time
        }
    }

    private synchronized void advance(Duration d) {
        rig.clock.advance(d);
    }

    enum Fault {
        /** Answers HTTP 500. */
        HTTP_500,
        /** Takes 30 s (simulated) and then does not answer within the sink's timeout. */
        TIMEOUT_30S,
        /** Nothing listens: connection refused. */
        REFUSED,
        /** HTTP 429 with {@code Retry-After: 120} (seconds). */
        RETRY_AFTER_SECONDS,
        /** HTTP 503 with {@code Retry-After} as an HTTP-date 10 minutes ahead. */
        RETRY_AFTER_DATE
    }

    static Stream<Arguments> faultsAndSinks() {
        return Stream.of(Fault.values()).flatMap(f -> Stream.of(Arguments.of(f, SinkType.WEBHOOK),
                Arguments.of(f, SinkType.DINGTALK)));
    }

    /** Both a webhook and a chat robot accept this (a robot wants its {@code errcode} 0). */
    static final Receiver.Response TAKEN = new Receiver.Response(200, "{\"errcode\":0,\"errmsg\":\"ok\"}");

    /** What identifies a delivery: the webhook's idempotency key, or the robot message's whole text. */
    private static String identity(SinkType kind, Receiver.Request r) {
        return kind == SinkType.WEBHOOK ? r.header("Idempotency-Key") : r.json().get("markdown").get("text").asText();
    }

    private static String identity(SinkType kind, Alert a) {
        return kind == SinkType.WEBHOOK ? a.idempotencyKey() : AlertFormat.chat(a, null, ChatSink.DINGTALK).text();
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("faultsAndSinks")
    void anHourOfAFailingReceiverLosesNothingAndDeliversEverythingInOrderOnceItAnswers(Fault fault, SinkType kind)
            throws Exception {
        rig = new AlertRig();
        SimulatedSleeps sleeps = new SimulatedSleeps();
        rig.sleeper = sleeps;
        int port = Receiver.freePort();
        Instant until = T0.plus(HOUR);
        CountDownLatch released = new CountDownLatch(1);
        Receiver receiver = fault == Fault.REFUSED ? null : receiver(port);
        if (receiver != null) {
            receiver.answer(r -> {
                boolean down = released.getCount() > 0 || rig.clock.instant().isBefore(until);
                if (!down) return TAKEN;
                return switch (fault) {
                    case HTTP_500 -> new Receiver.Response(500, "internal error");
                    case TIMEOUT_30S -> {
                        advance(Duration.ofSeconds(30));
                        sleepQuietly(Duration.ofMillis(400));   // beyond the sink's (real) timeout
                        yield new Receiver.Response(504, "too late");
                    }
                    case RETRY_AFTER_SECONDS -> Receiver.Response.retryAfter(429, "120");
                    case RETRY_AFTER_DATE -> Receiver.Response.retryAfter(503, DateTimeFormatter.RFC_1123_DATE_TIME
                            .format(rig.clock.instant().plusSeconds(600).atOffset(ZoneOffset.UTC)));
                    case REFUSED -> throw new IllegalStateException();
                };
            });
        }
        SinkConfig sink = SinkConfig.of("hook", kind, "http://127.0.0.1:" + port + "/alerts")
                .withTimeout(Duration.ofMillis(250));
        rig.start(AlertsConfig.of(null, List.of(sink)));

        // alerts before and during the outage: openings, and a resolution of one of them
        List<Discrepancy> first = rig.openMissing("O1", "O2", "O3");
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5)).untilAsserted(() ->
                assertThat(rig.sent("hook", "failure")).isGreaterThanOrEqualTo(3));
        rig.deduct("O2");
        List<Discrepancy> second = rig.openMissing("O4", "O5");
        // the receiver answers again once the test is done adding (and the hour is over): the outage is at least
        // an hour of simulated time, however fast the simulated clock ran meanwhile
        Instant releasedAt = rig.clock.instant();
        released.countDown();
        Instant recovered;
        if (receiver == null) {
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                    .until(() -> !rig.clock.instant().isBefore(until));
            recovered = rig.clock.instant();
            assertThat(rig.scrape().value("reconciler_alert_outbox_oldest_age_seconds", "sink", "hook"))
                    .as("the oldest undelivered alert is an hour old").isGreaterThan(3500);
            receiver = receiver(port).answer(r -> TAKEN);   // the receiver comes back on its port
        } else {
            recovered = releasedAt.isAfter(until) ? releasedAt : until;
        }

        List<String> expected = new ArrayList<>();
        for (JournalEntry e : rig.driver.store().journal(1, 100)) expected.add(identity(kind, Alert.of(e)));
        assertThat(expected).as("all still in the outbox").hasSize(first.size() + 1 + second.size());
        Receiver r = receiver;
        // what a receiver keeps that drops repeats (same idempotency key, or for a robot the same message)
        Supplier<List<String>> kept = () -> r.answeredOk().stream().map(x -> identity(kind, x)).distinct().toList();
        await().atMost(Duration.ofSeconds(30)).until(() -> kept.get().size() == expected.size());
        Instant delivered = rig.clock.instant();
        assertThat(kept.get()).as("journal order").containsExactlyElementsOf(expected);
        Map<String, String> bodyByKey = new HashMap<>();
        for (Receiver.Request x : r.answeredOk()) {
            String before = bodyByKey.putIfAbsent(identity(kind, x), x.body());
            if (before != null) assertThat(x.body()).as("same content per idempotency key").isEqualTo(before);
        }
        if (fault != Fault.TIMEOUT_30S) {
            assertThat(r.answeredOk()).as("each delivered once").hasSize(expected.size());
        }   // else a request the sink gave up on may be answered later by the stuck receiver: a repeat it drops
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            assertThat(rig.scrape().value("reconciler_alert_outbox_entries", "sink", "hook")).isZero();
            assertThat(rig.sent("hook", "success")).isEqualTo(expected.size());
            assertThat(rig.scrape().value("reconciler_alert_outbox_oldest_age_seconds", "sink", "hook")).isZero();
        });
        assertThat(rig.sent("hook", "dropped")).isZero();
        assertThat(rig.sent("hook", "rejected")).isZero();

        // the waits: exponential from 1 s with jitter in [0.5, 1) of the step, capped at maxBackoff — or what the
        // receiver asked for with Retry-After
        // during the outage only the first alert is retried (the others wait behind it), so wait i is its i-th
        List<Duration> waits = sleeps.before(until);
        Duration asked = switch (fault) {
            case RETRY_AFTER_SECONDS -> Duration.ofSeconds(120);
            case RETRY_AFTER_DATE -> Duration.ofSeconds(600);
            default -> null;
        };
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < waits.size(); i++) {
            long step = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(i, 20));
            Duration w = waits.get(i);
            if (asked != null && w.compareTo(Duration.ofMillis(step)) > 0) {
                // a date is turned into a delay on the clock of the request: at most a second of slack
                assertThat(w).as("wait %d honours Retry-After", i).isBetween(asked.minusSeconds(1), asked);
                continue;
            }
            assertThat(w.toMillis()).as("wait %d", i).isBetween(step / 2, step);
            ratios.add((double) w.toMillis() / step);
        }
        if (asked != null) {
            assertThat(waits).as("never shorter than Retry-After").allMatch(w -> w.compareTo(asked.minusSeconds(1)) >= 0);
        } else {
            assertThat(ratios.stream().distinct().count()).as("jitter: not all retries in step").isGreaterThan(1);
        }
        System.out.printf("receiver outage %s %s: %d failed attempts in %s simulated, longest wait %s, delivered %d"
                        + " alerts %s after the receiver was back%n", fault, kind, (long) rig.sent("hook", "failure"),
                Duration.between(T0, recovered), sleeps.sleeps().stream().max(Duration::compareTo).orElse(Duration.ZERO),
                expected.size(), Duration.between(recovered, delivered));
        Duration oneWait = asked == null ? MAX_BACKOFF : MAX_BACKOFF.compareTo(asked) > 0 ? MAX_BACKOFF : asked;
        // A stuck receiver still works off the requests abandoned at their timeout when it recovers, so the first
        // attempt after it may time out once more: then two waits.
        Duration bound = fault == Fault.TIMEOUT_30S ? oneWait.multipliedBy(2) : oneWait;
        assertThat(Duration.between(recovered, delivered)).as("back within the wait in progress").isLessThanOrEqualTo(bound);
    }

    @Test
    void retryAfterIsReadAsSecondsOrAnHttpDateAndNeverMoreThanAnHour() {
        Instant now = Instant.parse("2026-12-03T10:00:00Z");
        assertThat(AlertDispatcher.retryAfter("120", now)).isEqualTo(Duration.ofSeconds(120));
        assertThat(AlertDispatcher.retryAfter(" 0 ", now)).isEqualTo(Duration.ZERO);
        assertThat(AlertDispatcher.retryAfter("Thu, 03 Dec 2026 10:10:00 GMT", now)).isEqualTo(Duration.ofMinutes(10));
        assertThat(AlertDispatcher.retryAfter("Thu, 03 Dec 2026 09:00:00 GMT", now)).as("a date passed").isZero();
        assertThat(AlertDispatcher.retryAfter("86400", now)).as("capped").isEqualTo(AlertDispatcher.MAX_RETRY_AFTER);
        assertThat(AlertDispatcher.retryAfter("99999999999999999999", now)).isEqualTo(AlertDispatcher.MAX_RETRY_AFTER);
        assertThat(AlertDispatcher.retryAfter("Fri, 04 Dec 2026 10:00:00 GMT", now)).isEqualTo(AlertDispatcher.MAX_RETRY_AFTER);
        assertThat(AlertDispatcher.retryAfter("soon", now)).as("unreadable: the usual backoff").isNull();
        assertThat(AlertDispatcher.retryAfter("-5", now)).isNull();
        assertThat(AlertDispatcher.retryAfter(null, now)).isNull();
    }

    @Test
    void aChatRobotAnswering429WithRetryAfterIsWaitedForAndGetsTheMessageOnce() {
        rig = new AlertRig();
        SimulatedSleeps sleeps = new SimulatedSleeps();
        rig.sleeper = sleeps;
        Receiver slack = receiver(0);
        int[] calls = {0};
        slack.answer(r -> ++calls[0] <= 3 ? Receiver.Response.retryAfter(429, "30") : new Receiver.Response(200, "ok"));
        rig.start(AlertsConfig.of(null, List.of(SinkConfig.of("slack", SinkType.SLACK, slack.url() + "/services/T/B/X"))));
        rig.openMissing("S1");
        await().atMost(Duration.ofSeconds(10)).until(() -> slack.answeredOk().size() == 1);
        assertThat(slack.requests()).hasSize(4);
        assertThat(slack.answeredOk().get(0).json().get("text").asText()).contains("S1");
        assertThat(sleeps.sleeps()).as("Retry-After: 30 beats the 1 s, 2 s, 4 s backoff").containsOnly(Duration.ofSeconds(30));
    }

    @Test
    void aSinkWhoseReceiverHangsDoesNotDelayTheOthersAndGetsEverythingOnceItAnswers() {
        rig = new AlertRig();   // real time: the hang and the timeouts are real
        CountDownLatch unstuck = new CountDownLatch(1);
        Receiver hanging = receiver(0).answer(r -> {
            try {
                if (!unstuck.await(30, TimeUnit.SECONDS)) return new Receiver.Response(504, "");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return Receiver.Response.OK;
        });
        Receiver slow = receiver(0).answer(r -> {
            sleepQuietly(Duration.ofMillis(700));   // slow but within its sink's timeout
            return Receiver.Response.OK;
        });
        Receiver prompt = receiver(0);
        Map<String, Instant> arrived = new HashMap<>();
        prompt.answer(r -> {
            synchronized (arrived) {
                arrived.put(r.header("Idempotency-Key"), Instant.now());
            }
            return Receiver.Response.OK;
        });
        rig.start(AlertsConfig.of(null, List.of(
                SinkConfig.of("hanging", SinkType.WEBHOOK, hanging.url()).withTimeout(Duration.ofSeconds(2))
                        .withBackoff(Duration.ofMillis(200), Duration.ofSeconds(1)),
                SinkConfig.of("slow", SinkType.WEBHOOK, slow.url()).withTimeout(Duration.ofSeconds(5)),
                SinkConfig.of("prompt", SinkType.WEBHOOK, prompt.url()))));

        List<Duration> latencies = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (String order : List.of("P1", "P2", "P3", "P4")) {
            if (order.equals("P4")) {   // and once the hanging sink has timed out and is backing off
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                        assertThat(rig.sent("hanging", "failure")).isGreaterThanOrEqualTo(1));
            }
            Instant committed = Instant.now();
            Discrepancy d = rig.openMissing(order).get(0);
            keys.add(d.id() + ":opened");
            await().atMost(Duration.ofSeconds(2)).until(() -> prompt.accepted().size() == keys.size());
            synchronized (arrived) {
                latencies.add(Duration.between(committed, arrived.get(d.id() + ":opened")));
            }
        }
        assertThat(hanging.answeredOk()).as("still hanging on the first").isEmpty();
        assertThat(slow.accepted().size()).as("the slow one is behind").isLessThan(4);
        Duration worst = latencies.stream().max(Duration::compareTo).orElseThrow();
        System.out.printf("per-sink isolation: prompt sink latencies %s while another sink hangs (timeout 2 s) and"
                + " one answers in 0.7 s%n", latencies);
        assertThat(worst).as("the prompt sink is not held up by the others").isLessThan(Duration.ofSeconds(1));

        unstuck.countDown();
        await().atMost(Duration.ofSeconds(20)).until(() -> hanging.accepted().size() == 4 && slow.accepted().size() == 4);
        assertThat(hanging.acceptedKeys()).containsExactlyElementsOf(keys);
        assertThat(slow.acceptedKeys()).containsExactlyElementsOf(keys);
        assertThat(prompt.acceptedKeys()).containsExactlyElementsOf(keys);
        for (Receiver r : List.of(hanging, slow, prompt)) {
            // a request the sink gave up on (timeout) may still be answered 2xx by the stuck receiver: a repeat of the
            // same key with the same body, which the receiver drops
            Map<String, String> bodyByKey = new HashMap<>();
            for (Receiver.Request x : r.answeredOk()) {
                String before = bodyByKey.putIfAbsent(x.header("Idempotency-Key"), x.body());
                if (before != null) assertThat(x.body()).as("same content per idempotency key").isEqualTo(before);
            }
        }
        assertThat(rig.sent("hanging", "failure")).isGreaterThanOrEqualTo(1);
        assertThat(rig.sent("prompt", "failure")).isZero();
    }

    private static void sleepQuietly(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
