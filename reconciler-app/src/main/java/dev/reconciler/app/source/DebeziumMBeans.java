package dev.reconciler.app.source;

import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;

/**
 * Debezium's own metrics of a source, read from the MBeans its connector registers
 * ({@code debezium.<connector>:type=connector-metrics,context=streaming,server=<topic prefix>}; the topic prefix is
 * the source's name). They exist only while the connector streams: before (waiting, snapshot) and after (stopped)
 * every read returns null.
 */
public final class DebeziumMBeans {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private DebeziumMBeans() {
    }

    /**
     * @param source    the source's name
     * @param attribute a streaming metric, e.g. {@code Connected}, {@code MilliSecondsBehindSource},
     *                  {@code QueueRemainingCapacity}, {@code TotalNumberOfEventsSeen}
     * @return its value, or null when the source's streaming metrics are not registered (or lack the attribute)
     */
    public static Object streaming(String source, String attribute) {
        try {
            for (ObjectName n : SERVER.queryNames(new ObjectName("debezium.*:type=connector-metrics,context=streaming,*"), null)) {
                String server = n.getKeyProperty("server");
                if (server != null && (server.equals(source) || server.equals(ObjectName.quote(source)))) {
                    return SERVER.getAttribute(n, attribute);
                }
            }
            return null;
        } catch (JMException | RuntimeException e) {
            return null;   // unregistered between the query and the read, or no such attribute
        }
    }
}
