package dev.reconciler.streams;

import dev.reconciler.app.demo.LocalMariaDbServer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the distributed mode's end-to-end tests on real MariaDB share: the shipped configuration filled in, the
 * least-privilege capture user of README.md, and rows of the shipped schema.
 */
final class ShippedSetup {
    private ShippedSetup() {
    }

    /** {@code yaml} with {@code token} replaced; the shipped file must still have it (else the test would drift). */
    static String fill(String yaml, String token, String value) {
        assertThat(yaml).as("deploy/config/order-inventory.yml has " + token).contains(token);
        return yaml.replace(token, value);
    }

    /**
     * deploy/config/order-inventory.yml with its databases' ports and passwords, the grace and the state directory
     * filled in for these two servers.
     */
    static String shippedYaml(LocalMariaDbServer orders, LocalMariaDbServer inventory, String password,
                              Duration grace, Path stateDir) throws IOException {
        String yaml = Files.readString(Path.of("..", "deploy", "config", "order-inventory.yml"));
        yaml = fill(yaml, "${ORDER_DB_PORT:-3306}", Integer.toString(orders.port()));
        yaml = fill(yaml, "${INVENTORY_DB_PORT:-3307}", Integer.toString(inventory.port()));
        yaml = fill(yaml, "${ORDER_DB_PASSWORD:-}", password);
        yaml = fill(yaml, "${INVENTORY_DB_PASSWORD:-}", password);
        yaml = fill(yaml, "${RECONCILER_GRACE:-30s}", grace.toSeconds() + "s");
        return fill(yaml, "${RECONCILER_STATE_DIR:-./state}", stateDir.toString());
    }

    /** {@code yaml} with the sources {@code orders} and {@code inventory} renamed (unique topics on the shared broker). */
    static String renameSources(String yaml, String orders, String inventory) {
        return yaml.replaceAll("(name|source): orders\\b", "$1: " + orders)
                .replaceAll("(name|source): inventory\\b", "$1: " + inventory);
    }

    /** The least-privilege capture user of README.md, with the heartbeat table's grants. */
    static void createCaptureUser(LocalMariaDbServer server, String db, String password) throws SQLException {
        server.execute(null, List.of("CREATE USER 'reconciler'@'%' IDENTIFIED BY '" + password + "'",
                "GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO 'reconciler'@'%'",
                "GRANT SELECT ON " + db + ".* TO 'reconciler'@'%'",
                "GRANT CREATE, INSERT, UPDATE ON " + db + ".reconciler_heartbeat TO 'reconciler'@'%'"));
    }

    /** An order of {@code count} items of goods 7 in order shard {@code shard}. */
    static String order(int shard, String id, int count) {
        return String.format("INSERT INTO trade_order_stream_%04d (order_id, buyer_id, seller_id, identifier, goods_id,"
                + " goods_type, order_amount, item_price, item_count, order_state, stream_identifier, stream_type)"
                + " VALUES ('%s', 'B1', 'S1', 'req-%s', '7', 'COLLECTION', 9.9, 9.9, %d, 'CONFIRM', 'c-%s',"
                + " 'CREATE_AND_CONFIRM')", shard, id, id, count, id);
    }

    /** The stock deduction of order {@code id}. */
    static String deduction(String id, int quantity) {
        return String.format("INSERT INTO collection_inventory_stream (collection_id, changed_quantity, stream_type,"
                + " identifier) VALUES (7, %d, 'TRY_SALE', '%s')", quantity, id);
    }
}
