package dev.reconciler.app.source;

import org.junit.jupiter.api.extension.RegisterExtension;

/** The outage scenarios on MariaDB, read by the MariaDB connector (GTIDs). */
class SourceOutageTest extends SourceOutageScenarios {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(id -> LocalMariaDb.start(id), 31, 32);

    @Override
    LocalMariaDbPair databases() {
        return DATABASES;
    }
}
