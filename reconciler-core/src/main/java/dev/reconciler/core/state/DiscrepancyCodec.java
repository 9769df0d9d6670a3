package dev.reconciler.core.state;

import dev.reconciler.core.discrepancy.Acknowledgement;
import dev.reconciler.core.discrepancy.Discrepancy;
import dev.reconciler.core.discrepancy.DiscrepancyType;
import dev.reconciler.core.discrepancy.Resolution;
import dev.reconciler.core.discrepancy.Status;
import dev.reconciler.core.discrepancy.Verification;
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
 *
 * <p>Extension fields (tag, length, bytes; a reader skips tags it does not know):
 * <ul>
 *   <li>{@value #TAG_VERIFICATION}: the verification before alerting: result ordinal, time, detail, and the wait
 *       in seconds + 1 (0: none).</li>
 * </ul>
 * (Tags 1 and 2 are left to the workflow fields.)
 */
public final class DiscrepancyCodec {
    static final int TAG_VERIFICATION = 3;

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
        Verification v = d.verification();
        out.varLong(v == null ? 0 : 1);   // format 4: the extension block (see FormatVersion)
        if (v != null) {
            Bytes.Writer f = new Bytes.Writer(64);
            f.b(v.result().ordinal());
            f.instant(v.at());
            f.string(v.detail());
            f.varLong(v.waited() == null ? 0 : v.waited().toSeconds() + 1);
            byte[] bytes = f.toArray();
            out.varLong(TAG_VERIFICATION).varLong(bytes.length).raw(bytes);
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
            Verification verification = version >= 4 ? readExtensions(in) : null;
            return new Discrepancy(id, rule, type, key, occurrence, status, detectedAt, resolvedAt,
                    res < 0 ? null : Resolution.values()[res], diff == null ? null : new BigDecimal(diff), left, right,
                    ack, verification);
        } catch (RuntimeException e) {
            throw new UnreadableValueException("corrupt discrepancy record: " + e.getMessage(), e);
        }
    }

    /**
     * The extension block of format 4: a count, then per field a tag, a length and the bytes. Reads the tags this
     * release knows (the verification) and skips the others.
     */
    private static Verification readExtensions(Bytes.Reader in) {
        Verification verification = null;
        long n = in.varLong();
        for (long i = 0; i < n; i++) {
            long tag = in.varLong();
            int length = in.length();
            if (tag == TAG_VERIFICATION) {
                Verification.Result result = Verification.Result.values()[in.b()];
                Instant at = in.instant();
                String detail = in.string();
                long waited = in.varLong();
                verification = new Verification(result, at, detail,
                        waited == 0 ? null : java.time.Duration.ofSeconds(waited - 1));
            } else {
                in.skip(length);
            }
        }
        return verification;
    }
}
