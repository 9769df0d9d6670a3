package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code reconciler discrepancies list|show|ack|waive|resolve|reopen}: the discrepancy workflow against a running
 * reconciler, through the same HTTP API as the console (docs/api.md, docs/cli.md).
 */
@Command(name = "discrepancies", mixinStandardHelpOptions = true,
        description = "Lists and shows the discrepancies of a running reconciler, and takes the on-call steps:"
                + " acknowledge, waive (accepted as known), resolve by hand, re-open. Every step records who and why"
                + " in the reconciler's audit trail.",
        subcommands = {DiscrepanciesCommand.ListCommand.class, DiscrepanciesCommand.Show.class,
                DiscrepanciesCommand.Ack.class, DiscrepanciesCommand.Waive.class, DiscrepanciesCommand.Resolve.class,
                DiscrepanciesCommand.Reopen.class, DiscrepanciesCommand.Audit.class},
        footerHeading = "%nExamples:%n",
        footer = {"  export RECONCILER_API_TOKEN=...             # or --token-file FILE",
                "  reconciler discrepancies list --server http://reconciler:8080 --rule sale",
                "  reconciler discrepancies show 1f0c2a9e3b7d4c55",
                "  reconciler discrepancies waive 1f0c2a9e3b7d4c55 --reason 'OPS-1234: known, refunded by hand'",
                "",
                "Exit codes: 0 done, 2 usage error, 3 the server could not be reached or failed, 5 no such discrepancy,",
                "6 the step is not allowed in the discrepancy's status, 7 no token or a wrong one."})
final class DiscrepanciesCommand implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(),
                "name a subcommand: list, show, ack, waive, resolve, reopen or audit");
    }

    @Command(name = "list", mixinStandardHelpOptions = true,
            description = "Lists discrepancies in id order (the API's paging order) as a table (--json: the API's"
                    + " pages as they are, one JSON document per page).")
    static final class ListCommand implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        ServerClient.Options server;

        @Option(names = "--status", paramLabel = "S", defaultValue = "open",
                description = "open (default), acknowledged, waived, resolved or all.")
        String status;
        @Option(names = "--rule", paramLabel = "RULE", description = "Only this rule.")
        String rule;
        @Option(names = "--type", paramLabel = "TYPE", description = "Only this type, e.g. MISSING_RIGHT.")
        String type;
        @Option(names = "--since", paramLabel = "T", description = "Only those detected at or after T (ISO-8601).")
        String since;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
                description = "At most N discrepancies (default ${DEFAULT-VALUE}); 0 for all, page by page.")
        int limit;

        @Override
        public Integer call() throws Exception {
            return ServerClient.run(spec, () -> {
                ServerClient c = server.client();
                PrintWriter out = spec.commandLine().getOut();
                StringBuilder q = new StringBuilder("/api/discrepancies?status=").append(ServerClient.enc(status));
                if (rule != null) q.append("&rule=").append(ServerClient.enc(rule));
                if (type != null) q.append("&type=").append(ServerClient.enc(type));
                if (since != null) q.append("&since=").append(ServerClient.enc(since));
                Table t = new Table("ID", "RULE", "TYPE", "STATUS", "AGE", "KEY", "DIFF", "ACK");
                Instant now = Instant.now();
                String cursor = null;
                int shown = 0;
                boolean more;
                do {
                    int want = limit == 0 ? 1000 : Math.min(1000, limit - shown);
                    JsonNode page = c.get(q + "&limit=" + want + (cursor == null ? "" : "&cursor=" + cursor));
                    if (server.json) out.println(Json.MAPPER.writeValueAsString(page));
                    for (JsonNode d : page.get("items")) {
                        shown++;
                        t.row(d.get("id").asText(), d.get("rule").asText(), d.get("type").asText(),
                                d.get("status").asText(), age(d, now), key(d.get("key")),
                                d.get("difference").isNull() ? null : d.get("difference").asText(),
                                d.get("acknowledged").isNull() ? "" : "yes");
                    }
                    cursor = page.get("next").isNull() ? null : page.get("next").asText();
                    more = cursor != null && (limit == 0 || shown < limit);
                } while (more);
                if (!server.json) {
                    if (t.size() == 0) {
                        out.println("no " + (status.equals("all") ? "" : status + " ") + "discrepancies"
                                + (rule == null ? "" : " of rule " + rule));
                    } else {
                        t.print(out);
                        if (cursor != null) out.println("(first " + shown + " shown; --limit 0 lists all)");
                    }
                }
                out.flush();
                return Main.OK;
            });
        }
    }

    @Command(name = "audit", mixinStandardHelpOptions = true,
            description = "The audit trail: every step people took with discrepancies (who, when, what, why), newest"
                    + " first.")
    static final class Audit implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        ServerClient.Options server;
        @Option(names = "--since", paramLabel = "T", description = "Only steps at or after T (ISO-8601).")
        String since;
        @Option(names = "--limit", paramLabel = "N", defaultValue = "50",
                description = "At most N steps (default ${DEFAULT-VALUE}, at most 1000).")
        int limit;

        @Override
        public Integer call() throws Exception {
            return ServerClient.run(spec, () -> {
                PrintWriter out = spec.commandLine().getOut();
                JsonNode page = server.client().get("/api/audit?limit=" + limit
                        + (since == null ? "" : "&since=" + ServerClient.enc(since)));
                if (server.json) {
                    out.println(Json.MAPPER.writeValueAsString(page));
                } else {
                    Table t = new Table("AT", "ACTION", "BY", "DISCREPANCY", "RULE", "TYPE", "REASON");
                    for (JsonNode e : page.get("items")) {
                        t.row(e.get("at").asText(), e.get("action").asText(), e.get("by").asText(),
                                e.get("discrepancyId").asText(), e.get("rule").asText(), e.get("type").asText(),
                                e.get("reason").asText());
                    }
                    if (t.size() == 0) out.println("no steps recorded" + (since == null ? "" : " since " + since));
                    else t.print(out);
                }
                out.flush();
                return Main.OK;
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Shows one discrepancy: key, both sides' rows (table, primary key, commit time, binlog"
                    + " position, columns), its status and its timeline.")
    static final class Show implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        ServerClient.Options server;
        @Parameters(paramLabel = "ID", description = "The discrepancy's id (16 hex digits).")
        String id;

        @Override
        public Integer call() throws Exception {
            return ServerClient.run(spec, () -> {
                JsonNode d = server.client().get("/api/discrepancies/" + ServerClient.enc(id));
                print(spec.commandLine().getOut(), d, server.json);
                return Main.OK;
            });
        }
    }

    /** The four steps share everything but which fields they need; the action is the subcommand's name (the API's). */
    abstract static class Step implements Callable<Integer> {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;
        @CommandLine.Mixin
        ServerClient.Options server;
        @Parameters(paramLabel = "ID", description = "The discrepancy's id (16 hex digits).")
        String id;
        @Option(names = "--by", paramLabel = "NAME",
                description = "Who takes the step, for the audit trail (default: your login name).")
        String by;

        abstract String reason();

        @Override
        public Integer call() throws Exception {
            return ServerClient.run(spec, () -> {
                String who = by != null ? by : System.getProperty("user.name", "");
                Map<String, String> body = new LinkedHashMap<>();
                body.put("by", who);
                if (reason() != null) body.put("reason", reason());
                JsonNode d = server.client().post("/api/discrepancies/" + ServerClient.enc(id) + "/" + spec.name(), body);
                print(spec.commandLine().getOut(), d, server.json);
                return Main.OK;
            });
        }
    }

    @Command(name = "ack", mixinStandardHelpOptions = true,
            description = "Acknowledges a discrepancy (\"seen, someone is on it\"); changes nothing in the judgement.")
    static final class Ack extends Step {
        @Option(names = {"--reason", "--note"}, paramLabel = "TEXT", description = "A note, e.g. a ticket.")
        String reason;

        String reason() {
            return reason;
        }
    }

    @Command(name = "waive", mixinStandardHelpOptions = true,
            description = "Waives an open discrepancy: accepted as known. Its alert resolves and the open count no"
                    + " longer includes it; it stays listed as WAIVED. If the pair becomes consistent later it is"
                    + " resolved as usual; a quantity mismatch whose amount changes opens again.")
    static final class Waive extends Step {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (mandatory).")
        String reason;

        String reason() {
            return reason;
        }
    }

    @Command(name = "resolve", mixinStandardHelpOptions = true,
            description = "Resolves an open or waived discrepancy by hand (resolution MANUAL). If the pair is still"
                    + " inconsistent at its next change, the reconciler opens a new discrepancy for it.")
    static final class Resolve extends Step {
        @Option(names = "--reason", required = true, paramLabel = "TEXT", description = "Why (mandatory).")
        String reason;

        String reason() {
            return reason;
        }
    }

    @Command(name = "reopen", mixinStandardHelpOptions = true,
            description = "Re-opens a waived discrepancy or one resolved by hand; its alert fires again.")
    static final class Reopen extends Step {
        @Option(names = "--reason", paramLabel = "TEXT", description = "Why (optional).")
        String reason;

        String reason() {
            return reason;
        }
    }

    // ------------------------------------------------------------------------------------------------ printing

    static void print(PrintWriter out, JsonNode d, boolean json) throws Exception {
        if (json) {
            out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(d));
            out.flush();
            return;
        }
        out.println("discrepancy " + d.get("id").asText() + "  " + d.get("rule").asText() + " "
                + d.get("type").asText() + "  " + d.get("status").asText()
                + (d.get("resolution").isNull() ? "" : " (" + d.get("resolution").asText() + ")"));
        out.println("  key:         " + key(d.get("key")));
        out.println("  occurrence:  " + d.get("occurrence").asText());
        out.println("  detected:    " + d.get("detectedAt").asText());
        if (!d.get("resolvedAt").isNull()) out.println("  resolved:    " + d.get("resolvedAt").asText());
        if (!d.get("difference").isNull()) {
            out.println("  difference:  " + d.get("difference").asText() + " (right - left)");
        }
        side(out, "left", d.get("left"));
        side(out, "right", d.get("right"));
        out.println("  timeline:");
        Table t = new Table("    AT", "ACTION", "BY", "REASON");
        for (JsonNode s : d.get("timeline")) {
            t.row("    " + s.get("at").asText(), s.get("action").asText(), s.get("by").asText(),
                    s.get("reason").asText());
        }
        t.print(out);
        out.flush();
    }

    private static void side(PrintWriter out, String name, JsonNode rows) {
        if (rows.isEmpty()) {
            out.println("  " + name + ": (no rows)");
            return;
        }
        out.println("  " + name + ":");
        for (JsonNode r : rows) {
            out.println("    " + r.get("source").asText() + " " + r.get("table").asText() + " pk=" + r.get("pk").asText()
                    + " committed " + r.get("eventTime").asText() + " at " + r.get("position").asText());
            StringBuilder cols = new StringBuilder("      ");
            r.get("columns").fields().forEachRemaining(e -> cols.append(e.getKey()).append('=')
                    .append(e.getValue().isNull() ? "NULL" : e.getValue().asText()).append(' '));
            out.println(cols.toString().stripTrailing());
        }
    }

    static String key(JsonNode key) {
        StringBuilder sb = new StringBuilder();
        key.fields().forEachRemaining(e -> sb.append(sb.length() == 0 ? "" : " ").append(e.getKey()).append('=')
                .append(e.getValue().asText()));
        return sb.toString();
    }

    static String age(JsonNode d, Instant now) {
        Duration a = Duration.between(Instant.parse(d.get("detectedAt").asText()), now);
        if (a.isNegative()) return "0s";
        if (a.toDays() > 0) return a.toDays() + "d" + a.toHoursPart() + "h";
        if (a.toHours() > 0) return a.toHours() + "h" + a.toMinutesPart() + "m";
        if (a.toMinutes() > 0) return a.toMinutes() + "m" + a.toSecondsPart() + "s";
        return a.toSeconds() + "s";
    }
}
