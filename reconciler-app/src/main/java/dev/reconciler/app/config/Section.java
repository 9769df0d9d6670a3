package dev.reconciler.app.config;

import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * One object of the configuration tree with its path, e.g. {@code sources[1]}: reads its keys with environment
 * substitution and conversion, adding a problem (path, what is wrong, the fix) instead of failing, so that one pass
 * reports everything. A value that cannot be read comes back as null (or the default); the binder goes on.
 */
public final class Section {
    private final String path;
    private final String schema;
    private final JsonNode node;
    private final List<String> problems;
    private final EnvSubstitution env;

    private Section(String path, String schema, JsonNode node, List<String> problems, EnvSubstitution env) {
        this.path = path;
        this.schema = schema;
        this.node = node;
        this.problems = problems;
        this.env = env;
    }

    /**
     * The object at {@code path}; an absent or null node is an empty section. Reports a node that is not an object,
     * and keys the schema does not declare.
     */
    public static Section of(JsonNode node, String path, String schema, List<String> problems, EnvSubstitution env) {
        List<String> keys = ConfigSchema.keys(schema);
        if (node != null && !node.isNull() && !node.isObject()) {
            problems.add(where(path) + "expected a mapping of " + keys + ", found " + kind(node));
            node = null;
        }
        if (node != null && node.isObject()) {
            for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
                String k = it.next();
                if (!keys.contains(k)) {
                    problems.add(child(path, k) + ": unknown key" + suggestion(k, keys) + "; known keys here are " + keys);
                }
            }
        }
        return new Section(path, schema, node, problems, env);
    }

    public String path() {
        return path;
    }

    public String path(String key) {
        return child(path, declared(key));
    }

    public boolean has(String key) {
        JsonNode n = raw(key);
        return n != null && !n.isNull();
    }

    public JsonNode raw(String key) {
        declared(key);
        return node == null ? null : node.get(key);
    }

    /**
     * Adds a problem about {@code key}. When its value came through a reference ({@code ${VAR}}, {@code ${file:...}}),
     * the problem says which, so that a bad value set in a Kubernetes manifest or a compose file is found where it
     * was set, e.g. {@code http.port: 'abc' is not a whole number; use 0 to 65535 (the value comes from environment
     * variable RECONCILER_HTTP_PORT)}.
     */
    public void problem(String key, String message) {
        problems.add(path(key) + ": " + message + origin(key));
    }

    /** Whether this section declares {@code key}. */
    public boolean declares(String key) {
        return ConfigSchema.keys(schema).contains(key);
    }

    private String origin(String key) {
        JsonNode n = raw(key);
        if (n == null || !n.isValueNode() || !n.asText().contains("${")) return "";
        String from = env.describe(n.asText());
        return from.isEmpty() ? "" : " (the value comes from " + from + ")";
    }

    /** A scalar as text after substitution; null when absent or null. */
    public String text(String key) {
        JsonNode n = raw(key);
        if (n == null || n.isNull()) return null;
        if (!n.isValueNode()) {
            problem(key, "expected a single value, found " + kind(n));
            return null;
        }
        return substituteAt(path(key), n.asText());
    }

    public String text(String key, String dflt) {
        String t = text(key);
        return t == null ? dflt : t;
    }

    /** A required non-blank scalar. */
    public String required(String key, String example) {
        boolean present = has(key);
        String t = text(key);
        if (t == null || t.isBlank()) {
            if (present && t == null) return null;   // already reported
            problem(key, (present ? "is empty" : "missing") + "; set it, e.g. " + key + ": " + example);
            return null;
        }
        return t.trim();
    }

    public Integer integer(String key, int dflt, int min, int max) {
        String t = text(key);
        if (t == null || t.isBlank()) return dflt;
        Long v = whole(key, t, min, max);
        return v == null ? null : v.intValue();
    }

    public Long longValue(String key, long min, long max) {
        String t = text(key);
        return t == null || t.isBlank() ? null : whole(key, t, min, max);
    }

    /** A whole number in {@code [min, max]}, or null (and a problem). */
    private Long whole(String key, String t, long min, long max) {
        try {
            long v = Long.parseLong(t.trim());
            if (v < min || v > max) {
                problem(key, shown(key, t) + " is out of range; use " + min + " to " + max);
                return null;
            }
            return v;
        } catch (NumberFormatException e) {
            problem(key, shown(key, t) + " is not a whole number; use " + min + " to " + max);
            return null;
        }
    }

    public boolean bool(String key, boolean dflt) {
        String t = text(key);
        if (t == null || t.isBlank()) return dflt;
        return switch (t.trim().toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> {
                problem(key, shown(key, t) + " is not a boolean; use true or false");
                yield dflt;
            }
        };
    }

    public Duration duration(String key, Duration dflt) {
        return parsed(key, dflt, Durations::parse);
    }

    public Long size(String key, long dflt) {
        return parsed(key, dflt, Sizes::parse);
    }

    /** The value as {@code parser} reads it, {@code dflt} when absent, null (and the parser's message) if invalid. */
    private <T> T parsed(String key, T dflt, Function<String, T> parser) {
        String t = text(key);
        if (t == null || t.isBlank()) return dflt;
        try {
            return parser.apply(t);
        } catch (IllegalArgumentException e) {
            problem(key, e.getMessage());
            return null;
        }
    }

    /** One of the enum's constants, case-insensitive, {@code -} or {@code _} between words. */
    public <E extends Enum<E>> E choice(String key, Class<E> type, E dflt) {
        String t = text(key);
        if (t == null || t.isBlank()) return dflt;
        String norm = t.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (E e : type.getEnumConstants()) {
            if (e.name().equals(norm)) return e;
        }
        List<String> names = new ArrayList<>();
        for (E e : type.getEnumConstants()) names.add(e.name().toLowerCase(Locale.ROOT));
        problem(key, "'" + t + "' is not one of " + names);
        return null;
    }

    /** A list of scalars (a single scalar is a list of one); null when absent, or a single scalar that cannot be read. */
    public List<String> texts(String key) {
        JsonNode n = raw(key);
        if (n == null || n.isNull()) return null;
        List<String> out = new ArrayList<>();
        if (n.isValueNode()) {
            String v = substituteAt(path(key), n.asText());
            if (v == null) return null;   // already reported (an unresolved reference)
            out.add(v);
            return out;
        }
        if (!n.isArray()) {
            problem(key, "expected a list of values, found " + kind(n));
            return null;
        }
        for (int i = 0; i < n.size(); i++) {
            JsonNode e = n.get(i);
            String p = path(key) + "[" + i + "]";
            if (!e.isValueNode() || e.isNull()) {
                problems.add(p + ": expected a single value, found " + kind(e));
                continue;
            }
            String v = substituteAt(p, e.asText());
            if (v != null) out.add(v);
        }
        return out;
    }

    /** The elements of a list of objects as sections; empty when absent. */
    public List<Section> list(String key, String elementSchema) {
        JsonNode n = raw(key);
        List<Section> out = new ArrayList<>();
        if (n == null || n.isNull()) return out;
        if (!n.isArray()) {
            problem(key, "expected a list (lines starting with '- '), found " + kind(n));
            return out;
        }
        for (int i = 0; i < n.size(); i++) {
            out.add(Section.of(n.get(i), path(key) + "[" + i + "]", elementSchema, problems, env));
        }
        return out;
    }

    public Section section(String key, String schema) {
        return Section.of(raw(key), path(key), schema, problems, env);
    }

    /** A mapping of free keys (column names) to nodes, for filters and keys; null when absent. */
    public Map<String, JsonNode> mapping(String key) {
        JsonNode n = raw(key);
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) {
            problem(key, "expected a mapping (column: value lines), found " + kind(n));
            return null;
        }
        Map<String, JsonNode> out = new java.util.LinkedHashMap<>();
        n.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    /** Fills in {@code ${VAR}} references of a value found under {@code path}; null (and a problem) if unresolved. */
    public String substituteAt(String path, String value) {
        try {
            return env.apply(value);
        } catch (EnvSubstitution.Unresolved e) {
            // A secret that happens to contain "${...}" must not be quoted back in the problem.
            problems.add(path + ": " + (e.quotesValue() && isSecretPath(path)
                    ? "a '${' in the value does not start a reference ${VAR}, ${VAR:-default} or ${file:PATH}; write"
                    + " $${ for a literal ${" : e.getMessage()));
            return null;
        }
    }

    /** A secret key's path ({@code sources[0].password}), or an alert sink header's. */
    private static boolean isSecretPath(String path) {
        String key = path.substring(path.lastIndexOf('.') + 1).replaceAll("\\[\\d+]$", "");
        return ConfigSchema.isSecret(key) || path.contains(".headers.");
    }

    public List<String> problems() {
        return problems;
    }

    /** The value for a message, or a placeholder for secrets. */
    private static String shown(String key, String value) {
        return ConfigSchema.isSecret(key) ? "the value" : "'" + value + "'";
    }

    private String declared(String key) {
        if (!ConfigSchema.keys(schema).contains(key)) {
            throw new IllegalStateException("key '" + key + "' is not declared for section '" + schema
                    + "' in ConfigSchema");
        }
        return key;
    }

    /** The problem lines of an "invalid ...:\n  - a\n  - b" message, or the message itself. */
    public static List<String> detail(IllegalArgumentException e) {
        String msg = String.valueOf(e.getMessage());
        List<String> out = new ArrayList<>();
        for (String line : msg.split("\n")) {
            String t = line.trim();
            if (t.startsWith("- ")) out.add(t.substring(2));
        }
        if (out.isEmpty()) out.add(msg);
        return out;
    }

    public static String child(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    private static String where(String path) {
        return path.isEmpty() ? "(top level): " : path + ": ";
    }

    public static String kind(JsonNode n) {
        if (n == null || n.isNull()) return "nothing";
        if (n.isObject()) return "a mapping";
        if (n.isArray()) return "a list";
        return "'" + n.asText() + "'";
    }

    private static String suggestion(String key, List<String> known) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String k : known) {
            int d = distance(key.toLowerCase(Locale.ROOT), k.toLowerCase(Locale.ROOT));
            if (d < bestDistance) {
                bestDistance = d;
                best = k;
            }
        }
        return best != null && bestDistance <= Math.max(2, key.length() / 3) ? " (did you mean '" + best + "'?)" : "";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
