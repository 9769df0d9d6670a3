package dev.reconciler.core.discrepancy;

import java.util.Objects;
import java.time.Instant;

/**
 * An on-call engineer's acknowledgement of a discrepancy ("seen, someone is on it"). It changes nothing in the
 * judgement: an acknowledged discrepancy stays open until the pair is consistent, and keeps its acknowledgement
 * when it is resolved.
 *
 * @param at   the engine's clock when it was acknowledged
 * @param note free text from the person who acknowledged it (may be empty, never null)
 */
public record Acknowledgement(Instant at, String note) {
    public Acknowledgement {
        Objects.requireNonNull(at, "at");
        note = note == null ? "" : note;
    }
}
