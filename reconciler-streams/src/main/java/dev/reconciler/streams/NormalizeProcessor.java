package dev.reconciler.streams;

import dev.reconciler.app.normalize.RecordNormalizer;
import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.match.ReconciliationEngine;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.InMemoryStateStore;
import dev.reconciler.core.state.PairKey;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Stage 1: one source's change records (as Kafka Connect wrote them, JSON with schemas) become facts keyed by the
 * pair they belong to, and the source's progress becomes watermark markers for every partition.
 *
 * <p>The record is turned back into a Connect {@code Struct} ({@link JsonConverter#toConnectData}) and normalized
 * by the embedded mode's {@link RecordNormalizer}, unchanged. The pair keys come from the core's own planner
 * ({@link ReconciliationEngine#prepare}, which reads no pair state), so the distributed mode keys facts exactly
 * as the engine will.
 *
 * <p>Progress follows the embedded mode ({@code DebeziumSource.handleBatch}): snapshot reads do not move it; a
 * binlog change or a heartbeat row committed at {@code t} promises every change up to {@code t - 1 s} (commit times
 * have second precision). A heartbeat sends a marker at once; changes move it at most once per
 * {@code markerInterval} (wall clock), so markers cost N records per interval, not per change. Markers are
 * forwarded after the facts they cover on the same task, so each partition reads them after those facts.
 */
final class NormalizeProcessor implements Processor<byte[], byte[], String, FactsRecord> {
    /** Key of marker records (markers go to every partition; the key only names them in the topic). */
    static final String MARKER_KEY_PREFIX = "~marker/";

    private final String source;
    private final String heartbeatTable;
    private final EngineConfig engineConfig;
    private final Duration markerInterval;
    private RecordNormalizer normalizer;
    private JsonConverter keys;
    private JsonConverter values;
    private ReconciliationEngine planner;
    private ProcessorContext<String, FactsRecord> context;
    private int lane;
    private Instant newest;
    private Instant sent;

    NormalizeProcessor(String source, String heartbeatTable, EngineConfig engineConfig, Duration markerInterval) {
        this.source = source;
        this.heartbeatTable = heartbeatTable;
        this.engineConfig = engineConfig;
        this.markerInterval = markerInterval;
    }

    @Override
    public void init(ProcessorContext<String, FactsRecord> context) {
        this.context = context;
        this.normalizer = new RecordNormalizer(source, heartbeatTable);
        this.keys = converter(true);
        this.values = converter(false);
        // Planning only: prepare() routes facts and works out their keys without reading or writing pair state.
        this.planner = new ReconciliationEngine(engineConfig, new InMemoryStateStore(),
                () -> Instant.ofEpochMilli(context.currentSystemTimeMs()));
        context.schedule(markerInterval, PunctuationType.WALL_CLOCK_TIME, now -> sendMarker());
    }

    private static JsonConverter converter(boolean isKey) {
        JsonConverter c = new JsonConverter();
        c.configure(Map.of("schemas.enable", "true", "decimal.format", "NUMERIC"), isKey);
        return c;
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        if (record.value() == null) return;   // a tombstone: the connector is told not to send them
        String topic = context.recordMetadata().map(m -> m.topic()).orElse(source);
        lane = context.recordMetadata().map(m -> m.partition()).orElse(0);
        SchemaAndValue key = record.key() == null ? SchemaAndValue.NULL : keys.toConnectData(topic, record.key());
        SchemaAndValue value = values.toConnectData(topic, record.value());
        SourceRecord change = new SourceRecord(null, null, topic, lane, key.schema(), key.value(), value.schema(),
                value.value());
        RecordNormalizer.Normalized n = normalizer.normalize(change);
        Instant commit = null;
        if (n instanceof RecordNormalizer.AFact f) {
            Fact fact = f.fact();
            context.forward(record.withKey(partitionKey(fact)).withValue(new FactsRecord.FactRecord(fact)));
            if (fact.operation() != Operation.READ) commit = fact.eventTime();
        } else if (n instanceof RecordNormalizer.Heartbeat h) {
            commit = h.commitTime();
        } else if (n instanceof RecordNormalizer.Bad b) {
            context.forward(record.withKey(source + "/" + b.table() + "/" + b.primaryKey())
                    .withValue(new FactsRecord.Bad(source, b.table(), b.primaryKey(), b.position(), b.reason(),
                            b.detail())));
        }
        if (commit != null && (newest == null || commit.isAfter(newest))) newest = commit;
        if (n instanceof RecordNormalizer.Heartbeat) sendMarker();
    }

    /**
     * The key a fact is partitioned by: the pair it belongs to, {@code rule/value|value}. A fact routed to several
     * pairs (several rules, or an update that moves a row to another key) is keyed by the first in key order; see
     * docs/scale-out.md, "Keying", for why that is exact when every rule keys by the same columns and what it
     * means otherwise. A fact no rule reads is keyed by its row, so it still reaches one engine (counted there).
     */
    String partitionKey(Fact fact) {
        TreeSet<String> keys = new TreeSet<>();
        for (PairKey k : planner.prepare(List.of(fact)).touched()) keys.add(businessKey(k));
        return keys.isEmpty() ? fact.row().toString() : keys.first();
    }

    /**
     * The business key without the rule: rules that key by the same columns (the sale and its cancellation) then
     * meet in one partition, which the engine needs when one fact feeds both.
     */
    static String businessKey(PairKey k) {
        return String.join("|", k.values());
    }

    private void sendMarker() {
        if (newest == null) return;
        Instant watermark = newest.minusSeconds(1);
        if (watermark.equals(sent)) return;
        sent = watermark;
        context.forward(new Record<>(MARKER_KEY_PREFIX + source, new FactsRecord.Marker(source, lane, watermark),
                context.currentSystemTimeMs()));
    }

    @Override
    public void close() {
        keys.close();
        values.close();
    }
}
