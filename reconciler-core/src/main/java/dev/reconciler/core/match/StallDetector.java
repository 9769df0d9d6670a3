package dev.reconciler.core.match;

import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.state.StateStore;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * Which sources are stalled: a source whose watermark is more than {@code stallAfter} behind the wall clock is
 * reported stalled (once), and recovered when it catches up. The stalled set is persisted as engine metadata and
 * loaded on start, so a restart does not report a stall twice. Owned by the engine thread.
 */
final class StallDetector {
    static final String META_STALLED = "stalled/";

    private final EngineConfig config;
    private final Watermarks watermarks;
    private final Instant startedAt;
    private final Set<String> stalled = new HashSet<>();

    StallDetector(EngineConfig config, Watermarks watermarks, StateStore store, Instant startedAt) {
        this.config = config;
        this.watermarks = watermarks;
        this.startedAt = startedAt;
        for (String source : config.sources()) {
            if (store.meta(META_STALLED + source).isPresent()) stalled.add(source);
        }
    }

    void check(UnitOfWork uow, String source, Instant now) {
        Instant w = watermarks.of(source);
        Duration behind = Duration.between(w != null ? w : startedAt, now);
        boolean late = behind.compareTo(config.stallAfter()) > 0;
        if (late && stalled.add(source)) {
            uow.putMeta(META_STALLED + source, now.toString());
            uow.emit(new Outcome.SourceStalled(source, w, behind, now));
        } else if (!late && stalled.remove(source)) {
            uow.putMeta(META_STALLED + source, null);
            uow.emit(new Outcome.SourceRecovered(source, w, now));
        }
    }

    boolean isStalled(String source) {
        return stalled.contains(source);
    }
}
