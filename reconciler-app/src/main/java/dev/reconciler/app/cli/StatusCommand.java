package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code reconciler status}: a running reconciler's sources and rules, and whether anything needs a person. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = {"Shows a running reconciler: each source's state, lag and watermark, each rule's open and"
                + " waived discrepancies, pending pairs and reconciled-until, and says what is not being checked"
                + " (a source not streaming or stalled, a rule paused, the state store not taking writes).",
                "Exit code 0 when all is checked, 1 when something is not (listed), so a script can tell."},
        footerHeading = "%nExamples:%n",
        footer = {"  reconciler status --server http://reconciler:8080",
                "  reconciler status --json | jq '.sources[] | {name, lagSeconds}'",
                "",
                "Exit codes: 0 everything is checked, 1 something is not (listed: a source not streaming or stalled, a rule"
                        + " paused, the state store unwritable), 2 usage error, 3 the server could not be reached,"
                        + " 7 no token or a wrong one (when the server protects reads)."})
final class StatusCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;
    @CommandLine.Mixin
    ServerClient.Options server;

    @Override
    public Integer call() throws Exception {
        return ServerClient.run(spec, () -> {
            ServerClient c = server.client();
            JsonNode s = c.get("/api/status");
            PrintWriter out = spec.commandLine().getOut();
            List<String> problems = problems(s);
            if (server.json) {
                out.println(Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(s));
                out.flush();
                return problems.isEmpty() ? Main.OK : Main.PROBLEMS;
            }
            out.println("reconciler " + s.path("version").asText() + " at " + c.base() + ", up "
                    + s.path("uptimeSeconds").asLong() + " s");
            Table sources = new Table("SOURCE", "STATE", "LAG", "WATERMARK", "STALLED");
            for (JsonNode src : s.path("sources")) {
                sources.row(src.path("name").asText(), src.path("state").isNull() ? src.path("phase").asText()
                                : src.path("state").asText(),
                        src.path("lagSeconds").isNumber() ? String.format("%.1fs", src.path("lagSeconds").asDouble()) : "-",
                        src.path("watermark").asText("-"), src.path("stalled").asBoolean() ? "STALLED" : "");
            }
            sources.print(out);
            out.println();
            Table rules = new Table("RULE", "STATE", "OPEN", "WAIVED", "PENDING", "RECONCILED-UNTIL");
            for (JsonNode r : s.path("rules")) {
                rules.row(r.path("name").asText(), r.path("state").asText(), sum(r.path("open")),
                        sum(r.path("waived")), sum(r.path("pending")), r.path("reconciledUntil").asText("-"));
            }
            rules.print(out);
            if (problems.isEmpty()) {
                out.println();
                out.println("everything is being checked");
            } else {
                out.println();
                for (String p : problems) out.println("NOT CHECKED: " + p);
            }
            out.flush();
            return problems.isEmpty() ? Main.OK : Main.PROBLEMS;
        });
    }

    /** What the status says is not being checked right now. */
    static List<String> problems(JsonNode s) {
        List<String> out = new ArrayList<>();
        JsonNode unwritable = s.path("stateUnwritable");
        if (!unwritable.isMissingNode() && !unwritable.isNull()) {
            out.add("the state store takes no writes since " + unwritable.path("since").asText() + " ("
                    + unwritable.path("reason").asText() + "): ingestion waits");
        }
        for (JsonNode src : s.path("sources")) {
            String phase = src.path("phase").asText("");
            if (!phase.isEmpty() && !phase.equals("STREAMING")) {
                out.add("source " + src.path("name").asText() + " is " + phase
                        + (src.path("reason").isNull() ? "" : ": " + src.path("reason").asText()));
            }
            if (src.path("stalled").asBoolean()) {
                out.add("source " + src.path("name").asText() + " is stalled: pairs waiting on it are held");
            }
        }
        for (JsonNode r : s.path("rules")) {
            if (r.path("state").asText().equals("paused")) {
                out.add("rule " + r.path("name").asText() + " is paused: rows lack a column it reads");
            }
        }
        if (s.path("mode").asText().equals("distributed")) distributed(s, out);
        return out;
    }

    /**
     * A Streams instance's status (docs/scale-out.md, "Operating it"): what this instance cannot answer for, and the
     * facts partitions no instance runs right now (nobody checks them).
     */
    private static void distributed(JsonNode s, List<String> out) {
        for (JsonNode reason : s.path("notReady")) out.add("this instance is not ready: " + reason.asText());
        java.util.Set<Integer> owned = new java.util.TreeSet<>();
        for (JsonNode i : s.path("instances")) for (JsonNode p : i.path("partitions")) owned.add(p.asInt());
        List<Integer> unowned = new ArrayList<>();
        for (int p = 0; p < s.path("factsPartitions").asInt(); p++) if (!owned.contains(p)) unowned.add(p);
        if (!unowned.isEmpty()) {
            out.add("facts partitions " + unowned + " have no active instance (Kafka Streams is "
                    + s.path("state").asText() + "): their pairs are not being judged");
        }
        for (JsonNode h : s.path("heartbeats")) {
            if (!h.path("failingSince").isMissingNode() && !h.path("failingSince").isNull()) {
                out.add("source " + h.path("source").asText() + ": heartbeats failing since "
                        + h.path("failingSince").asText() + " (" + h.path("lastError").asText()
                        + "): an idle source's watermark cannot move, its pairs wait and it will be reported stalled");
            }
        }
    }

    private static long sum(JsonNode m) {
        long n = 0;
        for (JsonNode v : m) n += v.asLong();
        return n;
    }
}
