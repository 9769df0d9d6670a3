package dev.reconciler.app.source;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

/** A database server an end-to-end scenario runs against: a local MariaDB or a MySQL container. */
public interface TestDatabase {
    SourceConfig.Flavour flavour();

    String host();

    int port();

    /** A user with every privilege the reconciler needs (and DDL for the scenario's schema). */
    String user();

    String password();

    Connection connect() throws SQLException;

    default void execute(String... sql) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String q : sql) s.execute(q);
        }
    }
}
