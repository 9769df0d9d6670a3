package dev.reconciler.streams.alert;

import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupAssignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** All outcome partitions to one member; the holder keeps them when others join. */
class SingleActiveAssignorTest {
    private static final Node NODE = new Node(0, "localhost", 9092);
    private static final Cluster CLUSTER = new Cluster("c", List.of(NODE), partitions("outcomes", 4), Set.of(), Set.of());

    private static List<PartitionInfo> partitions(String topic, int n) {
        List<PartitionInfo> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(new PartitionInfo(topic, i, NODE, new Node[]{NODE}, new Node[]{NODE}));
        return out;
    }

    /** A member that holds the partitions since {@code generation}, or none (-1). */
    private static Subscription member(int generation) {
        return new Subscription(List.of("outcomes"), ByteBuffer.allocate(4).putInt(0, generation));
    }

    private static Map<String, Assignment> assign(Map<String, Subscription> members) {
        GroupAssignment g = new SingleActiveAssignor().assign(CLUSTER, new GroupSubscription(members));
        return g.groupAssignment();
    }

    @Test
    void withNoHolderTheSmallestMemberIdGetsEveryPartition() {
        Map<String, Assignment> a = assign(Map.of("m-b", member(-1), "m-a", member(-1), "m-c", member(-1)));
        assertThat(a.get("m-a").partitions()).containsExactlyInAnyOrder(new TopicPartition("outcomes", 0),
                new TopicPartition("outcomes", 1), new TopicPartition("outcomes", 2), new TopicPartition("outcomes", 3));
        assertThat(a.get("m-b").partitions()).isEmpty();
        assertThat(a.get("m-c").partitions()).isEmpty();
    }

    @Test
    void theHolderKeepsThemWhenAnotherInstanceJoins() {
        Map<String, Assignment> a = assign(Map.of("m-a", member(-1), "m-c", member(7)));
        assertThat(a.get("m-c").partitions()).hasSize(4);
        assertThat(a.get("m-a").partitions()).isEmpty();
    }

    @Test
    void ofTwoClaimsTheLaterGenerationWins() {
        // m-a was dropped for missing its session in generation 7 and still believes it holds them; m-c got them in 8
        Map<String, Assignment> a = assign(Map.of("m-a", member(7), "m-c", member(8)));
        assertThat(a.get("m-c").partitions()).hasSize(4);
        assertThat(a.get("m-a").partitions()).isEmpty();
    }

    @Test
    void theAssignorRemembersWhetherItHoldsThePartitions() {
        SingleActiveAssignor assignor = new SingleActiveAssignor();
        assertThat(assignor.subscriptionUserData(Set.of("outcomes")).getInt(0)).isEqualTo(-1);
        assignor.onAssignment(new Assignment(List.of(new TopicPartition("outcomes", 0))),
                new org.apache.kafka.clients.consumer.ConsumerGroupMetadata("g", 5, "m-a", java.util.Optional.empty()));
        assertThat(assignor.subscriptionUserData(Set.of("outcomes")).getInt(0)).isEqualTo(5);
        assignor.onAssignment(new Assignment(List.of()), null);
        assertThat(assignor.subscriptionUserData(Set.of("outcomes")).getInt(0)).isEqualTo(-1);
    }
}
