package dev.reconciler.app.runtime;

import dev.reconciler.app.config.ConfigLoader;
import dev.reconciler.app.config.ReconcilerConfig;
import dev.reconciler.core.state.fixture.StateFixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A source's offsets file or schema history that is truncated or overwritten refuses the start (exit code 3), naming
 * the file and the ways out, before any source connects: never a source that resumes from a wrong place. The state
 * directory is the one the release of format 3 wrote (its store, and the offsets and schema history of
 * {@code orders}); no database is reached before the check.
 */
class CorruptSourceFilesOnStartTest {

    private static ReconcilerConfig config(Path state) throws Exception {
        Map<String, String> env = Map.of(
                "ORDER_DB_PORT", "1", "ORDER_DB_PASSWORD", "x", "INVENTORY_DB_PORT", "1", "INVENTORY_DB_PASSWORD", "x",
                "RECONCILER_STATE_DIR", state.toString(), "RECONCILER_HTTP_PORT", "0");
        return new ConfigLoader(env::get).load(Path.of("..", "deploy", "config", "order-inventory.yml"));
    }

    private static Path stateDir(Path tmp) throws Exception {
        Path state = tmp.resolve("state");
        StateFixtures.copy("format-3", state);
        StateFixtures.copy("format-3-app", state);
        return state;
    }

    @Test
    void aTruncatedOffsetsFileRefusesTheStartNamingTheFileAndTheResyncCommand(@TempDir Path tmp) throws Exception {
        Path state = stateDir(tmp);
        Path offsets = state.resolve("sources").resolve("orders").resolve("offsets.dat");
        try (RandomAccessFile f = new RandomAccessFile(offsets.toFile(), "rw")) {
            f.setLength(f.length() / 2);
        }
        byte[] torn = Files.readAllBytes(offsets);
        ReconcilerConfig config = config(state);
        assertThatThrownBy(() -> ReconcilerRuntime.start(config, null).close())
                .isInstanceOf(ReconcilerRuntime.StartupException.class)
                .hasMessageContaining("source orders: the offsets file " + offsets + " is unreadable")
                .hasMessageContaining("restore the whole state.dir")
                .hasMessageContaining("reconciler resync --config <config file> --source orders --since ");
        assertThat(Files.readAllBytes(offsets)).as("left as it was, for a resync or a restore").isEqualTo(torn);
    }

    @Test
    void aGarbageSchemaHistoryRefusesTheStartNamingTheFile(@TempDir Path tmp) throws Exception {
        Path state = stateDir(tmp);
        Path history = state.resolve("sources").resolve("orders").resolve("schema-history.dat");
        Files.writeString(history, "{\"source\": {\"server\": \"orders\"}, \"position\": {\"fi", 
                java.nio.file.StandardOpenOption.APPEND);
        ReconcilerConfig config = config(state);
        assertThatThrownBy(() -> ReconcilerRuntime.start(config, null).close())
                .isInstanceOf(ReconcilerRuntime.StartupException.class)
                .hasMessageContaining("source orders: the schema history " + history + " is unreadable (line ")
                .hasMessageContaining("reconciler resync");
    }

    @Test
    void aPendingResyncSetsTheBrokenFilesAsideSoTheStartIsNotRefused(@TempDir Path tmp) throws Exception {
        Path state = stateDir(tmp);
        Path source = state.resolve("sources").resolve("orders");
        Files.writeString(source.resolve("offsets.dat"), "garbage");
        Files.writeString(source.resolve("resync.json"), "{}");
        assertThat(dev.reconciler.app.source.SourceStateFiles.problem("orders", source, null)).isNull();
        Files.delete(source.resolve("resync.json"));
        assertThat(dev.reconciler.app.source.SourceStateFiles.problem("orders", source, null))
                .contains("offsets file").contains("--since <ISO-8601 instant or duration such as 6h>");
    }
}
