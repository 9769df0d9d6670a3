package dev.reconciler.streams;

import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;

import java.nio.file.Path;

/**
 * A private one-node KRaft broker (combined broker and controller) in this JVM, for the distributed benchmark, which
 * wants a fresh broker per configuration and runs outside JUnit (the tests share one broker through the test
 * harness instead). Replication factor 1 for the internal topics; no group rebalance delay.
 */
final class InProcessKafka implements AutoCloseable {
    private final KafkaClusterTestKit cluster;

    private InProcessKafka(KafkaClusterTestKit cluster) {
        this.cluster = cluster;
    }

    static InProcessKafka start(Path dir) throws Exception {
        KafkaClusterTestKit c = new KafkaClusterTestKit.Builder(new TestKitNodes.Builder().setCombined(true)
                .setNumBrokerNodes(1).setNumControllerNodes(1).setBaseDirectory(dir).build())
                .setConfigProp("offsets.topic.replication.factor", "1")
                .setConfigProp("transaction.state.log.replication.factor", "1")
                .setConfigProp("transaction.state.log.min.isr", "1")
                .setConfigProp("group.initial.rebalance.delay.ms", "0")
                .setConfigProp("auto.create.topics.enable", "false")
                .build();
        try {
            c.format();
            c.startup();
            c.waitForReadyBrokers();
        } catch (Exception e) {
            c.close();
            throw e;
        }
        return new InProcessKafka(c);
    }

    String bootstrapServers() {
        return cluster.bootstrapServers();
    }

    @Override
    public void close() throws Exception {
        cluster.close();
    }
}
