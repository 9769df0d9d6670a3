package dev.reconciler.app.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.reconciler.app.alert.AlertsConfig;
import dev.reconciler.app.alert.AlertsSection;
import dev.reconciler.app.api.ApiConfig;
import dev.reconciler.app.api.HttpSection;
import dev.reconciler.app.metrics.MetricsConfig;
import dev.reconciler.app.metrics.MetricsSection;
import dev.reconciler.app.source.SourcesSection;
import dev.reconciler.core.rule.Condition;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Filter;
import dev.reconciler.core.rule.KeyMapping;
import dev.reconciler.core.rule.Multiplicity;
import dev.reconciler.core.rule.QuantityCheck;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.SideSpec;
import dev.reconciler.core.rule.StreamDef;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Reads a YAML configuration file (docs/configuration.md) into a {@link ReconcilerConfig}: environment references
 * substituted, durations and sizes converted, defaults applied, and everything checked in one pass. A file with
 * problems is refused with all of them at once, each starting with its path, e.g.
 * {@code rules[1].right.stream: unknown stream 'inv'; declared streams are [...]}. Secret values (passwords, the
 * API token) never appear in a problem.
 */
public final class ConfigLoader {
    static final Duration DEFAULT_GRACE = Duration.ofSeconds(30);

    private final Function<String, String> env;

    /** Substitutes from {@code env} (e.g. {@code System::getenv}, or a map's {@code get} in tests). */
    public ConfigLoader(Function<String, String> env) {
        this.env = env;
    }

    public static ConfigLoader fromEnvironment() {
        return new ConfigLoader(System::getenv);
    }

    /** @throws ConfigException with every problem; also for a file that cannot be read or is not YAML */
    public ReconcilerConfig load(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file.toString(), List.of("no such file; pass the path of a configuration file,"
                    + " e.g. --config deploy/config/order-inventory.yml"));
        } catch (IOException e) {
            throw new ConfigException(file.toString(), List.of("cannot read it: " + e.getMessage()));
        }
        return load(text, file.toString());
    }

    /** @param origin names the text in problems (a file name) */
    public ReconcilerConfig load(String yaml, String origin) {
        JsonNode root;
        try {
            YAMLMapper mapper = YAMLMapper.builder().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
            root = mapper.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : "line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": ";
            throw new ConfigException(origin, List.of(where + "not valid YAML: " + oneLine(e.getOriginalMessage())
                    + " (quote values containing ': ', '#', '{' or '[' and references such as \"${VAR}\" in lists)"));
        }
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(origin, List.of("the file is empty; start from deploy/config/order-inventory.yml"));
        }
        List<String> problems = new ArrayList<>();
        ReconcilerConfig config = bind(root, problems);
        if (!problems.isEmpty() || config == null) throw new ConfigException(origin, problems);
        return config;
    }

    private ReconcilerConfig bind(JsonNode rootNode, List<String> problems) {
        EnvSubstitution subst = new EnvSubstitution(env);
        Section root = Section.of(rootNode, "", "", problems, subst);
        if (!rootNode.isObject()) return null;

        StateConfig state = StateSection.bind(root.section("state", "state"));
        ApiConfig http = HttpSection.bind(root.section("http", "http"));
        List<Section> sourceSections = root.list("sources", "sources[]");
        List<SourceSpec> sources = SourcesSection.bind(root, sourceSections);
        EngineConfig engine = engine(root, sourceSections, sources);
        AlertsConfig alerts = AlertsSection.bind(root);
        MetricsConfig metrics = MetricsSection.bind(root.section("metrics", "metrics"));
        if (!problems.isEmpty()) return null;
        return new ReconcilerConfig(state, http, sources, engine, alerts, metrics);
    }

    /** A table regex of a stream, qualified with a database, as the source captures it. */
    static String qualified(String database, String tableRegex) {
        String t = tableRegex.contains("|") ? "(?:" + tableRegex + ")" : tableRegex;
        return database.replace("$", "\\$") + "\\." + t;
    }

    // ------------------------------------------------------------------------------------------------ engine

    private EngineConfig engine(Section root, List<Section> sourceSections, List<SourceSpec> sources) {
        int problemsBefore = root.problems().size();
        Set<String> sourceNames = new LinkedHashSet<>();
        for (SourceSpec s : sources) sourceNames.add(s.name());
        Set<String> declaredSources = new LinkedHashSet<>(sourceNames);
        for (Section s : sourceSections) {   // names of sources with other problems still count as declared
            String n = s.raw("name") == null ? null : s.raw("name").asText();
            if (n != null) declaredSources.add(n);
        }

        List<Section> streamSections = root.list("streams", "streams[]");
        if (streamSections.isEmpty() && !root.has("streams")) {
            root.problem("streams", "none declared; declare the flows to reconcile, e.g. order_stream over the"
                    + " order shards (see deploy/config/order-inventory.yml)");
        }
        List<StreamDef> streams = new ArrayList<>();
        Map<String, Integer> streamIndex = new LinkedHashMap<>();
        Set<String> usedSources = new HashSet<>();
        for (int i = 0; i < streamSections.size(); i++) {
            Section s = streamSections.get(i);
            String name = s.required("name", "order_stream");
            List<StreamDef.TableSelector> selectors = new ArrayList<>();
            List<Section> tables = s.list("tables", "streams[].tables[]");
            if (tables.isEmpty() && !s.has("tables")) {
                s.problem("tables", "missing; list the tables of the flow, e.g. - {source: orders, table:"
                        + " 'trade_order_stream_\\d{4}'}");
            }
            boolean ok = name != null;
            for (Section t : tables) {
                String source = t.required("source", "orders");
                String table = t.required("table", "'trade_order_stream_\\d{4}'");
                if (source != null && !declaredSources.contains(source)) {
                    t.problem("source", "unknown source '" + source + "'; declared sources are " + declaredSources);
                    source = null;
                }
                Pattern p = null;
                if (table != null) {
                    try {
                        p = Pattern.compile(table);
                        if (table.contains(",")) {
                            t.problem("table", "'" + table + "' contains a comma, which the binlog reader's table"
                                    + " list cannot hold; write \\d{4} instead of \\d{1,4}, or use two entries");
                            p = null;
                        }
                    } catch (PatternSyntaxException e) {
                        t.problem("table", "'" + table + "' is not a regular expression (" + e.getDescription()
                                + " near index " + e.getIndex() + ")");
                    }
                }
                if (source == null || p == null) {
                    ok = false;
                    continue;
                }
                usedSources.add(source);
                selectors.add(new StreamDef.TableSelector(source, p));
            }
            List<String> columns = s.texts("columns");
            if (name != null) {
                if (streamIndex.containsKey(name)) {
                    s.problem("name", "'" + name + "' is also the name of streams[" + streamIndex.get(name)
                            + "]; give each stream a unique name");
                    ok = false;
                } else {
                    streamIndex.put(name, i);
                }
            }
            if (ok && !selectors.isEmpty()) streams.add(new StreamDef(name, selectors, columns));
        }
        for (int i = 0; i < sourceSections.size(); i++) {
            String n = sourceSections.get(i).raw("name") == null ? null : sourceSections.get(i).raw("name").asText();
            if (n != null && sourceNames.contains(n) && !usedSources.contains(n) && !streamSections.isEmpty()) {
                root.problems().add("sources[" + i + "]: no stream reads source '" + n + "'; add it to a stream's"
                        + " tables or remove it");
            }
        }

        List<Section> ruleSections = root.list("rules", "rules[]");
        if (ruleSections.isEmpty() && !root.has("rules")) {
            root.problem("rules", "none declared; declare at least one rule (see deploy/config/order-inventory.yml)");
        }
        List<Rule> rules = new ArrayList<>();
        Map<String, Integer> ruleIndex = new LinkedHashMap<>();
        for (int i = 0; i < ruleSections.size(); i++) {
            Section s = ruleSections.get(i);
            Rule r = rule(s, streamIndex.keySet());
            if (r == null) continue;
            if (ruleIndex.containsKey(r.name())) {
                s.problem("name", "'" + r.name() + "' is also the name of rules[" + ruleIndex.get(r.name())
                        + "]; give each rule a unique name");
                continue;
            }
            ruleIndex.put(r.name(), i);
            rules.add(r);
        }

        Section e = root.section("engine", "engine");
        Duration skew = e.duration("clockSkew", EngineConfig.DEFAULT_CLOCK_SKEW);
        Duration stall = e.duration("stallAfter", EngineConfig.DEFAULT_STALL_AFTER);
        Duration retention = e.duration("retention", EngineConfig.DEFAULT_RETENTION);

        if (root.problems().size() > problemsBefore || skew == null || stall == null || retention == null) return null;
        EngineConfig config;
        try {
            config = new EngineConfig(streams, rules, skew, stall, retention);
        } catch (IllegalArgumentException ex) {
            // The engine's own checks; its paths name rules by name and engine keys bare: give them file paths.
            for (String line : detail(ex)) root.problems().add(enginePath(line, ruleIndex));
            return null;
        }
        // Every source captures the tables of the streams that read it, in each of its databases.
        for (int i = 0; i < sources.size(); i++) {
            SourceSpec spec = sources.get(i);
            List<String> tables = new ArrayList<>();
            for (StreamDef st : config.streams()) {
                for (StreamDef.TableSelector t : st.tables()) {
                    if (!t.source().equals(spec.name())) continue;
                    for (String db : spec.config().databases()) tables.add(qualified(db, t.table().pattern()));
                }
            }
            sources.set(i, spec.withTables(tables));
        }
        return config;
    }

    private Rule rule(Section s, Set<String> streams) {
        String name = s.required("name", "sale");
        SideSpec left = side(s.section("left", "rules[].left"), streams);
        SideSpec right = side(s.section("right", "rules[].right"), streams);
        if (!s.has("left")) s.problem("left", "missing; set the driving flow, e.g. left: {stream: order_stream, filter: {...}}");
        if (!s.has("right")) s.problem("right", "missing; set the counterpart flow, e.g. right: {stream: inventory_stream}");
        KeyMapping key = key(s);
        QuantityCheck quantity = null;
        boolean quantityOk = true;
        if (s.has("quantity")) {
            Section q = s.section("quantity", "rules[].quantity");
            String l = q.required("left", "item_count");
            String r = q.required("right", "changed_quantity");
            BigDecimal tolerance = BigDecimal.ZERO;
            String t = q.text("tolerance");
            if (t != null && !t.isBlank()) {
                try {
                    tolerance = new BigDecimal(t.trim());
                    if (tolerance.signum() < 0) {
                        q.problem("tolerance", "must be >= 0, was " + t);
                        tolerance = null;
                    }
                } catch (NumberFormatException ex) {
                    q.problem("tolerance", "'" + t + "' is not a number");
                    tolerance = null;
                }
            }
            if (l != null && r != null && tolerance != null) quantity = new QuantityCheck(l, r, tolerance);
            else quantityOk = false;
        }
        Multiplicity multiplicity = s.choice("multiplicity", Multiplicity.class, Multiplicity.ONE_TO_ONE);
        Duration grace = s.duration("grace", DEFAULT_GRACE);
        if (multiplicity == Multiplicity.SUM && quantity == null && quantityOk) {
            s.problem("multiplicity", "sum adds up quantities, so the rule needs quantity: {left: ..., right: ...}");
            return null;
        }
        if (name == null || left == null || right == null || key == null || !quantityOk || multiplicity == null
                || grace == null) {
            return null;
        }
        try {
            return new Rule(name, left, right, key, quantity, multiplicity, grace);
        } catch (IllegalArgumentException e) {
            s.problems().add(s.path() + ": " + e.getMessage());
            return null;
        }
    }

    private SideSpec side(Section s, Set<String> streams) {
        String stream = s.required("stream", "order_stream");
        if (stream != null && !streams.contains(stream)) {
            s.problem("stream", "unknown stream '" + stream + "'; declared streams are " + streams);
            stream = null;
        }
        Filter filter = filter(s);
        return stream == null || filter == null ? null : new SideSpec(stream, filter);
    }

    /**
     * {@code column: value} (equals), {@code column: [a, b]} or {@code column: {in: [a, b]}} (one of),
     * {@code column: {not: value}} (anything else but SQL NULL); all must hold.
     */
    private static Filter filter(Section s) {
        Map<String, JsonNode> m = s.mapping("filter");
        if (m == null) return s.has("filter") ? null : Filter.ANY;
        List<Condition> conditions = new ArrayList<>();
        boolean ok = true;
        for (Map.Entry<String, JsonNode> e : m.entrySet()) {
            String column = e.getKey();
            String path = s.path("filter") + "." + column;
            JsonNode v = e.getValue();
            Condition c = null;
            if (v == null || v.isNull()) {
                s.problems().add(path + ": no value; write " + column + ": VALUE, " + column + ": {in: [A, B]} or "
                        + column + ": {not: VALUE} (SQL NULL matches no filter)");
            } else if (v.isValueNode()) {
                String value = s.substituteAt(path, v.asText());
                if (value != null) c = new Condition.Equals(column, value);
            } else if (v.isArray()) {
                Set<String> values = values(s, path, v);
                if (values != null) c = in(s, path, column, values);
            } else if (v.isObject() && v.size() == 1 && v.has("in")) {
                Set<String> values = v.get("in").isArray() ? values(s, path + ".in", v.get("in")) : null;
                if (!v.get("in").isArray()) s.problems().add(path + ".in: expected a list, e.g. {in: [TRY_SALE, UNFREEZE_AND_SALE]}");
                if (values != null) c = in(s, path, column, values);
            } else if (v.isObject() && v.size() == 1 && v.has("not")) {
                JsonNode n = v.get("not");
                if (!n.isValueNode() || n.isNull()) {
                    s.problems().add(path + ".not: expected one value, e.g. {not: DISCARD}");
                } else {
                    String value = s.substituteAt(path + ".not", n.asText());
                    if (value != null) c = new Condition.NotEquals(column, value);
                }
            } else {
                s.problems().add(path + ": expected a value, a list, {in: [...]} or {not: value}, found "
                        + Section.kind(v) + (v.isObject() ? " with keys " + fieldNames(v) : ""));
            }
            if (c == null) ok = false;
            else conditions.add(c);
        }
        return ok ? new Filter(conditions) : null;
    }

    private static Condition in(Section s, String path, String column, Set<String> values) {
        if (values.isEmpty()) {
            s.problems().add(path + ": an empty list matches no row; list at least one value");
            return null;
        }
        return new Condition.In(column, values);
    }

    private static Set<String> values(Section s, String path, JsonNode list) {
        Set<String> out = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode n = list.get(i);
            if (!n.isValueNode() || n.isNull()) {
                s.problems().add(path + "[" + i + "]: expected a single value, found " + Section.kind(n));
                return null;
            }
            String v = s.substituteAt(path + "[" + i + "]", n.asText());
            if (v == null) return null;
            out.add(v);
        }
        return out;
    }

    /** {@code left_column: right_column} per key part; the key is shown under the left column's name. */
    private static KeyMapping key(Section s) {
        Map<String, JsonNode> m = s.mapping("key");
        if (m == null) {
            if (!s.has("key")) s.problem("key", "missing; map the left key columns to the right ones, e.g. key:"
                    + " {order_id: identifier, goods_id: collection_id}");
            return null;
        }
        if (m.isEmpty()) {
            s.problem("key", "is empty; map at least one left column to a right column, e.g. order_id: identifier");
            return null;
        }
        List<KeyMapping.Part> parts = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : m.entrySet()) {
            JsonNode v = e.getValue();
            String path = s.path("key") + "." + e.getKey();
            if (v == null || !v.isTextual() || v.asText().isBlank()) {
                s.problems().add(path + ": expected the right side's column name, e.g. " + e.getKey() + ": identifier");
                return null;
            }
            parts.add(new KeyMapping.Part(e.getKey(), e.getKey(), v.asText().trim()));
        }
        return new KeyMapping(parts);
    }

    /** Translates one of EngineConfig's problems ({@code rules.NAME.left.stream: ...}) to a file path. */
    private static String enginePath(String line, Map<String, Integer> ruleIndex) {
        for (Map.Entry<String, Integer> r : ruleIndex.entrySet()) {
            String prefix = "rules." + r.getKey() + ".";
            if (line.startsWith(prefix)) return "rules[" + r.getValue() + "]." + line.substring(prefix.length());
        }
        for (String k : ConfigSchema.keys("engine")) {
            if (line.startsWith(k + ":")) return "engine." + line;
        }
        return line;
    }

    /** The problem lines of an "invalid ...:\n  - a\n  - b" message, or the message itself. */
    private static List<String> detail(IllegalArgumentException e) {
        return Section.detail(e);
    }

    /** The parser's message without its multi-line excerpt of the file. */
    private static String oneLine(String message) {
        List<String> parts = new ArrayList<>();
        for (String line : String.valueOf(message).split("\n")) {
            if (line.isBlank() || Character.isWhitespace(line.charAt(0)) || line.contains(" in 'reader'")) continue;
            parts.add(line.trim());
        }
        return parts.isEmpty() ? String.valueOf(message).lines().findFirst().orElse("") : String.join(": ", parts);
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }

    // ------------------------------------------------------------------------------------------------ alerts
}
