package dev.reconciler.app.source;

import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.mysql.MySQLContainer;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;

/**
 * The end-to-end scenarios ({@link EndToEndScenarios}) with the {@code mysql} flavour (debezium-connector-mysql)
 * against two MySQL 8.4 containers (binlog on, ROW and FULL by default there). Skipped where no Docker engine runs;
 * the same scenarios then still run with the {@code mysql} flavour in {@link MySqlFlavourEndToEndTest}. The outage
 * scenarios stay with {@link MariaDbEndToEndTest}: they stop and kill the server process, which a container test
 * would have to do differently (and could not be tried here).
 */
@Testcontainers(disabledWithoutDocker = true)
class MySql84EndToEndTest extends EndToEndScenarios {
    private static final String IMAGE = "mysql:8.4";

    @Container
    static final MySQLContainer ORDERS = new MySQLContainer(IMAGE).withUsername("root").withPassword("reconciler");
    @Container
    static final MySQLContainer INVENTORY = new MySQLContainer(IMAGE).withUsername("root").withPassword("reconciler");

    static TestDatabase orders;
    static TestDatabase inventory;

    @BeforeAll
    static void createSchemas() throws Exception {
        orders = new ContainerDatabase(ORDERS);
        inventory = new ContainerDatabase(INVENTORY);
        createSchemas(orders, inventory);
    }

    @Override
    TestDatabase orders() {
        return orders;
    }

    @Override
    TestDatabase inventory() {
        return inventory;
    }

    /** A running MySQL container as the scenarios see a database; root may do everything the reconciler needs. */
    record ContainerDatabase(MySQLContainer container) implements TestDatabase {
        @Override
        public SourceConfig.Flavour flavour() {
            return SourceConfig.Flavour.MYSQL;
        }

        @Override
        public String host() {
            return container.getHost();
        }

        @Override
        public int port() {
            return container.getMappedPort(MySQLContainer.MYSQL_PORT);
        }

        @Override
        public String user() {
            return container.getUsername();
        }

        @Override
        public String password() {
            return container.getPassword();
        }

        @Override
        public Connection connect() throws SQLException {
            return DriverManager.getConnection(container.getJdbcUrl(), container.getUsername(), container.getPassword());
        }
    }
}
