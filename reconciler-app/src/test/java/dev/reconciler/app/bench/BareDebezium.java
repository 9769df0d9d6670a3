package dev.reconciler.app.bench;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.List;
import java.util.Properties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Bare embedded Debezium: the product's connector properties, a handler that only counts records and acknowledges
 * them. The ceiling of the stack the reconciler is built on. The bench ({@code dev.reconciler.app.source.Bench}) loads this class in a class loader of its
 * own, with or without the reconciler's shadowed Debezium classes in front of the Debezium jars ("the same build as
 * the product" and "stock"), so it references only Debezium, Kafka Connect and the JDK, and talks to the bench
 * through JDK interfaces: {@code get()} returns {data records, all records, System.nanoTime() of the last batch,
 * 1 if the engine stopped with an error}.
 */
public final class BareDebezium implements Supplier<long[]>, AutoCloseable {
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "bare-debezium");
        t.setDaemon(true);
        return t;
    });
    private final String skipTopicSuffix;
    private final LongAdder data = new LongAdder();
    private final LongAdder all = new LongAdder();
    private volatile long lastBatch;
    private volatile boolean failed;

    static {
        // DriverManager hands a caller only drivers of its own class loader: register this loader's copies.
        for (String driver : new String[]{"org.mariadb.jdbc.Driver", "com.mysql.cj.jdbc.Driver"}) {
            try {
                Class.forName(driver, true, BareDebezium.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                // that flavour's driver is not on the class path
            }
        }
    }

    private BareDebezium(Properties properties, String skipTopicSuffix) {
        this.skipTopicSuffix = skipTopicSuffix;
        this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .notifying(this::handle)
                .using((success, message, error) -> {
                    if (!success) {
                        failed = true;
                        System.err.println("bare Debezium stopped: " + message);
                    }
                })
                .build();
        thread.execute(engine);
    }

    /** Starts an engine; {@code skipTopicSuffix}: records of topics ending so are not data (the heartbeat table). */
    public static Object open(Properties properties, String skipTopicSuffix) {
        return new BareDebezium(properties, skipTopicSuffix);
    }

    private void handle(List<RecordChangeEvent<SourceRecord>> records,
                        DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
        int n = 0;
        for (RecordChangeEvent<SourceRecord> r : records) {
            SourceRecord record = r.record();
            String topic = record.topic();
            if (record.value() != null && !topic.endsWith(skipTopicSuffix) && !topic.startsWith("__debezium")) n++;
            committer.markProcessed(r);
        }
        committer.markBatchFinished();
        data.add(n);
        all.add(records.size());
        lastBatch = System.nanoTime();
    }

    @Override
    public long[] get() {
        return new long[]{data.sum(), all.sum(), lastBatch, failed ? 1 : 0};
    }

    @Override
    public void close() throws Exception {
        try {
            engine.close();
        } catch (IllegalStateException e) {
            // already stopped (it failed, and said so)
        }
        thread.shutdown();
        thread.awaitTermination(30, TimeUnit.SECONDS);
    }

}
