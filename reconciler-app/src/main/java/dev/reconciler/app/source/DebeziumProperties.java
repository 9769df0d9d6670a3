package dev.reconciler.app.source;

import java.util.List;
import java.util.Map;

/**
 * The connector properties a source's {@code debezium:} map may set, and those the reconciler owns. Everything not
 * owned is passed to the embedded engine as written (after the reconciler's own), e.g. {@code max.queue.size},
 * {@code snapshot.fetch.size}, {@code connect.timeout.ms}, {@code database.initial.statements}. An owned property is
 * refused with the reason and the key to use instead: either another key of the file sets it, or changing it would
 * make the reconciler read changes differently than it compares them, or skip some without saying so — the one
 * thing it must never do (docs/configuration.md, "Connector properties").
 */
public final class DebeziumProperties {
    /** Owned properties by exact name or by prefix (ending in {@code .} or {@code *}), with the reason. */
    private static final Map<String, String> OWNED = ownedProperties();

    private DebeziumProperties() {
    }

    private static Map<String, String> ownedProperties() {
        String identity = "is set from the source's own keys (name, flavour)";
        String state = "is where the reconciler keeps offsets and schema history in state.dir; it is not configurable";
        String selection = "follows from the streams and databases the source reads: a narrower list would hide rows"
                + " the rules expect, and they would be reported missing";
        String values = "changes the form of the values the rules compare; the reconciler depends on its own setting";
        String blind = "would drop events without a discrepancy or a metric; the reconciler never skips silently";
        Map<String, String> m = new java.util.LinkedHashMap<>();
        m.put("name", identity);
        m.put("connector.class", "is chosen by sources[].flavour");
        m.put("topic.prefix", identity);
        m.put("offset.storage", state);
        m.put("offset.storage.*", state);
        m.put("schema.history.internal", state);
        m.put("schema.history.internal.*", state);
        m.put("database.hostname", "is set by sources[].host");
        m.put("database.port", "is set by sources[].port");
        m.put("database.user", "is set by sources[].user");
        m.put("database.password", "is set by sources[].password");
        m.put("database.server.id", "is set by sources[].serverId");
        m.put("database.ssl.*", "is set by sources[].tls (which also covers the reconciler's own connections)");
        m.put("database.include.list", selection);
        m.put("database.exclude.list", selection);
        m.put("table.include.list", selection);
        m.put("table.exclude.list", selection);
        m.put("column.*", selection + "; masking or truncating columns " + values.substring(0, 1).toLowerCase()
                + values.substring(1));
        m.put("message.key.columns", "would change which columns identify a row; the reconciler uses primary keys");
        m.put("snapshot.mode", "is set by sources[].snapshot (and by `reconciler resync`)");
        m.put("snapshot.select.statement.overrides", "is set by sources[].snapshotLookback");
        m.put("snapshot.select.statement.overrides.*", "is set by sources[].snapshotLookback");
        m.put("heartbeat.interval.ms", "is set by sources[].heartbeatInterval");
        m.put("include.schema.changes", values);
        m.put("tombstones.on.delete", values);
        m.put("decimal.handling.mode", values);
        m.put("time.precision.mode", values);
        m.put("bigint.unsigned.handling.mode", values);
        m.put("binary.handling.mode", values);
        m.put("transforms", values);
        m.put("transforms.*", values);
        m.put("predicates", values);
        m.put("predicates.*", values);
        m.put("converters", values);
        m.put("converters.*", values);
        m.put("key.converter", values);
        m.put("key.converter.*", values);
        m.put("value.converter", values);
        m.put("value.converter.*", values);
        m.put("skipped.operations", blind);
        m.put("event.processing.failure.handling.mode", blind);
        m.put("event.deserialization.failure.handling.mode", blind);
        m.put("inconsistent.schema.handling.mode", blind);
        return m;
    }

    /** Why {@code key} may not be set in {@code debezium:}, or null when it may. */
    public static String refusal(String key) {
        String k = key.trim();
        if (k.isEmpty()) return "is an empty property name";
        for (Map.Entry<String, String> e : OWNED.entrySet()) {
            String owned = e.getKey();
            boolean match = owned.endsWith("*") ? k.startsWith(owned.substring(0, owned.length() - 1)) : k.equals(owned);
            if (match) return "is owned by the reconciler: it " + e.getValue();
        }
        return null;
    }

    /** The owned properties, {@code *} for "and every property under it", for the docs. */
    public static List<String> owned() {
        return List.copyOf(OWNED.keySet());
    }

    /** Whether a property's value is a secret by its name (a password, a key store's secret). */
    public static boolean secret(String key) {
        String k = key.toLowerCase(java.util.Locale.ROOT);
        return k.contains("password") || k.contains("secret") || k.contains("token") || k.contains("credential");
    }
}
