package dev.reconciler.app.source;

import java.time.Instant;
import java.util.Map;

/**
 * What one source is doing, as metrics, the status API and the terminal view show it. An immutable snapshot taken
 * by {@link DebeziumSource#status()}.
 *
 * @param phase          where the source is in its life
 * @param lastCommit     commit time of the newest binlog event (row or heartbeat) delivered to the engine; null before
 *                       the first one (snapshot reads carry no commit time). The source's lag is the wall clock minus
 *                       this.
 * @param lastBatchAt    wall-clock time the last batch was committed by the engine; null before the first
 * @param snapshotRows   rows read by the initial snapshot so far
 * @param eventsByTable  change events delivered to the engine per table since the process started (snapshot reads
 *                       included, heartbeats not)
 * @param lastError      the message of the last failure that made the source reconnect; null when none since start
 */
public record SourceStatus(String name, SourceConfig.Flavour flavour, Phase phase, Instant lastCommit,
                           Instant lastBatchAt, long snapshotRows, Map<String, Long> eventsByTable, String lastError) {

    public enum Phase {
        /** Checked and launched; nothing delivered yet. */
        STARTING,
        /** Reading the existing rows. */
        SNAPSHOT,
        /** Reading the binlog. */
        STREAMING,
        /** Stopped on an error; will reconnect after a backoff. */
        RECONNECTING,
        /** Closed. */
        STOPPED
    }

    public SourceStatus {
        eventsByTable = Map.copyOf(eventsByTable);
    }

    /** Seconds from the newest delivered commit to {@code now}; null before the first commit. */
    public Double lagSeconds(Instant now) {
        return lastCommit == null ? null : java.time.Duration.between(lastCommit, now).toMillis() / 1000.0;
    }

    /** True while the source delivers (snapshot or binlog). */
    public boolean connected() {
        return phase == Phase.SNAPSHOT || phase == Phase.STREAMING;
    }
}
