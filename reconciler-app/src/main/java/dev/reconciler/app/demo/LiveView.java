package dev.reconciler.app.demo;

import dev.reconciler.app.pipeline.EngineSnapshot;
import dev.reconciler.app.source.SourceStatus;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.outcome.Outcome;
import dev.reconciler.core.rule.Side;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The demo's terminal view, drawn once a second: throughput, pending pairs, open discrepancies by rule and type next
 * to the faults injected, the latest discrepancies with their keys, and where the API and metrics are. On a terminal
 * it redraws in place; otherwise (a pipe, a test) it prints one summary line per frame.
 */
public final class LiveView implements Consumer<List<Outcome>> {
    private static final int LATEST = 6;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneId.systemDefault());

    private final PrintStream out;
    private final boolean ansi;
    private final String apiUrl;
    private final Supplier<EngineSnapshot> engine;
    private final Supplier<List<SourceStatus>> sources;
    private final FlashSaleTraffic traffic;
    private final Deque<String> latest = new ArrayDeque<>();
    private final long started = System.nanoTime();
    private long lastEvents = -1;
    private long lastAt;
    private double eventsPerSecond;

    public LiveView(PrintStream out, boolean ansi, String apiUrl, Supplier<EngineSnapshot> engine,
                    Supplier<List<SourceStatus>> sources, FlashSaleTraffic traffic) {
        this.out = out;
        this.ansi = ansi;
        this.apiUrl = apiUrl;
        this.engine = engine;
        this.sources = sources;
        this.traffic = traffic;
    }

    /** Keeps the latest discrepancies opened (called on the engine thread). */
    @Override
    public void accept(List<Outcome> outcomes) {
        for (Outcome o : outcomes) {
            if (o instanceof Outcome.DiscrepancyOpened x) {
                Discrepancy d = x.discrepancy();
                String line = String.format("%s  %-6s %-17s %s%s", TIME.format(Instant.now()), d.rule(), d.type(),
                        d.key(), d.difference() == null ? "" : "  difference " + d.difference().toPlainString());
                synchronized (latest) {
                    latest.addFirst(line);
                    while (latest.size() > LATEST) latest.removeLast();
                }
            }
        }
    }

    /** Draws one frame. */
    public void frame() {
        List<SourceStatus> st = sources.get();
        long events = 0;
        for (SourceStatus s : st) for (long n : s.eventsByTable().values()) events += n;
        long now = System.nanoTime();
        if (lastEvents >= 0 && now > lastAt) eventsPerSecond = (events - lastEvents) / ((now - lastAt) / 1e9);
        lastEvents = events;
        lastAt = now;
        EngineSnapshot snap = engine.get();
        if (ansi) out.print("\033[H\033[2J" + render(st, snap, events));
        else out.println(summary(snap, events));
        out.flush();
    }

    /** One line: elapsed, events/s, pending, open discrepancies by type. */
    public String summary(EngineSnapshot snap, long events) {
        long pending = 0;
        StringBuilder open = new StringBuilder();
        for (Map.Entry<String, EngineSnapshot.RuleNumbers> r : snap.rules().entrySet()) {
            for (long p : r.getValue().pending().values()) pending += p;
            r.getValue().open().forEach((t, n) -> {
                if (n > 0) open.append(' ').append(r.getKey()).append('/').append(t).append('=').append(n);
            });
        }
        return String.format("[%3ds] orders %,d, events %,d (%,.0f/s), pending %,d, open:%s", elapsed().toSeconds(),
                traffic.orders(), events, eventsPerSecond, pending, open.length() == 0 ? " none" : open);
    }

    private String render(List<SourceStatus> st, EngineSnapshot snap, long events) {
        StringBuilder b = new StringBuilder();
        b.append("reconciler demo — a flash sale on two MariaDB servers, reconciled from their binlogs   ")
                .append(elapsed().toSeconds()).append(" s\n\n");
        b.append(String.format("orders written %,d   change events %,d   %,.0f events/s%n", traffic.orders(), events,
                eventsPerSecond));
        for (SourceStatus s : st) {
            Double seconds = s.lagSeconds(Instant.now());
            String lag = seconds == null ? "-" : String.format("%.1f s", seconds);
            b.append(String.format("  source %-10s %-10s lag %s%n", s.name(), s.phase(), lag));
        }
        b.append('\n').append(String.format("%-8s %-18s %8s %10s%n", "rule", "discrepancy", "open", "injected"));
        Map<String, Long> injected = traffic.injectedByRuleType();
        for (Map.Entry<String, EngineSnapshot.RuleNumbers> r : snap.rules().entrySet()) {
            for (DiscrepancyType t : DiscrepancyType.values()) {
                long inj = injected.getOrDefault(r.getKey() + "/" + t, 0L);
                long open = r.getValue().open().getOrDefault(t, 0L);
                if (open > 0 || inj > 0) b.append(String.format("%-8s %-18s %8d %10d%n", r.getKey(), t, open, inj));
            }
            b.append(String.format("%-8s %-18s %8d%n", r.getKey(), "pending (waiting)",
                    r.getValue().pending().get(Side.LEFT) + r.getValue().pending().get(Side.RIGHT)));
        }
        b.append("\nlatest discrepancies:\n");
        List<String> lines;
        synchronized (latest) {
            lines = new ArrayList<>(latest);
        }
        if (lines.isEmpty()) b.append("  (none yet: a row waits for its counterpart for the grace period first)\n");
        for (String l : lines) b.append("  ").append(l).append('\n');
        b.append("\nAPI      ").append(apiUrl).append("/api/discrepancies\n");
        b.append("status   ").append(apiUrl).append("/api/status\n");
        b.append("metrics  ").append(apiUrl).append("/metrics\n");
        b.append("\nCtrl-C stops the demo and removes its data.\n");
        return b.toString();
    }

    private Duration elapsed() {
        return Duration.ofNanos(System.nanoTime() - started);
    }
}
