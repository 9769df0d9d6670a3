package dev.reconciler.app.metrics;

import dev.reconciler.app.Version;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@code reconciler_build_info{version,revision,java_version,debezium_version} 1}: the Prometheus "info" idiom, so
 * that a query can join it ({@code * on (job, instance) group_left (version) reconciler_build_info}) and a dashboard
 * can show which build runs where, and an upgrade shows as a change of labels.
 */
final class BuildInfo {
    private BuildInfo() {
    }

    static void register(MeterRegistry registry) {
        Gauge.builder("reconciler.build.info", () -> 1)
                .description("The running build: reconciler version and revision, Java and Debezium versions (value 1)")
                .tags("version", Version.get(), "revision", Version.revision(),
                        "java_version", System.getProperty("java.version", "unknown"),
                        "debezium_version", debezium())
                .strongReference(true).register(registry);
    }

    private static String debezium() {
        String v = io.debezium.Module.version();
        return v == null || v.isBlank() ? "unknown" : v;
    }
}
