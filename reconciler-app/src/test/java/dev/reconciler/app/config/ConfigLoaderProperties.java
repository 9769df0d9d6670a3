package dev.reconciler.app.config;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Fuzzing of the configuration loader: whatever the file holds — the shipped example with lines dropped, repeated,
 * re-indented or with values replaced by hostile text, or text that is barely YAML — loading it either succeeds or
 * fails with a {@link ConfigException} whose every problem is a line of text; never another exception.
 */
class ConfigLoaderProperties {
    private static final List<String> EXAMPLE_LINES = example();
    private static final Map<String, String> ENV = Map.of("ORDERS_DB_PASSWORD", "secret-o",
            "INVENTORY_DB_PASSWORD", "secret-i", "RECONCILER_API_TOKEN", "0123456789abcdef0123456789abcdef");

    private static List<String> example() {
        try {
            return Files.readAllLines(ConfigLoaderTest.EXAMPLE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Values that break parsers: huge and negative numbers, bad durations, YAML syntax, env references, unicode. */
    @Provide
    Arbitrary<String> hostileValue() {
        return Arbitraries.oneOf(
                Arbitraries.of("", "~", "null", "-1", "0", "1e999999999", "NaN", "99999999999999999999999", "-5s", "1x",
                        "PT-1S", "10000000d", "0s", "[]", "{}", "[1, [2]]", "{a: {b: c}}", "'", "\"", "${", "${UNSET}",
                        "${UNSET:-}", "${A:-${B}}", "$${X}", "*anchor", "&a b", "!!binary AAAA", "!!int x", "? x",
                        "- - -", "|", ">", "%YAML 1.1", "---", "...", "\t", "é", "\u0000", "\uFFFF", "😀", "a: b: c",
                        "true", "yes", "on", "0x10", "0o7", ".inf", "-.inf", ".nan", "2026-12-03", "12:30:00"),
                Arbitraries.strings().ofMaxLength(30),
                Arbitraries.strings().withChars(":-[]{}#&*!|>'\"%@` ,?$\\").ofMaxLength(12),
                Arbitraries.longs().map(l -> Long.toString(l)),
                Arbitraries.strings().withChars("0123456789smhd.").ofMaxLength(8));
    }

    /** One edit of the example file. */
    @Provide
    Arbitrary<String> mutatedExample() {
        Arbitrary<Integer> line = Arbitraries.integers().between(0, EXAMPLE_LINES.size() - 1);
        Arbitrary<Integer> edit = Arbitraries.integers().between(0, 6);
        Arbitrary<List<Integer>> lines = line.list().ofMinSize(1).ofMaxSize(4);
        return Combinators.combine(lines, edit, hostileValue(), Arbitraries.integers().between(0, 8)).as((at, kind, value, indent) -> {
            List<String> out = new ArrayList<>(EXAMPLE_LINES);
            for (int i : at) {
                String l = out.get(Math.min(i, out.size() - 1));
                int colon = l.indexOf(": ");
                int j = Math.min(i, out.size() - 1);
                switch (kind) {
                    case 0 -> out.remove(j);                                               // a line dropped
                    case 1 -> out.add(j, l);                                               // repeated (duplicate key)
                    case 2 -> out.set(j, " ".repeat(indent) + l.strip());                  // re-indented
                    case 3 -> out.set(j, colon < 0 ? l + value : l.substring(0, colon + 2) + value);   // value replaced
                    case 4 -> out.set(j, colon < 0 ? value : l.substring(0, colon + 2) + "\"" + value.replace("\"", "") + "\"");
                    case 5 -> out.set(j, value + l);                                       // junk before the line
                    default -> out.subList(j, out.size()).clear();                         // truncated
                }
                if (out.isEmpty()) break;
            }
            return String.join("\n", out);
        });
    }

    @Provide
    Arbitrary<String> anything() {
        return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(300),
                hostileValue().list().ofMaxSize(12).map(v -> String.join("\n", v)),
                hostileValue().list().ofMaxSize(8).map(v -> "sources:\n  - " + String.join("\n    ", v)),
                hostileValue().map(v -> "rules:\n  - name: " + v + "\n    left: " + v + "\n    right: {stream: " + v + "}"));
    }

    private static void loadsOrNamesItsProblems(String yaml) {
        try {
            new ConfigLoader(ENV::get).load(yaml, "fuzz.yml");
        } catch (ConfigException e) {
            assertThat(e.getMessage()).isNotBlank();
            assertThat(e.getMessage()).doesNotContain("secret-o", "secret-i");
        } catch (RuntimeException | StackOverflowError e) {
            fail("the loader threw " + e + " instead of naming the problem for:\n" + yaml, e);
        }
    }

    @Property(tries = 1500)
    void anEditedExampleLoadsOrNamesItsProblems(@ForAll("mutatedExample") String yaml) {
        loadsOrNamesItsProblems(yaml);
    }

    @Property(tries = 1000)
    void anyTextLoadsOrNamesItsProblems(@ForAll("anything") String yaml) {
        loadsOrNamesItsProblems(yaml);
    }

    @net.jqwik.api.Example
    void theExampleItselfLoads() {
        assertThat(new ConfigLoader(ENV::get).load(String.join("\n", EXAMPLE_LINES), "example.yml").engine().rules())
                .isNotEmpty();
    }
}
