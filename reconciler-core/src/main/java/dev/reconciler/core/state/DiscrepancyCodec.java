package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.fact.RowImage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A discrepancy's value: version, id, rule, type, key, occurrence, status, times, resolution, difference, the left
 * and right row images, the acknowledgement, and (from format 4) an extension block of optional tagged fields.
 * A journal entry embeds the same encoding.
 */
public final class DiscrepancyCodec {
    private DiscrepancyCodec() {
    }

    public static byte[] encode(Discrepancy d, NameTable names) {
        Bytes.Writer out = new Bytes.Writer(256);
        out.b(FormatVersion.CURRENT);
        out.string(d.id());
        out.string(d.rule());
        out.b(d.type().ordinal());
        out.varLong(d.key().size());
        for (Map.Entry<String, String> e : d.key().entrySet()) {
            out.string(e.getKey());
            out.nullableString(e.getValue());
        }
        out.varLong(d.occurrence());
        out.b(d.status().ordinal());
        out.instant(d.detectedAt());
        out.nullableInstant(d.resolvedAt());
        out.b(d.resolution() == null ? -1 : d.resolution().ordinal());
        // toString, not toPlainString: it keeps the scale, so the value reads back equal.
        out.nullableString(d.difference() == null ? null : d.difference().toString());
        RowImageCodec.writeAll(out, d.left(), names);
        RowImageCodec.writeAll(out, d.right(), names);
        Acknowledgement ack = d.acknowledgement();
        out.bool(ack != null);
        if (ack != null) {
            out.instant(ack.at());
            out.string(ack.note());
        }
        out.varLong(0);   // format 4: the extension block, empty (see FormatVersion)
        return out.toArray();
    }

    public static Discrepancy decode(byte[] bytes, NameTable names) {
        return decode(bytes, 0, names);
    }

    /** The discrepancy encoded from {@code from} on (a journal entry holds one after its two header bytes). */
    static Discrepancy decode(byte[] bytes, int from, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes, from);
            int version = in.b();
            FormatVersion.check(version, "discrepancy");
            String id = in.string();
            String rule = in.string();
            DiscrepancyType type = DiscrepancyType.values()[in.b()];
            int k = (int) in.varLong();
            Map<String, String> key = new LinkedHashMap<>();
            for (int i = 0; i < k; i++) key.put(in.name(), in.nullableString());
            int occurrence = (int) in.varLong();
            Status status = Status.values()[in.b()];
            Instant detectedAt = in.instant();
            Instant resolvedAt = in.nullableInstant();
            int res = in.b();
            String diff = in.nullableString();
            List<RowImage> left = RowImageCodec.readAll(in, names);
            List<RowImage> right = RowImageCodec.readAll(in, names);
            Acknowledgement ack = in.bool() ? new Acknowledgement(in.instant(), in.string()) : null;
            if (version >= 4) skipExtensions(in);
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    res < 0 ? null : Resolution.values()[res], diff == null ? null : new BigDecimal(diff), left, right,
                    ack);
        } catch (RuntimeException e) {
            throw new UnreadableValueException("corrupt discrepancy record: " + e.getMessage(), e);
        }
    }

    /**
     * The extension block of format 4: a count, then per field a tag, a length and the bytes. This release knows
     * no tag yet; a later one that adds an optional field writes it here, and this release skips it.
     */
    private static void skipExtensions(Bytes.Reader in) {
        long n = in.varLong();
        for (long i = 0; i < n; i++) {
            in.varLong();   // the tag
            in.skip(in.length());
        }
    }
}
