package dev.reconciler.streams.alert;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The alerts consumer group's assignor (classic group protocol): <b>every</b> partition of the outcomes topic to
 * <b>one</b> member, nothing to the others. Storm control counts per rule over all discrepancies, and a stall is
 * reported by every partition, so the alerter must see every partition; the others are hot standbys, already in the
 * group, that take over at the next rebalance when the active one leaves or stops heartbeating.
 *
 * <p>Sticky: each member says in its subscription whether it holds the partitions now, and the holder keeps them
 * when another member joins (an instance added for scale must not move the alerter, which would restart its storm
 * windows). With no holder (the first start, or the holder gone) the member with the smallest id gets them.
 */
public final class SingleActiveAssignor implements ConsumerPartitionAssignor {
    static final String NAME = "reconciler-single-active";

    /** Whether this consumer got the partitions at the last rebalance; read by {@link #subscriptionUserData}. */
    private volatile boolean holding;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return ByteBuffer.wrap(new byte[]{(byte) (holding ? 1 : 0)});
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        holding = !assignment.partitions().isEmpty();
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        Map<String, Subscription> members = group.groupSubscription();
        String active = members.entrySet().stream()
                .filter(e -> holds(e.getValue()))
                .map(Map.Entry::getKey)
                .min(Comparator.naturalOrder())
                .orElseGet(() -> members.keySet().stream().min(Comparator.naturalOrder()).orElseThrow());
        Set<String> topics = new TreeSet<>();
        for (Subscription s : members.values()) topics.addAll(s.topics());
        List<TopicPartition> all = new ArrayList<>();
        for (String t : topics) {
            List<PartitionInfo> ps = metadata.partitionsForTopic(t);
            if (ps != null) for (PartitionInfo p : ps) all.add(new TopicPartition(t, p.partition()));
        }
        Map<String, Assignment> out = new HashMap<>();
        for (String m : members.keySet()) out.put(m, new Assignment(m.equals(active) ? all : List.of()));
        return new GroupAssignment(out);
    }

    private static boolean holds(Subscription s) {
        ByteBuffer b = s.userData();
        return b != null && b.remaining() > 0 && b.get(b.position()) == 1;
    }
}
