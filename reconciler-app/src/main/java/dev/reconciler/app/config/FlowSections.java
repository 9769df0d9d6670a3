package dev.reconciler.app.config;

import dev.reconciler.app.config.ConfigKey.Kind;

import java.util.List;

/**
 * The {@code streams}, {@code rules} and {@code engine} sections: what is compared and the time model's bounds (the
 * core's {@code EngineConfig}). Each key is declared here once, with its docs row: docs/configuration.md, the JSON
 * Schema and {@code reconciler config print} are made from these declarations.
 */
public final class FlowSections {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("streams[]",
            ConfigKey.of("name", Kind.TEXT, "name", "required", "`order_stream`",
                "Unique; rules name it."),
            ConfigKey.of("tables", Kind.SECTIONS, "list", "required", "`[{source: orders, table: 'trade_order_stream_\\d{4}'}]`",
                "The tables whose rows form the flow; several entries union shards, also across sources."),
            ConfigKey.of("columns", Kind.TEXTS, "list of names", "every column", "`[id, gmt_create, stream_type]`",
                "Columns kept for people (shown in discrepancies and `/api/pairs`) besides those the rules read,"
                + " which are always kept. Fewer columns, smaller state.")),
        ConfigSection.of("streams[].tables[]",
            ConfigKey.of("source", Kind.TEXT, "source name", "required", "`orders`",
                "A `sources[].name`."),
            ConfigKey.of("table", Kind.TEXT, "regex", "required", "`'trade_order_stream_\\d{4}'`",
                "A Java regular expression matched against the whole table name (without the database). Quote it in"
                + " single quotes. No commas (the binlog reader's table list is comma-separated): `\\d{4}`, not"
                + " `\\d{1,4}`.")),
        ConfigSection.of("rules[]",
            ConfigKey.of("name", Kind.TEXT, "name", "required", "`sale`",
                "Unique; metrics (`rule` label) and the API use it."),
            ConfigKey.of("left", Kind.SECTION, "mapping", "required", "",
                "The driving side (the order flow)."),
            ConfigKey.of("right", Kind.SECTION, "mapping", "required", "",
                "The counterpart side (the inventory flow)."),
            ConfigKey.of("key", Kind.MAP, "mapping", "required", "`{order_id: identifier, goods_id: collection_id}`",
                "`left_column: right_column` for each part of the key, in order. Values are compared as trimmed"
                + " text. The API and discrepancies show the key under the left column names."),
            ConfigKey.of("quantity", Kind.SECTION, "mapping", "none", "`{left: item_count, right: changed_quantity}`",
                "Compare a quantity column of each side; without it only presence and duplicates are checked."),
            ConfigKey.of("multiplicity", Kind.CHOICE, "`one_to_one`, `sum`", "`one_to_one`", "`sum`",
                "`one_to_one`: a second live row for the same key on either side is a duplicate. `sum`: any number"
                + " of right rows whose quantities add up to the left one (split deductions); needs `quantity`.")
                .choices("one_to_one", "sum"),
            ConfigKey.of("grace", Kind.DURATION, "duration", "`30s`", "`${RECONCILER_GRACE:-30s}`",
                "How long a row waits for its counterpart before a discrepancy opens; long enough to cover the"
                + " normal delay between the two services' writes."),
            ConfigKey.of("labels", Kind.LABELS, "mapping", "`{severity: warning}`", "`{severity: critical, team: payments}`",
                "Labels every alert of this rule carries (webhook `labels`, Alertmanager labels, a line of the chat"
                + " message) and `reconciler_rule_info` exports, for routing and inhibiting: `severity` (`critical`,"
                + " `warning` or `info`), `team`, and further labels named like Prometheus labels (letters, digits,"
                + " `_`). Names the reconciler sets itself (`alertname`, `rule`, `type`, `key`, `source`, `side`,"
                + " `table`, `column`, `reason`, `job`, `instance`) are refused. See [alerts.md](alerts.md).")
                .choices("critical", "warning", "info"),
            dev.reconciler.app.verify.VerifySection.RULE_KEY),
        ConfigSection.of("rules[].left",
            ConfigKey.of("stream", Kind.TEXT, "stream name", "required", "`order_stream`",
                "A `streams[].name`."),
            ConfigKey.of("filter", Kind.MAP, "filter", "every row", "`{order_state: CONFIRM, deleted: 0}`",
                "Which rows take part (below).")),
        ConfigSection.of("rules[].right",
            ConfigKey.of("stream", Kind.TEXT, "stream name", "required", "`inventory_stream`",
                "A `streams[].name`."),
            ConfigKey.of("filter", Kind.MAP, "filter", "every row", "`{stream_type: {in: [TRY_SALE, UNFREEZE_AND_SALE]}}`",
                "Which rows take part.")),
        ConfigSection.of("rules[].quantity",
            ConfigKey.of("left", Kind.TEXT, "column", "required", "`item_count`",
                "The left quantity column."),
            ConfigKey.of("right", Kind.TEXT, "column", "required", "`changed_quantity`",
                "The right quantity column."),
            ConfigKey.of("tolerance", Kind.NUMBER, "number", "`0`", "`0.01`",
                "Quantities agree when `abs(right - left) <= tolerance`.")),
        ConfigSection.of("engine",
            ConfigKey.of("clockSkew", Kind.DURATION, "duration", "`5s`", "`2s`",
                "How far the database servers' clocks may disagree; added to every grace wait."),
            ConfigKey.of("stallAfter", Kind.DURATION, "duration", "`2m`", "`5m`",
                "A source whose watermark falls this far behind the wall clock is reported stalled"
                + " (`reconciler_source_stalled`); pairs waiting on it are held, never reported missing."),
            ConfigKey.of("retention", Kind.DURATION, "duration", "`7d`", "`3d`",
                "How long a finished pair is kept (in event time), so that a late duplicate is still caught.")));

    private FlowSections() {
    }
}
