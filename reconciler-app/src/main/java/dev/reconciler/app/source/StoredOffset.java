package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The binlog position a source's Debezium offsets file holds (Kafka Connect's {@code FileOffsetBackingStore}: a
 * serialized map of JSON key to JSON value), read for people: messages about a purged binlog and a resync name it.
 * Read-only; the file stays Debezium's.
 *
 * @param file      binlog file name, e.g. {@code mariadb-bin.000003}; null when absent
 * @param position  position in that file; -1 when absent
 * @param gtids     the GTID set or position ({@code 0-1-554}); null when the server has no GTIDs
 * @param eventTime the commit time of the last event the offset stands after; null when absent
 * @param snapshot  true while the offset is one of an unfinished snapshot (Debezium restarts it from the beginning)
 */
public record StoredOffset(String file, long position, String gtids, Instant eventTime, boolean snapshot) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Empty when there is no offsets file yet (first start) or it holds no offset. */
    public static Optional<StoredOffset> read(Path offsetsFile) throws IOException {
        Map<?, ?> raw;
        try (InputStream in = Files.newInputStream(offsetsFile); ObjectInputStream o = new ObjectInputStream(in)) {
            raw = (Map<?, ?>) o.readObject();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (ClassNotFoundException | ClassCastException e) {
            throw new IOException("not a Kafka Connect offsets file: " + e.getMessage(), e);
        }
        for (Object value : raw.values()) {
            if (!(value instanceof byte[] bytes)) continue;
            JsonNode v = JSON.readTree(new String(bytes, StandardCharsets.UTF_8));
            if (v == null || !v.isObject()) continue;
            long ts = v.path("ts_sec").asLong(0);
            String snapshot = text(v, "snapshot");
            boolean inSnapshot = snapshot != null && !"false".equalsIgnoreCase(snapshot)
                    && !v.path("snapshot_completed").asBoolean(false);
            return Optional.of(new StoredOffset(text(v, "file"), v.path("pos").asLong(-1), text(v, "gtids"),
                    ts > 0 ? Instant.ofEpochSecond(ts) : null, inSnapshot));
        }
        return Optional.empty();
    }

    private static String text(JsonNode v, String field) {
        JsonNode n = v.get(field);
        return n == null || n.isNull() ? null : n.asText();
    }

    /** e.g. {@code GTID 0-1-554 (mariadb-bin.000003:1234)} or {@code mariadb-bin.000003:1234}. */
    public String describe() {
        String at = file == null ? "?" : file + ":" + position;
        return gtids == null || gtids.isBlank() ? at : "GTID " + gtids + " (" + at + ")";
    }
}
