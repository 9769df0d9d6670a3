package dev.reconciler.app.source;

import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The outage scenarios on the MySQL connector's code path: MariaDB posing as MySQL 5.7
 * ({@link LocalMariaDb#startPosingAsMySql57}), since MySQL itself cannot be installed here. Its offsets hold binlog
 * file and position (no GTIDs on this path).
 */
class MySqlFlavourSourceOutageTest extends SourceOutageScenarios {
    @RegisterExtension
    static final LocalMariaDbPair DATABASES = new LocalMariaDbPair(LocalMariaDb::startPosingAsMySql57, 33, 34);

    @Override
    LocalMariaDbPair databases() {
        return DATABASES;
    }
}
