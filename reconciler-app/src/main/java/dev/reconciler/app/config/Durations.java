package dev.reconciler.app.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them: {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h30m}, {@code 7d}; {@code 0} alone
 * is zero. Units: {@code ms}, {@code s}, {@code m}, {@code h}, {@code d}; parts may be combined from the largest unit
 * down.
 */
public final class Durations {
    private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");

    private Durations() {
    }

    /** @throws IllegalArgumentException naming the accepted forms */
    public static Duration parse(String text) {
        String t = text == null ? "" : text.trim();
        if (t.equals("0")) return Duration.ZERO;
        if (!WHOLE.matcher(t).matches()) {
            throw new IllegalArgumentException("'" + t + "' is not a duration; write e.g. 500ms, 30s, 2m, 1h30m or 7d");
        }
        Duration d = Duration.ZERO;
        Matcher m = PART.matcher(t);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            d = d.plus(switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            });
        }
        return d;
    }

    /**
     * A point in time as operators write it on a command line: an ISO-8601 instant ({@code 2026-12-01T22:00:00Z}) or
     * a duration back from {@code now} ({@code 6h}, {@code 2d}).
     *
     * @throws IllegalArgumentException naming both accepted forms
     */
    public static java.time.Instant instantOrAgo(String text, java.time.Instant now) {
        String t = text == null ? "" : text.trim();
        try {
            return java.time.Instant.parse(t);
        } catch (java.time.format.DateTimeParseException notAnInstant) {
            try {
                return now.minus(parse(t));
            } catch (IllegalArgumentException notADuration) {
                throw new IllegalArgumentException("'" + t + "' is neither an ISO-8601 instant (e.g."
                        + " 2026-12-01T22:00:00Z) nor a duration back from now (e.g. 6h, 2d)");
            }
        }
    }

    /** The shortest form {@link #parse} reads back, e.g. {@code 90s} → {@code 1m30s}. */
    public static String format(Duration d) {
        if (d.isZero()) return "0";
        StringBuilder b = new StringBuilder();
        long ms = d.toMillis();
        long[] sizes = {86_400_000, 3_600_000, 60_000, 1000, 1};
        String[] units = {"d", "h", "m", "s", "ms"};
        for (int i = 0; i < sizes.length; i++) {
            long n = ms / sizes[i];
            if (n > 0) {
                b.append(n).append(units[i]);
                ms -= n * sizes[i];
            }
        }
        return b.toString();
    }
}
