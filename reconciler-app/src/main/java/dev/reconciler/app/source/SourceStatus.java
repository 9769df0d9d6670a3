package dev.reconciler.app.source;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;

/**
 * What one source is doing, as metrics, the status API, the health checks and the terminal view show it. An
 * immutable snapshot taken by {@link DebeziumSource#status()}; the phase, reason and next attempt come from the
 * source's one lifecycle state ({@link SourceLifecycle}), so every reader sees the same truth.
 *
 * @param phase          where the source is in its life
 * @param reason         why it is in that phase when that is not the normal course (why it waits, what was lost,
 *                       what gap was found); null while it snapshots or streams normally
 * @param phaseSince     when the source entered its phase (or its reason changed)
 * @param nextAttemptAt  while {@link Phase#WAITING}: when it tries to connect again; else null
 * @param lastCommit     commit time of the newest binlog event (row or heartbeat) delivered to the engine; null before
 *                       the first one (snapshot reads carry no commit time). The source's lag is the wall clock minus
 *                       this.
 * @param lastBatchAt    wall-clock time the last batch was committed by the engine; null before the first
 * @param snapshotRows   rows read by the initial snapshot (or a resync) so far
 * @param eventsByTable  change events delivered to the engine per table since the process started (snapshot reads
 *                       included, heartbeats not)
 * @param lastError      the message of the last failure; null when none since start
 * @param disconnects    how often the source lost its connection since the process started
 */
public record SourceStatus(String name, SourceConfig.Flavour flavour, Phase phase, String reason, Instant phaseSince,
                           Instant nextAttemptAt, Instant lastCommit, Instant lastBatchAt, long snapshotRows,
                           Map<String, Long> eventsByTable, String lastError, long disconnects) {

    public enum Phase {
        /** Configured; the first connection attempt is under way. */
        STARTING,
        /** Not connected: the database is unreachable, refuses the login, or is not ready (see the reason); tries again. */
        WAITING,
        /** Reading the existing rows (the initial snapshot, or a resync's re-read). */
        SNAPSHOT,
        /** Reading the binlog. */
        STREAMING,
        /** The binlog connection dropped; the binlog client is re-establishing it by itself. */
        RECONNECTING,
        /**
         * The server no longer has the binlog at the stored position (purged): nothing can be read until a resync
         * ({@code reconciler resync}) re-reads the missed window. Never retried blindly.
         */
        BINLOG_GAP,
        /** Closed. */
        STOPPED
    }

    public SourceStatus {
        eventsByTable = Map.copyOf(eventsByTable);
    }

    /** A status with only the essentials (tests, sources fed by other means). */
    public static SourceStatus of(String name, SourceConfig.Flavour flavour, Phase phase, Instant lastCommit,
                                  Instant lastBatchAt, Map<String, Long> eventsByTable) {
        return new SourceStatus(name, flavour, phase, null, null, null, lastCommit, lastBatchAt, 0, eventsByTable,
                null, 0);
    }

    /** Seconds from the newest delivered commit to {@code now}; null before the first commit. */
    public Double lagSeconds(Instant now) {
        return lastCommit == null ? null : Duration.between(lastCommit, now).toMillis() / 1000.0;
    }

    /** True while the source is connected and delivers (snapshot or binlog). */
    public boolean connected() {
        return phase == Phase.SNAPSHOT || phase == Phase.STREAMING;
    }

    /**
     * One line for people: {@code WAITING: 127.0.0.1:3306 connection refused, next try in 8s}, {@code STREAMING}.
     */
    public String describe(Instant now) {
        StringBuilder b = new StringBuilder(phase.name());
        if (reason != null) b.append(": ").append(reason);
        if (nextAttemptAt != null) {
            long s = Math.max(0, (Duration.between(now, nextAttemptAt).toMillis() + 999) / 1000);
            b.append(", next try in ").append(s).append('s');
        }
        return b.toString();
    }
}
