package dev.reconciler.core.state;

import java.util.Objects;

/**
 * A row image in a store's value format, made once and copied into every value of the pair that holds the row: a
 * row is encoded on the thread that prepared its fact (where its columns are still in the CPU cache), not again on
 * the engine thread each time its pair is written, and a row read back from the store keeps its bytes.
 *
 * <p>The bytes name columns, sources and tables by ids of {@link #names}, so only the store owning that table may
 * copy them; any other store encodes the image itself.
 *
 * @param names the name table the bytes refer to
 * @param bytes the encoded image (not copied: do not change it)
 */
public record EncodedImage(NameTable names, byte[] bytes) {
    public EncodedImage {
        Objects.requireNonNull(names, "names");
        Objects.requireNonNull(bytes, "bytes");
    }

    @Override
    public String toString() {
        return "EncodedImage[" + bytes.length + " bytes]";
    }
}
