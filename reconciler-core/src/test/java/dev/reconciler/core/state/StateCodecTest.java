package dev.reconciler.core.state;

import dev.reconciler.core.fact.Columns;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.RowImage;
import dev.reconciler.core.fact.SourcePosition;
import dev.reconciler.core.rule.Side;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StateCodecTest {
    private static final Instant T = Instant.parse("2026-11-26T08:00:00.123456Z");

    private static PairState pair(String pk, String file) {
        RowImage left = new RowImage(new RowId("orders", "trade_order_stream_0001", pk),
                Columns.of(new String[]{"stream_identifier", "item_count", "note"}, new String[]{pk, "2", null}),
                T, new SourcePosition(file, 4711, 1));
        RowImage right = new RowImage(new RowId("inventory", "collection_inventory_stream", "9" + pk),
                Columns.of(new String[]{"identifier", "changed_quantity"}, new String[]{pk, "2"}),
                T.plusMillis(3), new SourcePosition(file, 99, 0));
        return new PairState(new PairKey("sale", List.of(pk, "42")),
                List.of(new StoredRow(Side.LEFT, left, T, true), new StoredRow(Side.RIGHT, right, T, false)),
                Set.of(), Map.of(), true, null, null, T.plusSeconds(60), T.plusMillis(3));
    }

    @Test
    void namesAreWrittenAsIdsAndReadBackThroughTheSameTable() {
        NameTable names = new NameTable();
        PairState p = pair("1", "mysql-bin.000001");
        byte[] first = StateCodec.encode(p, names);
        assertThat(StateCodec.decodePair(p.key(), first, names)).isEqualTo(p);
        // sources, tables, the file and five column names: each once
        assertThat(names.size()).isEqualTo(2 + 2 + 1 + 5);
        // a second pair with the same names is no larger, and adds no names
        byte[] second = StateCodec.encode(pair("2", "mysql-bin.000001"), names);
        assertThat(second.length).isEqualTo(first.length);
        assertThat(names.size()).isEqualTo(10);
        assertThat(new String(second)).doesNotContain("trade_order_stream").doesNotContain("mysql-bin");
    }

    @Test
    void aRowEncodedOnceIsCopiedIntoThePairValueOnlyByTheStoreWhoseNamesItUses() {
        NameTable names = new NameTable();
        PairState p = pair("1", "mysql-bin.000001");
        byte[] plain = StateCodec.encode(p, names);
        List<StoredRow> preEncoded = p.rows().stream().map(r -> new StoredRow(r.side(), r.image(), r.since(),
                r.live(), StateCodec.encodeImage(r.image(), names))).toList();
        PairState withBytes = new PairState(p.key(), preEncoded, p.open(), p.occurrences(), p.matched(),
                p.waitLeft(), p.waitRight(), p.expireAt(), p.lastEventTime());
        assertThat(withBytes).as("the bytes are a cache, not part of the value").isEqualTo(p);
        assertThat(StateCodec.encode(withBytes, names)).isEqualTo(plain);

        // a row read back keeps its bytes, and writing the pair again copies them
        PairState read = StateCodec.decodePair(p.key(), plain, names);
        assertThat(read.rows()).allSatisfy(r -> assertThat(r.encoded()).isNotNull());
        assertThat(StateCodec.encode(read, names)).isEqualTo(plain);

        // bytes made with another store's name table are not copied: the row is encoded again with this one's ids
        NameTable other = new NameTable();
        other.idOf("unrelated");
        byte[] elsewhere = StateCodec.encode(read, other);
        assertThat(StateCodec.decodePair(p.key(), elsewhere, other)).isEqualTo(p);
        assertThat(elsewhere).isNotEqualTo(plain);
    }

    @net.jqwik.api.Property(tries = 1000)
    void pairKeysAreEqualExactlyWhenRuleAndValuesAreAndDecodeBack(
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.StringLength(min = 1, max = 5) String rule,
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.Size(min = 1, max = 3) List<String> a,
            @net.jqwik.api.ForAll @net.jqwik.api.constraints.Size(min = 1, max = 3) List<String> b) {
        PairKey ka = new PairKey(rule, a);
        PairKey kb = new PairKey(rule, b);
        assertThat(ka.equals(kb)).as("%s vs %s", a, b).isEqualTo(a.equals(b));
        assertThat(StateCodec.decodePairKey(StateCodec.pairKey(ka))).isEqualTo(ka);
        assertThat(StateCodec.decodePairKey(StateCodec.pairKey(ka)).values()).isEqualTo(a);
        assertThat(Arrays.compareUnsigned(StateCodec.pairKey(ka), StateCodec.pairKey(kb)) == 0).isEqualTo(a.equals(b));
    }

    @Test
    void aFullTableWritesNewNamesInline() {
        NameTable names = new NameTable(10);
        encodeAndCheck(pair("1", "mysql-bin.000001"), names);
        PairState rotated = pair("2", "mysql-bin.000002");   // a new binlog file: no room for its name
        byte[] bytes = encodeAndCheck(rotated, names);
        assertThat(names.size()).isEqualTo(10);
        assertThat(new String(bytes)).contains("mysql-bin.000002");
    }

    @Test
    void onlyNamesNotYetPersistedAreHandedToTheStoreAndAnUnknownIdIsReportedAsCorruption() {
        NameTable names = new NameTable();
        PairState p = pair("1", "f1");
        byte[] bytes = StateCodec.encode(p, names);
        List<String> unpersisted = new ArrayList<>();
        int upTo = names.forEachUnpersisted((id, n) -> unpersisted.add(id + "=" + n));
        assertThat(unpersisted).hasSize(10).startsWith("1=orders");
        names.markPersisted(upTo);
        StateCodec.encode(pair("2", "f2"), names);
        unpersisted.clear();
        names.forEachUnpersisted((id, n) -> unpersisted.add(id + "=" + n));
        assertThat(unpersisted).containsExactly("11=f2");

        NameTable reopened = new NameTable();
        reopened.load(1, "orders");   // the store lost the other names
        assertThatThrownBy(() -> StateCodec.decodePair(p.key(), bytes, reopened))
                .hasMessageContaining("corrupt pair state of").hasMessageContaining("unknown name id 2");
    }

    @Test
    void valuesOfAnyLengthAndScriptRoundTrip() {
        // one byte of length prefix up to 127 (126 for nullable values), ASCII written directly, the rest as UTF-8
        String longText = "x".repeat(126) + "yz" + "w".repeat(300);
        for (String value : List.of("", "a", "x".repeat(126), "x".repeat(127), "x".repeat(128), longText,
                "数字藏品 #7", "é", "a\u0000b", "\uD83D\uDE00 emoji", "ascii then é")) {
            RowImage image = new RowImage(new RowId("orders", "t", value.isEmpty() ? "1" : value),
                    Columns.of(new String[]{"note", "empty"}, new String[]{value, null}), T,
                    new SourcePosition("f", 1, 0));
            PairState p = new PairState(new PairKey("sale", List.of("k")),
                    List.of(new StoredRow(Side.LEFT, image, T, true)), Set.of(), Map.of(), false, null, T, null, T);
            assertThat(encodeAndCheck(p, new NameTable())).isNotEmpty();
        }
    }

    private static dev.reconciler.core.discrepancy.Discrepancy discrepancy() {
        PairState p = pair("1", "mysql-bin.000001");
        return new dev.reconciler.core.discrepancy.Discrepancy("0123456789abcdef", "sale",
                dev.reconciler.core.discrepancy.DiscrepancyType.QUANTITY_MISMATCH, Map.of("order_id", "1"), 1,
                dev.reconciler.core.discrepancy.Status.OPEN, T, null, null, new java.math.BigDecimal("-1.50"),
                List.of(p.rows().get(0).image()), List.of(p.rows().get(1).image()))
                .acknowledge(T.plusSeconds(5), "looking");
    }

    @Test
    void aFormat4DiscrepancyEndsWithAnExtensionBlockThatReadersSkipAndAFormat3OneHasNone() {
        NameTable names = new NameTable();
        var d = discrepancy();
        byte[] v4 = DiscrepancyCodec.encode(d, names);
        assertThat(v4[0]).isEqualTo((byte) 4);
        assertThat(v4[v4.length - 1]).as("no extension fields").isEqualTo((byte) 0);

        // Format 3: the same fields, no extension block.
        byte[] v3 = Arrays.copyOf(v4, v4.length - 1);
        v3[0] = 3;
        assertThat(DiscrepancyCodec.decode(v3, names)).isEqualTo(d);
        assertThat(FormatVersion.older(v3)).isTrue();
        assertThat(FormatVersion.migrateDiscrepancy(v3, names)).isEqualTo(v4);

        // A later release's optional field (tag 7, three bytes) is skipped by this one.
        byte[] withField = Arrays.copyOf(v4, v4.length + 5);
        System.arraycopy(new byte[]{1, 7, 3, 'a', 'b', 'c'}, 0, withField, v4.length - 1, 6);
        assertThat(DiscrepancyCodec.decode(withField, names)).isEqualTo(d);

        byte[] v9 = v4.clone();
        v9[0] = 9;
        assertThatThrownBy(() -> DiscrepancyCodec.decode(v9, names)).isInstanceOf(UnreadableValueException.class)
                .hasMessageContaining("format version 9 but this release reads 3 and 4; a newer release wrote it");
        byte[] v2 = v4.clone();
        v2[0] = 2;
        assertThatThrownBy(() -> DiscrepancyCodec.decode(v2, names))
                .hasMessageContaining("format version 2 but this release reads 3 and 4");
    }

    @Test
    void waivedAndHandResolvedDiscrepanciesKeepTheirTimelineAndTheirBaseFieldsReadAsOpenAndCorrected() {
        NameTable names = new NameTable();
        var plain = discrepancy();
        var waived = plain.step(new dev.reconciler.core.discrepancy.TimelineEntry(T.plusSeconds(9),
                dev.reconciler.core.discrepancy.TimelineEntry.Action.WAIVED, "alice", "known\tticket\nOPS-1"));
        assertThat(waived.status()).isEqualTo(dev.reconciler.core.discrepancy.Status.WAIVED);
        assertThat(DiscrepancyCodec.decode(DiscrepancyCodec.encode(waived, names), names)).isEqualTo(waived);
        var manual = waived.step(new dev.reconciler.core.discrepancy.TimelineEntry(T.plusSeconds(10),
                dev.reconciler.core.discrepancy.TimelineEntry.Action.RESOLVED, "bob", "fixed"));
        assertThat(manual.resolution()).isEqualTo(dev.reconciler.core.discrepancy.Resolution.MANUAL);
        var back = DiscrepancyCodec.decode(DiscrepancyCodec.encode(manual, names), names);
        assertThat(back).isEqualTo(manual);
        assertThat(back.timeline()).hasSize(2);

        // A release without the workflow skips the extension block: the base fields of a waived discrepancy are
        // those of an open one, so it reads it as open (and a hand-resolved one as CORRECTED).
        byte[] plainBytes = DiscrepancyCodec.encode(plain, names);
        byte[] waivedBytes = DiscrepancyCodec.encode(waived, names);
        assertThat(Arrays.copyOf(waivedBytes, plainBytes.length - 1))
                .isEqualTo(Arrays.copyOf(plainBytes, plainBytes.length - 1));
    }

    @Test
    void aFormat3JournalEntryMigratesToTheFormat4One() {
        NameTable names = new NameTable();
        var opened = new dev.reconciler.core.outcome.Outcome.DiscrepancyOpened(discrepancy());
        byte[] v4 = JournalCodec.encode(opened, names);
        byte[] v3 = Arrays.copyOf(v4, v4.length - 1);
        v3[0] = 3;
        v3[2] = 3;   // the embedded discrepancy's own version
        assertThat(JournalCodec.decode(7, v3, names).outcome()).isEqualTo(opened);
        assertThat(FormatVersion.migrateJournal(7, v3, names)).isEqualTo(v4);

        // Source outcomes keep their layout: only the version byte changes.
        var gap = new dev.reconciler.core.outcome.Outcome.CoverageGap("orders", T, T.plusSeconds(60),
                "binlog purged", T.plusSeconds(90));
        byte[] gap4 = JournalCodec.encode(gap, names);
        byte[] gap3 = gap4.clone();
        gap3[0] = 3;
        assertThat(JournalCodec.decode(8, gap3, names).outcome()).isEqualTo(gap);
        assertThat(FormatVersion.migrateJournal(8, gap3, names)).isEqualTo(gap4);
    }

    private static byte[] encodeAndCheck(PairState p, NameTable names) {
        byte[] bytes = StateCodec.encode(p, names);
        assertThat(StateCodec.decodePair(p.key(), bytes, names)).isEqualTo(p);
        return bytes;
    }
}
