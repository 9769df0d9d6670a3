package dev.reconciler.app.pipeline;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The engine's one owner: a single thread applies the sources' batches and ticks the stall check, in the order they
 * arrive. A source waits for its batch to be committed before it lets Debezium commit the batch's offsets, so the
 * offsets are never ahead of the state (at-least-once; the engine absorbs the replays).
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
    private final ReconciliationEngine engine;
    private final Consumer<List<Outcome>> outcomes;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "reconciler-engine");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    public Pipeline(ReconciliationEngine engine, Consumer<List<Outcome>> outcomes, Duration tick) {
        this.engine = engine;
        this.outcomes = outcomes;
        thread.scheduleWithFixedDelay(() -> deliver(engine.tick()), tick.toMillis(), tick.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /**
     * Applies a source's batch and then moves its watermark (if not null). Completes once the state is committed
     * and the outcomes were handed on.
     */
    public CompletableFuture<Void> submit(String source, List<Fact> facts, Instant watermark) {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        return CompletableFuture.runAsync(() -> {
            List<Outcome> out = new ArrayList<>();
            if (!facts.isEmpty()) out.addAll(engine.apply(facts));
            if (watermark != null) out.addAll(engine.advanceWatermark(source, watermark));
            deliver(out);
        }, thread);
    }

    private void deliver(List<Outcome> out) {
        if (out.isEmpty()) return;
        try {
            outcomes.accept(out);
        } catch (RuntimeException e) {
            log.error("an outcome listener failed; the outcomes are still recorded in the state store", e);
        }
    }

    /** Idempotent. Waits up to 10 s for the batch in progress. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) thread.shutdownNow();
        } catch (InterruptedException e) {
            thread.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
