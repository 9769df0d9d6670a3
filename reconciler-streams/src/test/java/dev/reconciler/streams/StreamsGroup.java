package dev.reconciler.streams;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Streams application's consumer group as the broker sees it: which instance (by client id prefix) owns which
 * input partitions. A task of stage 2 is a partition of the facts topic; stage 1's is its change topic partition.
 */
record StreamsGroup(GroupState state, Map<String, Set<TopicPartition>> byInstance) {

    static StreamsGroup describe(Admin admin, String applicationId) {
        try {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(applicationId)).all()
                    .get(10, TimeUnit.SECONDS).get(applicationId);
            Map<String, Set<TopicPartition>> m = new TreeMap<>();
            for (MemberDescription member : d.members()) {
                String instance = member.clientId().replaceFirst("-StreamThread-.*$", "");
                m.computeIfAbsent(instance, k -> new TreeSet<>(java.util.Comparator.comparing(TopicPartition::toString)))
                        .addAll(member.assignment().topicPartitions());
            }
            return new StreamsGroup(d.groupState(), m);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot describe group " + applicationId, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stable, exactly these instances, and every given partition owned by one of them. */
    boolean stableWith(Set<String> instances, Set<TopicPartition> partitions) {
        if (state != GroupState.STABLE || !byInstance.keySet().equals(instances)) return false;
        Set<String> owned = new TreeSet<>();
        byInstance.values().forEach(s -> s.forEach(tp -> owned.add(tp.toString())));
        return partitions.stream().allMatch(tp -> owned.contains(tp.toString()));
    }

    /** The facts partitions (stage-2 tasks) an instance owns. */
    Set<Integer> factsPartitions(String instance, String factsTopic) {
        Set<Integer> out = new TreeSet<>();
        for (TopicPartition tp : byInstance.getOrDefault(instance, Set.of())) {
            if (tp.topic().equals(factsTopic)) out.add(tp.partition());
        }
        return out;
    }
}
