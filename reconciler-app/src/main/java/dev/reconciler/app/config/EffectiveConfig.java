package dev.reconciler.app.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigKey.Shown;
import dev.reconciler.app.source.DebeziumProperties;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The effective configuration, for {@code reconciler config print}: every key of a (valid) file with the value the
 * reconciler uses and where it comes from — a line of the file, an environment variable (or the default written in
 * the reference because the variable is unset), a secret file, or the built-in default. Secrets are masked
 * ({@code ******}), URLs of sinks shown by scheme and host only; an empty secret shows as {@code (empty)}, so that
 * "the password is not set" is visible without showing a password.
 */
public final class EffectiveConfig {
    static final String MASK = "******";

    /**
     * One key.
     *
     * @param path   e.g. {@code sources[0].host}
     * @param value  as the reconciler uses it (masked for secrets)
     * @param origin e.g. {@code line 21, environment variable ORDER_DB_HOST}, or {@code default}
     */
    public record Entry(String path, String value, String origin) {
    }

    private final EnvSubstitution env;
    private final Map<String, Integer> lines;
    private final Function<String, String> computed;
    private final List<Entry> out = new ArrayList<>();

    private EffectiveConfig(EnvSubstitution env, Map<String, Integer> lines, Function<String, String> computed) {
        this.env = env;
        this.lines = lines;
        this.computed = computed;
    }

    /**
     * The entries of a file that {@link ConfigLoader} accepted.
     *
     * @param computed defaults the binder computes per element (a source's {@code serverId}), by path; null if none
     */
    public static List<Entry> of(String yaml, Function<String, String> env, Function<String, String> computed)
            throws IOException {
        JsonNode root = new YAMLMapper().readTree(yaml);
        EffectiveConfig e = new EffectiveConfig(new EnvSubstitution(env), lines(yaml), computed);
        e.section("", "", root);
        return List.copyOf(e.out);
    }

    /** The entries as aligned text lines: {@code path = value   # origin}. */
    public static String text(List<Entry> entries) {
        int width = 0;
        for (Entry e : entries) width = Math.max(width, e.path().length() + 3 + e.value().length());
        width = Math.min(width, 64);
        StringBuilder sb = new StringBuilder();
        for (Entry e : entries) {
            String left = e.path() + " = " + e.value();
            sb.append(left).append(" ".repeat(Math.max(1, width - left.length() + 2))).append("# ").append(e.origin())
                    .append('\n');
        }
        return sb.toString();
    }

    private void section(String schema, String path, JsonNode node) {
        for (ConfigKey k : ConfigSchema.section(schema).keys()) {
            String p = path.isEmpty() ? k.name() : path + "." + k.name();
            JsonNode v = node == null || !node.isObject() ? null : node.get(k.name());
            boolean present = v != null && !v.isNull();
            String child = ConfigSchema.childSection(schema, k);
            switch (k.kind()) {
                case SECTION -> {
                    if (present || k.defaultValue() == null && k.dflt().startsWith("see below")) section(child, p, v);
                    else add(p, shownDefault(k), "default");
                }
                case SECTIONS -> {
                    if (!present || !v.isArray() || v.isEmpty()) {
                        add(p, "[]", present ? origin(p, null) : "default");
                    } else {
                        for (int i = 0; i < v.size(); i++) section(child, p + "[" + i + "]", v.get(i));
                    }
                }
                case MAP, LABELS -> {
                    if (!present || !v.isObject() || v.isEmpty()) {
                        add(p, shownDefault(k), present ? origin(p, null) : "default");
                    } else {
                        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); ) {
                            Map.Entry<String, JsonNode> e = it.next();
                            String ep = p + "." + e.getKey();
                            boolean secret = k.shown() == Shown.SECRET
                                    || k.name().equals("debezium") && DebeziumProperties.secret(e.getKey());
                            add(ep, secret ? mask(e.getValue()) : render(e.getValue()), origin(ep, e.getValue()));
                        }
                        if (k.kind() == Kind.LABELS && !v.has("severity")) {
                            add(p + ".severity", "warning", "default");
                        }
                    }
                }
                default -> {
                    if (!present) {
                        String c = computed == null ? null : computed.apply(p);
                        add(p, c != null ? c : shownDefault(k), c != null ? "default (computed)" : "default");
                    } else if (k.shown() == Shown.SECRET || ConfigSchema.isSecret(k.name())) {
                        add(p, mask(v), origin(p, v));
                    } else if (k.shown() == Shown.URL_HOST) {
                        add(p, hostOnly(substitute(v)), origin(p, v));
                    } else {
                        add(p, render(v), origin(p, v));
                    }
                }
            }
        }
    }

    private void add(String path, String value, String origin) {
        out.add(new Entry(path, value, origin));
    }

    private static String shownDefault(ConfigKey k) {
        String d = k.defaultValue();
        return d != null ? d : k.dflt().replace("`", "");
    }

    /** {@code line 12}, and where a reference in the value takes it from. */
    private String origin(String path, JsonNode value) {
        Integer line = lines.get(path);
        String where = line == null ? "file" : "line " + line;
        List<String> refs = new ArrayList<>();
        collectReferences(value, refs);
        return refs.isEmpty() ? where : where + ", " + String.join(", ", refs);
    }

    private void collectReferences(JsonNode v, List<String> refs) {
        if (v == null) return;
        if (v.isValueNode()) {
            String d = env.describe(v.asText());
            if (!d.isEmpty() && !refs.contains(d)) refs.add(d);
        } else {
            for (JsonNode c : v) collectReferences(c, refs);
        }
    }

    private String substitute(JsonNode v) {
        try {
            return env.apply(v.asText());
        } catch (IllegalArgumentException e) {
            return v.asText();
        }
    }

    private String mask(JsonNode v) {
        return substitute(v).isEmpty() ? "(empty)" : MASK;
    }

    /** A scalar substituted; a list or mapping as compact flow YAML with its scalars substituted. */
    private String render(JsonNode v) {
        if (v.isValueNode()) return substitute(v);
        StringBuilder sb = new StringBuilder();
        if (v.isArray()) {
            sb.append('[');
            for (int i = 0; i < v.size(); i++) sb.append(i == 0 ? "" : ", ").append(render(v.get(i)));
            return sb.append(']').toString();
        }
        sb.append('{');
        boolean first = true;
        for (Iterator<Map.Entry<String, JsonNode>> it = v.fields(); it.hasNext(); first = false) {
            Map.Entry<String, JsonNode> e = it.next();
            sb.append(first ? "" : ", ").append(e.getKey()).append(": ").append(render(e.getValue()));
        }
        return sb.append('}').toString();
    }

    /** {@code https://hooks.slack.com/…}: a robot's token sits in the path or query. */
    static String hostOnly(String url) {
        try {
            URI u = URI.create(url.trim());
            if (u.getScheme() == null || u.getHost() == null) return MASK;
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort())
                    + (u.getRawPath() == null || u.getRawPath().isEmpty() || u.getRawPath().equals("/") ? "" : "/…");
        } catch (IllegalArgumentException e) {
            return MASK;
        }
    }

    /** The line of every key of the file, by path ({@code sources[1].host}). */
    static Map<String, Integer> lines(String yaml) throws IOException {
        Map<String, Integer> out = new HashMap<>();
        try (JsonParser p = new YAMLFactory().createParser(yaml)) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.FIELD_NAME) {
                    out.putIfAbsent(path(p.getParsingContext().pathAsPointer().toString()),
                            p.currentTokenLocation().getLineNr());
                }
            }
        }
        return out;
    }

    /** {@code /sources/1/host} as {@code sources[1].host}. */
    private static String path(String pointer) {
        StringBuilder sb = new StringBuilder();
        for (String seg : pointer.substring(1).split("/", -1)) {
            String s = seg.replace("~1", "/").replace("~0", "~");
            if (s.matches("\\d+") && sb.length() > 0) sb.append('[').append(s).append(']');
            else sb.append(sb.length() == 0 ? "" : ".").append(s);
        }
        return sb.toString();
    }
}
