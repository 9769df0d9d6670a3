package dev.reconciler.streams.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.state.JournalEntry;
import dev.reconciler.streams.OutcomeRecord;

import java.util.Map;

/**
 * Turns a record of the outcomes topic back into the core's {@link Outcome}, the input of the embedded mode's alert
 * stack (its journal, {@code Alert.of}, storm control and sinks), so both modes build their payloads from the same
 * values. Only the outcomes the embedded mode alerts on ({@link JournalEntry#journaled}) are read; matches and
 * types this release does not know are skipped (null), so a newer producer does not stop an older alerter.
 */
final class OutcomeReader {
    /** As the producer writes (ISO instants and durations); lenient about fields a newer release adds. */
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE);

    private static final Map<String, Class<? extends Outcome>> TYPES = Map.of(
            "DiscrepancyOpened", Outcome.DiscrepancyOpened.class,
            "DiscrepancyResolved", Outcome.DiscrepancyResolved.class,
            "SourceStalled", Outcome.SourceStalled.class,
            "SourceRecovered", Outcome.SourceRecovered.class,
            "CoverageGap", Outcome.CoverageGap.class,
            "RulePaused", Outcome.RulePaused.class,
            "RuleResumed", Outcome.RuleResumed.class,
            "FactQuarantined", Outcome.FactQuarantined.class);

    private OutcomeReader() {
    }

    /**
     * The outcome a record carries when it is one the alerts are made of; null for matches and unknown types.
     *
     * @throws IllegalArgumentException when the record has a known type but cannot be read (names the key)
     */
    static Outcome read(OutcomeRecord r) {
        Class<? extends Outcome> type = TYPES.get(r.type());
        if (type == null) return null;
        Outcome o;
        try {
            o = JSON.treeToValue(r.outcome(), type);
        } catch (JsonProcessingException | RuntimeException e) {
            throw new IllegalArgumentException("outcomes topic: record " + r.key() + " (" + r.type()
                    + ") cannot be read as the core's outcome: " + e.getMessage(), e);
        }
        return JournalEntry.journaled(o) ? o : null;
    }
}
