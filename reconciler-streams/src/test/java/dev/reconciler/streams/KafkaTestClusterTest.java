package dev.reconciler.streams;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The shared in-process Kafka starts, serves transactions, and its Connect worker offers the Debezium connectors. */
class KafkaTestClusterTest {

    @Test
    void theBrokerServesTransactionsAndTheWorkerOffersTheDebeziumConnectors() throws Exception {
        KafkaTestCluster kafka = KafkaTestCluster.get();
        String topic = KafkaTestCluster.unique("smoke");
        kafka.createTopic(topic, 2);

        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, KafkaTestCluster.unique("smoke-tx"));
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, bytes("aborted"), bytes("x")));
            producer.abortTransaction();
            producer.beginTransaction();
            producer.send(new ProducerRecord<>(topic, bytes("committed"), bytes("y")));
            producer.commitTransaction();
        }
        List<String> keys = kafka.readUntil(topic, r -> !r.isEmpty(), Duration.ofSeconds(30)).stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8)).toList();
        assertThat(keys).containsExactly("committed");

        HttpResponse<String> plugins = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create(kafka.connectUrl() + "connector-plugins")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plugins.statusCode()).isEqualTo(200);
        assertThat(plugins.body()).contains("io.debezium.connector.mariadb.MariaDbConnector",
                "io.debezium.connector.mysql.MySqlConnector");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
