package dev.reconciler.app.source;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.rule.StreamDef;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The columns the configuration needs on some tables of one source: for one table selector of a stream (its
 * regex matches bare table names, as the engine routes them), every column a rule reads on that stream (keys,
 * filters, quantity) and every column the stream keeps. {@link SourceValidator} checks them on the tables the
 * source captures, before Debezium starts.
 *
 * @param stream  the stream the selector belongs to
 * @param table   the selector's table regex (bare table name, e.g. {@code trade_order_stream_\d{4}})
 * @param columns the columns, in order, each with who needs it
 */
public record RequiredColumns(String stream, Pattern table, List<Column> columns) {

    /**
     * @param neededBy who reads it, for the error message, e.g. {@code rule 'sale' reads} or {@code stream
     *                 'order_stream' keeps}
     * @param fix      what to change when a table lacks it
     */
    public record Column(String name, String neededBy, String fix) {
    }

    public RequiredColumns {
        columns = List.copyOf(columns);
    }

    /** What {@code config}'s streams and rules need on the tables of source {@code source}. */
    public static List<RequiredColumns> of(EngineConfig config, String source) {
        List<RequiredColumns> out = new ArrayList<>();
        for (StreamDef stream : config.streams()) {
            List<StreamDef.TableSelector> selectors = stream.tables().stream()
                    .filter(t -> t.source().equals(source)).toList();
            if (selectors.isEmpty()) continue;
            // A rule's need is named first: a rule that cannot read its column is the more serious problem.
            Map<String, Column> needed = new LinkedHashMap<>();
            for (Rule rule : config.rules()) {
                for (Side side : Side.values()) {
                    if (!rule.side(side).stream().equals(stream.name())) continue;
                    for (String c : rule.columnsRead(side)) {
                        needed.putIfAbsent(c, new Column(c, "rule '" + rule.name() + "' reads",
                                "fix the column name in the rule, or narrow the stream's table pattern to tables"
                                        + " that have it"));
                    }
                }
            }
            if (stream.columns() != null) {
                for (String c : stream.columns()) {
                    needed.putIfAbsent(c, new Column(c, "stream '" + stream.name() + "' keeps",
                            "remove it from the stream's columns or fix its name"));
                }
            }
            for (StreamDef.TableSelector t : selectors) {
                out.add(new RequiredColumns(stream.name(), t.table(), List.copyOf(needed.values())));
            }
        }
        return out;
    }

    /**
     * Debezium's {@code column.include.list} for source {@code source}: per table selector of a stream on it, the
     * columns its rules read and the stream keeps, plus the snapshot look-back column; every column of the heartbeat
     * table and of {@code withoutPrimaryKey} tables (their rows are identified by the whole image). Debezium then
     * converts only those columns of each change event, where it would otherwise convert every column of a wide flow
     * table (27 in docs/domain.md's order flow) for the engine to drop all but a few. The record key (the primary key)
     * is built by Debezium whatever this list says. Null when a stream on this source keeps every column ({@code
     * columns} not set), or the source has no stream: then Debezium reads whole rows, as before.
     */
    public static String columnIncludeList(EngineConfig config, SourceConfig source, Collection<String> withoutPrimaryKey) {
        boolean any = false;
        for (StreamDef stream : config.streams()) {
            boolean onSource = stream.tables().stream().anyMatch(t -> t.source().equals(source.name()));
            if (onSource && stream.columns() == null) return null;
            any |= onSource;
        }
        if (!any) return null;
        String databases = source.databases().isEmpty() ? "[^.]+"
                : "(?:" + String.join("|", source.databases().stream().map(RequiredColumns::literal).toList()) + ")";
        Set<String> regexes = new LinkedHashSet<>();
        for (RequiredColumns r : of(config, source.name())) {
            Set<String> columns = new LinkedHashSet<>();
            for (Column c : r.columns()) columns.add(literal(c.name()));
            if (source.snapshotLookbackColumn() != null) columns.add(literal(source.snapshotLookbackColumn()));
            regexes.add(databases + "\\.(?:" + r.table().pattern() + ")\\.(?:" + String.join("|", columns) + ")");
        }
        if (source.heartbeatTable() != null) regexes.add(literal(source.heartbeatTable()) + "\\..+");
        for (String table : withoutPrimaryKey) regexes.add(literal(table) + "\\..+");
        // Debezium splits the list at commas; a comma inside one of the regexes is escaped with a backslash.
        return String.join(",", regexes.stream().map(x -> x.replace(",", "\\,")).toList());
    }

    /** A name as a regex that matches only itself (identifiers: letters, digits, '_' and '$'; others quoted). */
    private static String literal(String name) {
        return name.matches("[A-Za-z0-9_]+") ? name : name.replaceAll("([^A-Za-z0-9_])", "\\\\$1");
    }
}
