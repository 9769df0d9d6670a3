package dev.reconciler.app.config;

import java.util.function.Function;

/**
 * {@code ${VAR}} and {@code ${VAR:-default}} in configuration values, from the environment. {@code $${} is a literal
 * {@code ${}. With {@code :-}, the default applies when the variable is unset or empty (as in a POSIX shell).
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
        public Unresolved(String message) {
            super(message);
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
            int sep = ref.indexOf(":-");
            String name = sep < 0 ? ref : ref.substring(0, sep);
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new Unresolved("'${" + ref + "}' does not name an environment variable; write ${VAR} or"
                        + " ${VAR:-default} with letters, digits and _");
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
}
