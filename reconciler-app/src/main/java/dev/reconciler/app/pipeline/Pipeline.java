package dev.reconciler.app.pipeline;

import dev.reconciler.app.Threads;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.StateUnwritableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
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
 *
 * <p><b>State not writable.</b> When a state write fails because the state directory takes no writes (disk full,
 * read-only file system, I/O error: {@link StateUnwritableException}), the pipeline stops applying: the failed
 * batch and every batch submitted after it wait, in order, and their sources wait with them (their offsets stay
 * where the state is), ticks are skipped, and {@link #unwritable()} says why and since when. Every
 * {@link #PROBE_EVERY} the engine thread probes the store; once a write succeeds it rebuilds the engine from the
 * store (its in-memory part may be ahead of what was committed) and applies the waiting batches. No retry loop,
 * no lost batch: a batch is either committed or waiting.
 */
public final class Pipeline implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Pipeline.class);
    /** How often the engine thread probes a state store that took no writes. */
    public static final Duration PROBE_EVERY = Duration.ofSeconds(2);

    /** Why the state store takes no writes, since when, and how many batches wait. */
    public record Unwritable(String reason, String message, Instant since, int waitingBatches) {
    }

    /** A source's batch on its way to the engine. */
    private record Batch(String source, ReconciliationEngine.Prepared prepared, Instant watermark,
                         CompletableFuture<Void> done) {
    }

    /** Replaced by {@link ReconciliationEngine#rebuilt()} after the store took writes again; engine thread only. */
    private ReconciliationEngine engine;
    private final EngineConfig config;
    /** The first engine: sources' threads prepare their facts with it, whichever engine applies them. */
    private final ReconciliationEngine preparer;
    /** Batches waiting for the store to take writes; engine thread only. Not empty only while {@link #unwritable}. */
    private final ArrayDeque<Batch> waiting = new ArrayDeque<>();
    /** The since-start counts of the engines replaced by rebuilt ones; null until the first rebuild. Engine thread. */
    private EngineSnapshot carried;
    /** Set and cleared by the engine thread; null while the store takes writes. */
    private volatile Unwritable unwritable;
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
        this.preparer = engine;
        this.config = engine.config();
        this.outcomes = outcomes;
        // Taken here, before the engine thread starts: the caller still owns the engine.
        this.snapshot = EngineSnapshot.of(engine, Instant.now());
        thread.scheduleWithFixedDelay(() -> busy(this::tick), tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
        thread.scheduleWithFixedDelay(() -> busy(this::probe), PROBE_EVERY.toMillis(), PROBE_EVERY.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    private void tick() {
        if (unwritable != null) return;   // a tick writes (stall flags): it waits like the batches
        try {
            List<Outcome> out = engine.tick();
            publish();
            deliver(out);
        } catch (StateUnwritableException e) {
            stopApplying(e);
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log it and tick on.
            log.error("the engine's tick failed", e);
        }
    }

    /** The engine's configuration (immutable, so readable from any thread). */
    public EngineConfig config() {
        return config;
    }

    /** Why the state store takes no writes (ingestion waits meanwhile), or null while it does. Any thread. */
    public Unwritable unwritable() {
        return unwritable;
    }

    /** Engine thread. The batch that failed (if any) is already in {@link #waiting}. */
    private void stopApplying(StateUnwritableException e) {
        if (unwritable == null) {
            log.error("state: {}; ingestion waits until the state directory takes writes again (probed every {} s)",
                    e.getMessage(), PROBE_EVERY.toSeconds());
            unwritable = new Unwritable(e.reason(), e.getMessage(), Instant.now(), waiting.size());
        } else {
            unwritable = new Unwritable(unwritable.reason(), unwritable.message(), unwritable.since(), waiting.size());
        }
    }

    /** Engine thread: while the store took no writes, checks whether it does again, then applies what waited. */
    private void probe() {
        Unwritable u = unwritable;
        if (u == null) return;
        try {
            engine.probeStore();
        } catch (StateUnwritableException e) {
            if (!e.reason().equals(u.reason())) {
                log.error("state: {}", e.getMessage());
                unwritable = new Unwritable(e.reason(), e.getMessage(), u.since(), waiting.size());
            }
            return;
        } catch (RuntimeException e) {
            log.error("state: probing the state store failed", e);
            return;
        }
        // What the old engine holds in memory may be ahead of the store: start again from the store. Its since-start
        // counts as last published (only committed work is published) carry over.
        ReconciliationEngine rebuilt;
        try {
            rebuilt = engine.rebuilt();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: say it and probe again next time.
            log.error("state: rebuilding the engine from the store failed", e);
            return;
        }
        carried = snapshot;
        engine = rebuilt;
        unwritable = null;
        log.info("state: the state directory takes writes again after {} s; applying {} waiting batches",
                Duration.between(u.since(), Instant.now()).toSeconds(), waiting.size());
        publish();
        while (unwritable == null && !waiting.isEmpty()) apply(waiting.pollFirst());
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
                } catch (StateUnwritableException e) {
                    stopApplying(e);   // the engine's memory may be ahead of the store: rebuilt at recovery
                    throw e;
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
        EngineSnapshot now = EngineSnapshot.of(engine, Instant.now());
        snapshot = carried == null ? now : now.plusSinceStart(carried);
    }

    /**
     * Applies a source's batch and then moves its watermark (if not null). Completes once the state is committed
     * and the outcomes were handed on.
     */
    public CompletableFuture<Void> submit(String source, List<Fact> facts, Instant watermark) {
        if (closed) return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        // Routing and converting row values needs no state: done here, on the source's thread, while the engine
        // thread applies earlier batches.
        // prepare() reads only the configuration and the store's name table, the same for a rebuilt engine.
        ReconciliationEngine.Prepared prepared = facts.isEmpty() ? null : preparer().prepare(facts);
        Batch batch = new Batch(source, prepared, watermark, new CompletableFuture<>());
        try {
            thread.execute(() -> busy(() -> {
                if (unwritable != null) {
                    waiting.addLast(batch);   // behind the ones already waiting: batches stay in order
                    Unwritable u = unwritable;
                    unwritable = new Unwritable(u.reason(), u.message(), u.since(), waiting.size());
                } else {
                    apply(batch);
                }
            }));
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new IllegalStateException("pipeline is closed"));
        }
        return batch.done();
    }

    /** The engine the sources' threads prepare with; any engine of this configuration will do. */
    private ReconciliationEngine preparer() {
        return preparer;
    }

    /** Engine thread: applies a batch, or puts it back first in line when the store takes no writes. */
    private void apply(Batch batch) {
        List<Outcome> out = new ArrayList<>();
        try {
            // The facts and the watermark in one state write (see ReconciliationEngine.apply(Prepared, ...)).
            out.addAll(engine.apply(batch.prepared(), batch.source(), batch.watermark()));
        } catch (StateUnwritableException e) {
            // Nothing of the failed write is stored; what an earlier write of this batch stored (only in the rare
            // fact-by-fact fallback, or the deadlines fired after the watermark) is absorbed when it is applied again.
            waiting.addFirst(batch);
            stopApplying(e);
            return;
        } catch (RuntimeException | Error e) {
            batch.done().completeExceptionally(e);
            return;
        }
        publish();   // before the outcomes are handed on: a listener reading the snapshot sees their effect
        deliver(out);
        batch.done().complete(null);
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

    /** Idempotent. Waits up to 10 s for the batch in progress; batches still waiting for the store fail. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        Threads.stop(thread, Duration.ofSeconds(10));
        // The engine thread has stopped: nobody else touches the waiting batches now.
        for (Batch b : waiting) b.done().completeExceptionally(new IllegalStateException("pipeline is closed"
                + " while its batch waited for the state store to take writes; it is read again at the next start"));
        waiting.clear();
    }
}
