package dev.reconciler.app.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The origin of every value: a line of the file, an environment variable, a reference's default, a secret file. */
class EffectiveConfigTest {

    static Map<String, EffectiveConfig.Entry> entries(String yaml, Map<String, String> env) throws Exception {
        new ConfigLoader(env::get).load(yaml, "test.yml");   // a valid file, as config print requires
        List<EffectiveConfig.Entry> list = EffectiveConfig.of(yaml, env::get, null);
        return list.stream().collect(Collectors.toMap(EffectiveConfig.Entry::path, e -> e));
    }

    @Test
    void eachValueNamesWhereItCameFrom(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("orders-db-password");
        Files.writeString(secret, "from-a-file\n");
        String yaml = """
                state:
                  dir: ${STATE_DIR:-./state}
                http:
                  port: ${HTTP_PORT}
                sources:
                  - name: orders
                    host: ${DB_HOST}:${DB_PORT:-3306}
                    user: reconciler
                    password: ${file:%s}
                    databases: [orders]
                    debezium: {max.queue.size: "${QUEUE:-16384}", database.initial.statements.password: x}
                  - {name: inventory, host: h, user: r, password: "${INV_PW:-}", databases: [inventory]}
                streams:
                  - {name: o, tables: [{source: orders, table: t}]}
                  - {name: i, tables: [{source: inventory, table: u}]}
                rules:
                  - {name: sale, left: {stream: o}, right: {stream: i}, key: {id: id}}
                """.formatted(secret);
        Map<String, EffectiveConfig.Entry> e = entries(yaml, Map.of("HTTP_PORT", "9090", "DB_HOST", "db1"));

        assertThat(e.get("state.dir").value()).isEqualTo("./state");
        assertThat(e.get("state.dir").origin()).isEqualTo("line 2, the default of ${STATE_DIR:-…} (STATE_DIR unset)");
        assertThat(e.get("http.port").value()).isEqualTo("9090");
        assertThat(e.get("http.port").origin()).isEqualTo("line 4, environment variable HTTP_PORT");
        assertThat(e.get("sources[0].host").value()).isEqualTo("db1:3306");
        assertThat(e.get("sources[0].host").origin())
                .isEqualTo("line 7, environment variable DB_HOST, the default of ${DB_PORT:-…} (DB_PORT unset)");
        assertThat(e.get("sources[0].password").value()).isEqualTo("******");
        assertThat(e.get("sources[0].password").origin()).isEqualTo("line 9, secret file " + secret);
        assertThat(e.get("sources[1].password").value()).isEqualTo("(empty)");
        assertThat(e.get("sources[0].debezium.max.queue.size").value()).isEqualTo("16384");
        assertThat(e.get("sources[0].debezium.database.initial.statements.password").value()).isEqualTo("******");
        assertThat(e.get("state.cacheSize").value()).isEqualTo("256MiB");
        assertThat(e.get("state.cacheSize").origin()).isEqualTo("default");
        assertThat(e.get("engine.stallAfter").value()).isEqualTo("2m");
        assertThat(e.get("alerts").value()).isEqualTo("none");
        assertThat(e.get("rules[0].labels").value()).isEqualTo("{severity: warning}");
        // every declared key of every present section is listed once
        assertThat(e.keySet()).contains("http.maxBodySize", "sources[1].tls", "rules[0].quantity", "rules[0].multiplicity");
        assertThat(e.values()).noneMatch(x -> x.value().contains("from-a-file"));
    }
}
