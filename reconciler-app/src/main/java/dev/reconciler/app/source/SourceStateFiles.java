package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * Checks a source's Debezium files under the state directory before it starts: the offsets file (where to resume
 * reading the binlog) and the schema history (one JSON document per line). A truncated or garbage file would
 * otherwise make Debezium fail at every attempt, or, worse, resume from a wrong place; so the start refuses, naming
 * the file and the ways out. A pending resync sets both files aside anyway, so they are not checked then.
 */
public final class SourceStateFiles {
    static final String OFFSETS = "offsets.dat";
    static final String SCHEMA_HISTORY = "schema-history.dat";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SourceStateFiles() {
    }

    /**
     * @param sourceDir the source's directory, {@code <state.dir>/sources/<name>}
     * @param watermark the source's watermark in the state store (its last observed event), null if unknown
     * @return null when the files are readable, absent, or about to be set aside by a resync; else the problem,
     *         the file and the ways out
     */
    public static String problem(String source, Path sourceDir, Instant watermark) {
        if (Files.exists(ResyncRequest.file(sourceDir))) return null;
        Path offsets = sourceDir.resolve(OFFSETS);
        String broken = null;
        Path file = null;
        if (Files.exists(offsets)) {
            try {
                StoredOffset.read(offsets);
            } catch (IOException | RuntimeException e) {
                file = offsets;
                broken = "the offsets file " + offsets + " is unreadable (" + e + "): the binlog position to resume"
                        + " from is lost";
            }
        }
        Path history = sourceDir.resolve(SCHEMA_HISTORY);
        if (broken == null && Files.exists(history)) {
            try (BufferedReader in = Files.newBufferedReader(history, StandardCharsets.UTF_8)) {
                int n = 0;
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    n++;
                    if (line.isBlank()) continue;
                    JsonNode doc;
                    try {
                        doc = JSON.readTree(line);
                    } catch (IOException e) {
                        doc = null;
                    }
                    if (doc == null || !doc.isObject()) {
                        file = history;
                        broken = "the schema history " + history + " is unreadable (line " + n + " is not a JSON"
                                + " document; the file is truncated or overwritten): the table layouts the binlog is"
                                + " decoded with are lost";
                        break;
                    }
                }
            } catch (IOException | RuntimeException e) {
                file = history;
                broken = "the schema history " + history + " is unreadable (" + e + ")";
            }
        }
        if (broken == null) return null;
        String since = watermark == null ? "<ISO-8601 instant or duration such as 6h>"
                : watermark.minusSeconds(300).toString();
        return "source " + source + ": " + broken + ". Ways out: (1) restore the whole state.dir from a backup taken"
                + " while the reconciler was stopped; or (2) run `reconciler resync --config <config file> --source "
                + source + " --since " + since + "`: it sets " + file.getFileName() + " and its companion aside"
                + " (renamed *.before-resync-<time>), re-reads the source's rows changed since then and streams on"
                + " from the binlog's current end"
                + (watermark == null ? "" : "; the source's last observed event is " + watermark
                        + ", so that --since leaves nothing unread (a later one is reported once as a coverage gap)")
                + ". Do not delete the file alone: the source would then read what its snapshot settings say"
                + " (snapshotLookback) without reporting the window it skipped.";
    }
}
