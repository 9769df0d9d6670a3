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
 * and right row images, and the acknowledgement. A journal entry embeds the same encoding.
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
        return out.toArray();
    }

    public static Discrepancy decode(byte[] bytes, NameTable names) {
        return decode(bytes, 0, names);
    }

    /** The discrepancy encoded from {@code from} on (a journal entry holds one after its two header bytes). */
    static Discrepancy decode(byte[] bytes, int from, NameTable names) {
        try {
            Bytes.Reader in = new Bytes.Reader(bytes, from);
            FormatVersion.check(in.b(), "discrepancy");
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
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    res < 0 ? null : Resolution.values()[res], diff == null ? null : new BigDecimal(diff), left, right,
                    ack);
        } catch (RuntimeException e) {
            throw new IllegalStateException("corrupt discrepancy record: " + e.getMessage(), e);
        }
    }
}
