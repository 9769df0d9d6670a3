package dev.reconciler.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The release this build is, as stamped into {@code reconciler-version.properties} by the build. */
public final class Version {
    private static final String VERSION = read();

    private Version() {
    }

    /** e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when the build did not stamp it (an IDE run). */
    public static String get() {
        return VERSION;
    }

    private static String read() {
        try (InputStream in = Version.class.getResourceAsStream("/reconciler-version.properties")) {
            if (in == null) return "unknown";
            Properties p = new Properties();
            p.load(in);
            String v = p.getProperty("version", "unknown");
            return v.startsWith("${") ? "unknown" : v;
        } catch (IOException e) {
            return "unknown";
        }
    }
}
