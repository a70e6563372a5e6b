package dev.kemu.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.parsetools.RecordParser;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sockets of the cluster DNS: a Vert.x {@code DatagramSocket} per UDP address and a {@code
 * NetServer} per TCP address, both feeding the {@link QueryDispatcher}. TCP follows RFC 1035 4.2.2
 * and RFC 7766: a 2-byte length before each message, several queries per connection (answered as
 * they complete), an idle timeout of 8 s and at most 128 queries per connection, as the Go DNS
 * library under CoreDNS ({@code miekg/dns server.go}: {@code tcpIdleTimeout}, {@code
 * maxTCPQueries}).
 */
final class DnsServer {
  private static final Logger logger = LoggerFactory.getLogger(DnsServer.class);
  static final int TCP_IDLE_SECONDS = 8;
  static final int MAX_TCP_QUERIES = 128;

  private final Vertx vertx;
  private final QueryDispatcher dispatcher;
  private final List<DatagramSocket> udp = new CopyOnWriteArrayList<>();
  private final List<NetServer> tcp = new CopyOnWriteArrayList<>();

  DnsServer(Vertx vertx, QueryDispatcher dispatcher) {
    this.vertx = vertx;
    this.dispatcher = dispatcher;
  }

  /**
   * Listens for UDP and TCP queries on the same port; with port 0, on a free port free for both.
   *
   * @return the bound port
   */
  Future<Integer> listen(String host, int port) {
    return listen(host, port, port == 0 ? 5 : 1);
  }

  private Future<Integer> listen(String host, int port, int attempts) {
    return listenUdp(host, port)
        .compose(
            socket -> {
              int bound = socket.localAddress().port();
              return listenTcp(host, bound)
                  .map(
                      server -> {
                        udp.add(socket);
                        tcp.add(server);
                        return bound;
                      })
                  .recover(
                      e -> {
                        socket.close();
                        // The free UDP port was taken for TCP: try another one.
                        return attempts > 1
                            ? listen(host, port, attempts - 1)
                            : Future.failedFuture(e);
                      });
            });
  }

  private Future<DatagramSocket> listenUdp(String host, int port) {
    DatagramSocket socket =
        vertx.createDatagramSocket(
            // No receive buffer size: Vert.x would also make it the size of the buffer each
            // datagram is read into.
            new DatagramSocketOptions().setIpV6(host.contains(":")));
    socket.handler(
        packet -> {
          SocketAddress sender = packet.sender();
          dispatcher.handle(
              packet.data().getBytes(),
              false,
              (answer, id) -> {
                // A pooled direct buffer goes to the socket as is: no copy, no allocation of a
                // direct buffer per answer. Vert.x hands Netty an unreleasable view of it, so it
                // is released here once sent.
                ByteBuf out = PooledByteBufAllocator.DEFAULT.directBuffer(answer.length);
                out.writeShort(id).writeBytes(answer, 2, answer.length - 2);
                socket
                    .send(BufferInternal.buffer(out), sender.port(), sender.host())
                    .onComplete(
                        sent -> {
                          out.release();
                          if (sent.failed()) {
                            logger.debug(
                                "DNS answer to {} lost: {}", sender, sent.cause().toString());
                          }
                        });
              });
        });
    socket.exceptionHandler(e -> logger.debug("DNS UDP socket: {}", e.toString()));
    return socket.listen(port, host);
  }

  private Future<NetServer> listenTcp(String host, int port) {
    NetServer server =
        vertx.createNetServer(
            new NetServerOptions()
                .setIdleTimeout(TCP_IDLE_SECONDS)
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setTcpNoDelay(true));
    server.connectHandler(this::serve);
    return server.listen(port, host);
  }

  private void serve(NetSocket socket) {
    Context context = Vertx.currentContext();
    RecordParser parser = RecordParser.newFixed(2);
    boolean[] body = {false};
    AtomicInteger queries = new AtomicInteger();
    AtomicInteger pending = new AtomicInteger();
    parser.handler(
        frame -> {
          if (!body[0]) {
            int length = frame.getUnsignedShort(0);
            if (length == 0) {
              socket.close(); // Not a message: miekg/dns stops reading the connection.
              return;
            }
            body[0] = true;
            parser.fixedSizeMode(length);
            return;
          }
          body[0] = false;
          parser.fixedSizeMode(2);
          int read = queries.incrementAndGet();
          pending.incrementAndGet();
          if (read >= MAX_TCP_QUERIES) {
            socket.pause(); // Read no more; close once the answers are written.
          }
          dispatcher.handle(
              frame.getBytes(),
              true,
              (answer, id) -> {
                Buffer out = Buffer.buffer(answer.length + 2);
                out.appendUnsignedShort(answer.length)
                    .appendUnsignedShort(id)
                    .appendBytes(answer, 2, answer.length - 2);
                Runnable write =
                    () ->
                        socket
                            .write(out)
                            .onComplete(
                                written -> {
                                  if (pending.decrementAndGet() == 0
                                      && queries.get() >= MAX_TCP_QUERIES) {
                                    socket.close();
                                  }
                                });
                // Answers from upstreams complete on other threads: write on the connection's own.
                if (context == null || Vertx.currentContext() == context) {
                  write.run();
                } else {
                  context.runOnContext(v -> write.run());
                }
              });
        });
    socket.handler(parser);
    socket.exceptionHandler(e -> logger.debug("DNS TCP connection: {}", e.toString()));
  }

  /** Closes every socket. */
  Future<Void> close() {
    List<Future<Void>> closing = new java.util.ArrayList<>();
    udp.forEach(s -> closing.add(s.close()));
    tcp.forEach(s -> closing.add(s.close()));
    udp.clear();
    tcp.clear();
    return Future.join(closing).mapEmpty();
  }
}
