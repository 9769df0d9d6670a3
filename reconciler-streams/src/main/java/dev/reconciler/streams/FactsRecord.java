package dev.reconciler.streams;

import dev.reconciler.core.fact.Fact;
import dev.reconciler.core.fact.Operation;
import dev.reconciler.core.fact.QuarantineReason;
import dev.reconciler.core.fact.Quarantined;
import dev.reconciler.core.fact.RowId;
import dev.reconciler.core.fact.SourcePosition;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What stage 1 (normalize) writes to the facts topic and stage 2 (match) reads: a fact, a watermark marker or a
 * change record that could not become a fact. One topic for all three keeps their order: a marker written after
 * a partition's facts is read after them.
 */
public sealed interface FactsRecord {

    /** A normalized change, keyed by the pair it belongs to. */
    record FactRecord(Fact fact) implements FactsRecord {
    }

    /**
     * How far {@code source} has been read by one stage-1 task ({@code lane}: the change topic partition it reads):
     * every change of the source committed up to {@code watermark} was written to the facts topic before this
     * marker. Sent to every partition.
     */
    record Marker(String source, int lane, Instant watermark) implements FactsRecord {
    }

    /** A change record that cannot become a fact; the engine quarantines it (stored, counted, reported). */
    record Bad(String source, String table, String primaryKey, SourcePosition position, QuarantineReason reason,
               String detail) implements FactsRecord {
        Quarantined quarantined(Instant at) {
            return new Quarantined(source, table, primaryKey, position, reason, null, null, detail, at);
        }
    }

    /** The facts topic's value format (version byte first, so it can change without a new topic). */
    static Serde<FactsRecord> serde() {
        return Serdes.serdeFrom(new Ser(), new De());
    }

    byte VERSION = 1;
    byte FACT = 1;
    byte MARKER = 2;
    byte BAD = 3;

    final class Ser implements Serializer<FactsRecord> {
        @Override
        public byte[] serialize(String topic, FactsRecord r) {
            if (r == null) return null;
            try {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
                DataOutputStream out = new DataOutputStream(bytes);
                out.writeByte(VERSION);
                if (r instanceof FactRecord f) {
                    out.writeByte(FACT);
                    Fact fact = f.fact();
                    out.writeUTF(fact.row().source());
                    out.writeUTF(fact.row().table());
                    out.writeUTF(fact.row().primaryKey());
                    out.writeUTF(fact.operation().name());
                    writeColumns(out, fact.columns());
                    out.writeBoolean(fact.before() != null);
                    if (fact.before() != null) writeColumns(out, fact.before());
                    writeInstant(out, fact.eventTime());
                    writePosition(out, fact.position());
                } else if (r instanceof Marker m) {
                    out.writeByte(MARKER);
                    out.writeUTF(m.source());
                    out.writeInt(m.lane());
                    writeInstant(out, m.watermark());
                } else if (r instanceof Bad b) {
                    out.writeByte(BAD);
                    out.writeUTF(b.source());
                    out.writeUTF(b.table());
                    out.writeUTF(b.primaryKey());
                    out.writeBoolean(b.position() != null);
                    if (b.position() != null) writePosition(out, b.position());
                    out.writeUTF(b.reason().name());
                    out.writeUTF(b.detail() == null ? "" : b.detail());
                }
                out.flush();
                return bytes.toByteArray();
            } catch (IOException e) {
                throw new SerializationException("facts topic " + topic + ": cannot encode a " + r.getClass()
                        .getSimpleName(), e);
            }
        }

        private static void writeColumns(DataOutputStream out, Map<String, Object> columns) throws IOException {
            out.writeInt(columns.size());
            for (Map.Entry<String, Object> e : columns.entrySet()) {
                out.writeUTF(e.getKey());
                Object v = e.getValue();
                if (v == null) {
                    out.writeByte(0);
                } else if (v instanceof String s) {
                    // writeUTF is limited to 64 KiB; long texts go as length-prefixed bytes.
                    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    out.writeByte(1);
                    out.writeInt(b.length);
                    out.write(b);
                } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
                    out.writeByte(2);
                    out.writeLong(((Number) v).longValue());
                } else if (v instanceof BigDecimal d) {
                    out.writeByte(3);
                    out.writeUTF(d.toString());
                } else if (v instanceof BigInteger i) {
                    out.writeByte(4);
                    out.writeUTF(i.toString());
                } else if (v instanceof Double || v instanceof Float) {
                    out.writeByte(5);
                    out.writeDouble(((Number) v).doubleValue());
                } else if (v instanceof Boolean b) {
                    out.writeByte(6);
                    out.writeBoolean(b);
                } else if (v instanceof Instant t) {
                    out.writeByte(7);
                    writeInstant(out, t);
                } else {
                    throw new IOException("column " + e.getKey() + ": unsupported value type " + v.getClass()
                            .getName());
                }
            }
        }
    }

    final class De implements Deserializer<FactsRecord> {
        @Override
        public FactsRecord deserialize(String topic, byte[] data) {
            if (data == null) return null;
            try {
                DataInputStream in = new DataInputStream(new ByteArrayInputStream(data));
                byte version = in.readByte();
                if (version != VERSION) {
                    throw new SerializationException("facts topic " + topic + ": record format " + version
                            + " is not known to this version (" + VERSION + "); upgrade the streams application");
                }
                byte kind = in.readByte();
                return switch (kind) {
                    case FACT -> {
                        RowId row = new RowId(in.readUTF(), in.readUTF(), in.readUTF());
                        Operation op = Operation.valueOf(in.readUTF());
                        Map<String, Object> columns = readColumns(in);
                        Map<String, Object> before = in.readBoolean() ? readColumns(in) : null;
                        yield new FactRecord(new Fact(row, op, columns, before, readInstant(in), readPosition(in)));
                    }
                    case MARKER -> new Marker(in.readUTF(), in.readInt(), readInstant(in));
                    case BAD -> {
                        String source = in.readUTF();
                        String table = in.readUTF();
                        String pk = in.readUTF();
                        SourcePosition position = in.readBoolean() ? readPosition(in) : null;
                        QuarantineReason reason = QuarantineReason.valueOf(in.readUTF());
                        String detail = in.readUTF();
                        yield new Bad(source, table, pk, position, reason, detail);
                    }
                    default -> throw new SerializationException("facts topic " + topic + ": unknown record kind "
                            + kind);
                };
            } catch (IOException | RuntimeException e) {
                if (e instanceof SerializationException s) throw s;
                throw new SerializationException("facts topic " + topic + ": unreadable record", e);
            }
        }

        private static Map<String, Object> readColumns(DataInputStream in) throws IOException {
            int n = in.readInt();
            Map<String, Object> out = new LinkedHashMap<>(Math.max(4, n * 2));
            for (int i = 0; i < n; i++) {
                String name = in.readUTF();
                byte tag = in.readByte();
                Object v = switch (tag) {
                    case 0 -> null;
                    case 1 -> {
                        byte[] b = new byte[in.readInt()];
                        in.readFully(b);
                        yield new String(b, java.nio.charset.StandardCharsets.UTF_8);
                    }
                    case 2 -> in.readLong();
                    case 3 -> new BigDecimal(in.readUTF());
                    case 4 -> new BigInteger(in.readUTF());
                    case 5 -> in.readDouble();
                    case 6 -> in.readBoolean();
                    case 7 -> readInstant(in);
                    default -> throw new IOException("column " + name + ": unknown value tag " + tag);
                };
                out.put(name, v);
            }
            return out;
        }
    }

    private static void writeInstant(DataOutputStream out, Instant t) throws IOException {
        out.writeLong(t.getEpochSecond());
        out.writeInt(t.getNano());
    }

    private static Instant readInstant(DataInputStream in) throws IOException {
        return Instant.ofEpochSecond(in.readLong(), in.readInt());
    }

    private static void writePosition(DataOutputStream out, SourcePosition p) throws IOException {
        out.writeUTF(p.file() == null ? "" : p.file());
        out.writeLong(p.offset());
        out.writeLong(p.row());
    }

    private static SourcePosition readPosition(DataInputStream in) throws IOException {
        String file = in.readUTF();
        return new SourcePosition(file, in.readLong(), in.readLong());
    }
}
