package dev.kemu.proxy.forward;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.net.NetSocketInternal;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Listens on one address and splices every accepted TCP connection to a target chosen per
 * connection: the userspace proxy of kube-proxy ({@code pkg/proxy/userspace/proxysocket.go}:
 * accept, pick an endpoint, dial, copy both ways) with what that loop leaves out made explicit:
 *
 * <ul>
 *   <li><b>backpressure</b>: a side is read only as fast as the other side takes the bytes (reading
 *       pauses while the peer's write queue is full, and resumes when it drains);
 *   <li><b>half-close</b>: a FIN from one side becomes a FIN to the other ({@code
 *       shutdown(SHUT_WR)}) once every byte before it was written, and the connection stays open
 *       the other way until that side finishes too, as {@code io.Copy} followed by {@code
 *       CloseWrite} does in Go proxies;
 *   <li><b>reset</b>: a connection reset on one side resets the other; a target that cannot be
 *       chosen or dialed resets the client, the closest a proxy that already accepted can come to
 *       the {@code connection refused} a client of a Service without endpoints gets.
 * </ul>
 *
 * <p>The target is a function of the accepted socket (its remote and local addresses), so the same
 * forwarder serves a pod's {@code kemu.dev/backend} (a fixed address) and a Service portal (an
 * endpoint picked per connection). A failed future resets the client.
 *
 * <p>Vert.x's {@code NetSocket} has no half-close ({@code end()} closes), so the splice uses {@link
 * NetSocketInternal}, the extension point Vert.x gives its own modules, to receive Netty's {@code
 * ChannelInputShutdownEvent} and to call {@code shutdownOutput()}.
 */
public final class TcpForwarder {
  private static final Logger logger = LoggerFactory.getLogger(TcpForwarder.class);

  private final Vertx vertx;
  private final SocketAddress listen;
  private final Function<NetSocket, Future<SocketAddress>> target;
  private final NetServer server;
  private final NetClient client;
  private final Set<Splice> splices = ConcurrentHashMap.newKeySet();
  private volatile boolean stopped;

  /**
   * A forwarder with default client options.
   *
   * @param vertx the Vert.x instance whose event loops carry the traffic
   * @param listen the address to listen on (port 0 for an ephemeral port)
   * @param target chooses the address to dial for each accepted connection
   */
  public TcpForwarder(
      Vertx vertx, SocketAddress listen, Function<NetSocket, Future<SocketAddress>> target) {
    this(vertx, listen, target, new NetClientOptions().setConnectTimeout(10_000));
  }

  /**
   * A forwarder.
   *
   * @param vertx the Vert.x instance whose event loops carry the traffic
   * @param listen the address to listen on (port 0 for an ephemeral port)
   * @param target chooses the address to dial for each accepted connection
   * @param clientOptions options of the dialing side (connect timeout, local address)
   */
  public TcpForwarder(
      Vertx vertx,
      SocketAddress listen,
      Function<NetSocket, Future<SocketAddress>> target,
      NetClientOptions clientOptions) {
    this.vertx = Objects.requireNonNull(vertx);
    this.listen = Objects.requireNonNull(listen);
    this.target = Objects.requireNonNull(target);
    this.server = vertx.createNetServer(new NetServerOptions()).connectHandler(this::accept);
    this.client = vertx.createNetClient(clientOptions);
  }

  /** A forwarder to one fixed address. */
  public static TcpForwarder to(Vertx vertx, SocketAddress listen, SocketAddress target) {
    Future<SocketAddress> fixed = Future.succeededFuture(target);
    return new TcpForwarder(vertx, listen, socket -> fixed);
  }

  /**
   * Starts listening. Fails with a message naming the address ({@code listen tcp 127.244.0.5:80:
   * ...}) if the bind is refused.
   */
  public Future<Void> start() {
    return server
        .listen(listen)
        .<Void>mapEmpty()
        .recover(
            e ->
                Future.failedFuture(
                    new IllegalStateException(
                        "listen tcp "
                            + hostPort(listen.host(), listen.port())
                            + ": bind: "
                            + Objects.requireNonNullElse(e.getMessage(), e.toString()),
                        e)));
  }

  /** The address actually listened on (the real port when {@code 0} was asked), once started. */
  public SocketAddress address() {
    return SocketAddress.inetSocketAddress(server.actualPort(), listen.host());
  }

  /** How many connections are being forwarded. */
  public int connections() {
    return splices.size();
  }

  /**
   * Stops listening, closes every forwarded connection (both sides) and the dialing client.
   * Completes when everything is closed.
   */
  public Future<Void> stop() {
    stopped = true;
    List<Future<?>> closes = new ArrayList<>();
    closes.add(server.close());
    for (Splice splice : List.copyOf(splices)) {
      closes.add(splice.close());
    }
    closes.add(client.close());
    return Future.join(closes).mapEmpty();
  }

  private void accept(NetSocket accepted) {
    NetSocketInternal socket = (NetSocketInternal) accepted;
    if (stopped) {
      socket.close();
      return;
    }
    // Everything of one connection runs on the event loop that accepted it: the dial below is made
    // from this context, so the target socket lives on the same thread as the client socket.
    Context context = vertx.getOrCreateContext();
    Splice splice = new Splice(context, socket, splices::remove);
    splices.add(splice);
    Future<SocketAddress> chosen;
    try {
      chosen = target.apply(accepted);
    } catch (RuntimeException e) {
      chosen = Future.failedFuture(e);
    }
    chosen.onComplete(
        choice ->
            context.runOnContext(
                ignored -> {
                  if (choice.failed()) {
                    logger.debug(
                        "{}: no target for {}: {}",
                        listen,
                        accepted.remoteAddress(),
                        choice.cause().toString());
                    splice.refuse();
                    return;
                  }
                  SocketAddress address = choice.result();
                  client
                      .connect(address)
                      .onComplete(
                          dialed -> {
                            if (dialed.failed()) {
                              logger.debug(
                                  "{}: dial {} for {} failed: {}",
                                  listen,
                                  address,
                                  accepted.remoteAddress(),
                                  dialed.cause().toString());
                              splice.refuse();
                            } else {
                              splice.attach((NetSocketInternal) dialed.result());
                            }
                          });
                }));
  }

  private static String hostPort(String host, int port) {
    return (host != null && host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }
}
