package dev.kemu.dns.upstream;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramPacket;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.parsetools.RecordParser;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Forwards queries to upstream resolvers, without blocking, as CoreDNS's {@code forward} plugin
 * ({@code plugin/forward/forward.go}, {@code plugin/pkg/proxy/connect.go}): upstreams are tried in
 * random order ({@code policy random}), each with a read timeout (2 s by default) within an overall
 * deadline of 5 s; a query keeps the client's transport (UDP or TCP) and gets a fresh random ID on
 * the way out; a truncated UDP answer is passed back as is, so the client retries over TCP.
 */
public final class UpstreamForwarder implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(UpstreamForwarder.class);

  /** CoreDNS forward's overall deadline for one query. */
  static final Duration DEADLINE = Duration.ofSeconds(5);

  private final Vertx vertx;
  private final Duration readTimeout;
  private final Random random = new SecureRandom();
  private final ConcurrentHashMap<Integer, Pending> pending = new ConcurrentHashMap<>();
  private volatile DatagramSocket udp4;
  private volatile DatagramSocket udp6;
  private volatile NetClient tcp;
  private volatile boolean closed;

  /**
   * A forwarder.
   *
   * @param vertx the Vert.x instance whose event loops carry the sockets
   * @param readTimeout how long to wait for one upstream's answer
   */
  public UpstreamForwarder(Vertx vertx, Duration readTimeout) {
    this.vertx = vertx;
    this.readTimeout = readTimeout;
  }

  /** Opens the outgoing sockets. */
  public Future<Void> start() {
    tcp =
        vertx.createNetClient(
            new NetClientOptions().setConnectTimeout((int) Math.max(1, readTimeout.toMillis())));
    Future<DatagramSocket> v4 = open(false, "0.0.0.0");
    Future<DatagramSocket> v6 = open(true, "::");
    return Future.all(
            v4.onSuccess(s -> udp4 = s),
            // A host without IPv6 has no IPv6 upstreams either: that socket is optional.
            v6.onSuccess(s -> udp6 = s).otherwise((DatagramSocket) null))
        .mapEmpty();
  }

  private Future<DatagramSocket> open(boolean ipv6, String host) {
    DatagramSocket socket = vertx.createDatagramSocket(new DatagramSocketOptions().setIpV6(ipv6));
    socket.handler(this::receive);
    socket.exceptionHandler(e -> logger.debug("upstream socket: {}", e.toString()));
    return socket.listen(0, host);
  }

  /**
   * Forwards a query and completes with the answer (carrying the query's own ID).
   *
   * @param query the query as the client sent it
   * @param overTcp whether to use TCP (the client's transport)
   * @param servers the upstreams to try
   * @return the answer, or a failure once every upstream failed or the deadline passed
   */
  public Future<byte[]> forward(byte[] query, boolean overTcp, List<InetSocketAddress> servers) {
    if (servers.isEmpty()) {
      return Future.failedFuture("no upstream resolver");
    }
    List<InetSocketAddress> order = new ArrayList<>(servers);
    Collections.shuffle(order, random);
    Promise<byte[]> result = Promise.promise();
    attempt(query, overTcp, order, 0, System.nanoTime() + DEADLINE.toNanos(), result, null);
    return result.future();
  }

  private void attempt(
      byte[] query,
      boolean overTcp,
      List<InetSocketAddress> order,
      int index,
      long deadline,
      Promise<byte[]> result,
      Throwable last) {
    if (closed || index >= order.size() || System.nanoTime() > deadline) {
      result.tryFail(last == null ? new TimeoutException("upstreams did not answer") : last);
      return;
    }
    InetSocketAddress server = order.get(index);
    Future<byte[]> answer = overTcp ? exchangeTcp(query, server) : exchangeUdp(query, server);
    answer.onComplete(
        done -> {
          if (done.succeeded()) {
            result.tryComplete(done.result());
          } else {
            logger.debug("upstream {} failed: {}", server, done.cause().toString());
            attempt(query, overTcp, order, index + 1, deadline, result, done.cause());
          }
        });
  }

  // ---------------------------------------------------------------- UDP

  private record Pending(InetSocketAddress server, int originalId, Promise<byte[]> promise) {}

  private Future<byte[]> exchangeUdp(byte[] query, InetSocketAddress server) {
    DatagramSocket socket = server.getAddress() instanceof Inet6Address ? udp6 : udp4;
    if (socket == null) {
      return Future.failedFuture("no socket for " + server);
    }
    Promise<byte[]> promise = Promise.promise();
    Pending entry = new Pending(server, u16(query, 0), promise);
    int id = -1;
    for (int tries = 0; tries < 16 && id < 0; tries++) {
      int candidate = random.nextInt(0x10000);
      if (pending.putIfAbsent(candidate, entry) == null) {
        id = candidate;
      }
    }
    if (id < 0) {
      return Future.failedFuture("too many queries in flight");
    }
    int queryId = id;
    byte[] copy = query.clone();
    copy[0] = (byte) (id >> 8);
    copy[1] = (byte) id;
    long timer =
        vertx.setTimer(
            readTimeout.toMillis(),
            t -> {
              if (pending.remove(queryId, entry)) {
                promise.tryFail(
                    new TimeoutException("no answer from " + server + " in " + readTimeout));
              }
            });
    promise.future().onComplete(done -> vertx.cancelTimer(timer));
    socket
        .send(Buffer.buffer(copy), server.getPort(), server.getAddress().getHostAddress())
        .onFailure(
            e -> {
              if (pending.remove(queryId, entry)) {
                promise.tryFail(e);
              }
            });
    return promise.future();
  }

  private void receive(DatagramPacket packet) {
    Buffer data = packet.data();
    if (data.length() < 12) {
      return;
    }
    int id = data.getUnsignedShort(0);
    Pending entry = pending.get(id);
    if (entry == null) {
      return;
    }
    // Only the server asked may answer, and only with a response.
    if (packet.sender().port() != entry.server().getPort()
        || !sameHost(packet.sender().host(), entry.server())
        || (data.getByte(2) & 0x80) == 0) {
      return;
    }
    if (!pending.remove(id, entry)) {
      return;
    }
    byte[] answer = data.getBytes();
    answer[0] = (byte) (entry.originalId() >> 8);
    answer[1] = (byte) entry.originalId();
    entry.promise().tryComplete(answer);
  }

  private static boolean sameHost(String host, InetSocketAddress server) {
    String expected = server.getAddress().getHostAddress();
    if (host.equals(expected)) {
      return true;
    }
    try {
      return java.net.InetAddress.getByName(host).equals(server.getAddress());
    } catch (java.net.UnknownHostException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------- TCP

  private Future<byte[]> exchangeTcp(byte[] query, InetSocketAddress server) {
    NetClient client = tcp;
    if (client == null) {
      return Future.failedFuture("forwarder not started");
    }
    Promise<byte[]> promise = Promise.promise();
    long timer =
        vertx.setTimer(
            readTimeout.toMillis(),
            t ->
                promise.tryFail(
                    new TimeoutException("no answer from " + server + " in " + readTimeout)));
    client
        .connect(server.getPort(), server.getAddress().getHostAddress())
        .onFailure(promise::tryFail)
        .onSuccess(
            socket -> {
              promise.future().onComplete(done -> socket.close());
              read(socket, promise);
              Buffer frame = Buffer.buffer(query.length + 2);
              frame.appendUnsignedShort(query.length).appendBytes(query);
              socket.write(frame).onFailure(promise::tryFail);
            });
    promise.future().onComplete(done -> vertx.cancelTimer(timer));
    return promise.future();
  }

  private static void read(NetSocket socket, Promise<byte[]> promise) {
    RecordParser parser = RecordParser.newFixed(2);
    boolean[] body = {false};
    parser.handler(
        buffer -> {
          if (!body[0]) {
            int length = buffer.getUnsignedShort(0);
            if (length == 0) {
              promise.tryFail(new IllegalStateException("empty answer"));
              return;
            }
            body[0] = true;
            parser.fixedSizeMode(length);
          } else {
            promise.tryComplete(buffer.getBytes());
          }
        });
    socket.handler(parser);
    socket.exceptionHandler(promise::tryFail);
    socket.closeHandler(v -> promise.tryFail(new IllegalStateException("connection closed")));
  }

  private static int u16(byte[] bytes, int offset) {
    return ((bytes[offset] & 0xFF) << 8) | (bytes[offset + 1] & 0xFF);
  }

  @Override
  public void close() {
    closed = true;
    pending.forEach(
        (id, entry) -> {
          if (pending.remove(id, entry)) {
            entry.promise().tryFail("closed");
          }
        });
    if (udp4 != null) {
      udp4.close();
    }
    if (udp6 != null) {
      udp6.close();
    }
    if (tcp != null) {
      tcp.close();
    }
  }
}
