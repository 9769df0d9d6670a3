package dev.reconciler.app.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.reconciler.core.state.rocksdb.RocksDbStateStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static dev.reconciler.core.testing.OrderInventory.T0;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The console's list and overview on a large RocksDB state: {@link #DISCREPANCIES} stored discrepancies (200,000 by
 * default; {@code -Dreconciler.console.discrepancies=1000000} for the figures of docs/console.md). A key search that
 * matches one record far down the key order is answered by following the cursor, each request bounded; the open-age
 * summary is bounded too. The measured times are printed.
 */
class ConsoleScaleTest {
    static final int DISCREPANCIES = Integer.getInteger("reconciler.console.discrepancies", 200_000);

    @TempDir
    static Path dir;
    static ApiHarness h;

    @BeforeAll
    static void start() {
        RocksDbStateStore store = RocksDbStateStore.open(dir.resolve("rocksdb"), RocksDbStateStore.Options.defaults());
        long began = System.nanoTime();
        ApiHarness.putOpenDiscrepancies(store, DISCREPANCIES);
        System.out.printf("console scale: %,d discrepancies written in %d ms%n", DISCREPANCIES,
                (System.nanoTime() - began) / 1_000_000);
        h = new ApiHarness(store, ApiConfig.defaults());
    }

    @AfterAll
    static void stop() {
        if (h != null) h.close();
    }

    @Test
    void aKeySearchFollowsTheCursorThroughEveryRecordWithEachRequestBounded() throws Exception {
        String wanted = "K" + (DISCREPANCIES - 7);
        int requests = 0;
        long slowest = 0;
        long began = System.nanoTime();
        String next = null;
        int found = 0;
        do {
            long t = System.nanoTime();
            ApiHarness.Reply r = h.get("/api/discrepancies?limit=50&key=" + wanted + (next == null ? "" : "&cursor=" + next));
            slowest = Math.max(slowest, System.nanoTime() - t);
            assertThat(r.status()).isEqualTo(200);
            JsonNode page = r.json();
            for (JsonNode i : page.get("items")) {
                if (i.get("key").get("order_id").asText().startsWith(wanted)) found++;
            }
            next = page.get("next").isNull() ? null : page.get("next").asText();
            requests++;
        } while (next != null);
        long total = (System.nanoTime() - began) / 1_000_000;
        System.out.printf("console scale: key search over %,d discrepancies: %d requests, %d ms in all, slowest %d ms%n",
                DISCREPANCIES, requests, total, slowest / 1_000_000);
        assertThat(found).isEqualTo(1);
        assertThat(requests).as("10,000 records per request").isEqualTo((DISCREPANCIES + 9_999) / 10_000);
    }

    @Test
    void theFirstPageAndTheOpenAgesAreBounded() throws Exception {
        long t = System.nanoTime();
        ApiHarness.Reply first = h.get("/api/discrepancies?limit=50");
        long firstMs = (System.nanoTime() - t) / 1_000_000;
        assertThat(first.json().get("items")).hasSize(50);

        t = System.nanoTime();
        JsonNode ages = h.get("/api/discrepancies/ages").json();
        long agesMs = (System.nanoTime() - t) / 1_000_000;
        System.out.printf("console scale: first page %d ms; open ages %d ms (%,d read, complete %s)%n", firstMs, agesMs,
                ages.get("scanned").asLong(), ages.get("complete").asBoolean());
        assertThat(ages.get("scanned").asLong()).isEqualTo(Math.min(DISCREPANCIES, OpenAges.SCAN_BUDGET));
        assertThat(ages.get("complete").asBoolean()).isEqualTo(DISCREPANCIES <= OpenAges.SCAN_BUDGET);
    }
}
