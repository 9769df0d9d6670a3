package dev.reconciler.streams;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.reconciler.app.api.Json;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The merge of the instances' pages ({@link StreamsApi#merge}): paging through merged pages gives every record once,
 * in id order, whatever each instance's page holds, also when an instance's page stopped early (its scan budget) or
 * an instance's page is empty.
 */
class PageMergeTest {

    /** An instance holding {@code ids}, answering pages as the embedded store's scan does (a budget of reads). */
    record Instance(TreeSet<String> ids, int budget) {
        JsonNode page(String cursor, int limit) {
            ArrayNode items = Json.MAPPER.createArrayNode();
            String last = null;
            int read = 0;
            boolean more = false;
            for (String id : cursor == null ? ids : ids.tailSet(cursor, false)) {
                if (items.size() == limit || read == budget) {
                    more = true;
                    break;
                }
                read++;
                last = id;
                if (!id.endsWith("x")) items.add(Json.MAPPER.createObjectNode().put("id", id));   // "x": filtered out
            }
            ObjectNode page = Json.MAPPER.createObjectNode();
            page.set("items", items);
            page.put("next", more ? last : null);
            return page;
        }
    }

    static List<String> pageThrough(List<Instance> instances, int limit) {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        for (int pages = 0; pages < 1000; pages++) {
            List<JsonNode> answers = new ArrayList<>();
            for (Instance i : instances) answers.add(i.page(cursor, limit));
            ObjectNode merged = StreamsApi.merge(answers, limit);
            assertThat(merged.get("items").size()).isLessThanOrEqualTo(limit);
            for (JsonNode item : merged.get("items")) seen.add(item.get("id").asText());
            if (merged.get("next").isNull()) return seen;
            cursor = merged.get("next").asText();
        }
        throw new AssertionError("paging did not end");
    }

    @Test
    void pagingThroughMergedPagesGivesEveryRecordOnceInIdOrder() {
        TreeSet<String> a = new TreeSet<>();
        TreeSet<String> b = new TreeSet<>();
        TreeSet<String> all = new TreeSet<>();
        for (int i = 0; i < 300; i++) {
            String id = String.format("%016x", (long) i * 7919 % 100_003);
            (i % 3 == 0 ? a : b).add(id);
            all.add(id);
        }
        TreeSet<String> filtered = new TreeSet<>();
        for (int i = 0; i < 40; i++) filtered.add(String.format("%015xx", i * 31L));
        TreeSet<String> c = new TreeSet<>(filtered);   // an instance whose records the filter drops
        for (int limit : new int[]{1, 7, 100, 1000}) {
            for (int budget : new int[]{3, 50, 10_000}) {
                List<String> seen = pageThrough(List.of(new Instance(a, budget), new Instance(b, budget),
                        new Instance(c, budget), new Instance(new TreeSet<>(), budget)), limit);
                assertThat(seen).as("limit %d, budget %d", limit, budget).isSorted().doesNotHaveDuplicates()
                        .containsExactlyElementsOf(all);
            }
        }
    }
}
