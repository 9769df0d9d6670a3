package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/** Every scenario of {@link RulePauseTest} on RocksDB; {@code restart()} reopens the store from disk. */
class RulePauseOnRocksDbTest extends RulePauseTest {
    @TempDir
    Path dir;

    @Override
    EngineTestDriver newDriver(EngineConfig config) {
        return EngineTestDriver.onRocksDb(config, dir.resolve("state"));
    }
}
