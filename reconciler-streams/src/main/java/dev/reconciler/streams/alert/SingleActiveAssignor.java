package dev.reconciler.streams.alert;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.nio.ByteBuffer;
import java.util.ArrayList;
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
 * <p>Sticky: each member says in its subscription the group generation in which it got the partitions (or none),
 * and the holder keeps them when another member joins (an instance added for scale must not move the alerter, which
 * would restart its storm windows). Of two claims — a member that was dropped from the group for missing its session
 * still believes it holds them — the later generation wins. With no claim (the first start, or the holder gone) the
 * member with the smallest id gets them.
 */
public final class SingleActiveAssignor implements ConsumerPartitionAssignor {
    static final String NAME = "reconciler-single-active";

    /** The generation in which this consumer got the partitions at its last rebalance, -1 if it got none. */
    private volatile int heldSince = -1;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public ByteBuffer subscriptionUserData(Set<String> topics) {
        return ByteBuffer.allocate(4).putInt(0, heldSince);
    }

    @Override
    public void onAssignment(Assignment assignment, ConsumerGroupMetadata metadata) {
        if (assignment.partitions().isEmpty()) heldSince = -1;
        else heldSince = metadata == null ? 0 : Math.max(0, metadata.generationId());
    }

    @Override
    public GroupAssignment assign(Cluster metadata, GroupSubscription group) {
        Map<String, Subscription> members = group.groupSubscription();
        String active = null;
        int since = -1;
        for (String m : new TreeSet<>(members.keySet())) {
            int claim = heldSince(members.get(m));
            if (active == null || claim > since) {
                active = m;
                since = claim;
            }
        }
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

    private static int heldSince(Subscription s) {
        ByteBuffer b = s.userData();
        return b == null || b.remaining() < 4 ? -1 : b.getInt(b.position());
    }
}
