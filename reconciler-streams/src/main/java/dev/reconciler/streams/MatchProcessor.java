package dev.reconciler.streams;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.StateStore;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Stage 2: the core's {@link ReconciliationEngine} for one partition of the facts topic, on the task's
 * changelogged stores ({@link StreamsStateStore}). Facts are applied as they come; a source's watermark is the
 * minimum over the markers of its stage-1 lanes (each lane's latest), so a partition that receives no facts of a
 * source still knows how far that source has been read; a wall-clock punctuator runs the engine's clock (grace
 * deadlines, stall detection) exactly as the embedded mode's tick does. Every outcome goes to the outcomes topic,
 * keyed by what it is about, in the same exactly-once transaction as the state it comes from.
 *
 * <p>The engine is built in {@link #init} from the restored stores, so a task moved to another instance, or
 * restarted after an aborted transaction, continues from exactly the state of its last commit.
 */
final class MatchProcessor implements Processor<String, FactsRecord, String, OutcomeRecord> {
    static final String LANE_META = "streams.lane.";

    private final EngineConfig config;
    private final Duration tickInterval;
    private final EngineTasks tasks;
    private String taskId;
    private ProcessorContext<String, OutcomeRecord> context;
    private StateStore store;
    private ReconciliationEngine engine;
    /** source → lane → latest marker; mirrored in the store's meta so a restored task has it. */
    private final Map<String, Map<Integer, Instant>> lanes = new TreeMap<>();

    MatchProcessor(EngineConfig config, Duration tickInterval, EngineTasks tasks) {
        this.config = config;
        this.tickInterval = tickInterval;
        this.tasks = tasks;
    }

    @Override
    public void init(ProcessorContext<String, OutcomeRecord> context) {
        this.context = context;
        this.taskId = context.taskId().toString();
        this.store = new StreamsStateStore(store(context, StreamsStateStore.PAIRS),
                store(context, StreamsStateStore.TIMERS), store(context, StreamsStateStore.DISCREPANCIES),
                store(context, StreamsStateStore.META), store(context, StreamsStateStore.JOURNAL));
        this.engine = null;   // built on first use (see engine())
        lanes.clear();
        for (String source : config.sources()) {
            // The lanes seen so far: meta "streams.lane.<source>.<lane>" = the lane's latest marker.
            for (int lane = 0; ; lane++) {
                Optional<String> v = store.meta(LANE_META + source + "." + lane);
                if (v.isEmpty()) break;
                lanes.computeIfAbsent(source, s -> new TreeMap<>()).put(lane, Instant.parse(v.get()));
            }
        }
        context.schedule(tickInterval, PunctuationType.WALL_CLOCK_TIME, now -> {
            emit(engine().tick());
            // For the HTTP endpoint and the metrics (EngineTasks): this task's numbers, once per tick.
            tasks.publish(taskId, EngineSnapshot.of(engine(), Instant.ofEpochMilli(now)));
        });
    }

    /**
     * The engine, built when the task first processes or punctuates: the engine takes its start time (the stall
     * detector's reference before a source is seen) from the clock, and the task's wall clock is only current
     * then, not during {@link #init}.
     */
    private ReconciliationEngine engine() {
        if (engine == null) {
            InstantSource clock = () -> Instant.ofEpochMilli(context.currentSystemTimeMs());
            engine = new ReconciliationEngine(config, store, clock);
        }
        return engine;
    }

    private static KeyValueStore<Bytes, byte[]> store(ProcessorContext<?, ?> context, String name) {
        return context.getStateStore(name);
    }

    @Override
    public void process(Record<String, FactsRecord> record) {
        FactsRecord r = record.value();
        if (r instanceof FactsRecord.FactRecord f) {
            emit(engine().apply(f.fact()));
        } else if (r instanceof FactsRecord.Marker m) {
            marker(m);
        } else if (r instanceof FactsRecord.Bad b) {
            emit(engine().quarantine(List.of(b.quarantined(Instant.ofEpochMilli(context.currentSystemTimeMs())))));
        }
    }

    private void marker(FactsRecord.Marker m) {
        if (!config.sources().contains(m.source())) return;   // a source no rule reads (any more)
        Map<Integer, Instant> byLane = lanes.computeIfAbsent(m.source(), s -> new TreeMap<>());
        Instant previous = byLane.get(m.lane());
        if (previous != null && !m.watermark().isAfter(previous)) return;
        byLane.put(m.lane(), m.watermark());
        store.write(new dev.reconciler.core.state.StateWrite()
                .putMeta(LANE_META + m.source() + "." + m.lane(), m.watermark().toString()));
        // Lanes are the stage-1 tasks of a source (one per change topic partition; one partition per source
        // keeps the binlog's order). The source is seen up to the slowest lane.
        Instant min = byLane.values().stream().min(Instant::compareTo).orElseThrow();
        emit(engine().advanceWatermark(m.source(), min));
    }

    private void emit(List<Outcome> outcomes) {
        long now = context.currentSystemTimeMs();
        for (Outcome o : outcomes) {
            OutcomeRecord r = OutcomeRecord.of(o);
            context.forward(new Record<>(r.key(), r, now));
        }
        tasks.outcomes(outcomes);
        // Forwarded in this task's transaction: the outcomes topic is the journal from here on.
        if (!outcomes.isEmpty()) store.trimJournal(store.journalSeq());
    }

    @Override
    public void close() {
        if (taskId != null) tasks.remove(taskId);
        if (store != null) store.close();
    }
}
