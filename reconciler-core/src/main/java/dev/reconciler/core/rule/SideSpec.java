package dev.reconciler.core.rule;

import java.util.Objects;

/** One side of a rule: which stream, and which of its rows take part. */
public record SideSpec(String stream, Filter filter) {
    public SideSpec {
        Objects.requireNonNull(stream, "stream");
        Objects.requireNonNull(filter, "filter");
    }
}
