package dev.reconciler.app.source;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Two local MariaDB servers for one test class, orders and inventory, with the flow schemas of
 * {@link EndToEndScenarios}; started before the class's tests, stopped after them. Register it as a static field
 * with {@code @RegisterExtension}.
 */
public final class LocalMariaDbPair implements BeforeAllCallback, AfterAllCallback {
    /** How a server is started ({@link LocalMariaDb#start}, {@link LocalMariaDb#startPosingAsMySql57}). */
    @FunctionalInterface
    public interface Starter {
        LocalMariaDb start(int serverId) throws Exception;
    }

    private final Starter starter;
    private final int ordersServerId;
    private final int inventoryServerId;
    private LocalMariaDb orders;
    private LocalMariaDb inventory;

    public LocalMariaDbPair(Starter starter, int ordersServerId, int inventoryServerId) {
        this.starter = starter;
        this.ordersServerId = ordersServerId;
        this.inventoryServerId = inventoryServerId;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        orders = starter.start(ordersServerId);
        inventory = starter.start(inventoryServerId);
        EndToEndScenarios.createSchemas(orders, inventory);
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        if (orders != null) orders.close();
        if (inventory != null) inventory.close();
    }

    public LocalMariaDb orders() {
        return orders;
    }

    public LocalMariaDb inventory() {
        return inventory;
    }
}
