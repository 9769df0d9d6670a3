package dev.reconciler.app.config;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docs/configuration.md documents exactly the keys the binder reads (ConfigSchema): none missing, none extra, and each
 * row as its key is declared.
 */
class ConfigurationDocumentationTest {
    private static final Path DOC = Path.of("..", "docs", "configuration.md");
    /** A row of a key table: the first cell is the key's path in backticks. */
    private static final Pattern KEY_ROW = Pattern.compile("^\\| `([A-Za-z\\[\\].]+)` \\|");

    @Test
    void everyKeyIsDocumentedAndEveryDocumentedKeyExists() throws Exception {
        String doc = Files.readString(DOC);
        String keys = doc.substring(doc.indexOf("\n## Keys"), doc.indexOf("\n## The shipped example"));
        Set<String> documented = new LinkedHashSet<>();
        for (String line : keys.split("\n")) {
            Matcher m = KEY_ROW.matcher(line);
            if (m.find()) {
                assertThat(documented.add(m.group(1))).as("documented twice: " + m.group(1)).isTrue();
                assertThat(line.split("\\|", -1)).as("key, type, default, example, meaning: " + line).hasSize(7);
            }
        }
        Set<String> inCode = new LinkedHashSet<>(ConfigSchema.allPaths());
        // Each row is the key's declaration (type, default, example, meaning): declared once, in the feature.
        java.util.List<String> differ = new java.util.ArrayList<>();
        for (String line : keys.split("\n")) {
            Matcher m = KEY_ROW.matcher(line);
            if (!m.find() || !inCode.contains(m.group(1))) continue;
            String expected = ConfigSchema.docRow(m.group(1), ConfigSchema.allKeys().get(m.group(1)));
            if (!line.equals(expected)) differ.add(expected);
        }
        assertThat(differ).as("rows of docs/configuration.md that differ from the keys' declarations (the"
                + " *Section classes); the declared rows are").isEmpty();
        assertThat(documented).as("keys in docs/configuration.md that the binder does not read")
                .isSubsetOf(inCode);
        assertThat(inCode).as("keys the binder reads that docs/configuration.md does not document")
                .isSubsetOf(documented);
    }

    @Test
    void theBinderRefusesToReadAnUndeclaredKey() {
        Section s = Section.of(null, "state", "state", new java.util.ArrayList<>(), new EnvSubstitution(x -> null));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.text("nope"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("ConfigSchema");
    }
}
