package dev.reconciler.app.runtime;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The CI-sized crash soak ({@link CrashSoak}; {@code scripts/soak.sh} runs the full one): three {@code kill -9}s of
 * {@code reconciler run} under flash-sale traffic with injected faults, a webhook receiver that refuses some
 * deliveries and a real Alertmanager. After quiescence the open discrepancies equal the final tables' batch join,
 * nothing is lost or false, every alert transition was delivered with the same content each time, and Alertmanager
 * fires exactly the open ones. The kill moments come from a seed, printed with any failure;
 * {@code -Dreconciler.soak.seed=N} repeats a run.
 */
class CrashSoakTest {

    @Test
    void threeKillsUnderTrafficLoseNothingAndRaiseNothingFalse(@TempDir Path dir) throws Exception {
        long seed = Long.getLong("reconciler.soak.seed", System.nanoTime());
        CrashSoak.Options options = new CrashSoak.Options(3, Duration.ofSeconds(20), 20, 0.1, seed, 0.1);
        System.out.println("crash soak (CI-sized): " + options.commandLine());
        CrashSoak.Result r = CrashSoak.run(options, dir, System.out);
        System.out.print(r.table());
        if (!r.problems().isEmpty()) dumpLogs(dir);
        String repeat = "seed " + seed + " (repeat with -Dreconciler.soak.seed=" + seed + ", or "
                + options.commandLine() + ")";
        assertThat(r.problems()).as("crash soak problems, " + repeat).isEmpty();
        assertThat(r.kills()).as("kills, " + repeat).hasSize(3);
        assertThat(r.expected()).as("the traffic injected faults, " + repeat).isNotEmpty();
        assertThat(r.transitionsDelivered()).as(repeat).isEqualTo(r.transitions()).isPositive();
    }

    /** The processes' logs (the temporary directory goes with the test): the last 150 lines of each. */
    private static void dumpLogs(Path dir) throws java.io.IOException {
        try (var files = java.nio.file.Files.list(dir)) {
            for (Path log : files.filter(f -> f.getFileName().toString().startsWith("run-")).sorted().toList()) {
                List<String> lines = java.nio.file.Files.readAllLines(log);
                System.err.println("---- " + log.getFileName() + " (last 150 lines)");
                lines.subList(Math.max(0, lines.size() - 150), lines.size()).forEach(System.err::println);
            }
        }
    }
}
