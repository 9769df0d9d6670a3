package dev.reconciler.app.alert;

import dev.reconciler.app.config.ConfigKey;
import dev.reconciler.app.config.ConfigKey.Kind;
import dev.reconciler.app.config.ConfigSection;
import dev.reconciler.app.config.Section;

import java.time.DateTimeException;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.List;

/**
 * {@code reports.daily}: when the daily summary ({@code GET /api/reports/daily}) is sent to the chat sinks of
 * {@code alerts.sinks}. Off without {@code at}.
 *
 * @param at   the local time of day it is sent
 * @param zone the zone of {@code at}; the summary is always of the last whole UTC day before that moment
 */
public record DailyReportConfig(LocalTime at, ZoneId zone) {
    /** The keys, as {@code ConfigSchema} assembles them. */
    public static final List<ConfigSection> DECLARED = List.of(
        ConfigSection.of("reports",
            ConfigKey.of("daily", Kind.SECTION, "mapping", "none", "see below",
                "The daily summary sent to the chat sinks.")),
        ConfigSection.of("reports.daily",
            ConfigKey.of("at", Kind.TEXT, "HH:MM", "none (not sent)", "`\"08:00\"`",
                "Send the summary of the last whole UTC day (matched, discrepancies opened/resolved/waived by type,"
                + " worst lag, coverage gaps; [api.md](api.md#get-apireportsdailydateyyyy-mm-ddrule)) to every chat"
                + " sink (`dingtalk`, `feishu`, `slack`, `wecom`) of `alerts.sinks` at this time of day. Quote it in"
                + " YAML. A reconciler that was down at that time sends it when it starts."),
            ConfigKey.of("zone", Kind.TEXT, "time zone", "`UTC`", "`Asia/Shanghai`",
                "The time zone of `at` (an IANA name). The summary itself is always of a UTC day.")));

    /** The {@code reports} section; null when the summary is not sent (or with problems). */
    public static DailyReportConfig bind(Section root) {
        if (!root.has("reports")) return null;
        Section reports = root.section("reports", "reports");
        if (!reports.has("daily")) return null;
        Section s = reports.section("daily", "reports.daily");
        String at = s.text("at");
        String zone = s.text("zone", "UTC");
        LocalTime time = null;
        ZoneId id = null;
        if (at != null) {
            try {
                time = LocalTime.parse(at.trim());
            } catch (DateTimeParseException e) {
                s.problem("at", "'" + at + "' is not a time of day; write it as \"08:00\" (quoted)");
            }
        }
        try {
            id = ZoneId.of(zone == null ? "UTC" : zone.trim());
        } catch (DateTimeException e) {
            s.problem("zone", "'" + zone + "' is not a time zone; use an IANA name such as Asia/Shanghai or UTC");
        }
        return time == null || id == null ? null : new DailyReportConfig(time, id);
    }
}
