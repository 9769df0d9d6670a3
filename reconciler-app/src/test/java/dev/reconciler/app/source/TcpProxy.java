package dev.reconciler.app.source;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP forwarder on a free loopback port, for tests of network faults between the reconciler and a database:
 * point a source at {@link #host()}:{@link #port()} instead of the server, then cut, restore or move the link.
 *
 * <ul>
 *   <li>{@link #cut()}: a silent partition. Nothing passes either way, nothing is closed: bytes in flight wait in
 *       the proxy and in the kernel's buffers (the sender's writes block once they are full), new connections are
 *       accepted but get no server greeting. Peers only notice through their own timeouts (read timeouts,
 *       keepalives), as with a dropped network. {@link #restore()} lets the held bytes through in order, so a
 *       connection that nobody gave up on carries on intact, as TCP does when a partition heals.</li>
 *   <li>{@link #refuse()}: the host is reachable but nothing listens. Open connections are reset and new ones are
 *       refused ({@code Connection refused}) until {@link #restore()}.</li>
 *   <li>{@link #retarget(int)}: the name now points at another server (a DNS change, a virtual IP moved to the new
 *       primary): open connections are closed, new ones go to the new target.</li>
 * </ul>
 * Threads are daemons, one acceptor plus two per connection. {@link #close()} is idempotent and closes everything.
 */
final class TcpProxy implements AutoCloseable {
    /** What the proxy does with traffic. */
    enum Mode {
        /** Passes bytes both ways. */
        FORWARDING,
        /** Holds every byte and every new connection: a silent partition. */
        CUT,
        /** Resets open connections and refuses new ones. */
        REFUSING
    }

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private final String targetHost;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    /** Guarded by {@code this}; waiters on {@code this} are woken on every change. */
    private Mode mode = Mode.FORWARDING;
    private int targetPort;
    private ServerSocket listener;
    private Thread acceptor;
    private boolean closed;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = listen(0);
        this.port = listener.getLocalPort();
        startAcceptor(listener);
    }

    /** A proxy on a free loopback port forwarding to {@code 127.0.0.1:targetPort}. */
    static TcpProxy to(int targetPort) throws IOException {
        return to("127.0.0.1", targetPort);
    }

    /** A proxy on a free loopback port forwarding to {@code targetHost:targetPort}. */
    static TcpProxy to(String targetHost, int targetPort) throws IOException {
        return new TcpProxy(targetHost, targetPort);
    }

    /** The address to give clients instead of the server's. */
    String host() {
        return LOOPBACK.getHostAddress();
    }

    int port() {
        return port;
    }

    synchronized Mode mode() {
        return mode;
    }

    /** The port new connections are forwarded to. */
    synchronized int targetPort() {
        return targetPort;
    }

    /** Client connections currently open through the proxy (held ones included). */
    int connections() {
        return links.size();
    }

    /** Starts a silent partition; see the class comment. Idempotent. */
    synchronized void cut() {
        if (mode == Mode.REFUSING) reopenListener();
        mode = Mode.CUT;
        notifyAll();
    }

    /** Resets open connections and refuses new ones until {@link #restore()}. Idempotent. */
    synchronized void refuse() {
        mode = Mode.REFUSING;
        notifyAll();
        closeQuietly(listener);   // the acceptor ends; restore() binds the same port again
        awaitAcceptorEnd();
        dropConnections();
    }

    /** Forwards again: held bytes and held connections go through, a refusing proxy listens again. */
    synchronized void restore() {
        if (mode == Mode.REFUSING) reopenListener();
        mode = Mode.FORWARDING;
        notifyAll();
    }

    /** From now on, forwards new connections to {@code newTargetPort} on the same host; closes the open ones. */
    void retarget(int newTargetPort) {
        synchronized (this) {
            targetPort = newTargetPort;
        }
        dropConnections();
    }

    /** Closes every open connection (both ends), as a crashed middlebox would; the proxy keeps listening. */
    void dropConnections() {
        for (Link l : links) l.close();
    }

    @Override
    public void close() {
        synchronized (this) {
            if (closed) return;
            closed = true;
            notifyAll();
            closeQuietly(listener);
        }
        dropConnections();
    }

    // ------------------------------------------------------------------------------------------------ internals

    private static ServerSocket listen(int port) throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress(LOOPBACK, port), 50);
        return s;
    }

    private void reopenListener() {
        try {
            listener = listen(port);
        } catch (IOException e) {
            throw new UncheckedIOException("tcp proxy: cannot listen on port " + port + " again", e);
        }
        startAcceptor(listener);
    }

    /**
     * The listening socket is only released once the thread blocked in accept() has left it; until then the kernel
     * would still complete new connections.
     */
    private void awaitAcceptorEnd() {
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void startAcceptor(ServerSocket server) {
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket client = server.accept();
                    Link link = new Link(client);
                    links.add(link);
                    link.start();
                } catch (IOException e) {
                    return;   // listener closed (refuse or close)
                }
            }
        }, "tcp-proxy-" + port + "-accept");
        t.setDaemon(true);
        acceptor = t;
        t.start();
    }

    /** Blocks while the proxy is cut; false when the link should end (the proxy refuses, is closed, or it was dropped). */
    private synchronized boolean awaitForwarding(Link link) throws InterruptedException {
        while (mode == Mode.CUT && !closed && !link.closed) wait(200);
        return mode == Mode.FORWARDING && !closed && !link.closed;
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c == null) return;
        try {
            c.close();
        } catch (IOException ignored) {
            // closing is best effort
        }
    }

    /** One client connection and its upstream; the upstream is opened only once the proxy forwards. */
    private final class Link {
        private final Socket client;
        private volatile Socket upstream;
        private volatile boolean closed;

        Link(Socket client) {
            this.client = client;
        }

        void start() {
            Thread t = new Thread(() -> {
                try {
                    if (!awaitForwarding(this)) {
                        close();
                        return;
                    }
                    Socket up = new Socket();
                    up.connect(new InetSocketAddress(targetHost, targetPort()), 5000);
                    upstream = up;
                    if (closed) {
                        close();
                        return;
                    }
                    Thread back = new Thread(() -> pump(up, client), "tcp-proxy-" + port + "-down");
                    back.setDaemon(true);
                    back.start();
                    pump(client, up);
                } catch (IOException | InterruptedException e) {
                    close();   // the target is down: the client sees its connection closed
                }
            }, "tcp-proxy-" + port + "-up");
            t.setDaemon(true);
            t.start();
        }

        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[16 * 1024];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                while (true) {
                    if (!awaitForwarding(this)) break;
                    int n = in.read(buffer);
                    if (n < 0) break;
                    // read before a cut began: held here until the cut ends, never dropped
                    if (!awaitForwarding(this)) break;
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (SocketException | InterruptedException e) {
                // closed under us
            } catch (IOException e) {
                // the peer went away
            }
            close();
        }

        void close() {
            closed = true;
            links.remove(this);
            closeQuietly(client);
            closeQuietly(upstream);
        }
    }
}
