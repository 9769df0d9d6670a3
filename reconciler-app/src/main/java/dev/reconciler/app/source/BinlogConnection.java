package dev.reconciler.app.source;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.Set;

/**
 * The binlog client's own connection state, as Debezium's streaming metrics MBean shows it
 * ({@code debezium.<connector>:type=connector-metrics,context=streaming,server=<topic prefix>}, attribute
 * {@code Connected}). The binlog client's keep-alive thread reconnects after a lost connection without telling
 * Debezium's engine, so this is the only place that knows while it happens.
 */
final class BinlogConnection {
    private static final MBeanServer SERVER = ManagementFactory.getPlatformMBeanServer();

    private BinlogConnection() {
    }

    /**
     * @param source the source's name (Debezium's {@code topic.prefix})
     * @return whether the binlog client is connected; null when its metrics are not registered (not streaming yet,
     *         or stopped)
     */
    static Boolean connected(String source) {
        try {
            Set<ObjectName> names = SERVER.queryNames(new ObjectName("debezium.*:type=connector-metrics,context=streaming,*"), null);
            for (ObjectName n : names) {
                String server = n.getKeyProperty("server");
                if (server != null && (server.equals(source) || server.equals(ObjectName.quote(source)))) {
                    return (Boolean) SERVER.getAttribute(n, "Connected");
                }
            }
            return null;
        } catch (javax.management.JMException | ClassCastException e) {
            return null;
        }
    }
}
