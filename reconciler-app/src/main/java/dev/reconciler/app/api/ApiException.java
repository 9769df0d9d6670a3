package dev.reconciler.app.api;

/**
 * A request the API refuses, with the HTTP status, what was wrong and how to fix it; written as
 * {@code {"error": "...", "fix": "..."}}.
 */
public final class ApiException extends RuntimeException {
    private final int status;
    private final String fix;

    public ApiException(int status, String error, String fix) {
        super(error, null, false, false);
        this.status = status;
        this.fix = fix;
    }

    public static ApiException badParameter(String name, String problem, String fix) {
        return new ApiException(400, "parameter '" + name + "': " + problem, fix);
    }

    public static ApiException notFound(String error, String fix) {
        return new ApiException(404, error, fix);
    }

    /** Longest client-sent text an error message repeats; the rest is counted, not shown. */
    static final int SHOWN_MAX = 64;

    /**
     * A client-sent value as an error message may repeat it: at most {@link #SHOWN_MAX} characters, and control and
     * invisible formatting characters (NUL, a right-to-left override, a zero-width space) written as {@code \\uXXXX},
     * so what a person reads is what was sent.
     */
    public static String shown(String value) {
        if (value == null) return "null";
        StringBuilder b = new StringBuilder();
        int n = 0;
        for (int i = 0; i < value.length() && n < SHOWN_MAX; i++, n++) {
            char c = value.charAt(i);
            int type = Character.getType(c);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.UNASSIGNED || type == Character.LINE_SEPARATOR
                    || type == Character.PARAGRAPH_SEPARATOR) {
                b.append(String.format("\\u%04X", (int) c));
            } else {
                b.append(c);
            }
        }
        if (value.length() > SHOWN_MAX) b.append("… (").append(value.length()).append(" characters)");
        return b.toString();
    }

    public int status() {
        return status;
    }

    public String fix() {
        return fix;
    }
}
