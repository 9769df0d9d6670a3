package dev.reconciler.app.metrics;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.app.pipeline.Pipeline;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * The reconciler's Prometheus metrics (every name, label and meaning is in docs/metrics.md).
 *
 * <p>Where the numbers come from, and on which thread:
 * <ul>
 *   <li>Counters of outcomes (matches, match latency, discrepancies opened and resolved) are counted here from the
 *       outcomes the {@link Pipeline} hands to its listeners (this class is one), on the engine thread.</li>
 *   <li>The engine's own numbers (facts, pending pairs, open discrepancies, reconciled-until, watermarks) are read
 *       from the {@link EngineSnapshot} the pipeline publishes after every engine call: a scrape never calls the
 *       engine, which belongs to its thread.</li>
 *   <li>Sources (events, connected, lag) are read from {@link SourceStatus} snapshots, safe from any thread.</li>
 * </ul>
 * Labels are low-cardinality by construction: rule, side, type, reason, source and table names — never a key.
 */
public final class ReconcilerMetrics implements Consumer<List<Outcome>>, AutoCloseable {
    /** Bounds of the match latency histogram, in seconds: binlog lag of a healthy pair up to a long outage. */
    private static final double[] LATENCY_BUCKETS = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900};

    private final PrometheusMeterRegistry registry;
    private final Supplier<EngineSnapshot> engine;
    private final List<Supplier<SourceStatus>> sources;
    private final InstantSource clock;
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final TableLabel tableLabel;
    /** (source, table label) pairs whose events counter is registered; tables appear as a source meets them. */
    private final Set<String> eventTables = ConcurrentHashMap.newKeySet();

    private final Map<String, Counter> matches = new HashMap<>();
    private final Map<String, Timer> latency = new HashMap<>();
    private final Map<String, Counter> opened = new HashMap<>();
    private final Map<String, Counter> resolved = new HashMap<>();
    /** By source, table and reason; registered at the first quarantined fact of each (tables: those configured). */
    private final Map<String, Counter> quarantined = new HashMap<>();
    private volatile boolean closed;

    /**
     * Registers every meter, the JVM and process basics included (memory, GC, threads, CPU, uptime: do not bind
     * those binders to the registry again). Feed it outcomes ({@link #accept}), e.g. with
     * {@link #attach(PrometheusMeterRegistry, Pipeline, List, LongSupplier)}.
     *
     * @param engine         the engine's latest numbers ({@link Pipeline#snapshot()})
     * @param sources        each source's status ({@code DebeziumSource::status}); may be empty
     * @param stateSizeBytes the state store's size on disk (e.g. {@code RocksDbStateStore::approximateSizeBytes}),
     *                       or null for a store without one
     */
    public ReconcilerMetrics(PrometheusMeterRegistry registry, EngineConfig config, Supplier<EngineSnapshot> engine,
                             List<Supplier<SourceStatus>> sources, LongSupplier stateSizeBytes, InstantSource clock) {
        this(registry, config, MetricsConfig.defaults(), engine, sources, stateSizeBytes, clock);
    }

    /** As above, with the {@code metrics:} section of the configuration. */
    public ReconcilerMetrics(PrometheusMeterRegistry registry, EngineConfig config, MetricsConfig options,
                             Supplier<EngineSnapshot> engine, List<Supplier<SourceStatus>> sources,
                             LongSupplier stateSizeBytes, InstantSource clock) {
        this.registry = registry;
        this.engine = engine;
        this.sources = List.copyOf(sources);
        this.clock = clock;
        this.tableLabel = new TableLabel(config, options.perTable());
        BuildInfo.register(registry);

        for (Rule rule : config.rules()) {
            String r = rule.name();
            matches.put(r, Counter.builder("reconciler.matches").description("Pairs that became consistent")
                    .tag("rule", r).register(registry));
            latency.put(r, Timer.builder("reconciler.match.latency")
                    .description("From the later commit of a pair's rows to the engine's decision that it matched")
                    .tag("rule", r).serviceLevelObjectives(buckets()).register(registry));
            for (DiscrepancyType type : DiscrepancyType.values()) {
                opened.put(r + "/" + type, Counter.builder("reconciler.discrepancies")
                        .description("Discrepancies opened").tags("rule", r, "type", type.name()).register(registry));
                for (Resolution reason : Resolution.values()) {
                    resolved.put(r + "/" + type + "/" + reason, Counter.builder("reconciler.discrepancies.resolved")
                            .description("Discrepancies resolved, by reason")
                            .tags("rule", r, "type", type.name(), "reason", reason.name()).register(registry));
                }
                gauge("reconciler.discrepancies.open", "Open discrepancies (persisted: survives restarts)",
                        s -> s.rules().get(r).open().get(type), "rule", r, "type", type.name());
            }
            for (Side side : Side.values()) {
                String label = side.label();
                FunctionCounter.builder("reconciler.facts", engine,
                                e -> e.get().rules().get(r).facts().get(side))
                        .description("Facts (row changes) with a key that matched a rule side's filter, since the process started")
                        .tags("rule", r, "side", label).register(registry);
                FunctionCounter.builder("reconciler.facts.without.key", engine,
                                e -> e.get().rules().get(r).withoutKey().get(side))
                        .description("Facts that matched a side's filter with a blank key column: they pair with nothing")
                        .tags("rule", r, "side", label).register(registry);
                FunctionCounter.builder("reconciler.facts.held", engine,
                                e -> e.get().rules().get(r).held().get(side))
                        .description("Row changes held, not judged, because they lacked a column the rule reads (the rule is paused)")
                        .tags("rule", r, "side", label).register(registry);
                gauge("reconciler.pending.pairs", "reconciler.pending",
                        "Pairs whose rows of this side wait for the other side within the grace",
                        s -> s.rules().get(r).pending().get(side), "rule", r, "side", label);
            }
            gauge("reconciler.rule.paused",
                    "1 while the rule is paused: rows of a table lack a column it reads (dropped or renamed)",
                    s -> s.rules().get(r).paused().isEmpty() ? 0 : 1, "rule", r);
            gauge("reconciler.reconciled.until.timestamp.seconds", "reconciler.reconciled.until.seconds",
                    "Every fact committed up to this time (epoch seconds) has been decided; NaN until known",
                    s -> seconds(s.rules().get(r).reconciledUntil()), "rule", r);
        }
        for (String source : config.sources()) {
            gauge("reconciler.source.watermark.timestamp.seconds", "reconciler.watermark.seconds",
                    "The source's watermark in the engine (epoch seconds); NaN until known",
                    s -> seconds(s.sources().get(source).watermark()), "source", source);
            gauge("reconciler.source.stalled", "1 while the engine reports the source stalled",
                    s -> s.sources().get(source).stalled() ? 1 : 0, "source", source);
        }
        for (Supplier<SourceStatus> status : this.sources) {
            String name = status.get().name();
            Gauge.builder("reconciler.source.connected", status, x -> x.get().connected() ? 1 : 0)
                    .description("1 while the source reads its database (snapshot or binlog)")
                    .tag("source", name).strongReference(true).register(registry);
            for (SourceStatus.Phase phase : SourceStatus.Phase.values()) {
                Gauge.builder("reconciler.source.state", status, x -> x.get().phase() == phase ? 1 : 0)
                        .description("1 for the phase the source is in (WAITING, STREAMING, BINLOG_GAP, ...), 0 for the others")
                        .tags("source", name, "state", phase.name()).strongReference(true).register(registry);
            }
            FunctionCounter.builder("reconciler.source.disconnects", status, x -> x.get().disconnects())
                    .description("Connections the source lost while reading, since the process started")
                    .tag("source", name).register(registry);
            Gauge.builder("reconciler.source.lag.seconds", status, x -> lag(x.get()))
                    .description("Wall clock minus the commit time of the newest event the source delivered; NaN before the first")
                    .tag("source", name).strongReference(true).register(registry);
            DebeziumMetrics.register(registry, name, status);
        }
        if (stateSizeBytes != null) {
            Gauge.builder("reconciler.state.size.bytes", stateSizeBytes, s -> s.getAsLong())
                    .description("Approximate size of the state store (SST files and memtables)")
                    .baseUnit("bytes").strongReference(true).register(registry);
        }
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        refresh();
    }

    /**
     * The usual wiring: metrics for the pipeline's engine and the given sources, fed by the pipeline's outcomes, on
     * the system clock.
     */
    public static ReconcilerMetrics attach(PrometheusMeterRegistry registry, Pipeline pipeline,
                                           List<Supplier<SourceStatus>> sources, LongSupplier stateSizeBytes) {
        return attach(registry, pipeline, sources, stateSizeBytes, MetricsConfig.defaults());
    }

    /** As above, with the {@code metrics:} section of the configuration. */
    public static ReconcilerMetrics attach(PrometheusMeterRegistry registry, Pipeline pipeline,
                                           List<Supplier<SourceStatus>> sources, LongSupplier stateSizeBytes,
                                           MetricsConfig options) {
        ReconcilerMetrics m = new ReconcilerMetrics(registry, pipeline.config(), options, pipeline::snapshot, sources,
                stateSizeBytes, InstantSource.system());
        pipeline.addListener(m);
        stateWritable(registry, pipeline);
        return m;
    }

    /** {@code reconciler_state_writable}: 1 while the state store takes writes, 0 while ingestion waits for it. */
    public static void stateWritable(PrometheusMeterRegistry registry, Pipeline pipeline) {
        Gauge.builder("reconciler.state.writable", pipeline, p -> p.unwritable() == null ? 1 : 0)
                .description("1 while the state store takes writes; 0 while a write failed (disk full, read-only"
                        + " file system, I/O error) and ingestion waits")
                .strongReference(true).register(registry);
    }

    /** Counts the outcomes of one engine call. Called on the engine thread. */
    @Override
    public void accept(List<Outcome> outcomes) {
        if (closed) return;
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.PairMatched m) {
                matches.get(m.rule()).increment();
                Duration d = Duration.between(m.lastCommit(), m.decidedAt());
                // Database and reconciler clocks differ: a pair decided "before" its commit counts as immediate.
                latency.get(m.rule()).record(d.isNegative() ? Duration.ZERO : d);
            } else if (o instanceof Outcome.DiscrepancyOpened x) {
                Discrepancy d = x.discrepancy();
                opened.get(d.rule() + "/" + d.type()).increment();
            } else if (o instanceof Outcome.DiscrepancyResolved x) {
                Discrepancy d = x.discrepancy();
                resolved.get(d.rule() + "/" + d.type() + "/" + d.resolution()).increment();
            } else if (o instanceof Outcome.FactQuarantined q) {
                var f = q.fact();
                String table = tableLabel.of(f.source(), f.table());
                quarantined.computeIfAbsent(f.source() + "\t" + table + "\t" + f.reason(), k ->
                        Counter.builder("reconciler.facts.quarantined")
                                .description("Facts that could not be processed and were quarantined instead, by reason")
                                .tags("source", f.source(), "table", table, "reason", f.reason().name())
                                .register(registry)).increment();
            }
        }
    }

    /**
     * Registers the events counters of tables the sources met since the last call: one per table label (by default
     * per configured table entry, the sum over its shards). Idempotent.
     */
    public void refresh() {
        for (Supplier<SourceStatus> status : sources) {
            SourceStatus s = status.get();
            for (String table : s.eventsByTable().keySet()) {
                String label = tableLabel.of(s.name(), table);
                if (!eventTables.add(s.name() + "\u0000" + label)) continue;
                FunctionCounter.builder("reconciler.events", status, x -> events(x.get(), label))
                        .description("Change events the source delivered to the engine (snapshot reads included)")
                        .tags("source", s.name(), "table", label).register(registry);
            }
        }
    }

    private double events(SourceStatus s, String label) {
        long n = 0;
        for (Map.Entry<String, Long> e : s.eventsByTable().entrySet()) {
            if (tableLabel.of(s.name(), e.getKey()).equals(label)) n += e.getValue();
        }
        return n;
    }

    /** The Prometheus text exposition of every meter (after {@link #refresh()}). */
    public String scrape() {
        refresh();
        return registry.scrape();
    }

    /**
     * Unhooks the GC listeners and stops counting outcomes. Idempotent; the registry stays usable (its owner closes
     * it).
     */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        gc.close();
    }

    private void gauge(String name, String description, ToDoubleFunction<EngineSnapshot> value, String... tags) {
        Gauge.builder(name, engine, e -> value.applyAsDouble(e.get())).description(description).tags(tags)
                .strongReference(true).register(registry);
    }

    /**
     * A gauge under its name and, for this release only, under the name it had before the Prometheus naming pass
     * (CHANGELOG.md, docs/metrics.md "Deprecated names"): same value, same labels.
     */
    private void gauge(String name, String deprecatedName, String description, ToDoubleFunction<EngineSnapshot> value,
                       String... tags) {
        gauge(name, description, value, tags);
        gauge(deprecatedName, deprecated(name, description), value, tags);
    }

    /** The description of a deprecated name: what it is and what replaces it. */
    public static String deprecated(String replacement, String description) {
        return "Deprecated, removed in the next release: use " + replacement.replace('.', '_') + ". " + description;
    }

    private double lag(SourceStatus s) {
        Double lag = s.lagSeconds(clock.instant());
        return lag == null ? Double.NaN : lag;
    }

    private static double seconds(Instant t) {
        return t == null ? Double.NaN : t.getEpochSecond() + t.getNano() / 1e9;
    }

    private static Duration[] buckets() {
        Duration[] out = new Duration[LATENCY_BUCKETS.length];
        for (int i = 0; i < out.length; i++) out[i] = Duration.ofMillis(Math.round(LATENCY_BUCKETS[i] * 1000));
        return out;
    }
}
