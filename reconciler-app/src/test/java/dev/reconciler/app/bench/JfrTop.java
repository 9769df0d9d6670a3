package dev.reconciler.app.bench;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Where the Java CPU samples of a JFR recording went ({@code scripts/bench.sh --jfr}): the share of samples per
 * thread group (thread names with digits folded), per top frame (self time) and per method anywhere on the stack
 * (total time). Prints the {@code --top} largest of each. A text flame graph, good enough to see a lever.
 *
 * <pre>java -cp reconciler-app/target/test-classes dev.reconciler.app.bench.JfrTop target/bench/bench.jfr [--top 25]</pre>
 */
public final class JfrTop {
    private JfrTop() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        int top = args.length > 2 && args[1].equals("--top") ? Integer.parseInt(args[2]) : 25;
        Map<String, Long> threads = new HashMap<>();
        Map<String, Long> self = new HashMap<>();
        Map<String, Long> total = new HashMap<>();
        long samples = 0;
        Map<String, Long> allocatedBy = new HashMap<>();
        Map<String, Long> allocatedThreads = new HashMap<>();
        long allocated = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            if (e.getEventType().getName().equals("jdk.ObjectAllocationSample") && e.getStackTrace() != null) {
                long weight = e.getLong("weight");
                allocated += weight;
                String t = e.getThread("eventThread") == null ? "?" : e.getThread("eventThread").getJavaName();
                allocatedThreads.merge(t == null ? "?" : t.replaceAll("\\d+", "N"), weight, Long::sum);
                // the first frame outside the JDK: who asked for the memory
                for (RecordedFrame f : e.getStackTrace().getFrames()) {
                    String n = name(f);
                    if (!n.startsWith("java.") && !n.startsWith("jdk.") && !n.startsWith("sun.")) {
                        allocatedBy.merge(n, weight, Long::sum);
                        break;
                    }
                }
                continue;
            }
            if (!e.getEventType().getName().equals("jdk.ExecutionSample") || e.getStackTrace() == null) continue;
            samples++;
            String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
            threads.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1L, Long::sum);
            List<RecordedFrame> frames = e.getStackTrace().getFrames();
            if (frames.isEmpty()) continue;
            self.merge(name(frames.get(0)), 1L, Long::sum);
            Set<String> seen = new HashSet<>();
            for (RecordedFrame f : frames) {
                String n = name(f);
                if (seen.add(n)) total.merge(n, 1L, Long::sum);
            }
        }
        System.out.printf("%,d Java execution samples in %s%n", samples, file);
        print("threads", threads, samples, top);
        print("self (top frame)", self, samples, top);
        print("total (anywhere on the stack)", total, samples, top * 2);
        System.out.printf("%n%,.0f MB allocated (sampled weight)%n", allocated / 1048576.0);
        print("allocation by thread", allocatedThreads, allocated, top);
        print("allocation by first non-JDK frame", allocatedBy, allocated, top);
    }

    private static String name(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static void print(String title, Map<String, Long> counts, long samples, int top) {
        System.out.println("\n" + title + ":");
        counts.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(top)
                .forEach(x -> System.out.printf("  %5.1f %%  %s%n", 100.0 * x.getValue() / samples, x.getKey()));
    }
}
