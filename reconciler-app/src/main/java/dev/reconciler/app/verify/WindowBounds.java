package dev.reconciler.app.verify;

import dev.reconciler.app.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/** The window's ends as people write them: an ISO-8601 instant, or a duration back from now ({@code 6h}). */
public final class WindowBounds {
    private WindowBounds() {
    }

    /**
     * @param name the option or parameter, for the message
     * @throws IllegalArgumentException naming the accepted forms
     */
    public static Instant parse(String name, String text, Instant now) {
        String t = text == null ? "" : text.trim();
        try {
            return Instant.parse(t);
        } catch (DateTimeParseException notAnInstant) {
            try {
                Duration back = Durations.parse(t);
                return now.minus(back);
            } catch (IllegalArgumentException notADuration) {
                throw new IllegalArgumentException(name + " '" + t + "' is neither an instant nor a duration; write"
                        + " e.g. 2026-12-01T22:00:00Z or 6h (six hours ago)");
            }
        }
    }
}
