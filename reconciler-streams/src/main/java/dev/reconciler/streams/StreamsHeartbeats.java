package dev.reconciler.streams;

import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.app.config.SourceSpec;
import dev.reconciler.app.runtime.ServerVersion;
import dev.reconciler.app.source.HeartbeatWriter;
import dev.reconciler.app.source.SourceConfig;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The distributed mode's heartbeat writer: commits a heartbeat row into every source's {@code heartbeatTable} every
 * {@code heartbeatInterval}, with the source's connection settings from the YAML (host, port, user, password, TLS),
 * as the embedded mode does ({@link HeartbeatWriter}). The connectors capture the table, so the rows reach the
 * Streams application through each source's change topic and move its watermark: the last orders of a burst are
 * decided without more traffic, and an idle source is not reported stalled.
 *
 * <p>Every instance of the application writes (docs/architecture.md, "Heartbeats in the distributed mode"). A failed
 * write never stops the application: it is retried every interval, logged once per outage (WARN, and INFO when it
 * works again), and visible in {@link #states()} and the {@code reconciler_heartbeat_*} metrics ({@link #bindTo}).
 * One daemon thread per source, so a database that hangs does not delay the other sources' beats.
 */
public final class StreamsHeartbeats implements AutoCloseable, MeterBinder {
    private static final Logger log = LoggerFactory.getLogger(StreamsHeartbeats.class);

    /** One source's writer, with its configuration settled against the server (the flavour, for {@code auto}). */
    private static final class Source {
        final SourceSpec spec;
        volatile SourceConfig settled;
        final HeartbeatWriter writer;

        Source(SourceSpec spec, InstantSource clock) {
            this.spec = spec;
            this.settled = spec.config();
            this.writer = new HeartbeatWriter(spec.config(), this::settle, clock, true, true);
        }

        /** Called by the writer before each beat: asks the server its flavour once, for {@code auto}. */
        private SourceConfig settle() {
            if (spec.autoFlavour() && settled == spec.config()) {
                ServerVersion.Resolved r = ServerVersion.resolve(spec);
                if (r.version() != null) settled = r.config();   // unreachable: the write itself says why
            }
            return settled;
        }
    }

    private final List<Source> sources = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final InstantSource clock;
    private boolean closed;

    private StreamsHeartbeats(ReconcilerConfig config, InstantSource clock) {
        this.clock = clock;
        for (SourceSpec s : config.sources()) {
            if (s.config().heartbeatTable() != null) sources.add(new Source(s, clock));
        }
        this.scheduler = Executors.newScheduledThreadPool(Math.max(1, sources.size()), r -> {
            Thread t = new Thread(r, "reconciler-heartbeats");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts writing every source's heartbeat at once and then every {@code heartbeatInterval}; returns at once.
     * Sources without a heartbeat table are left out (and said so: their watermark only moves with traffic).
     */
    public static StreamsHeartbeats start(ReconcilerConfig config) {
        StreamsHeartbeats h = new StreamsHeartbeats(config, InstantSource.system());
        for (SourceSpec s : config.sources()) {
            if (s.config().heartbeatTable() == null) {
                log.warn("source {}: no heartbeatTable configured; its watermark moves only with its traffic, so an"
                        + " idle source holds its pairs and is reported stalled after engine.stallAfter", s.name());
            }
        }
        for (Source s : h.sources) {
            Duration every = s.spec.config().heartbeatInterval();
            s.writer.scheduleOn(h.scheduler, every);
            log.info("source {}: writing a heartbeat row into {} every {} ms", s.spec.name(),
                    s.spec.config().heartbeatTable(), every.toMillis());
        }
        return h;
    }

    /** Each source's writer state (last write, failures, the current outage and its reason). Any thread. */
    public List<HeartbeatWriter.State> states() {
        List<HeartbeatWriter.State> out = new ArrayList<>();
        for (Source s : sources) out.add(s.writer.state());
        return out;
    }

    /**
     * {@code reconciler_heartbeat_failing} (1 while the last write failed), {@code reconciler_heartbeat_age_seconds}
     * (since the last committed row; NaN before the first) and {@code reconciler_heartbeat_failures_total}, by
     * {@code source} (docs/metrics.md).
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        for (Source s : sources) {
            String name = s.spec.name();
            Gauge.builder("reconciler_heartbeat_failing", s.writer, w -> w.state().failing() ? 1 : 0)
                    .description("1 while the distributed mode cannot write the source's heartbeat row")
                    .tag("source", name).register(registry);
            Gauge.builder("reconciler_heartbeat_age_seconds", s.writer, w -> {
                        var last = w.state().lastBeatAt();
                        return last == null ? Double.NaN
                                : Duration.between(last, clock.instant()).toMillis() / 1000.0;
                    })
                    .description("Seconds since the distributed mode last committed the source's heartbeat row")
                    .tag("source", name).register(registry);
            FunctionCounter.builder("reconciler_heartbeat_failures", s.writer, w -> w.state().failures())
                    .description("Heartbeat writes that failed").tag("source", name).register(registry);
        }
    }

    /** Stops writing and closes the connections. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(10, TimeUnit.SECONDS)) log.warn("a heartbeat write is still running");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (Source s : sources) s.writer.close();
    }
}
