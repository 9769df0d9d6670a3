package dev.reconciler.app.source;

/**
 * The binlog client's own connection state, as Debezium's streaming metrics MBean shows it
 * ({@code debezium.<connector>:type=connector-metrics,context=streaming,server=<topic prefix>}, attribute
 * {@code Connected}). The binlog client's keep-alive thread reconnects after a lost connection without telling
 * Debezium's engine, so this is the only place that knows while it happens.
 */
final class BinlogConnection {
    private BinlogConnection() {
    }

    /**
     * @param source the source's name (Debezium's {@code topic.prefix})
     * @return whether the binlog client is connected; null when its metrics are not registered (not streaming yet,
     *         or stopped)
     */
    static Boolean connected(String source) {
        return DebeziumMBeans.streaming(source, "Connected") instanceof Boolean b ? b : null;
    }
}
