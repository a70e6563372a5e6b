package dev.kemu.proxy.service;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.AbstractEpollStreamChannel;
import io.netty.channel.epoll.EpollChannelConfig;
import io.netty.channel.epoll.EpollMode;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied TCP connection: the client's connection to a portal joined to a connection kemu makes
 * to an endpoint, both on the same event loop. Mirrors the userspace proxier's {@code tryConnect}
 * and {@code proxyTCP} ({@code pkg/proxy/userspace/proxysocket.go}): each dial attempt has its own
 * timeout from the escalating list, a failed dial counts, resets the client's affinity and moves to
 * the next endpoint; when every attempt fails the client gets a TCP RST.
 *
 * <p>Bytes go through untouched: the same pooled direct buffers are read on one side and written on
 * the other, and reading a side stops while the other cannot keep up. A direction that has carried
 * more than {@link #SPLICE_AFTER} bytes switches, on the epoll transport, to {@code splice(2)}
 * through a kernel pipe, so bulk transfers are not copied through user space at all. A half-close
 * (FIN) is forwarded as a half-close, and a reset as a reset, so both ends see what they would see
 * through kube-proxy's NAT.
 */
final class TcpConnection {
  private static final Logger logger = LoggerFactory.getLogger(TcpConnection.class);

  /** A direction switches to splice after this many bytes: bulk, not request/response. */
  static final long SPLICE_AFTER = 1 << 20;

  /** Bytes per splice step: each completed step is counted in the byte meters. */
  private static final int SPLICE_STEP = 16 * 1024 * 1024;

  /** The buffer size of the drain after a FIN. */
  private static final int DRAIN_BUFFER = 64 * 1024;

  /** How much a client may send before its endpoint is connected; then reading pauses. */
  private static final int EARLY_LIMIT = 256 * 1024;

  private final PortalContext context;
  private final PortalRoute route;
  private final EndpointBalancer balancer;
  private final ServicePortMetrics metrics;
  private final Channel front;
  private final InetSocketAddress client;
  private Channel back;

  /** What the client sent before the endpoint was connected. */
  private ArrayDeque<ByteBuf> early;

  private int earlyBytes;
  private int attempt;
  private boolean frontEnded;
  private boolean backEnded;

  TcpConnection(
      PortalContext context,
      PortalRoute route,
      EndpointBalancer balancer,
      Channel front,
      InetSocketAddress client) {
    this.context = context;
    this.route = route;
    this.balancer = balancer;
    this.metrics = route.metrics();
    this.front = front;
    this.client = client;
  }

  /** Starts dialing. What the client sends meanwhile is kept (up to a limit) and sent after. */
  void start() {
    metrics.active.incrementAndGet();
    context.connections.add(front);
    front.pipeline().addLast(new Relay(true));
    front
        .closeFuture()
        .addListener(
            f -> {
              metrics.active.decrementAndGet();
              if (back != null) {
                closeAfterFlush(back);
              }
            });
    dial(false);
  }

  private void dial(boolean resetAffinity) {
    EndpointInfo endpoint = balancer.next(client.getAddress(), resetAffinity);
    if (endpoint == null) {
      metrics.errors.increment();
      releaseEarly();
      reset(front);
      return;
    }
    InetSocketAddress source = context.source(route, client.getAddress(), endpoint);
    var bootstrap =
        context.upstreamTcp(
            front.eventLoop(), attempt, new Relay(false), source != null, endpoint.ipv6());
    ChannelFuture connecting =
        source == null
            ? bootstrap.connect(endpoint.socketAddress())
            : bootstrap.connect(endpoint.socketAddress(), source);
    connecting.addListener((ChannelFutureListener) f -> dialed(f, endpoint));
  }

  private void dialed(ChannelFuture future, EndpointInfo endpoint) {
    if (future.isSuccess()) {
      back = future.channel();
      if (!front.isActive()) {
        back.close();
        return;
      }
      context.connections.add(back);
      if (early != null) {
        ByteBuf buf;
        while ((buf = early.poll()) != null) {
          back.write(buf, back.voidPromise());
        }
        back.flush();
        early = null;
      }
      if (frontEnded) {
        frontEnded = false;
        ended(true);
      }
      front.config().setAutoRead(true);
      return;
    }
    metrics.dialFailures.increment();
    logger.debug("{}: dial to {} failed: {}", route.name(), endpoint, future.cause().toString());
    attempt++;
    if (attempt < context.dialAttempts() && front.isActive()) {
      dial(true);
    } else {
      metrics.errors.increment();
      releaseEarly();
      reset(front);
    }
  }

  private void releaseEarly() {
    if (early != null) {
      early.forEach(ByteBuf::release);
      early = null;
    }
  }

  private void ended(boolean fromClient) {
    if (fromClient && back == null) {
      // The client half-closed before the endpoint answered: forwarded once connected.
      frontEnded = true;
      return;
    }
    if (fromClient) {
      frontEnded = true;
    } else {
      backEnded = true;
    }
    if (frontEnded && backEnded) {
      closeAfterFlush(front);
      closeAfterFlush(back);
      return;
    }
    Channel peer = fromClient ? back : front;
    peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            f -> {
              if (peer.isActive() && peer instanceof DuplexChannel duplex) {
                duplex.shutdownOutput();
              }
            });
  }

  /** Closes a connection with a TCP RST (SO_LINGER 0), as a REJECT or a reset peer does. */
  static void reset(Channel channel) {
    if (channel.isOpen()) {
      try {
        channel.config().setOption(ChannelOption.SO_LINGER, 0);
      } catch (RuntimeException e) {
        // Already closed underneath: a plain close is all that is left.
      }
      channel.close();
    }
  }

  private static void closeAfterFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    } else {
      channel.close();
    }
  }

  /** Moves one direction's bytes; one instance on each side. */
  private final class Relay extends ChannelInboundHandlerAdapter {
    private final boolean fromClient;
    private long relayed;
    private boolean spliced;

    Relay(boolean fromClient) {
      this.fromClient = fromClient;
    }

    private Channel peer() {
      return fromClient ? back : front;
    }

    private io.micrometer.core.instrument.Counter bytes() {
      return fromClient ? metrics.bytesToEndpoint : metrics.bytesToClient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof ByteBuf buf)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      int size = buf.readableBytes();
      Channel peer = peer();
      if (peer == null) {
        // Still dialing: keep what the client sends, and stop reading past the limit.
        if (early == null) {
          early = new ArrayDeque<>();
        }
        early.add(buf);
        earlyBytes += size;
        bytes().increment(size);
        if (earlyBytes >= EARLY_LIMIT) {
          ctx.channel().config().setAutoRead(false);
        }
        return;
      }
      if (!peer.isActive()) {
        buf.release();
        return;
      }
      bytes().increment(size);
      relayed += size;
      peer.write(buf, peer.voidPromise());
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      Channel peer = peer();
      if (peer == null) {
        return;
      }
      peer.flush();
      if (!spliced && relayed >= SPLICE_AFTER && context.epoll) {
        startSplice(ctx.channel(), peer);
      }
    }

    /**
     * Moves this direction to splice(2): the kernel passes pages from one socket to the other
     * through a pipe. Both sockets must be level-triggered for Netty's splice.
     */
    private void startSplice(Channel source, Channel target) {
      if (!(source instanceof AbstractEpollStreamChannel from)
          || !(target instanceof AbstractEpollStreamChannel to)) {
        return;
      }
      spliced = true;
      // A spliced socket must half-close on its peer's FIN, so that the bytes still waiting in it
      // can be drained (the endpoint side closes outright otherwise).
      from.config().setOption(ChannelOption.ALLOW_HALF_CLOSURE, true);
      ((EpollChannelConfig) from.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
      ((EpollChannelConfig) to.config()).setEpollMode(EpollMode.LEVEL_TRIGGERED);
      spliceStep(from, to);
    }

    private void spliceStep(AbstractEpollStreamChannel from, AbstractEpollStreamChannel to) {
      from.spliceTo(to, SPLICE_STEP)
          .addListener(
              f -> {
                if (f.isSuccess()) {
                  bytes().increment(SPLICE_STEP);
                  if (from.isActive() && !(fromClient ? frontEnded : backEnded)) {
                    spliceStep(from, to);
                  }
                }
              });
    }

    /**
     * After the peer's FIN, Netty stops splicing a socket, though bytes sent before the FIN may
     * still wait in its receive queue (the pipe was full when the FIN was seen). They are read here
     * and sent on, after what is already in the pipe, before the FIN is forwarded.
     */
    private void drain(Channel source, Channel target) {
      if (!(source instanceof EpollSocketChannel socket) || !target.isActive()) {
        return;
      }
      bytes().increment(SpliceProgress.splicedInPendingStep(socket, SPLICE_STEP));
      try {
        while (true) {
          ByteBuf buf = context.allocator.directBuffer(DRAIN_BUFFER);
          ByteBuffer nio = buf.internalNioBuffer(0, buf.capacity());
          int read = socket.fd().read(nio, nio.position(), nio.limit());
          if (read <= 0) {
            buf.release();
            return;
          }
          buf.writerIndex(read);
          bytes().increment(read);
          target.write(buf, target.voidPromise());
        }
      } catch (IOException e) {
        logger.debug("{}: draining after FIN: {}", route.name(), e.toString());
      } finally {
        target.flush();
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      // This side's output is the peer's input: read the peer only while it can be written here.
      Channel peer = peer();
      if (peer != null) {
        peer.config().setAutoRead(ctx.channel().isWritable());
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        if (spliced && peer() != null) {
          drain(ctx.channel(), peer());
        }
        ended(fromClient);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (fromClient) {
        releaseEarly();
      }
      Channel peer = peer();
      if (peer != null) {
        closeAfterFlush(peer);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (!(cause instanceof IOException)) {
        logger.warn("{}: unexpected error on a connection", route.name(), cause);
      } else {
        logger.debug("{}: {}", route.name(), cause.toString());
      }
      metrics.errors.increment();
      // A reset on one side becomes a reset on the other, as it would through NAT.
      Channel peer = peer();
      if (peer != null) {
        reset(peer);
      }
      ctx.close();
    }
  }

  /** What an accepted connection meets first: picks the route and starts the connection. */
  @ChannelHandler.Sharable
  static final class Acceptor extends ChannelInboundHandlerAdapter {
    private final PortalContext context;
    private final Portal portal;

    Acceptor(PortalContext context, Portal portal) {
      this.context = context;
      this.portal = portal;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      Channel front = ctx.channel();
      ctx.pipeline().remove(this);
      PortalRoute route = portal.route();
      if (route == null
          || !route.listening()
          || !(front.remoteAddress() instanceof InetSocketAddress client)) {
        // The Service port lost its endpoints (or its portal) after the kernel accepted.
        reset(front);
        return;
      }
      route.metrics().connections.increment();
      EndpointBalancer balancer = context.select(route, client.getAddress());
      if (balancer == null) {
        route.metrics().dropped.increment();
        hold(front);
        return;
      }
      new TcpConnection(context, route, balancer, front, client).start();
    }

    /**
     * Where kube-proxy drops packets, the client's connection attempt goes unanswered until it
     * gives up. A userspace proxy cannot leave a SYN unanswered, so the connection is accepted and
     * then held silently: nothing is read from or sent to the client until it closes.
     */
    private void hold(Channel front) {
      context.connections.add(front);
      front.pipeline().addLast(Discard.INSTANCE);
    }
  }

  /** Swallows what a held connection sends and closes it when the client does. */
  @ChannelHandler.Sharable
  static final class Discard extends ChannelInboundHandlerAdapter {
    static final Discard INSTANCE = new Discard();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
      if (event instanceof ChannelInputShutdownEvent) {
        ctx.close();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
