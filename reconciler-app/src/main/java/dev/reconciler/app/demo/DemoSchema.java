package dev.reconciler.app.demo;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The example schema of docs/domain.md (deploy/sql, on the class path as reconciler/sql): four order shards and the
 * inventory flow.
 */
public final class DemoSchema {
    public static final String ORDERS_DB = "orders";
    public static final String INVENTORY_DB = "inventory";
    public static final int SHARDS = 4;

    private DemoSchema() {
    }

    public static void create(LocalMariaDbServer orders, LocalMariaDbServer inventory) throws SQLException {
        orders.execute(null, List.of("CREATE DATABASE IF NOT EXISTS " + ORDERS_DB));
        orders.execute(ORDERS_DB, statements("orders.sql"));
        inventory.execute(null, List.of("CREATE DATABASE IF NOT EXISTS " + INVENTORY_DB));
        inventory.execute(INVENTORY_DB, statements("inventory.sql"));
    }

    /** The statements of a schema file: split on ';' at line ends, comments dropped. */
    public static List<String> statements(String file) {
        try (InputStream in = DemoSchema.class.getResourceAsStream("/reconciler/sql/" + file)) {
            if (in == null) throw new IllegalStateException("reconciler/sql/" + file + " is not on the class path");
            StringBuilder sql = new StringBuilder();
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (!line.trim().startsWith("--")) sql.append(line).append('\n');
            }
            List<String> out = new ArrayList<>();
            for (String s : sql.toString().split(";\\s*\n")) {
                if (!s.isBlank()) out.add(s.trim());
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
