package dev.reconciler.app.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.app.api.Json;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code reconciler status} against the distributed mode's status: it never says "everything is being checked" while partitions are unowned. */
class StatusProblemsTest {

    static JsonNode status(String json) throws Exception {
        return Json.MAPPER.readTree(json.replace('\'', '"'));
    }

    @Test
    void aDistributedStatusNamesThePartitionsNoInstanceRunsAndWhyThisOneIsNotReady() throws Exception {
        JsonNode rebalancing = status("{'mode': 'distributed', 'state': 'REBALANCING', 'factsPartitions': 4,"
                + " 'notReady': ['the Kafka Streams client is REBALANCING'], 'sources': [], 'rules': [],"
                + " 'instances': [{'endpoint': 'a:8080', 'partitions': [0, 1]}, {'endpoint': 'b:8080', 'partitions': [3]}]}");
        assertThat(StatusCommand.problems(rebalancing)).containsExactly(
                "this instance is not ready: the Kafka Streams client is REBALANCING",
                "facts partitions [2] have no active instance (Kafka Streams is REBALANCING): their pairs are not"
                        + " being judged");
        JsonNode stable = status("{'mode': 'distributed', 'state': 'RUNNING', 'factsPartitions': 2, 'notReady': [],"
                + " 'sources': [], 'rules': [], 'instances': [{'endpoint': 'a:8080', 'partitions': [0, 1]}]}");
        assertThat(StatusCommand.problems(stable)).isEmpty();
    }

    @Test
    void aFailingHeartbeatIsNamedWithItsSourceAndCauseAndAWorkingOneIsNot() throws Exception {
        JsonNode s = status("{'mode': 'distributed', 'state': 'RUNNING', 'factsPartitions': 1, 'notReady': [],"
                + " 'sources': [], 'rules': [], 'instances': [{'endpoint': 'a:8080', 'partitions': [0]}],"
                + " 'heartbeats': [{'source': 'orders', 'failingSince': null, 'lastError': null},"
                + " {'source': 'inventory', 'failingSince': '2026-12-03T03:00:00Z', 'lastError': 'connection refused'}]}");
        assertThat(StatusCommand.problems(s)).containsExactly("source inventory: heartbeats failing since"
                + " 2026-12-03T03:00:00Z (connection refused): an idle source's watermark cannot move, its pairs wait"
                + " and it will be reported stalled");
    }
}
