package dev.reconciler.app.api;

import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.rule.Rule;
import dev.reconciler.core.state.StateStore;

import dev.reconciler.app.config.Durations;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code GET /api/discrepancies}: the filters of one request and the scan that answers it.
 *
 * <p>Pages follow the store's key order, the discrepancy id, and the cursor is the last id the previous page read.
 * That order does not move when records are added or change state, so paging never repeats or skips a record that
 * exists throughout; one added behind the cursor meanwhile shows only in a new listing. A page reads at most
 * {@link #SCAN_BUDGET} records: with filters that match little it may hold fewer than {@code limit} items (even
 * none) and still have a {@code next}; follow {@code next} until it is null.
 *
 * @param status null for all
 * @param acknowledged only open ones someone acknowledged ({@code status=acknowledged})
 * @param rule   null for all
 * @param type   null for all
 * @param since  null for all; else only discrepancies detected at or after it
 * @param before null for all; else only discrepancies detected at or before it ({@code minAge} back from now)
 * @param key    null for all; else only discrepancies one of whose key values starts with it (trimmed text)
 * @param cursor null for the first page
 */
public record DiscrepancyQuery(Status status, String rule, DiscrepancyType type, Instant since, Instant before, String key,
                        int limit, String cursor, boolean acknowledged) {
    static final int DEFAULT_LIMIT = 100;
    static final int MAX_LIMIT = 1000;
    /** Records read per request at most, so one request costs a bounded amount whatever the filters. */
    public static final int SCAN_BUDGET = 10_000;
    static final Set<String> PARAMETERS = Set.of("status", "rule", "type", "since", "minAge", "maxAge", "key",
            "limit", "cursor");
    /** Longest key search text; a key value is never longer in practice. */
    static final int MAX_KEY = 200;
    private static final Duration MAX_AGE = Duration.ofDays(3650);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{16}");

    /** Parses and checks the query parameters; every problem is a 400 naming the parameter. */
    public static DiscrepancyQuery parse(Router.Request req, EngineConfig config, Instant now) {
        return parse(req, config, now, Set.of());
    }

    /** As above; {@code more} are further parameters the caller takes itself. */
    public static DiscrepancyQuery parse(Router.Request req, EngineConfig config, Instant now, Set<String> more) {
        for (String name : req.query().keySet()) {
            if (!PARAMETERS.contains(name) && !more.contains(name)) {
                throw ApiException.badParameter(ApiException.shown(name), "unknown",
                        "use status, rule, type, since, minAge, maxAge, key, limit and cursor");
            }
        }
        Status status = Status.OPEN;
        boolean acknowledged = false;
        String s = req.query("status");
        if (s != null) {
            switch (s.toLowerCase(Locale.ROOT)) {
                case "open" -> status = Status.OPEN;
                case "resolved" -> status = Status.RESOLVED;
                case "waived" -> status = Status.WAIVED;
                case "acknowledged" -> acknowledged = true;
                case "all" -> status = null;
                default -> throw ApiException.badParameter("status", "'" + ApiException.shown(s) + "' is not a status",
                        "use open (the default), acknowledged, waived, resolved or all");
            }
        }
        String rule = req.query("rule");
        if (rule != null && config.rule(rule).isEmpty()) {
            throw ApiException.badParameter("rule", "no rule '" + ApiException.shown(rule) + "'",
                    "use one of " + config.rules().stream().map(Rule::name).toList());
        }
        DiscrepancyType type = null;
        String t = req.query("type");
        if (t != null) {
            try {
                type = DiscrepancyType.valueOf(t.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw ApiException.badParameter("type", "'" + ApiException.shown(t) + "' is not a discrepancy type",
                        "use one of " + Arrays.toString(DiscrepancyType.values()));
            }
        }
        Instant since = null;
        String si = req.query("since");
        if (si != null) since = instant("since", si);
        Duration maxAge = age(req, "maxAge");
        if (maxAge != null) {
            Instant from = now.minus(maxAge);
            if (since == null || from.isAfter(since)) since = from;
        }
        Duration minAge = age(req, "minAge");
        Instant before = minAge == null ? null : now.minus(minAge);
        String key = req.query("key");
        if (key != null) {
            key = key.trim();
            if (key.isEmpty()) key = null;
            else if (key.length() > MAX_KEY) {
                throw ApiException.badParameter("key", "longer than " + MAX_KEY + " characters",
                        "give the start of a key value, e.g. an order id");
            }
        }
        int limit = limit(req.query("limit"));
        String cursor = req.query("cursor");
        if (cursor != null && !ID.matcher(cursor).matches()) {
            throw ApiException.badParameter("cursor", "'" + ApiException.shown(cursor)
                    + "' is not a cursor this API gave out",
                    "pass the 'next' value of the previous page unchanged, or omit it for the first page");
        }
        return new DiscrepancyQuery(status, rule, type, since, before, key, limit, cursor, acknowledged);
    }

    /** A duration parameter ({@code 5m}, {@code 1h}, {@code 2d}); null when absent. */
    private static Duration age(Router.Request req, String name) {
        String v = req.query(name);
        if (v == null || v.isBlank()) return null;
        Duration d;
        try {
            d = Durations.parse(v.trim());
        } catch (IllegalArgumentException | ArithmeticException e) {
            d = null;
        }
        if (d == null || d.compareTo(MAX_AGE) > 0) {
            throw ApiException.badParameter(name, "'" + ApiException.shown(v) + "' is not a duration up to 3650d",
                    "write it like 30s, 5m, 1h or 2d");
        }
        return d;
    }

    /** A page size from the {@code limit} parameter: {@link #DEFAULT_LIMIT} when absent, 1 to {@link #MAX_LIMIT}. */
    static int limit(String raw) {
        if (raw == null) return DEFAULT_LIMIT;
        int limit;
        try {
            limit = Integer.parseInt(raw.trim());
        } catch (NumberFormatException e) {
            limit = -1;
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.badParameter("limit", "'" + ApiException.shown(raw) + "' is not a number from 1 to "
                    + MAX_LIMIT, "omit it for " + DEFAULT_LIMIT + " items per page");
        }
        return limit;
    }

    static Instant instant(String name, String text) {
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            try {
                return OffsetDateTime.parse(text).toInstant();
            } catch (DateTimeParseException e2) {
                throw ApiException.badParameter(name, "'" + ApiException.shown(text) + "' is not an ISO-8601 time",
                        "write it like 2026-11-26T08:00:00Z or 2026-11-26T16:00:00+08:00 (URL-encode '+' as %2B)");
            }
        }
    }

    public boolean matches(Discrepancy d) {
        return (status == null || d.status() == status)
                && (!acknowledged || d.acknowledgement() != null)
                && (rule == null || d.rule().equals(rule))
                && (type == null || d.type() == type)
                && (since == null || !d.detectedAt().isBefore(since))
                && (before == null || !d.detectedAt().isAfter(before))
                && (key == null || keyStartsWith(d, key));
    }

    private static boolean keyStartsWith(Discrepancy d, String prefix) {
        for (String v : d.key().values()) {
            if (v != null && v.startsWith(prefix)) return true;
        }
        return false;
    }

    /** One page: the matching records after the cursor, and the cursor of the next page (null at the end). */
    Views.Page<Views.DiscrepancyView> run(StateStore store) {
        return run(store::forEachDiscrepancyAfter);
    }

    /** Discrepancies in id order after an id (null: from the first), until the visitor returns false. */
    @FunctionalInterface
    public interface Scan {
        void forEachAfter(String afterId, java.util.function.Predicate<Discrepancy> visitor);
    }

    /** One page of a scan in id order (the distributed mode's scan merges the partitions' stores). */
    public Views.Page<Views.DiscrepancyView> run(Scan scan) {
        List<Views.DiscrepancyView> items = new ArrayList<>();
        String[] last = {null};
        int[] read = {0};
        boolean[] more = {false};
        scan.forEachAfter(cursor, d -> {
            if (items.size() == limit || read[0] == SCAN_BUDGET) {
                more[0] = true;   // there is at least one record after this page
                return false;
            }
            read[0]++;
            last[0] = d.id();
            if (matches(d)) items.add(Views.DiscrepancyView.of(d));
            return true;
        });
        return new Views.Page<>(items, more[0] ? last[0] : null);
    }
}
