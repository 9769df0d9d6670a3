package dev.reconciler.app.config;

import java.util.List;

/** A configuration that cannot be used, with every problem found, each starting with its path. */
public final class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(String origin, List<String> problems) {
        super(origin + ": " + problems.size() + (problems.size() == 1 ? " problem" : " problems") + ":\n  - "
                + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
