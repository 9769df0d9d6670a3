package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;
import dev.reconciler.core.state.InMemoryStateStore;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code GET /api/quarantine}: the quarantined facts, newest first, paged, with counts; bad parameters named. */
class QuarantineApiTest {

    @Test
    void listsQuarantinedFactsNewestFirstInPagesWithCounts() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            List<Quarantined> facts = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                facts.add(new Quarantined("inventory", "collection_inventory_stream", Integer.toString(i),
                        new SourcePosition("mariadb-bin.000002", 1000 + i, 0),
                        i <= 3 ? QuarantineReason.QUANTITY_NOT_A_NUMBER : QuarantineReason.KEY_MISSING, "sale",
                        Side.RIGHT, i <= 3 ? "changed_quantity" : "identifier", T0.plusSeconds(i)));
            }
            h.pipeline.command(e -> e.quarantine(facts)).get();

            JsonNode page = ApiHarness.JSON.readTree(h.get("/api/quarantine?limit=2").body());
            assertThat(page.get("total").asLong()).isEqualTo(5);
            assertThat(page.get("items")).extracting(i -> i.get("primaryKey").asText()).containsExactly("5", "4");
            JsonNode first = page.get("items").get(0);
            assertThat(first.get("reason").asText()).isEqualTo("KEY_MISSING");
            assertThat(first.get("binlogPosition").asText()).isEqualTo("mariadb-bin.000002:1005:0");
            assertThat(first.get("rule").asText()).isEqualTo("sale");
            assertThat(first.get("side").asText()).isEqualTo("right");
            assertThat(first.get("detail").asText()).isEqualTo("identifier");
            assertThat(page.get("counts")).hasSize(2);
            long next = page.get("next").asLong();
            JsonNode rest = ApiHarness.JSON.readTree(h.get("/api/quarantine?limit=10&before=" + next).body());
            assertThat(rest.get("items")).extracting(i -> i.get("primaryKey").asText()).containsExactly("3", "2", "1");
            assertThat(rest.get("next").isNull()).isTrue();
        }
    }

    @Test
    void badParametersAreNamed() throws Exception {
        try (ApiHarness h = new ApiHarness(new InMemoryStateStore(), ApiConfig.defaults())) {
            for (String q : List.of("limit=0", "limit=x", "before=-1", "page=2")) {
                ApiHarness.Reply r = h.get("/api/quarantine?" + q);
                assertThat(r.status()).as(q).isEqualTo(400);
                assertThat(r.body()).contains(q.substring(0, q.indexOf('=')));
            }
            ApiHarness.Reply empty = h.get("/api/quarantine");
            assertThat(empty.status()).isEqualTo(200);
            assertThat(ApiHarness.JSON.readTree(empty.body()).get("total").asLong()).isZero();
        }
    }
}
