package dev.reconciler.app.demo;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code reconciler demo --duration 30s --plain}: finds injected faults, then removes everything it started. */
class DemoTest {

    @Test
    void theDemoFindsTheInjectedFaultsAndCleansUp() throws Exception {
        List<Path> before = demoDirs();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Demo.Result r = new Demo().run(new Demo.Options(Duration.ofSeconds(30), 0, 60, 0.08, Duration.ofSeconds(2),
                false), out);
        String text = bytes.toString(StandardCharsets.UTF_8);
        assertThat(r.orders()).isGreaterThan(1000);
        assertThat(r.open()).as(text).isNotEmpty();
        // every kind found is a kind injected, and at least three kinds were found
        assertThat(r.injected().keySet()).containsAll(r.open().keySet());
        assertThat(r.open()).hasSizeGreaterThanOrEqualTo(3);
        assertThat(text).contains("/api/discrepancies", "/metrics", "events", "pending", "open:", "demo: stopped");
        assertThat(demoDirs()).as("temp data removed").isEqualTo(before);
    }

    private static List<Path> demoDirs() throws Exception {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("reconciler-demo-")).sorted().toList();
        }
    }
}
