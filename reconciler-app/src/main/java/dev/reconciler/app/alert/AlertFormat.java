package dev.reconciler.app.alert;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.reconciler.app.api.Json;
import dev.reconciler.app.api.Views;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.outcome.Outcome;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What an alert says, in the forms the sinks send: the webhook's JSON document, an Alertmanager alert, and a short
 * readable message for chat robots. Row values go to receivers (that is the point); they never go to logs.
 */
final class AlertFormat {
    static final ObjectMapper JSON = Json.MAPPER;
    /** Rows per side a chat message shows; the link shows all. */
    private static final int CHAT_ROWS = 3;
    private static final int CHAT_ROW_CHARS = 300;

    private AlertFormat() {
    }

    static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write an alert as JSON: " + e.getMessage(), e);
        }
    }

    /** The API page about the alert: the discrepancy, the storm's listing, or the status; null without a public URL. */
    static String link(Alert a, String publicUrl) {
        if (publicUrl == null) return null;
        if (a instanceof Alert.DiscrepancyAlert d) return publicUrl + "/api/discrepancies/" + d.discrepancy().id();
        if (a instanceof Alert.StormAlert s) {
            return publicUrl + "/api/discrepancies?status=all&rule=" + enc(s.rule()) + "&since=" + enc(s.windowStart().toString());
        }
        return publicUrl + "/api/status";
    }

    /** One line: what happened. */
    static String summary(Alert a) {
        if (a instanceof Alert.DiscrepancyAlert x) {
            Discrepancy d = x.discrepancy();
            String what = d.rule() + ": " + d.type() + " (" + meaning(d) + ") for " + Alert.keyText(d.key(), ", ");
            return x.firing() ? what : "resolved (" + d.resolution() + "): " + what;
        }
        if (a instanceof Alert.SourceAlert s) {
            return s.firing()
                    ? "source " + s.source() + " stalled: its watermark is " + human(s.behind()) + " behind; pairs"
                    + " waiting on it are held, not reported missing"
                    : "source " + s.source() + " recovered";
        }
        if (a instanceof Alert.CoverageGapAlert g) {
            return "source " + g.source() + ": its changes from " + g.from() + " to " + g.to() + " were never observed ("
                    + g.reason() + "); pairs whose counterpart falls in that window are not reported missing: run"
                    + " reconciler verify over it";
        }
        if (a instanceof Alert.QuarantineAlert q) {
            return "source " + q.source() + ": " + q.since() + " fact(s) quarantined as " + q.reason() + " ("
                    + quarantineMeaning(q) + "), the latest from " + q.table() + (q.position() == null ? ""
                    : " at binlog position " + q.position()) + "; they take part in no pair; the source goes on."
                    + " List them with GET /api/quarantine";
        }
        if (a instanceof Alert.RuleAlert r) {
            return r.firing()
                    ? "rule " + r.rule() + " paused: rows of " + r.source() + "." + r.table() + " (" + r.side().label()
                    + " side) lack column " + r.column() + " (dropped or renamed?), first at binlog position "
                    + r.position() + "; its pairs are held, not reported missing, and rows of that table are not"
                    + " judged until the column is back or the configuration no longer reads it"
                    : "rule " + r.rule() + " resumed on " + r.source() + "." + r.table() + " ("
                    + (r.why() == Outcome.RuleResumed.Why.COLUMN_BACK ? "column " + r.column() + " is back"
                    : "the configuration no longer reads " + r.column()) + "); " + r.held()
                    + " rows of that table were not judged since the last start: run `reconciler verify` over "
                    + r.pausedAt() + " .. " + r.resumedAt();
        }
        Alert.StormAlert s = (Alert.StormAlert) a;
        return s.rule() + ": " + s.count() + " more discrepancies " + (s.firing() ? "opened" : "resolved")
                + " in the minute from " + s.windowStart() + " (" + types(s.byType()) + ")";
    }

    private static String quarantineMeaning(Alert.QuarantineAlert q) {
        String column = q.rule() == null ? "" : " of rule " + q.rule() + " (" + q.side() + " side, column " + q.detail() + ")";
        return switch (q.reason()) {
            case KEY_MISSING -> "key column NULL or blank" + column;
            case QUANTITY_MISSING -> "quantity NULL or blank" + column;
            case QUANTITY_NOT_A_NUMBER -> "quantity not a number" + column;
            case QUANTITY_OUT_OF_RANGE -> "quantity out of range" + column;
            case ROW_TOO_LARGE -> "row too large" + column;
            case UNKNOWN_OPERATION -> "change record of an unknown operation " + q.detail();
            case INTERNAL_ERROR -> "could not be processed: " + q.detail();
        };
    }

    private static String meaning(Discrepancy d) {
        return switch (d.type()) {
            case MISSING_RIGHT -> "left row without its right counterpart";
            case MISSING_LEFT -> "right row without its left counterpart";
            case QUANTITY_MISMATCH -> "quantities differ by " + (d.difference() == null ? "?" : d.difference().toPlainString());
            case DUPLICATE_LEFT -> "more than one left row";
            case DUPLICATE_RIGHT -> "more than one right row";
            case UNOBSERVED_LEFT -> "left row in the database that the binlog never showed (found by verify)";
            case UNOBSERVED_RIGHT -> "right row in the database that the binlog never showed (found by verify)";
            case UNREPORTED_INCONSISTENCY -> "the database's rows are inconsistent, the reconciler saw them consistent"
                    + " (found by verify)";
        };
    }

    private static String types(Map<DiscrepancyType, Integer> byType) {
        return byType.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    // ---------------------------------------------------------------- webhook

    /** The webhook document (docs/alerts.md shows one). Absent parts are left out. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record WebhookPayload(int version, String event, String status, String idempotencyKey, long sequence,
                          String fingerprint, Map<String, String> labels, String summary, Instant startsAt,
                          Instant endsAt, String link, Views.DiscrepancyView discrepancy, SourceView source,
                          StormView storm, RuleView rule, GapView coverageGap, QuarantineView quarantine) {
    }

    /** Facts quarantined: the latest one's place, and how many since the previous alert. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record QuarantineView(String source, String table, String reason, String rule, String side, String detail,
                          String position, long since, Instant at) {
        static QuarantineView of(Alert.QuarantineAlert q) {
            return new QuarantineView(q.source(), q.table(), q.reason().name(), q.rule(), q.side(), q.detail(),
                    q.position(), q.since(), q.at());
        }
    }

    record GapView(String source, Instant from, Instant to, String reason, Instant at) {
    }

    /** A paused (or resumed) rule: what it lacks, where, and since when. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record RuleView(String name, String side, String source, String table, String column, String position,
                    Instant pausedAt, Instant resumedAt, Long held, Outcome.RuleResumed.Why resumedBecause) {
        static RuleView of(Alert.RuleAlert r) {
            return new RuleView(r.rule(), r.side().label(), r.source(), r.table(), r.column(), r.position(),
                    r.pausedAt(), r.resumedAt(), r.firing() ? null : r.held(), r.why());
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SourceView(String name, Instant watermark, Double behindSeconds, Instant at) {
    }

    record StormView(String rule, String direction, Instant windowStart, Instant windowEnd, int count,
                     Map<DiscrepancyType, Integer> byType, List<SampleView> sample, Instant first, Instant last) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record SampleView(String id, DiscrepancyType type, Map<String, String> key, String link) {
    }

    static byte[] webhookBody(Alert a, String publicUrl) {
        Views.DiscrepancyView discrepancy = null;
        SourceView source = null;
        StormView storm = null;
        RuleView rule = a instanceof Alert.RuleAlert r ? RuleView.of(r) : null;
        GapView gap = a instanceof Alert.CoverageGapAlert g
                ? new GapView(g.source(), g.from(), g.to(), g.reason(), g.at()) : null;
        if (a instanceof Alert.DiscrepancyAlert d) discrepancy = Views.DiscrepancyView.of(d.discrepancy());
        if (a instanceof Alert.SourceAlert s) {
            source = new SourceView(s.source(), s.watermark(),
                    s.behind() == null ? null : s.behind().toMillis() / 1000.0, s.at());
        }
        if (a instanceof Alert.StormAlert s) {
            List<SampleView> sample = new ArrayList<>();
            for (Alert.Sample x : s.sample()) {
                sample.add(new SampleView(x.id(), x.type(), x.key(),
                        publicUrl == null ? null : publicUrl + "/api/discrepancies/" + x.id()));
            }
            storm = new StormView(s.rule(), s.firing() ? "opened" : "resolved", s.windowStart(), s.windowEnd(),
                    s.count(), s.byType(), sample, s.first(), s.last());
        }
        return json(new WebhookPayload(1, a.event(), a.firing() ? "firing" : "resolved", a.idempotencyKey(), a.seq(),
                a.fingerprint(), a.labels(), summary(a), a.startsAt(), a.endsAt(), link(a, publicUrl), discrepancy,
                source, storm, rule, gap,
                a instanceof Alert.QuarantineAlert q ? QuarantineView.of(q) : null));
    }

    // ---------------------------------------------------------------- Alertmanager

    /**
     * One alert of Alertmanager's v2 API. Annotations are text: the row images go in as JSON text.
     *
     * @param firingEndsAt {@code endsAt} while firing (a little in the future: it is re-sent before then); a
     *                     resolved alert ends when it was resolved
     */
    static Map<String, Object> alertmanager(Alert a, String publicUrl, Instant firingEndsAt) {
        Map<String, String> ann = new LinkedHashMap<>();
        ann.put("summary", summary(a));
        if (a instanceof Alert.DiscrepancyAlert x) {
            Discrepancy d = x.discrepancy();
            ann.put("discrepancy_id", d.id());
            ann.put("detected_at", d.detectedAt().toString());
            if (d.resolvedAt() != null) ann.put("resolved_at", d.resolvedAt().toString());
            if (d.resolution() != null) ann.put("resolution", d.resolution().name());
            if (d.difference() != null) ann.put("difference", d.difference().toPlainString());
            ann.put("left", new String(json(Views.rows(d.left())), StandardCharsets.UTF_8));
            ann.put("right", new String(json(Views.rows(d.right())), StandardCharsets.UTF_8));
            ann.put("event_times", eventTimes(d));
        } else if (a instanceof Alert.SourceAlert s) {
            if (s.watermark() != null) ann.put("watermark", s.watermark().toString());
            if (s.behind() != null) ann.put("behind_seconds", Long.toString(s.behind().toSeconds()));
        } else if (a instanceof Alert.CoverageGapAlert g) {
            ann.put("from", g.from().toString());
            ann.put("to", g.to().toString());
            ann.put("reason", g.reason());
            firingEndsAt = g.at().plus(Alert.COVERAGE_GAP_SHOWN);
        } else if (a instanceof Alert.QuarantineAlert q) {
            ann.put("table", q.table());
            if (q.position() != null) ann.put("binlog_position", q.position());
            ann.put("since_previous_alert", Long.toString(q.since()));
            firingEndsAt = q.at().plus(Alert.COVERAGE_GAP_SHOWN);
        } else if (a instanceof Alert.RuleAlert r) {
            if (r.position() != null) ann.put("binlog_position", r.position());
            ann.put("paused_at", r.pausedAt().toString());
            if (!r.firing()) ann.put("held_rows", Long.toString(r.held()));
        }
        String link = link(a, publicUrl);
        if (link != null) ann.put("link", link);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("labels", AlertmanagerSink.labels(a));
        out.put("annotations", ann);
        out.put("startsAt", a.startsAt().toString());
        out.put("endsAt", (a.firing() ? firingEndsAt : a.endsAt()).toString());
        if (link != null) out.put("generatorURL", link);
        return out;
    }

    private static String eventTimes(Discrepancy d) {
        List<String> parts = new ArrayList<>();
        for (RowImage r : d.left()) parts.add("left " + r.id().table() + "#" + r.id().primaryKey() + " " + r.eventTime());
        for (RowImage r : d.right()) parts.add("right " + r.id().table() + "#" + r.id().primaryKey() + " " + r.eventTime());
        return String.join("; ", parts);
    }

    // ---------------------------------------------------------------- chat

    /** How one robot writes bold text and links, separates lines, and how long a message may be. */
    record Style(String boldOpen, String boldClose, boolean codeSpans, String lineBreak, int maxBytes,
                 boolean angleLinks) {
        String bold(String s) {
            return boldOpen + s + boldClose;
        }

        String code(String s) {
            return codeSpans ? "`" + s.replace('`', '\'') + "`" : s;
        }

        String link(String text, String url) {
            return angleLinks ? "<" + url + "|" + text + ">" : "[" + text + "](" + url + ")";
        }
    }

    /** A chat message: a title (notification preview) and markdown lines. */
    record ChatMessage(String title, String text) {
    }

    static ChatMessage chat(Alert a, String publicUrl, Style style) {
        List<String> lines = new ArrayList<>();
        String title;
        if (a instanceof Alert.DiscrepancyAlert x) {
            Discrepancy d = x.discrepancy();
            title = (x.firing() ? "🔴 " : "✅ ") + "[Reconciler] " + d.rule() + " " + d.type()
                    + (x.firing() ? " opened" : " resolved");
            lines.add(style.bold(title));
            lines.add(x.firing() ? meaning(d) : "resolved: " + d.resolution() + " (was: " + meaning(d) + ")");
            lines.add("Key: " + style.code(Alert.keyText(d.key(), ", ")));
            lines.add("Detected: " + d.detectedAt() + (d.resolvedAt() == null ? "" : " · resolved: " + d.resolvedAt()));
            if (d.difference() != null) lines.add("Difference (right − left): " + d.difference().toPlainString());
            rows(lines, "Left", d.left(), style);
            rows(lines, "Right", d.right(), style);
        } else if (a instanceof Alert.SourceAlert s) {
            title = (s.firing() ? "🟠 " : "✅ ") + "[Reconciler] source " + s.source() + (s.firing() ? " stalled" : " recovered");
            lines.add(style.bold(title));
            if (s.firing()) {
                lines.add("Its watermark is " + human(s.behind()) + " behind the wall clock; pairs waiting on it are"
                        + " held, not reported missing.");
            }
            lines.add("Watermark: " + (s.watermark() == null ? "none yet" : s.watermark().toString()));
            lines.add((s.firing() ? "Detected: " : "At: ") + s.at());
        } else if (a instanceof Alert.CoverageGapAlert g) {
            title = "🟠 [Reconciler] source " + g.source() + ": coverage gap";
            lines.add(style.bold(title));
            lines.add("Changes from " + g.from() + " to " + g.to() + " were never observed (" + g.reason() + ").");
            lines.add("Pairs whose counterpart falls in that window are not reported missing; check the window with"
                    + " " + style.code("reconciler verify") + ".");
        } else if (a instanceof Alert.QuarantineAlert q) {
            title = "🟠 [Reconciler] source " + q.source() + ": facts quarantined (" + q.reason() + ")";
            lines.add(style.bold(title));
            lines.add(q.since() + " fact(s) since the previous alert: " + quarantineMeaning(q) + ". They take part in no"
                    + " pair; the source goes on.");
            lines.add("Latest: " + style.code(q.source() + "." + q.table())
                    + (q.position() == null ? "" : " · binlog " + style.code(q.position())) + " · " + q.at());
            lines.add("List them: " + style.code("GET /api/quarantine"));
        } else if (a instanceof Alert.RuleAlert r) {
            title = (r.firing() ? "🟠 " : "✅ ") + "[Reconciler] rule " + r.rule() + (r.firing() ? " paused" : " resumed");
            lines.add(style.bold(title));
            lines.add("Table: " + style.code(r.source() + "." + r.table()) + " (" + r.side().label() + " side)"
                    + " · column: " + style.code(r.column()));
            if (r.firing()) {
                lines.add("Its rows lack the column (dropped or renamed?): the rule holds its pairs (no missing"
                        + " reported) and does not judge rows of that table until the column is back.");
                lines.add("First row without it: binlog " + style.code(r.position()) + " · since " + r.pausedAt());
            } else {
                lines.add((r.why() == Outcome.RuleResumed.Why.COLUMN_BACK ? "The column is back"
                        + (r.position() == null ? "" : " at binlog " + style.code(r.position()))
                        : "The configuration no longer reads the column") + ".");
                lines.add("Paused " + r.pausedAt() + " · resumed " + r.resumedAt() + " · rows not judged: " + r.held()
                        + " (run reconciler verify over that window)");
            }
        } else {
            Alert.StormAlert s = (Alert.StormAlert) a;
            title = (s.firing() ? "🔴 " : "✅ ") + "[Reconciler] " + s.rule() + ": " + s.count() + " more discrepancies "
                    + (s.firing() ? "opened" : "resolved");
            lines.add(style.bold(title));
            lines.add("Storm control: in the minute from " + s.windowStart() + " these were not sent one by one.");
            lines.add("By type: " + types(s.byType()));
            lines.add("Between " + s.first() + " and " + s.last());
            lines.add("Sample: " + s.sample().stream().map(x -> style.code(Alert.keyText(x.key(), ", ")) + " " + x.type())
                    .collect(Collectors.joining("; ")));
        }
        String link = link(a, publicUrl);
        if (link != null) lines.add(style.link("Details", link));
        return new ChatMessage(title, fit(lines, style));
    }

    private static void rows(List<String> lines, String side, List<RowImage> rows, Style style) {
        if (rows.isEmpty()) {
            lines.add(side + ": none");
            return;
        }
        for (int i = 0; i < Math.min(CHAT_ROWS, rows.size()); i++) {
            RowImage r = rows.get(i);
            String cols = r.columns().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                    .collect(Collectors.joining(" "));
            String text = r.id().table() + "#" + r.id().primaryKey() + " @ " + r.eventTime() + ": " + cols;
            text = text.replace('\n', ' ').replace('\r', ' ');
            if (text.length() > CHAT_ROW_CHARS) text = text.substring(0, CHAT_ROW_CHARS) + "…";
            lines.add(side + ": " + style.code(text));
        }
        if (rows.size() > CHAT_ROWS) lines.add(side + ": … and " + (rows.size() - CHAT_ROWS) + " more");
    }

    /** Joins lines, dropping whole lines from the end (the link stays last) to stay within the robot's limit. */
    private static String fit(List<String> lines, Style style) {
        String text = String.join(style.lineBreak(), lines);
        if (text.getBytes(StandardCharsets.UTF_8).length <= style.maxBytes()) return text;
        String last = lines.get(lines.size() - 1);
        List<String> kept = new ArrayList<>(lines.subList(0, lines.size() - 1));
        while (kept.size() > 1) {
            kept.remove(kept.size() - 1);
            String t = String.join(style.lineBreak(), kept) + style.lineBreak() + "…" + style.lineBreak() + last;
            if (t.getBytes(StandardCharsets.UTF_8).length <= style.maxBytes()) return t;
        }
        String t = kept.get(0);
        return t.length() > 200 ? t.substring(0, 200) + "…" : t;
    }

    static String human(Duration d) {
        if (d == null) return "?";
        long s = d.toSeconds();
        if (s < 120) return s + " s";
        if (s < 7200) return (s / 60) + " min";
        return (s / 3600) + " h " + (s % 3600 / 60) + " min";
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
