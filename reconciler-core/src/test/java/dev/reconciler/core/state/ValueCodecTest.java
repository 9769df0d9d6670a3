package dev.reconciler.core.state;

import dev.reconciler.core.fact.Values;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ValueCodecTest {

    /** Writes and reads one value; returns the bytes it took. */
    private static int roundTrip(String value, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(8);
        ValueCodec.write(out, value, names);
        byte[] bytes = out.toArray();
        Bytes.Reader in = new Bytes.Reader(bytes);
        assertThat(ValueCodec.read(in, names)).as("read back: %s", value).isEqualTo(value);
        assertThat(in.position()).as("consumed exactly what was written for %s", value).isEqualTo(bytes.length);
        return bytes.length;
    }

    @Test
    void everyKindOfTextComesBackCharacterForCharacter() {
        NameTable names = new NameTable();
        List<String> values = Arrays.asList(null, "", "0", "00", "007", "-1", "1.5", "42", " 42",
                "123456789012345678", "1234567890123456789", "99999999999999999999",
                "2026-11-11T12:00:00Z", "2026-11-11T12:00:00.120Z", "2026-11-11T12:00:00.000120Z",
                "2026-11-11T12:00:00.000000120Z", "2026-11-11T12:00:00.120000Z", "2026-11-11T12:00:00.000Z",
                "2026-11-11T12:00:00.12Z", "2026-02-29T00:00:00Z", "2024-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
                "2026-11-11T24:00:00Z", "2026-11-11 12:00:00", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999Z",
                "2026-11-11T12:00:00+08:00", "CONFIRM", "TRY_SALE", "A", "AB", "Confirm", "_X", "CREATE_AND_CONFIRM",
                "X".repeat(32), "X".repeat(33), "数字藏品 #7", "é", "a\u0000b", "x".repeat(30), "x".repeat(31),
                "x".repeat(300), "O123456_CREATE_AND_CONFIRM");
        for (String v : values) roundTrip(v, names);
    }

    @Test
    void numbersTimestampsAndConstantsTakeFarFewerBytesThanTheirText() {
        NameTable names = new NameTable();
        assertThat(roundTrip("0", names)).isEqualTo(1);
        assertThat(roundTrip("1234567", names)).isEqualTo(4);
        assertThat(roundTrip("2026-11-11T12:00:00.123Z", names)).isEqualTo(5 + 2);
        roundTrip("CREATE_AND_CONFIRM", names);
        assertThat(roundTrip("CREATE_AND_CONFIRM", names)).as("an id once named").isEqualTo(1);
        assertThat(names.size()).isEqualTo(1);
        assertThat(roundTrip("2026-11-11T12:00:00.120000Z", names)).as("not the canonical width: kept as text")
                .isEqualTo(1 + 27);
    }

    @Test
    void primaryKeysNeverBecomeNameIdsEvenWhenTheyLookLikeConstants() {
        NameTable names = new NameTable();
        Bytes.Writer out = new Bytes.Writer(8);
        ValueCodec.write(out, "SKU_ABC", names, false);
        assertThat(names.size()).isZero();
        assertThat(ValueCodec.read(new Bytes.Reader(out.toArray()), names)).isEqualTo("SKU_ABC");
    }

    @Test
    void constantsGetIdsOnlyWhileTheTableIsLessThanHalfFull() {
        NameTable names = new NameTable(4);
        roundTrip("ONE", names);
        roundTrip("TWO", names);
        assertThat(roundTrip("THREE", names)).as("written as text").isEqualTo(1 + 5);
        assertThat(names.size()).isEqualTo(2);
        assertThat(names.idOf("column_name")).as("the other half is left for names").isEqualTo(3);
    }

    @Property(tries = 2000)
    void everyInstantValuesWritesComesBack(@ForAll @LongRange(min = -62167219200L, max = 253402300799L) long second,
                                          @ForAll @LongRange(min = 0, max = 999_999_999) long nano,
                                          @ForAll @LongRange(min = 0, max = 3) long precision) {
        long n = precision == 0 ? 0 : precision == 1 ? nano / 1_000_000 * 1_000_000
                : precision == 2 ? nano / 1000 * 1000 : nano;
        String text = Values.iso(Instant.ofEpochSecond(second, n));
        assertThat(roundTrip(text, new NameTable())).as(text).isLessThanOrEqualTo(11);
    }

    @Property(tries = 2000)
    void anyTextComesBack(@ForAll String text) {
        roundTrip(text, new NameTable());
    }
}
