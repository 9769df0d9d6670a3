package dev.reconciler.app.alert;

import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.core.state.StateStore;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.http.HttpClient;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Alerts: one {@link AlertDispatcher} per configured sink delivers the engine's outcome journal (the durable outbox,
 * see {@link JournalEntry}), and a maintenance thread trims what every sink has passed — or what exceeds the
 * outbox bounds. docs/alerts.md describes the behaviour and the configuration.
 *
 * <p>Wiring: create it after the store and the pipeline and before the sources start, add it as a pipeline listener
 * (it only wakes the dispatchers: they read the journal, not the listener's outcomes), start it; close it before the
 * pipeline and the store. {@link #attach} does all of that but the closing. Run it even without sinks: the journal
 * is then trimmed as it grows.
 */
public final class AlertService implements Consumer<List<Outcome>>, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(AlertService.class);
    static final Duration TRIM_INTERVAL = Duration.ofSeconds(5);
    private static final int TRIM_SCAN_PAGE = 512;

    private final AlertsConfig config;
    private final StateStore store;
    private final InstantSource clock;
    private final AlertMetrics metrics;
    private final List<AlertDispatcher> dispatchers = new ArrayList<>();
    private final ScheduledExecutorService maintenance = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reconciler-alerts-trim");
        t.setDaemon(true);
        return t;
    });
    /** The journal was trimmed up to here (by this process). Only the maintenance thread changes it. */
    private long trimmedUpTo;
    private volatile boolean started;
    private volatile boolean closed;

    /**
     * Loads every sink's cursor (a new sink starts at the journal's end) and registers the alert metrics; nothing
     * is sent before {@link #start()}.
     *
     * @param registry where {@code reconciler_alerts_sent_total} and {@code reconciler_alert_outbox_entries} go
     * @param clock    the wall clock: storm windows close by it, Alertmanager re-sends and journal ages go by it
     */
    public AlertService(AlertsConfig config, StateStore store, MeterRegistry registry, InstantSource clock) {
        this(config, store, registry, clock, Sleeper.REAL);
    }

    /** As above, with the sinks' threads waiting between attempts through {@code sleeper} (tests: a manual clock). */
    AlertService(AlertsConfig config, StateStore store, MeterRegistry registry, InstantSource clock,
                 Sleeper sleeper) {
        this.config = config;
        this.store = store;
        this.clock = clock;
        this.metrics = new AlertMetrics(registry);
        metrics.ruleInfo(config.ruleLabels());
        Duration connect = Duration.ofSeconds(10);
        for (SinkConfig s : config.sinks()) if (s.timeout().compareTo(connect) < 0) connect = s.timeout();
        HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(connect)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        for (SinkConfig s : config.sinks()) {
            AlertDispatcher d = new AlertDispatcher(s, config.stormThresholdFor(s), config.stormSample(),
                    config.publicUrl(), config.ruleLabels(), store, http, metrics, clock, sleeper);
            dispatchers.add(d);
            metrics.register(s.name(), () -> outbox(d), () -> oldestAge(d));
        }
    }

    /**
     * The usual wiring: a service on the system clock, listening to the pipeline, started. Call it before the
     * sources start.
     */
    public static AlertService attach(AlertsConfig config, Pipeline pipeline, StateStore store, MeterRegistry registry) {
        AlertService s = new AlertService(config, store, registry, InstantSource.system());
        pipeline.addListener(s);
        return s.start();
    }

    /** Starts every sink's thread and the trimming. */
    public synchronized AlertService start() {
        if (closed) throw new IllegalStateException("the alert service is closed");
        if (started) throw new IllegalStateException("the alert service is already started");
        started = true;
        for (AlertDispatcher d : dispatchers) {
            d.start();
            log.info("{}: delivering from journal entry {}", d, d.checkpoint() + 1);
        }
        maintenance.scheduleWithFixedDelay(this::trimQuietly, TRIM_INTERVAL.toMillis(), TRIM_INTERVAL.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Called by the pipeline after each committed engine call: wakes the sinks when something was journaled. */
    @Override
    public void accept(List<Outcome> outcomes) {
        for (Outcome o : outcomes) {
            if (JournalEntry.journaled(o)) {
                for (AlertDispatcher d : dispatchers) d.wake();
                return;
            }
        }
    }

    /**
     * The journal sequence number every sink has passed (delivered, rejected as malformed, or dropped by the outbox
     * bounds), entries folded into a storm aggregate counting only once the aggregate is delivered: what a consumer
     * feeding the journal from a durable log may acknowledge (the distributed mode's alerter commits its offsets by
     * it). The journal's last entry when there are no sinks.
     */
    public long deliveredUpTo() {
        long upTo = store.journalSeq();
        for (AlertDispatcher d : dispatchers) upTo = Math.min(upTo, d.checkpoint());
        return upTo;
    }

    /** Entries a sink has not delivered yet. */
    private double outbox(AlertDispatcher d) {
        try {
            return Math.max(0, store.journalSeq() - d.checkpoint());
        } catch (RuntimeException e) {
            return Double.NaN;   // the store is closed (shutting down)
        }
    }

    /** Seconds since the oldest entry the sink has not delivered was committed; 0 when there is none. */
    private double oldestAge(AlertDispatcher d) {
        try {
            List<JournalEntry> next = store.journal(d.checkpoint() + 1, 1);
            if (next.isEmpty()) return 0;
            return Math.max(0, Duration.between(next.get(0).at(), clock.instant()).toMillis() / 1000.0);
        } catch (RuntimeException e) {
            return Double.NaN;   // the store is closed (shutting down)
        }
    }

    private void trimQuietly() {
        try {
            trim();
        } catch (RuntimeException e) {
            if (!closed) log.warn("trimming the alert outbox failed; trying again in {} s", TRIM_INTERVAL.toSeconds(), e);
        }
    }

    /**
     * Trims the journal up to what every sink has passed, or further when the outbox exceeds its bounds (the
     * sinks that had not delivered the dropped entries count and log them). Runs every few seconds; public for tests
     * and tools.
     *
     * @return the sequence number the journal is now trimmed up to
     */
    public synchronized long trim() {
        long last = store.journalSeq();
        long upTo = last;
        for (AlertDispatcher d : dispatchers) upTo = Math.min(upTo, d.checkpoint());
        upTo = Math.max(upTo, last - config.journalMaxEntries());
        Instant cutoff = clock.instant().minus(config.journalMaxAge());
        long from = trimmedUpTo + 1;
        scan:
        while (true) {
            List<JournalEntry> page = store.journal(from, TRIM_SCAN_PAGE);
            for (JournalEntry e : page) {
                if (!e.at().isBefore(cutoff)) break scan;
                upTo = Math.max(upTo, e.seq());
            }
            if (page.size() < TRIM_SCAN_PAGE) break;
            from = page.get(page.size() - 1).seq() + 1;
        }
        if (upTo > trimmedUpTo) {
            store.trimJournal(upTo);
            trimmedUpTo = upTo;
        }
        return trimmedUpTo;
    }

    /**
     * Before a clean stop (SIGTERM): gives the sinks up to {@code bound} to deliver what the outbox holds now, so
     * that a receiver that answers gets the alerts of the process's last moments before it goes rather than at the
     * next start, which may be far off. A sink whose receiver fails, or that holds a storm aggregate whose minute is
     * not over, keeps its entries in the outbox for the next start. Waits on the system's monotonic clock, not the
     * injected one: it bounds a shutdown. Returns the journal entries still undelivered, summed over the sinks, and
     * logs them once. Call it after the sources stopped (nothing new is journaled) and before {@link #close()}.
     */
    public long drain(Duration bound) {
        if (!started || closed || dispatchers.isEmpty()) return 0;
        long target;
        try {
            target = store.journalSeq();
        } catch (RuntimeException e) {
            return 0;   // the store is not readable: nothing to drain from
        }
        for (AlertDispatcher d : dispatchers) d.wake();
        long deadline = System.nanoTime() + bound.toNanos();
        long behind = behind(target);
        while (behind > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            behind = behind(target);
        }
        if (behind == 0) {
            log.info("alert outbox delivered before stopping (up to journal entry {})", target);
        } else {
            List<String> late = new ArrayList<>();
            for (AlertDispatcher d : dispatchers) {
                if (d.checkpoint() < target) late.add(d.name() + ": " + (target - d.checkpoint()));
            }
            log.warn("stopping with alerts undelivered after {} ms ({}); they stay in the outbox and are sent after"
                    + " the next start", bound.toMillis(), String.join(", ", late));
        }
        return behind;
    }

    private long behind(long target) {
        long n = 0;
        for (AlertDispatcher d : dispatchers) n += Math.max(0, target - d.checkpoint());
        return n;
    }

    /** Stops the sinks (deliveries in flight are sent again after a restart) and the trimming. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        maintenance.shutdownNow();
        for (AlertDispatcher d : dispatchers) d.close();
        try {
            for (AlertDispatcher d : dispatchers) d.awaitStopped(Duration.ofSeconds(10));
            maintenance.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        metrics.close();
    }
}
