package dev.kemu.proxy.forward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.SocketAddress;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The TCP splice over real sockets: plain blocking {@link Socket}s on both ends, so that what the
 * forwarder does with bytes, FINs and resets is what a program would see.
 */
class TcpForwarderTest {
  private static final int TIMEOUT_MS = 10_000;
  private static final SocketAddress LISTEN = SocketAddress.inetSocketAddress(0, "127.0.0.1");

  private Vertx vertx;
  private ExecutorService backends;
  private ServerSocket backend;
  private TcpForwarder forwarder;

  @BeforeEach
  void setUp() throws IOException {
    vertx = Vertx.vertx();
    backends = Executors.newCachedThreadPool();
    backend = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (forwarder != null) {
      forwarder.stop().await(10, TimeUnit.SECONDS);
    }
    backend.close();
    backends.shutdownNow();
    vertx.close().await(10, TimeUnit.SECONDS);
  }

  private TcpForwarder startForwarder() throws Exception {
    forwarder =
        TcpForwarder.to(
            vertx, LISTEN, SocketAddress.inetSocketAddress(backend.getLocalPort(), "127.0.0.1"));
    forwarder.start().await(10, TimeUnit.SECONDS);
    return forwarder;
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", forwarder.address().port()), TIMEOUT_MS);
    socket.setSoTimeout(TIMEOUT_MS);
    return socket;
  }

  /** Runs one backend connection on its own thread. */
  private <T> CompletableFuture<T> serveOnce(BackendConnection<T> handler) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Socket socket = backend.accept()) {
            socket.setSoTimeout(TIMEOUT_MS);
            return handler.handle(socket);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        },
        backends);
  }

  @FunctionalInterface
  private interface BackendConnection<T> {
    T handle(Socket socket) throws IOException;
  }

  @Test
  void copiesLargeStreamsBothWaysIntact() throws Exception {
    startForwarder();
    // Echo backend: copies everything back until the client's FIN, then FINs too.
    serveOnce(
        socket -> {
          socket.getInputStream().transferTo(socket.getOutputStream());
          socket.shutdownOutput();
          return null;
        });
    byte[] payload = new byte[16 * 1024 * 1024];
    new Random(42).nextBytes(payload);
    try (Socket client = connect()) {
      // Write on another thread: the echo comes back while we are still sending, and a splice
      // without backpressure or with a stall would deadlock or lose bytes here.
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  OutputStream out = client.getOutputStream();
                  for (int offset = 0; offset < payload.length; offset += 65536) {
                    out.write(payload, offset, Math.min(65536, payload.length - offset));
                  }
                  client.shutdownOutput();
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              },
              backends);
      byte[] echoed = client.getInputStream().readAllBytes();
      writing.get(TIMEOUT_MS, TimeUnit.MILLISECONDS);
      assertThat(echoed.length).isEqualTo(payload.length);
      assertThat(digest(echoed)).isEqualTo(digest(payload));
    }
  }

  @Test
  void propagatesTheClientsFinAndKeepsTheOtherDirectionOpen() throws Exception {
    startForwarder();
    // The backend answers only after the request has ended: it needs the FIN to get through.
    serveOnce(
        socket -> {
          byte[] request = socket.getInputStream().readAllBytes();
          socket
              .getOutputStream()
              .write(("got " + request.length).getBytes(StandardCharsets.UTF_8));
          return null;
        });
    try (Socket client = connect()) {
      client.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
      client.shutdownOutput();
      byte[] answer = client.getInputStream().readAllBytes();
      assertThat(new String(answer, StandardCharsets.UTF_8)).isEqualTo("got 5");
    }
  }

  @Test
  void propagatesTheTargetsFinAndKeepsTheOtherDirectionOpen() throws Exception {
    startForwarder();
    CompletableFuture<String> received =
        serveOnce(
            socket -> {
              socket.getOutputStream().write("banner".getBytes(StandardCharsets.UTF_8));
              socket.shutdownOutput();
              return new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            });
    try (Socket client = connect()) {
      // The banner ends with the backend's FIN...
      assertThat(new String(client.getInputStream().readAllBytes(), StandardCharsets.UTF_8))
          .isEqualTo("banner");
      // ...and the client can still talk to it.
      client.getOutputStream().write("still here".getBytes(StandardCharsets.UTF_8));
      client.shutdownOutput();
      assertThat(received.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isEqualTo("still here");
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> forwarder.connections() == 0);
  }

  @Test
  void resetsTheClientWhenTheTargetResets() throws Exception {
    startForwarder();
    serveOnce(
        socket -> {
          socket.getOutputStream().write('x');
          socket.getOutputStream().flush();
          // Wait for the client's byte so the reset cannot overtake the 'x'.
          socket.getInputStream().read();
          socket.setSoLinger(true, 0);
          return null;
        });
    try (Socket client = connect()) {
      assertThat(client.getInputStream().read()).isEqualTo('x');
      client.getOutputStream().write('y');
      assertThat(catchThrowable(() -> client.getInputStream().read()))
          .isInstanceOf(SocketException.class)
          .hasMessageContaining("reset");
    }
  }

  @Test
  void closesTheClientWhenTheTargetRefuses() throws Exception {
    int closedPort;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = probe.getLocalPort();
    }
    forwarder =
        TcpForwarder.to(vertx, LISTEN, SocketAddress.inetSocketAddress(closedPort, "127.0.0.1"));
    forwarder.start().await(10, TimeUnit.SECONDS);
    try (Socket client = connect()) {
      assertClosedByPeer(client);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> forwarder.connections() == 0);
  }

  @Test
  void closesTheClientWhenNoTargetCanBeChosen() throws Exception {
    forwarder =
        new TcpForwarder(
            vertx, LISTEN, socket -> Future.failedFuture("no endpoints for shop/web:http"));
    forwarder.start().await(10, TimeUnit.SECONDS);
    try (Socket client = connect()) {
      assertClosedByPeer(client);
    }
  }

  @Test
  void choosesTheTargetPerConnectionFromTheAcceptedSocket() throws Exception {
    SocketAddress target = SocketAddress.inetSocketAddress(backend.getLocalPort(), "127.0.0.1");
    CompletableFuture<String> seenSource = new CompletableFuture<>();
    forwarder =
        new TcpForwarder(
            vertx,
            LISTEN,
            socket -> {
              seenSource.complete(socket.remoteAddress().hostAddress());
              return Future.succeededFuture(target);
            });
    forwarder.start().await(10, TimeUnit.SECONDS);
    serveOnce(
        socket -> {
          socket.getOutputStream().write('!');
          return null;
        });
    try (Socket client = connect()) {
      assertThat(client.getInputStream().read()).isEqualTo('!');
    }
    assertThat(seenSource.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isEqualTo("127.0.0.1");
  }

  @Test
  void stopClosesForwardedConnectionsAndTheListener() throws Exception {
    startForwarder();
    CompletableFuture<Integer> backendRead =
        serveOnce(
            socket -> {
              socket.getOutputStream().write('x');
              return socket.getInputStream().read();
            });
    try (Socket client = connect()) {
      assertThat(client.getInputStream().read()).isEqualTo('x');
      int port = forwarder.address().port();
      forwarder.stop().await(10, TimeUnit.SECONDS);
      assertClosedByPeer(client);
      assertThat(backendRead.get(TIMEOUT_MS, TimeUnit.MILLISECONDS)).isEqualTo(-1);
      assertThat(catchThrowable(() -> new Socket("127.0.0.1", port).close()))
          .isInstanceOf(IOException.class);
    }
    forwarder = null;
  }

  private static void assertClosedByPeer(Socket client) {
    // A reset or an orderly close: either way the client reads no data and learns the connection
    // is gone, rather than hanging.
    int read;
    try {
      InputStream in = client.getInputStream();
      read = in.read();
    } catch (SocketException e) {
      read = -1;
    } catch (IOException e) {
      throw new AssertionError("expected the connection to be closed, got " + e, e);
    }
    assertThat(read).isEqualTo(-1);
  }

  private static byte[] digest(byte[] bytes) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(bytes);
  }
}
