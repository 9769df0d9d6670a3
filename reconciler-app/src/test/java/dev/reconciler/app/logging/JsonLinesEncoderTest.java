package dev.reconciler.app.logging;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.OutputStreamAppender;
import ch.qos.logback.classic.spi.ILoggingEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.ByteArrayOutputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped logback.xml with {@code RECONCILER_LOG_FORMAT=json}, on a logger context of its own: every event is
 * one line of JSON with the documented fields, whatever the message holds; text stays the default.
 */
class JsonLinesEncoderTest {
    private final ObjectMapper json = new ObjectMapper();

    /** A logger context configured from the shipped logback.xml, its console appender writing into {@code out}. */
    private static LoggerContext shipped(String format, ByteArrayOutputStream out) throws Exception {
        LoggerContext context = new LoggerContext();
        // the process's MDC (org.slf4j.MDC), as the shipped configuration sees it
        context.setMDCAdapter(((LoggerContext) LoggerFactory.getILoggerFactory()).getMDCAdapter());
        if (format != null) context.putProperty(LogFormatEncoder.VARIABLE, format);
        JoranConfigurator joran = new JoranConfigurator();
        joran.setContext(context);
        URL shippedXml = JsonLinesEncoderTest.class.getResource("/logback.xml");
        assertThat(shippedXml).as("the shipped logback.xml on the class path").isNotNull();
        joran.doConfigure(shippedXml);
        @SuppressWarnings("unchecked")
        ConsoleAppender<ILoggingEvent> console = (ConsoleAppender<ILoggingEvent>)
                context.getLogger(Logger.ROOT_LOGGER_NAME).getAppender("STDOUT");
        assertThat(console).isNotNull();
        // the same encoder, writing into memory (OutputStreamAppender is what ConsoleAppender is)
        OutputStreamAppender<ILoggingEvent> memory = new OutputStreamAppender<>();
        memory.setContext(context);
        memory.setEncoder(console.getEncoder());
        memory.setOutputStream(out);
        memory.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).detachAppender(console);
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(memory);
        return context;
    }

    private List<JsonNode> lines(ByteArrayOutputStream out) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (String line : out.toString(StandardCharsets.UTF_8).split("\n", -1)) {
            if (line.isEmpty()) continue;
            events.add(json.readTree(line));
        }
        return events;
    }

    @Test
    void everyEventIsOneJsonLineWithTheDocumentedFields() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoggerContext context = shipped("json", out);
        try {
            org.slf4j.Logger log = context.getLogger("dev.reconciler.app.source.SourceLifecycle");
            MDC.put("source", "orders");
            try {
                log.warn("source {}: WAITING: cannot connect to \"db\"\nsecond line \t ünïcode", "orders");
            } finally {
                MDC.remove("source");
            }
            log.atInfo().addKeyValue("rule", "sale").addKeyValue("source", "inventory").log("rule sale resumed");
            MDC.put("dbz.connectorName", "inventory");
            MDC.put("dbz.connectorContext", "streaming");
            try {
                context.getLogger("io.debezium.connector.mariadb.Something").error("broken", new IllegalStateException("boom"));
            } finally {
                MDC.clear();
            }
            context.getLogger("dev.reconciler.app.pipeline.Pipeline").debug("not at DEBUG by default");

            String text = out.toString(StandardCharsets.UTF_8);
            assertThat(text.split("\n")).as("one line per event").hasSize(3);
            List<JsonNode> events = lines(out);
            for (JsonNode e : events) {
                assertThat(e.get("time").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z");
                assertThat(e.get("thread").asText()).isEqualTo(Thread.currentThread().getName());
            }
            JsonNode first = events.get(0);
            assertThat(first.get("level").asText()).isEqualTo("WARN");
            assertThat(first.get("logger").asText()).isEqualTo("dev.reconciler.app.source.SourceLifecycle");
            assertThat(first.get("message").asText())
                    .isEqualTo("source orders: WAITING: cannot connect to \"db\"\nsecond line \t ünïcode");
            assertThat(first.get("source").asText()).isEqualTo("orders");
            assertThat(first.has("rule")).isFalse();
            assertThat(first.has("exception")).isFalse();

            JsonNode second = events.get(1);
            assertThat(second.get("rule").asText()).isEqualTo("sale");
            assertThat(second.get("source").asText()).isEqualTo("inventory");

            JsonNode third = events.get(2);
            assertThat(third.get("level").asText()).isEqualTo("ERROR");
            assertThat(third.get("source").asText()).as("Debezium's connector name is the source").isEqualTo("inventory");
            assertThat(third.get("exception").asText()).startsWith("java.lang.IllegalStateException: boom")
                    .contains("JsonLinesEncoderTest");
            assertThat(third.get("mdc").get("dbz.connectorContext").asText()).isEqualTo("streaming");
        } finally {
            context.stop();
        }
    }

    @Test
    void textStaysTheDefaultAndAnUnknownFormatFallsBackToText() throws Exception {
        for (String format : new String[]{null, "text", "yaml"}) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            LoggerContext context = shipped(format, out);
            try {
                context.getLogger("dev.reconciler.app.runtime.ReconcilerRuntime").info("stopped: engine");
                assertThat(out.toString(StandardCharsets.UTF_8)).as(String.valueOf(format))
                        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} INFO  d\\.r\\.a\\.r\\.ReconcilerRuntime - stopped: engine\\n");
            } finally {
                context.stop();
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LoggerContext context = shipped("JSON", out);
        try {
            context.getLogger("x").info("case does not matter");
            assertThat(lines(out)).singleElement().satisfies(e ->
                    assertThat(e.get("message").asText()).isEqualTo("case does not matter"));
        } finally {
            context.stop();
        }
    }

    /** java.util.logging (the binlog client, the state store) comes out through SLF4J, in the same format. */
    @Test
    void javaUtilLoggingGoesThroughSlf4j() {
        ch.qos.logback.core.read.ListAppender<ILoggingEvent> seen = new ch.qos.logback.core.read.ListAppender<>();
        Logger target = (Logger) LoggerFactory.getLogger("com.example.jul");
        seen.setContext(target.getLoggerContext());
        seen.start();
        target.addAppender(seen);
        java.util.logging.Logger root = java.util.logging.LogManager.getLogManager().getLogger("");
        java.util.logging.Handler[] before = root.getHandlers();
        java.util.logging.Level beforeLevel = root.getLevel();
        try {
            JavaUtilLoggingBridge.install(java.util.logging.Level.WARNING);
            java.util.logging.Logger jul = java.util.logging.Logger.getLogger("com.example.jul");
            jul.info("below the bridge's level");
            jul.log(java.util.logging.Level.WARNING, "disk {0} is slow", new Object[]{"sda"});
            jul.log(java.util.logging.Level.SEVERE, "failed", new java.io.IOException("io"));
            assertThat(seen.list).extracting(e -> e.getLevel().toString() + " " + e.getFormattedMessage())
                    .containsExactly("WARN disk sda is slow", "ERROR failed");
            assertThat(seen.list.get(1).getThrowableProxy().getClassName()).isEqualTo("java.io.IOException");
        } finally {
            target.detachAppender(seen);
            for (java.util.logging.Handler h : root.getHandlers()) root.removeHandler(h);
            for (java.util.logging.Handler h : before) root.addHandler(h);
            root.setLevel(beforeLevel);
        }
    }
}
