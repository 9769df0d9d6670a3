package dev.reconciler.app.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.StateStore;
import dev.reconciler.core.state.StateWrite;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Delivers the outcome journal to one sink, on its own thread, in journal order.
 *
 * <ul>
 *   <li><b>Cursor.</b> What the sink has been given is a checkpoint in the state store's metadata
 *       ({@code alerts/cursor/<sink>}: the last journal sequence number handled, and the storm counts at that
 *       point), written through the store after each delivery. A new sink starts at the journal's end. After a crash
 *       or restart delivery resumes after the checkpoint: at least once, and a receiver deduplicates on the
 *       idempotency key.</li>
 *   <li><b>Order and retries.</b> A failed delivery is retried with exponential backoff and jitter (from
 *       {@link SinkConfig#minBackoff()}, doubling, capped at {@link SinkConfig#maxBackoff()}) and blocks the
 *       entries after it, so a receiver that was down gets everything afterwards, in journal order (which is the
 *       order per key). A receiver's {@code Retry-After} on a 429 or 503 (seconds or an HTTP-date) makes the wait at
 *       least that long, up to {@link #MAX_RETRY_AFTER}. A request the receiver rejects as malformed is skipped and
 *       counted. Waits go through the injected {@link Sleeper} and time through the injected clock, so tests simulate
 *       hours of a failing receiver.</li>
 *   <li><b>Storms.</b> With a threshold, {@link StormControl} folds the discrepancies beyond it into aggregates; the
 *       checkpoint does not pass an entry folded into an aggregate not yet delivered.</li>
 *   <li><b>Alertmanager.</b> Gets discrepancies and coverage gaps only ({@link AlertmanagerSink#accepts}: stalls,
 *       pauses and quarantines are left to the Prometheus rules of the same names). Keeps the firing alerts (seeded
 *       at start from the store's open discrepancies, at most {@link SinkConfig#effectiveResendLimit()}) and re-sends them every
 *       {@link SinkConfig#effectiveResendInterval()}: first thing after a start, before any backlog. Its retries
 *       wait at most one re-send interval (a restarted Alertmanager has no alerts until the next re-send), and after
 *       dropped entries the firing set is rebuilt from the store (a dropped resolution must not stay firing).</li>
 *   <li><b>Dropped.</b> Entries trimmed from the journal before this sink delivered them (the outbox bounds) show
 *       as a gap in the sequence numbers; they are counted and logged.</li>
 * </ul>
 * Logs name the sink, its URL's scheme and host, the event and its idempotency key — never the URL's path or query,
 * a secret, a header value or a row value.
 */
final class AlertDispatcher implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertDispatcher.class);
    static final String CURSOR_PREFIX = "alerts/cursor/";
    private static final int PAGE = 256;
    private static final Duration IDLE_POLL = Duration.ofSeconds(1);
    private static final Duration CRASH_PAUSE = Duration.ofSeconds(5);
    /**
     * The longest wait a receiver's {@code Retry-After} is honoured for. Longer values (or a date further ahead) wait
     * this long: a receiver must not be able to silence the alerts for a day with one header.
     */
    static final Duration MAX_RETRY_AFTER = Duration.ofHours(1);

    /** The persisted cursor. */
    record Checkpoint(long seq, List<StormControl.WindowState> windows) {
        Checkpoint {
            windows = windows == null ? List.of() : List.copyOf(windows);
        }
    }

    private final SinkConfig config;
    private final Sink sink;
    private final StateStore store;
    private final HttpClient http;
    private final AlertMetrics metrics;
    private final InstantSource clock;
    private final Sleeper sleeper;
    private final StormControl storm;
    private final String where;
    private final Thread thread;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private boolean wakeUp;
    private volatile boolean running = true;
    /** The last journal sequence number handled and persisted. Read by the trimmer and the outbox gauge. */
    private volatile long checkpoint;
    /** The last journal sequence number handled (delivered, aggregated, rejected or dropped); ahead of the checkpoint while an aggregate is pending. */
    private long position;

    /** Alertmanager: the alerts firing now, by fingerprint, re-sent every interval. Null for other sinks. */
    private final Map<String, Alert> firing;
    private Instant nextResend;
    private boolean resendOverflowLogged;
    private int resendFailures;
    /** Alertmanager: entries were dropped (a resolution may be among them): rebuild the firing set from the store. */
    private boolean reseed;

    private static final class Stopped extends RuntimeException {
        Stopped() {
            super(null, null, false, false);
        }
    }

    /**
     * Loads (or creates) the sink's checkpoint; {@link #start()} starts delivering.
     */
    AlertDispatcher(SinkConfig config, int stormThreshold, int stormSample, String publicUrl, RuleLabels labels,
                    StateStore store, HttpClient http, AlertMetrics metrics, InstantSource clock, Sleeper sleeper) {
        this.config = config;
        this.sink = Sink.of(config, publicUrl, labels);
        this.store = store;
        this.http = http;
        this.metrics = metrics;
        this.clock = clock;
        this.sleeper = sleeper;
        this.storm = stormThreshold > 0 ? new StormControl(stormThreshold, stormSample) : null;
        this.firing = config.kind() == SinkType.ALERTMANAGER ? new LinkedHashMap<>() : null;
        this.where = "alert sink '" + config.name() + "' (" + config.kind().label() + ", " + config.redactedUrl() + ")";
        Checkpoint c = loadCheckpoint();
        this.checkpoint = c.seq();
        this.position = c.seq();
        if (storm != null) storm.restore(c.windows());
        String sink = config.name();
        this.thread = new Thread(() -> {
            org.slf4j.MDC.put("sink", sink);   // the JSON log's sink field
            run();
        }, "reconciler-alerts-" + sink);
        this.thread.setDaemon(true);
    }

    String name() {
        return config.name();
    }

    /** The last journal sequence number this sink has fully handled (persisted); the journal may be trimmed up to it. */
    long checkpoint() {
        return checkpoint;
    }

    void start() {
        thread.start();
    }

    /** New entries were committed: look now rather than at the next poll. */
    void wake() {
        lock.lock();
        try {
            wakeUp = true;
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- the loop

    private void run() {
        try {
            if (firing != null) {
                // Tell Alertmanager the current firing set before any backlog: it may have restarted (it keeps no
                // alerts across restarts) or expired them while this process was down.
                seedFiring();
                resend();
            }
            while (running) {
                boolean more;
                try {
                    more = step();
                } catch (Stopped s) {
                    return;
                } catch (RuntimeException e) {
                    if (!running) return;
                    // The store failed (or a bug): keep the thread, try again shortly; the cursor did not move.
                    log.error("{}: delivering failed unexpectedly; trying again in {} s", where,
                            CRASH_PAUSE.toSeconds(), e);
                    rewindToCheckpoint();
                    sleep(CRASH_PAUSE);
                    continue;
                }
                if (!more) idle();
            }
        } catch (Stopped s) {
            // closed
        }
    }

    /** Handles one page of the journal; true if there may be more right away. */
    private boolean step() {
        if (reseed) {
            reseed = false;
            firing.clear();
            seedFiring();
        }
        List<JournalEntry> page = store.journal(position + 1, PAGE);
        if (page.isEmpty()) {
            long last = store.journalSeq();
            if (last > position) {   // everything after our position was trimmed
                dropped(last - position);
                position = last;
                checkpointIfSettled();
            }
        }
        for (JournalEntry e : page) {
            if (!running) throw new Stopped();
            if (e.seq() > position + 1) dropped(e.seq() - position - 1);
            handle(Alert.of(e));
            position = e.seq();
            checkpointIfSettled();
        }
        if (storm != null) {
            for (Alert a : storm.due(clock.instant())) deliver(a);
            checkpointIfSettled();
        }
        if (firing != null && !clock.instant().isBefore(nextResend)) resend();
        return page.size() == PAGE;
    }

    private void handle(Alert a) {
        if (!sink.accepts(a)) return;
        if (firing != null) track(a);
        if (storm == null) {
            deliver(a);
            return;
        }
        StormControl.Decision d = storm.offer(a);
        if (d.aggregated()) metrics.count(config.name(), AlertMetrics.Outcome.AGGREGATED, 1);
        for (Alert x : d.deliver()) deliver(x);
    }

    /** Sends one alert until the receiver takes it (or rejects it, or it is trimmed away meanwhile). */
    private void deliver(Alert a) {
        int failures = 0;
        while (true) {
            if (!running) throw new Stopped();
            Sink.Result r = send(List.of(a));
            if (r instanceof Sink.Result.Delivered) {
                metrics.count(config.name(), AlertMetrics.Outcome.SUCCESS, 1);
                if (failures > 0) log.info("{}: delivered {} {} after {} failed attempts", where, a.event(),
                        a.idempotencyKey(), failures);
                return;
            }
            if (r instanceof Sink.Result.Rejected x) {
                metrics.count(config.name(), AlertMetrics.Outcome.REJECTED, 1);
                log.error("{}: the receiver rejected {} {} as malformed ({}); skipping it. Check the receiver's"
                        + " expectations and logs", where, a.event(), a.idempotencyKey(), x.reason());
                return;
            }
            metrics.count(config.name(), AlertMetrics.Outcome.FAILURE, 1);
            Sink.Result.Retry retry = (Sink.Result.Retry) r;
            Duration delay = backoff(failures++);
            if (retry.retryAfter() != null && retry.retryAfter().compareTo(delay) > 0) delay = retry.retryAfter();
            if (failures == 1 || failures % 10 == 0) {
                log.warn("{}: delivering {} {} failed ({}{}); attempt {}, retrying in {} ms; later alerts wait for it",
                        where, a.event(), a.idempotencyKey(), retry.reason(),
                        retry.retryAfter() == null ? "" : ", Retry-After " + retry.retryAfter().toSeconds() + " s",
                        failures, delay.toMillis());
            }
            sleep(delay);
            if (!inJournal(a.seq())) {
                dropped(a instanceof Alert.StormAlert s ? s.count() : 1);
                return;
            }
        }
    }

    private Sink.Result send(List<Alert> alerts) {
        try {
            HttpResponse<String> r = http.send(sink.request(alerts, clock.instant()), HttpResponse.BodyHandlers.ofString());
            Sink.Result result = sink.interpret(r.statusCode(), r.body());
            if (result instanceof Sink.Result.Retry retry && (r.statusCode() == 429 || r.statusCode() == 503)) {
                Duration after = retryAfter(r.headers().firstValue("Retry-After").orElse(null), clock.instant());
                if (after != null) return new Sink.Result.Retry(retry.reason(), after);
            }
            return result;
        } catch (HttpTimeoutException e) {
            return new Sink.Result.Retry("no answer within " + config.timeout().toMillis() + " ms");
        } catch (ConnectException e) {
            return new Sink.Result.Retry("cannot connect");
        } catch (IOException e) {
            String msg = e.getMessage() == null ? "" : ": " + Sink.brief(e.getMessage().replace(config.url(), config.redactedUrl()));
            return new Sink.Result.Retry(e.getClass().getSimpleName() + msg);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Stopped();
        }
    }

    /**
     * A {@code Retry-After} value (RFC 9110: delay-seconds or an HTTP-date) as a wait from {@code now}, at most
     * {@link #MAX_RETRY_AFTER}; null when absent or unreadable (the usual backoff applies then).
     */
    static Duration retryAfter(String value, Instant now) {
        if (value == null || value.isBlank()) return null;
        String v = value.trim();
        Duration d;
        if (v.chars().allMatch(Character::isDigit)) {
            d = v.length() > 9 ? MAX_RETRY_AFTER : Duration.ofSeconds(Long.parseLong(v));
        } else {
            try {
                d = Duration.between(now, ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            } catch (DateTimeParseException e) {
                return null;
            }
            if (d.isNegative()) d = Duration.ZERO;
        }
        return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
    }

    /**
     * From minBackoff, doubling per failure up to maxBackoff, times a random factor in [0.5, 1) (so that sinks and
     * replicas failing together do not retry in step). For Alertmanager the cap is also the re-send interval: a
     * restarted Alertmanager knows no alerts, and must have the firing set back within one interval, as from
     * Prometheus.
     */
    private Duration backoff(int failures) {
        long min = config.minBackoff().toMillis();
        long max = config.maxBackoff().toMillis();
        if (firing != null) max = Math.min(max, config.effectiveResendInterval().toMillis());
        min = Math.min(min, max);
        long base = failures >= 30 ? max : Math.min(max, min << failures);
        return Duration.ofMillis(Math.max(1, (long) (base * (0.5 + 0.5 * ThreadLocalRandom.current().nextDouble()))));
    }

    private boolean inJournal(long seq) {
        List<JournalEntry> e = store.journal(seq, 1);
        return !e.isEmpty() && e.get(0).seq() == seq;
    }

    private void dropped(long n) {
        if (firing != null) reseed = true;
        metrics.count(config.name(), AlertMetrics.Outcome.DROPPED, n);
        log.warn("{}: {} alert(s) were dropped from the outbox before this sink delivered them (outbox bounded by"
                + " alerts.journalMaxAge and alerts.journalMaxEntries); fix the receiver or raise the bounds", where, n);
    }

    // ---------------------------------------------------------------- cursor

    private String cursorKey() {
        return CURSOR_PREFIX + config.name();
    }

    private Checkpoint loadCheckpoint() {
        String stored = store.meta(cursorKey()).orElse(null);
        if (stored == null) {
            // A new sink starts at the journal's end: it is told what happens from now on, not an old backlog.
            Checkpoint c = new Checkpoint(store.journalSeq(), List.of());
            persist(c);
            return c;
        }
        try {
            Checkpoint c = AlertFormat.JSON.readValue(stored, Checkpoint.class);
            return c.seq() > store.journalSeq() ? new Checkpoint(store.journalSeq(), List.of()) : c;
        } catch (IOException e) {
            throw new IllegalStateException("the stored cursor of alert sink '" + config.name() + "' (state metadata "
                    + cursorKey() + ") is unreadable: " + e.getMessage() + "; rename the sink to start it afresh at"
                    + " the journal's end", e);
        }
    }

    /** Persists the position unless an aggregate still holds entries that would be lost with it. */
    private void checkpointIfSettled() {
        if (storm != null && storm.pending()) return;
        if (position == checkpoint) return;
        persist(new Checkpoint(position, storm == null ? List.of() : storm.state()));
        checkpoint = position;
    }

    private void persist(Checkpoint c) {
        try {
            store.write(new StateWrite().putMeta(cursorKey(), AlertFormat.JSON.writeValueAsString(c)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the cursor of alert sink '" + config.name() + "'", e);
        }
    }

    /** After an unexpected failure: forget what was handled past the checkpoint, and handle it again. */
    private void rewindToCheckpoint() {
        position = checkpoint;
        if (storm != null) {
            try {
                storm.restore(loadCheckpoint().windows());
            } catch (RuntimeException e) {
                storm.restore(List.of());
            }
        }
    }

    // ---------------------------------------------------------------- Alertmanager: firing set and re-sends

    private void track(Alert a) {
        // Events: sent once with their own endsAt, not re-sent.
        if (a instanceof Alert.CoverageGapAlert || a instanceof Alert.QuarantineAlert) return;
        String fp = a.fingerprint();
        if (!a.firing()) {
            firing.remove(fp);
        } else if (firing.containsKey(fp) || firing.size() < config.effectiveResendLimit()) {
            firing.put(fp, a);
        } else if (!resendOverflowLogged) {
            resendOverflowLogged = true;
            log.warn("{}: more than {} alerts are firing; the ones beyond are sent once but not re-sent, so"
                    + " Alertmanager resolves them after their endsAt. Raise resendLimit, or see /api/discrepancies",
                    where, config.effectiveResendLimit());
        }
    }

    /**
     * The firing set after a restart: the store's open discrepancies (stalled sources and paused rules are not this
     * sink's, see {@link AlertmanagerSink#accepts}).
     */
    private void seedFiring() {
        Instant now = clock.instant();
        int limit = config.effectiveResendLimit();
        long[] beyond = {0};
        store.forEachDiscrepancyAfter(null, d -> {
            if (d.status() != Status.OPEN) return true;
            if (firing.size() >= limit) {
                beyond[0]++;
                return true;
            }
            Alert a = new Alert.DiscrepancyAlert(0, d, true);
            firing.put(a.fingerprint(), a);
            return true;
        });
        if (beyond[0] > 0) {
            resendOverflowLogged = true;
            log.warn("{}: {} open discrepancies beyond resendLimit {} are not re-sent to Alertmanager; raise"
                    + " resendLimit, or see /api/discrepancies", where, beyond[0], limit);
        }
        nextResend = now;   // tell Alertmanager right away
    }

    private void resend() {
        Instant now = clock.instant();
        nextResend = now.plus(config.effectiveResendInterval());
        List<Alert> all = new ArrayList<>(firing.values());
        for (int i = 0; i < all.size() && running; i += sink.batchSize()) {
            Sink.Result r = send(all.subList(i, Math.min(all.size(), i + sink.batchSize())));
            if (r instanceof Sink.Result.Delivered) {
                metrics.count(config.name(), AlertMetrics.Outcome.SUCCESS, 1);
                resendFailures = 0;
                continue;
            }
            boolean rejected = r instanceof Sink.Result.Rejected;
            metrics.count(config.name(), rejected ? AlertMetrics.Outcome.REJECTED : AlertMetrics.Outcome.FAILURE, 1);
            if (resendFailures++ % 10 == 0) {
                log.warn("{}: re-sending {} firing alerts failed ({}); trying again in {} s", where, all.size(),
                        rejected ? ((Sink.Result.Rejected) r).reason() : ((Sink.Result.Retry) r).reason(),
                        config.effectiveResendInterval().toSeconds());
            }
            if (!rejected) return;   // the receiver is away: the next interval tries again
        }
    }

    // ---------------------------------------------------------------- waiting and stopping

    private void idle() {
        Instant now = clock.instant();
        // Never later than the poll interval: the injected clock may stand still (tests).
        Instant until = now.plus(IDLE_POLL);
        Instant stormDue = storm == null ? null : storm.nextDue();
        if (stormDue != null && stormDue.isBefore(until)) until = stormDue;
        if (firing != null && nextResend.isBefore(until)) until = nextResend;
        long nanos = Math.max(TimeUnit.MILLISECONDS.toNanos(10), Duration.between(now, until).toNanos());
        lock.lock();
        try {
            if (!wakeUp && running) woken.awaitNanos(nanos);
            wakeUp = false;
        } catch (InterruptedException e) {
            throw new Stopped();
        } finally {
            lock.unlock();
        }
    }

    private void sleep(Duration d) {
        try {
            sleeper.sleep(d);
        } catch (InterruptedException e) {
            throw new Stopped();
        }
    }

    /** Stops the thread (a delivery in flight is abandoned: it is sent again after a restart). Idempotent. */
    @Override
    public void close() {
        running = false;
        wake();
        thread.interrupt();
    }

    /** Waits for the thread to end after {@link #close()}. */
    void awaitStopped(Duration timeout) throws InterruptedException {
        if (thread.isAlive()) thread.join(Math.max(1, timeout.toMillis()));
    }

    @Override
    public String toString() {
        return where;
    }
}
