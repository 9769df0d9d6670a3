package dev.reconciler.core.state;

import java.nio.file.Path;

/** The heap store against the shared contract; it is not durable, so the reopen tests are skipped. */
class InMemoryStateStoreTest extends StateStoreContract {

    @Override
    protected StateStore newStore(Path dir) {
        return new InMemoryStateStore();
    }
}
