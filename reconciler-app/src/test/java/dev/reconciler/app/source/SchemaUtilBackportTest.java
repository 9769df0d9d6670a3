package dev.reconciler.app.source;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.debezium.data.Envelope;
import io.debezium.data.SchemaUtil;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

/**
 * The backported {@link SchemaUtil} (debezium/debezium#7886, see docs/architecture.md "Backports") is the one loaded,
 * not debezium-core 3.4.0.Final's, and renders exactly the text the original renders: Debezium's JMX {@code LastEvent}
 * metric is built with it for every change event.
 */
class SchemaUtilBackportTest {

    private static final String[] AWKWARD = {"plain", "quote \" and backslash \\", "tab\tnew\nline\r", "\u0000\u001f",
            "non-ASCII: Größe 注文 🙂", "slash / and <html>", ""};

    @Test
    void thePatchedClassIsLoadedFromTheAppNotFromDebeziumCore() {
        String loadedFrom = SchemaUtil.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(loadedFrom).as("code source").doesNotContain("debezium-core");
        String appFrom = dev.reconciler.app.cli.Main.class.getProtectionDomain().getCodeSource().getLocation().toString();
        assertThat(loadedFrom).isEqualTo(appFrom);
        // the backport has no ObjectMapper per writer any more
        assertThat(SchemaUtil.class.getDeclaredClasses()).allSatisfy(c -> assertThat(c.getDeclaredFields())
                .noneMatch(f -> f.getType().getName().endsWith("ObjectMapper")));
    }

    @Test
    void stringsAreEscapedAsObjectMapperEscapesThem() throws Exception {
        ObjectMapper mapper = new ObjectMapper();
        for (String s : AWKWARD) {
            assertThat(SchemaUtil.asString((Object) s)).as(s).isEqualTo(mapper.writeValueAsString(s));
        }
    }

    @Test
    void aStructRendersExactlyAsDebeziumCoresOwnClassRendersIt() throws Exception {
        Schema schema = SchemaBuilder.struct().name("source")
                .field("name", Schema.STRING_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA)
                .field("file", Schema.OPTIONAL_STRING_SCHEMA).field("pos", Schema.OPTIONAL_INT64_SCHEMA)
                .field("row", Schema.OPTIONAL_INT32_SCHEMA).field("snapshot", Schema.OPTIONAL_BOOLEAN_SCHEMA).build();
        URL core = Envelope.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader original = new OriginalFirst(core)) {
            Method asString = original.loadClass("io.debezium.data.SchemaUtil").getMethod("asDetailedString", Struct.class);
            assertThat(asString.getDeclaringClass().getProtectionDomain().getCodeSource().getLocation()).isEqualTo(core);
            for (String s : AWKWARD) {
                Struct struct = new Struct(schema).put("name", s).put("ts_ms", 1_700_000_000_000L).put("file", s)
                        .put("pos", 4L).put("row", 0).put("snapshot", false);
                assertThat(SchemaUtil.asDetailedString(struct)).isEqualTo(asString.invoke(null, struct));
                assertThat(SchemaUtil.asString(Map.of("k", s))).isEqualTo(
                        original.loadClass("io.debezium.data.SchemaUtil").getMethod("asString", Object.class)
                                .invoke(null, Map.of("k", s)));
            }
        }
    }

    /** Loads {@code io.debezium.data.SchemaUtil} and its inner classes from debezium-core's jar, the rest as usual. */
    private static final class OriginalFirst extends URLClassLoader {
        OriginalFirst(URL core) {
            super(new URL[]{core}, SchemaUtilBackportTest.class.getClassLoader());
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("io.debezium.data.SchemaUtil")) return super.loadClass(name, resolve);
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                return c != null ? c : findClass(name);
            }
        }
    }
}
