package dev.reconciler.app.config;

import java.util.List;

/**
 * One key of the configuration file, declared once by the feature that binds it (like Debezium's {@code Field}):
 * its name, what kind of value it takes, its default, and the text that docs/configuration.md, the JSON Schema
 * ({@code reconciler config schema}) and {@code reconciler config print} show. {@link ConfigSchema} assembles the
 * declarations of every feature; the binder reads only declared keys.
 *
 * @param name    the key within its section, e.g. {@code host}
 * @param kind    what value it takes (drives the JSON Schema and {@code config print})
 * @param type    the type as docs/configuration.md writes it, e.g. {@code duration} or {@code `auto`, `mysql`}
 * @param dflt    the default as the docs write it: {@code required}, {@code none}, or a value in backticks
 * @param example an example value for the docs (may be empty)
 * @param doc     what the key means (markdown; the docs table's last column, the schema's description)
 * @param choices the accepted values of a {@link Kind#CHOICE}, lower case; empty otherwise
 * @param min     the least whole number of an {@link Kind#INTEGER}, or null
 * @param max     the greatest whole number of an {@link Kind#INTEGER}, or null
 * @param shown   how {@code config print} may show the value
 */
public record ConfigKey(String name, Kind kind, String type, String dflt, String example, String doc,
                        List<String> choices, Long min, Long max, Shown shown) {

    /** What value a key takes. */
    public enum Kind {
        /** A single value read as text (names, hosts, paths, URLs, columns). */
        TEXT,
        /** A decimal number. */
        NUMBER,
        /** A whole number in {@code [min, max]}. */
        INTEGER,
        BOOLEAN,
        /** {@code 500ms}, {@code 30s}, {@code 1h30m}, {@code 7d}, {@code 0}. */
        DURATION,
        /** Bytes, or {@code 512KiB}, {@code 256MiB}, {@code 1GiB}. */
        SIZE,
        /** One of {@link #choices()}. */
        CHOICE,
        /** A list of single values (a single value is a list of one). */
        TEXTS,
        /** A mapping whose keys are declared as the section {@code <path>.<name>}. */
        SECTION,
        /** A list of mappings whose keys are declared as the section {@code <path>.<name>[]}. */
        SECTIONS,
        /** A mapping of free keys (column names, headers, connector properties). */
        MAP,
        /** A mapping of alert label names to values; {@link #choices()} are the values of {@code severity}. */
        LABELS
    }

    /** How a value may be shown by {@code config print}. */
    public enum Shown {
        PLAIN,
        /** Never shown: a password, a token, a signing secret; every value of a {@link Kind#MAP} of headers. */
        SECRET,
        /** Only the scheme and host (a chat robot's URL holds its access token in the path or query). */
        URL_HOST
    }

    public ConfigKey {
        choices = List.copyOf(choices);
    }

    /** A key declared with its docs row; {@code kind} SECRET-shown for {@code type} "secret". */
    public static ConfigKey of(String name, Kind kind, String type, String dflt, String example, String doc) {
        return new ConfigKey(name, kind, type, dflt, example, doc, List.of(), null, null,
                type.equals("secret") ? Shown.SECRET : Shown.PLAIN);
    }

    public ConfigKey range(long min, long max) {
        return new ConfigKey(name, kind, type, dflt, example, doc, choices, min, max, shown);
    }

    public ConfigKey choices(String... values) {
        return new ConfigKey(name, kind, type, dflt, example, doc, List.of(values), min, max, shown);
    }

    public ConfigKey shown(Shown how) {
        return new ConfigKey(name, kind, type, dflt, example, doc, choices, min, max, how);
    }

    public boolean required() {
        return dflt.equals("required");
    }

    public boolean secret() {
        return shown == Shown.SECRET;
    }

    /** The default as a plain value ({@code 30s} for a default written {@code `30s`}), or null when it is not one. */
    public String defaultValue() {
        return dflt.matches("`[^`]*`") ? dflt.substring(1, dflt.length() - 1) : null;
    }
}
