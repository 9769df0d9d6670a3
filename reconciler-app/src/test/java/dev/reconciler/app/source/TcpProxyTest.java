package dev.reconciler.app.source;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link TcpProxy} in front of small loopback servers that answer each read with a tag and what they read. */
class TcpProxyTest {
    private final List<AutoCloseable> open = new java.util.concurrent.CopyOnWriteArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) c.close();
    }

    @Test
    void forwardsBothWays() throws Exception {
        try (TcpProxy proxy = TcpProxy.to(server("a")); Socket client = connect(proxy)) {
            assertThat(exchange(client, "ping")).isEqualTo("a:ping");
            assertThat(proxy.connections()).isEqualTo(1);
        }
    }

    @Test
    void aCutHoldsBytesAndNewConnectionsUntilRestoredThenDeliversThemInOrder() throws Exception {
        try (TcpProxy proxy = TcpProxy.to(server("a")); Socket client = connect(proxy)) {
            assertThat(exchange(client, "before")).isEqualTo("a:before");
            proxy.cut();
            send(client, "held");
            Socket during = connect(proxy);   // accepted, but silent
            send(during, "new");
            during.setSoTimeout(300);
            client.setSoTimeout(300);
            // absence can only be shown by waiting a little
            assertThatThrownBy(() -> client.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            assertThatThrownBy(() -> during.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);
            proxy.restore();
            client.setSoTimeout(5000);
            during.setSoTimeout(5000);
            assertThat(receive(client)).isEqualTo("a:held");
            assertThat(receive(during)).isEqualTo("a:new");
            during.close();
        }
    }

    @Test
    void refusingResetsOpenConnectionsAndRefusesNewOnesUntilRestored() throws Exception {
        try (TcpProxy proxy = TcpProxy.to(server("a")); Socket client = connect(proxy)) {
            assertThat(exchange(client, "x")).isEqualTo("a:x");
            proxy.refuse();
            client.setSoTimeout(5000);
            assertThat(readOrReset(client)).as("closed by the proxy").isEqualTo(-1);
            assertThatThrownBy(() -> connect(proxy)).isInstanceOf(ConnectException.class);
            proxy.restore();
            try (Socket again = connect(proxy)) {
                assertThat(exchange(again, "y")).isEqualTo("a:y");
            }
        }
    }

    @Test
    void retargetingClosesOpenConnectionsAndSendsNewOnesToTheNewTarget() throws Exception {
        int b = server("b");
        try (TcpProxy proxy = TcpProxy.to(server("a")); Socket client = connect(proxy)) {
            assertThat(exchange(client, "x")).isEqualTo("a:x");
            proxy.retarget(b);
            client.setSoTimeout(5000);
            assertThat(readOrReset(client)).isEqualTo(-1);
            assertThat(proxy.targetPort()).isEqualTo(b);
            try (Socket again = connect(proxy)) {
                assertThat(exchange(again, "y")).isEqualTo("b:y");
            }
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    /** A server on a free loopback port answering each read with {@code tag:} and the bytes read. */
    private int server(String tag) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        open.add(server);
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    open.add(s);
                    Thread echo = new Thread(() -> {
                        byte[] buffer = new byte[1024];
                        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                            int n;
                            while ((n = in.read(buffer)) > 0) {
                                out.write((tag + ":" + new String(buffer, 0, n, StandardCharsets.UTF_8))
                                        .getBytes(StandardCharsets.UTF_8));
                                out.flush();
                            }
                        } catch (IOException e) {
                            // the proxy closed the connection
                        }
                    });
                    echo.setDaemon(true);
                    echo.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return server.getLocalPort();
    }

    private static Socket connect(TcpProxy proxy) throws IOException {
        return new Socket(proxy.host(), proxy.port());
    }

    private static String exchange(Socket s, String message) throws IOException {
        s.setSoTimeout(5000);
        send(s, message);
        return receive(s);
    }

    private static void send(Socket s, String message) throws IOException {
        s.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static String receive(Socket s) throws IOException {
        byte[] buffer = new byte[1024];
        int n = s.getInputStream().read(buffer);
        return n < 0 ? null : new String(buffer, 0, n, StandardCharsets.UTF_8);
    }

    /** -1 when the peer closed the connection or reset it. */
    private static int readOrReset(Socket s) throws IOException {
        try {
            return s.getInputStream().read();
        } catch (java.net.SocketException e) {
            return -1;
        }
    }
}
