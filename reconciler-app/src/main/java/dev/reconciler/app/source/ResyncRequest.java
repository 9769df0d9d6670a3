package dev.reconciler.app.source;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Optional;

/**
 * A pending bounded re-read of one source ({@code reconciler resync}, the resync API call, or the automatic mode):
 * the next time the source connects it sets its old binlog offsets aside, re-reads the rows of its tables changed
 * since {@code since} (by the snapshot look-back column) and then streams from the binlog's current end. Kept as a
 * small JSON file beside the source's offsets until the re-read is over, so a crash in the middle starts it again.
 *
 * @param since       rows whose look-back column is at or after this instant are re-read
 * @param requestedAt when it was asked for
 * @param requestedBy {@code cli}, {@code api} or {@code auto}
 * @param gapFrom     start of the window that was not observed and is not re-read (the source's watermark when the
 *                    resync was asked for), or null when the re-read covers everything missed
 * @param gapTo       end of that window ({@code since}); null with {@code gapFrom}
 * @param gapReported whether the coverage gap has been handed to the engine (it is reported once)
 */
public record ResyncRequest(Instant since, Instant requestedAt, String requestedBy, Instant gapFrom, Instant gapTo,
                            boolean gapReported) {
    static final String FILE = "resync.json";
    private static final ObjectMapper JSON = new ObjectMapper().registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);

    /**
     * A request to re-read since {@code since}, with the coverage gap it leaves: the window from the source's
     * watermark to {@code since}, when {@code since} is later (nothing in it is read again).
     */
    public static ResyncRequest of(Instant since, Instant now, String by, Instant watermark) {
        boolean gap = watermark != null && since.isAfter(watermark);
        return new ResyncRequest(since, now, by, gap ? watermark : null, gap ? since : null, false);
    }

    public boolean hasGap() {
        return gapFrom != null;
    }

    ResyncRequest withGapReported() {
        return new ResyncRequest(since, requestedAt, requestedBy, gapFrom, gapTo, true);
    }

    /** The request file in a source's directory ({@code <state.dir>/sources/<name>}). */
    public static Path file(Path sourceDir) {
        return sourceDir.resolve(FILE);
    }

    public static Optional<ResyncRequest> read(Path sourceDir) throws IOException {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file(sourceDir)), ResyncRequest.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }

    /** Written atomically (a temp file renamed over the old one). */
    public void write(Path sourceDir) throws IOException {
        Files.createDirectories(sourceDir);
        Path tmp = sourceDir.resolve(FILE + ".tmp");
        Files.write(tmp, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
        try {
            Files.move(tmp, file(sourceDir), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file(sourceDir), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    static void delete(Path sourceDir) throws IOException {
        Files.deleteIfExists(file(sourceDir));
    }
}
