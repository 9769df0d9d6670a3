package dev.reconciler.app.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in configuration values, from the environment. {@code $${} is a literal
 * {@code ${}. With {@code :-}, the default applies when the variable is unset or empty (as in a POSIX shell).
 *
 * <p>{@code ${file:PATH}} is the content of a file (a mounted Kubernetes or Docker secret such as
 * {@code /run/secrets/orders-db-password}), trailing line breaks removed. A missing or unreadable file is a problem
 * naming the path; its content is never part of a message.
 *
 * <p>Substitution runs on each scalar value after the YAML structure is read and before the value is bound, so a
 * substituted value is never read as YAML: a password containing {@code #}, {@code :} or quotes stays intact.
 */
public final class EnvSubstitution {
    private final Function<String, String> env;

    public EnvSubstitution(Function<String, String> env) {
        this.env = env;
    }

    /** Thrown for a variable that is unset and has no default, or a malformed reference. */
    public static final class Unresolved extends IllegalArgumentException {
        private final boolean quotesValue;

        public Unresolved(String message) {
            this(message, false);
        }

        /** @param quotesValue the message quotes a piece of the value (not fit for a secret's problem) */
        Unresolved(String message, boolean quotesValue) {
            super(message);
            this.quotesValue = quotesValue;
        }

        public boolean quotesValue() {
            return quotesValue;
        }
    }

    public String apply(String text) {
        if (text == null || !text.contains("${")) return text;
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < text.length()) {
            int start = text.indexOf("${", i);
            if (start < 0) {
                out.append(text, i, text.length());
                break;
            }
            if (start > 0 && text.charAt(start - 1) == '$') {   // $${ → ${
                out.append(text, i, start - 1).append("${");
                i = start + 2;
                continue;
            }
            out.append(text, i, start);
            int end = text.indexOf('}', start);
            if (end < 0) {
                throw new Unresolved("unclosed '${' in a value; write ${VAR} or ${VAR:-default} (or $${ for a literal ${)");
            }
            String ref = text.substring(start + 2, end);
            if (ref.startsWith("file:")) {
                out.append(readFile(ref.substring("file:".length())));
                i = end + 1;
                continue;
            }
            int sep = ref.indexOf(":-");
            String name = sep < 0 ? ref : ref.substring(0, sep);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new Unresolved("'${" + ref + "}' does not name an environment variable; write ${VAR} or"
                        + " ${VAR:-default} with letters, digits and _", true);
            }
            String value = env.apply(name);
            if (value == null || (sep >= 0 && value.isEmpty())) {
                if (sep < 0) {
                    throw new Unresolved("environment variable " + name + " is not set; export it, or write ${"
                            + name + ":-default} in the configuration");
                }
                value = ref.substring(sep + 2);
            }
            out.append(value);
            i = end + 1;
        }
        return out.toString();
    }

    /**
     * Where the references of {@code text} take their values from, for messages and {@code config print}:
     * {@code environment variable ORDER_DB_HOST}, {@code the default in ${ORDER_DB_PORT:-3306} (ORDER_DB_PORT is
     * unset)}, {@code secret file /run/secrets/x}; empty when the text has no reference. Never a value.
     */
    public String describe(String text) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int i = 0;
        while (text != null && i < text.length()) {
            int start = text.indexOf("${", i);
            if (start < 0) break;
            int end = text.indexOf('}', start);
            if (end < 0) break;
            if (start > 0 && text.charAt(start - 1) == '$') {
                i = start + 2;
                continue;
            }
            String ref = text.substring(start + 2, end);
            i = end + 1;
            if (ref.startsWith("file:")) {
                out.add("secret file " + ref.substring("file:".length()));
                continue;
            }
            int sep = ref.indexOf(":-");
            String name = sep < 0 ? ref : ref.substring(0, sep);
            String value = env.apply(name);
            if (value == null || (sep >= 0 && value.isEmpty())) {
                out.add(sep < 0 ? "environment variable " + name + " (unset)"
                        : "the default of ${" + name + ":-…} (" + name + " " + (value == null ? "unset" : "empty") + ")");
            } else {
                out.add("environment variable " + name);
            }
        }
        return String.join(", ", out);
    }

    /** A secret file's content without its trailing line breaks; the message of a failure never holds content. */
    private static String readFile(String path) {
        if (path.isBlank()) {
            throw new Unresolved("'${file:}' names no file; write ${file:/run/secrets/NAME}");
        }
        Path file = Path.of(path);
        if (!Files.exists(file)) {
            throw new Unresolved("secret file " + path + " does not exist; mount it, or fix the path in ${file:...}");
        }
        if (!Files.isRegularFile(file)) {
            throw new Unresolved("secret file " + path + " is not a regular file; point ${file:...} at the file itself");
        }
        String content;
        try {
            content = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            // The exception's message holds the path at most, never the content; say what kind of failure only.
            throw new Unresolved("secret file " + path + " cannot be read (" + e.getClass().getSimpleName()
                    + "); make it readable by the reconciler's user, UTF-8 text");
        }
        int n = content.length();
        while (n > 0 && (content.charAt(n - 1) == '\n' || content.charAt(n - 1) == '\r')) n--;
        return content.substring(0, n);
    }
}
