package dev.reconciler.app.verify;

import dev.reconciler.app.config.Durations;

import java.time.Instant;

/** The window's ends as people write them: an ISO-8601 instant, or a duration back from now ({@code 6h}). */
public final class WindowBounds {
    private WindowBounds() {
    }

    /**
     * @param name the option or parameter, for the message
     * @throws IllegalArgumentException naming the option and the accepted forms
     */
    public static Instant parse(String name, String text, Instant now) {
        try {
            return Durations.instantOrAgo(text, now);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " " + e.getMessage());
        }
    }
}
