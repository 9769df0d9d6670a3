package dev.reconciler.streams;

import dev.reconciler.app.api.ApiConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Properties;

/** The Streams settings an instance takes from its environment when the properties do not give them. */
final class Endpoint {
    private static final Logger log = LoggerFactory.getLogger(Endpoint.class);
    static final String ADVERTISED_HOST = "RECONCILER_ADVERTISED_HOST";
    static final String BOOTSTRAP = "RECONCILER_KAFKA_BOOTSTRAP_SERVERS";

    private Endpoint() {
    }

    /**
     * Where the other instances reach this one's HTTP endpoint ({@code application.server}): the property if set
     * (its port must be the HTTP port), else {@value #ADVERTISED_HOST} (on Kubernetes the pod's IP), else the bind
     * address when it is a specific one, else this machine's name; the port is the one listened on.
     */
    static HostInfo advertised(Properties props, ApiConfig http, int port) {
        String given = props.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG);
        if (given != null && !given.isBlank()) {
            HostInfo h = HostInfo.buildFromEndpoint(given.trim());
            if (h.port() != port) {
                throw new IllegalArgumentException("application.server " + given + " has port " + h.port()
                        + " but the HTTP endpoint listens on " + port + "; set it to <host>:" + port
                        + " (or leave it out: it is derived from " + ADVERTISED_HOST + " and http.port)");
            }
            return h;
        }
        String host = System.getenv(ADVERTISED_HOST);
        if (host == null || host.isBlank()) {
            String bind = http.bindAddress();
            if (!bind.equals("0.0.0.0") && !bind.equals("::")) {
                host = bind;
            } else {
                try {
                    host = InetAddress.getLocalHost().getHostName();
                } catch (UnknownHostException e) {
                    throw new IllegalStateException("cannot name this machine for the other instances (" + e.getMessage()
                            + "); set " + ADVERTISED_HOST + " to an address they reach this one at", e);
                }
                log.warn("{} is not set: advertising {} to the other instances; set it where that name does not"
                        + " resolve for them (on Kubernetes: the pod IP)", ADVERTISED_HOST, host);
            }
        }
        return new HostInfo(host.trim(), port);
    }

    /** {@code bootstrap.servers} and {@code state.dir} from the environment and the YAML when the properties lack them. */
    static void defaults(Properties props, java.nio.file.Path stateDir) {
        if (props.getProperty(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG) == null) {
            String env = System.getenv(BOOTSTRAP);
            if (env == null || env.isBlank()) {
                throw new IllegalArgumentException("no Kafka to connect to: set bootstrap.servers in the streams"
                        + " properties or the environment variable " + BOOTSTRAP);
            }
            props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, env.trim());
        }
        if (props.getProperty(StreamsConfig.STATE_DIR_CONFIG) == null) {
            props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("streams").toString());
        }
    }
}
