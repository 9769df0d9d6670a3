package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.reconciler.core.outcome.Outcome;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.IOException;

/**
 * One engine outcome as the outcomes topic carries it: JSON {@code {"type": "DiscrepancyOpened", "outcome": {...}}}
 * (the core record's fields), keyed so that consumers can deduplicate and compact:
 * <ul>
 *   <li>discrepancies: the discrepancy id (deterministic: rule, key, type, occurrence) — opened and resolved share
 *       it, so a compacted topic keeps each discrepancy's latest state;</li>
 *   <li>matches: {@code rule/key}; their row images are left out (they are the bulk of the traffic, and the API
 *       reads them from the stores);</li>
 *   <li>source and rule events: {@code source/...}, {@code rule/...}. Every partition's engine sees every source, so
 *       a stall is reported once per partition with the same key and watermark: an alerting consumer keys its
 *       alerts by the record key and sends each once (docs/scale-out.md, "Alerts").</li>
 * </ul>
 */
public record OutcomeRecord(String key, String type, JsonNode outcome) {
    static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS);

    public static OutcomeRecord of(Outcome o) {
        String type = o.getClass().getSimpleName();
        if (o instanceof Outcome.DiscrepancyOpened d) return new OutcomeRecord(d.discrepancy().id(), type, tree(o));
        if (o instanceof Outcome.DiscrepancyResolved d) return new OutcomeRecord(d.discrepancy().id(), type, tree(o));
        if (o instanceof Outcome.PairMatched m) {
            ObjectNode n = JSON.createObjectNode();
            n.put("rule", m.rule());
            // By hand, as Jackson writes a map (in its order, a null as null): valueToTree costs a token buffer
            // per match, the most frequent outcome.
            ObjectNode key = n.putObject("key");
            m.key().forEach(key::put);
            n.put("lastCommit", m.lastCommit().toString());
            n.put("decidedAt", m.decidedAt().toString());
            return new OutcomeRecord("match/" + m.rule() + "/" + String.join("|", m.key().values()), type, n);
        }
        if (o instanceof Outcome.SourceStalled s) {
            return new OutcomeRecord("source/" + s.source() + "/stalled/" + s.watermark(), type, tree(o));
        }
        if (o instanceof Outcome.SourceRecovered s) {
            return new OutcomeRecord("source/" + s.source() + "/recovered/" + s.watermark(), type, tree(o));
        }
        if (o instanceof Outcome.CoverageGap g) {
            return new OutcomeRecord("source/" + g.source() + "/gap/" + g.from() + "/" + g.to(), type, tree(o));
        }
        if (o instanceof Outcome.RulePaused p) {
            return new OutcomeRecord("rule/" + p.rule() + "/" + p.side() + "/paused/" + p.table() + "/" + p.column(),
                    type, tree(o));
        }
        if (o instanceof Outcome.RuleResumed r) {
            return new OutcomeRecord("rule/" + r.rule() + "/" + r.side() + "/resumed/" + r.table() + "/"
                    + r.column(), type, tree(o));
        }
        if (o instanceof Outcome.FactQuarantined q) {
            return new OutcomeRecord("quarantine/" + q.fact().source() + "/" + q.fact().table() + "/"
                    + q.fact().primaryKey(), type, tree(o));
        }
        return new OutcomeRecord("other/" + type, type, tree(o));
    }

    private static JsonNode tree(Outcome o) {
        return JSON.valueToTree(o);
    }

    /** The outcomes topic's value format (consumers read it with {@link #read}). */
    public static Serializer<OutcomeRecord> serializer() {
        return (topic, r) -> {
            if (r == null) return null;
            ObjectNode n = JSON.createObjectNode();
            n.put("type", r.type());
            n.set("outcome", r.outcome());
            try {
                return JSON.writeValueAsBytes(n);
            } catch (IOException e) {
                throw new SerializationException("outcomes topic " + topic + ": cannot write a " + r.type(), e);
            }
        };
    }

    /** Reads a value of the outcomes topic (the key is the record's). */
    public static OutcomeRecord read(String key, byte[] value) {
        try {
            JsonNode n = JSON.readTree(value);
            return new OutcomeRecord(key, n.path("type").asText(), n.path("outcome"));
        } catch (IOException e) {
            throw new SerializationException("outcomes topic: unreadable record " + key, e);
        }
    }
}
