package dev.reconciler.app.pipeline;

import dev.reconciler.app.Threads;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The engine's one owner: a single thread applies the sources' batches and ticks the stall check, in the order they
 * arrive. A source waits for its batch to be committed before it lets Debezium commit the batch's offsets, so the
 * offsets are never ahead of the state (at-least-once; the engine absorbs the replays).
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
    private final ReconciliationEngine engine;
    private final Consumer<List<Outcome>> outcomes;
    /** Listeners added after construction (metrics); called after {@link #outcomes}, in the order added. */
    private final List<Consumer<List<Outcome>>> listeners = new CopyOnWriteArrayList<>();
    /** The engine's numbers after its last call, for other threads; replaced (never changed) by the engine thread. */
    private volatile EngineSnapshot snapshot;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reconciler-engine");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;
    /** System.nanoTime() when the engine thread began its current task; 0 while it is idle. */
    private volatile long busySince;

    public Pipeline(ReconciliationEngine engine, Consumer<List<Outcome>> outcomes, Duration tick) {
        this.engine = engine;
        this.outcomes = outcomes;
        // Taken here, before the engine thread starts: the caller still owns the engine.
        this.snapshot = EngineSnapshot.of(engine, Instant.now());
        thread.scheduleWithFixedDelay(() -> busy(() -> {
            List<Outcome> out = engine.tick();
            publish();
            deliver(out);
        }), tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The engine's configuration (immutable, so readable from any thread). */
    public EngineConfig config() {
        return engine.config();
    }

    /**
     * The engine's numbers as of its last batch, watermark move or tick (at most one tick old when idle). Safe from
     * any thread; never null.
     */
    public EngineSnapshot snapshot() {
        return snapshot;
    }

    /**
     * Runs {@code call} on the engine thread, after the batches submitted before it, and completes with its result.
     * For the few operations besides facts that change the state (an acknowledgement from the HTTP API); the caller
     * should bound its wait, since a long backlog of batches delays it.
     */
    public <T> CompletableFuture<T> call(Function<ReconciliationEngine, T> call) {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        try {
            return CompletableFuture.supplyAsync(() -> {
                busySince = System.nanoTime();
                try {
                    T result = call.apply(engine);
                    publish();
                    return result;
                } finally {
                    busySince = 0;
                }
            }, thread);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        }
    }

    /**
     * As {@link #call}, for an engine call that reports outcomes in its result (a verification's findings): they
     * are handed to the listeners (metrics, alert wake-up) like a batch's, once committed.
     */
    public <T> CompletableFuture<T> callReporting(Function<ReconciliationEngine, T> call,
                                                  Function<T, List<Outcome>> outcomesOf) {
        return call(e -> {
            T result = call.apply(e);
            deliver(outcomesOf.apply(result));
            return result;
        });
    }

    /**
     * {@link #call} for an engine call that reports outcomes (e.g. a coverage gap): they are handed to the listeners
     * like a batch's, once committed.
     */
    public CompletableFuture<List<Outcome>> command(Function<ReconciliationEngine, List<Outcome>> command) {
        return call(e -> {
            List<Outcome> out = command.apply(e);
            deliver(out);
            return out;
        });
    }

    /**
     * Adds a listener for outcomes (after the one given to the constructor). Add listeners before sources start:
     * outcomes delivered earlier are not replayed.
     */
    public void addListener(Consumer<List<Outcome>> listener) {
        listeners.add(java.util.Objects.requireNonNull(listener, "listener"));
    }

    /** False once {@link #close()} was called. */
    public boolean isRunning() {
        return !closed;
    }

    private void publish() {
        snapshot = EngineSnapshot.of(engine, Instant.now());
    }

    /**
     * Applies a source's batch and then moves its watermark (if not null). Completes once the state is committed
     * and the outcomes were handed on.
     */
    public CompletableFuture<Void> submit(String source, List<Fact> facts, Instant watermark) {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        // Routing and converting row values needs no state: done here, on the source's thread, while the engine
        // thread applies earlier batches.
        ReconciliationEngine.Prepared prepared = facts.isEmpty() ? null : engine.prepare(facts);
        return CompletableFuture.runAsync(() -> busy(() -> {
            List<Outcome> out = new ArrayList<>();
            if (prepared != null) out.addAll(engine.apply(prepared));
            if (watermark != null) out.addAll(engine.advanceWatermark(source, watermark));
            publish();   // before the outcomes are handed on: a listener reading the snapshot sees their effect
            deliver(out);
        }), thread);
    }

    private void busy(Runnable task) {
        busySince = System.nanoTime();
        try {
            task.run();
        } finally {
            busySince = 0;
        }
    }

    /**
     * How long the engine thread has been inside its current task (a batch, a tick, a call); zero while it is idle.
     * A batch takes milliseconds: minutes mean the thread is wedged (the liveness check's signal).
     */
    public Duration busyFor() {
        long since = busySince;
        return since == 0 ? Duration.ZERO : Duration.ofNanos(System.nanoTime() - since);
    }

    private void deliver(List<Outcome> out) {
        if (out.isEmpty()) return;
        deliver(outcomes, out);
        for (Consumer<List<Outcome>> l : listeners) deliver(l, out);
    }

    private static void deliver(Consumer<List<Outcome>> listener, List<Outcome> out) {
        try {
            listener.accept(out);
        } catch (RuntimeException e) {
            log.error("an outcome listener failed; the outcomes are still recorded in the state store", e);
        }
    }

    /** Idempotent. Waits up to 10 s for the batch in progress. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Threads.stop(thread, Duration.ofSeconds(10));
    }
}
