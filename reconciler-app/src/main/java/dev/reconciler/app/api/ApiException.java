package dev.reconciler.app.api;

/**
 * A request the API refuses, with the HTTP status, what was wrong and how to fix it; written as
 * {@code {"error": "...", "fix": "..."}}.
 */
final class ApiException extends RuntimeException {
    private final int status;
    private final String fix;

    ApiException(int status, String error, String fix) {
        super(error, null, false, false);
        this.status = status;
        this.fix = fix;
    }

    static ApiException badParameter(String name, String problem, String fix) {
        return new ApiException(400, "parameter '" + name + "': " + problem, fix);
    }

    static ApiException notFound(String error, String fix) {
        return new ApiException(404, error, fix);
    }

    int status() {
        return status;
    }

    String fix() {
        return fix;
    }
}
