package dev.reconciler.app;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** The release this build is, as stamped into {@code reconciler-version.properties} by the build. */
public final class Version {
    private static final Properties STAMPED = read();
    private static final String VERSION = stamped("version");
    private static final String REVISION = stamped("revision");

    private Version() {
    }

    /** e.g. {@code 0.1.0-SNAPSHOT}; {@code unknown} when the build did not stamp it (an IDE run). */
    public static String get() {
        return VERSION;
    }

    /**
     * The source revision (e.g. a short git commit id) the build was given with {@code -Dreconciler.revision};
     * {@code unknown} without one.
     */
    public static String revision() {
        return REVISION;
    }

    private static String stamped(String key) {
        String v = STAMPED.getProperty(key, "unknown");
        return v.isBlank() || v.startsWith("${") ? "unknown" : v;
    }

    private static Properties read() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/reconciler-version.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            // unknown, as for an unstamped build
        }
        return p;
    }
}
