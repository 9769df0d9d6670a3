package dev.reconciler.core.match;

import dev.reconciler.core.rule.EngineConfig;
import dev.reconciler.core.testing.EngineTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Every scenario of {@link ReconciliationEngineTest} on the RocksDB store; {@code restart()} closes the store and
 * opens it again from disk, so the restart scenarios prove that state reopens exactly as it was.
 */
class ReconciliationEngineOnRocksDbTest extends ReconciliationEngineTest {
    @TempDir
    Path dir;
    private final List<EngineTestDriver> drivers = new ArrayList<>();
    private int stores;

    @Override
    EngineTestDriver newDriver(EngineConfig config) {
        Path storeDir = dir.resolve("state-" + stores++);
        EngineTestDriver driver = EngineTestDriver.onRocksDb(config, storeDir);
        drivers.add(driver);
        return driver;
    }

    @AfterEach
    void closeAll() {
        drivers.forEach(EngineTestDriver::close);
    }
}
