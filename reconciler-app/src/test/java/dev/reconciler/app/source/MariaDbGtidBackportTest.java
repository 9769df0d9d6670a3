package dev.reconciler.app.source;

import static org.assertj.core.api.Assertions.assertThat;

import io.debezium.connector.mariadb.gtid.MariaDbGtidSet;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The backported {@link MariaDbGtidSet} (debezium/debezium#7503, see docs/architecture.md "Backports") is the one
 * loaded, not the connector's 3.4.0.Final class, and it compares GTID positions per domain.
 */
class MariaDbGtidBackportTest {

    @Test
    void thePatchedClassIsLoadedFromTheAppNotFromTheConnectorJar() throws Exception {
        String loadedFrom = MariaDbGtidSet.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(loadedFrom).as("code source").doesNotContain("debezium-connector-mariadb");
        String appFrom = dev.reconciler.app.cli.Main.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(loadedFrom).isEqualTo(appFrom);
        assertThat(MariaDbGtidSet.class.getMethod("forDomain", long.class)).isNotNull();
    }

    @Test
    void aStoredPositionIsContainedInTheNewPrimarysPositionOfTheSameDomain() {
        // the stored offset was written by the old primary (server 33); the promoted replica (34) has gone on in domain 0
        assertThat(new MariaDbGtidSet("0-33-53").isContainedWithin(new MariaDbGtidSet("0-34-59"))).isTrue();
        assertThat(new MariaDbGtidSet("0-33-53").isContainedWithin(new MariaDbGtidSet("0-33-59"))).isTrue();
        // another domain is still another stream
        assertThat(new MariaDbGtidSet("1-33-53").isContainedWithin(new MariaDbGtidSet("0-34-59"))).isFalse();
    }

    @Test
    void theLauncherPutsTheReconcilerJarFirst() throws Exception {
        String launcher = Files.readString(Path.of("src/dist/bin/reconciler"));
        assertThat(launcher).contains("-cp \"$app:$home/lib/*\"").contains("\"$home\"/lib/reconciler-app-*.jar");
    }
}
