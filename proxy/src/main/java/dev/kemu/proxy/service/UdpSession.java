package dev.kemu.proxy.service;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UDP client of a portal: its own socket connected to the endpoint chosen for it, carrying the
 * client's datagrams there and the endpoint's replies back through the portal. Confined to the
 * portal's event loop.
 */
final class UdpSession {
  private static final Logger logger = LoggerFactory.getLogger(UdpSession.class);

  /** Datagrams kept while the session's socket is being set up; more are dropped, as UDP may. */
  private static final int MAX_PENDING = 256;

  private final UdpPortal portal;
  private final PortalRoute route;
  private final EndpointBalancer balancer;
  private final ServicePortMetrics metrics;
  private final InetSocketAddress client;
  private final ArrayDeque<ByteBuf> pending = new ArrayDeque<>();
  private EndpointInfo endpoint;
  private Channel upstream;
  private long lastSeen;
  private int attempt;
  private boolean closed;

  UdpSession(
      UdpPortal portal, PortalRoute route, EndpointBalancer balancer, InetSocketAddress client) {
    this.portal = portal;
    this.route = route;
    this.balancer = balancer;
    this.metrics = route.metrics();
    this.client = client;
    this.lastSeen = portal.context().clock.millis();
  }

  InetSocketAddress client() {
    return client;
  }

  EndpointInfo endpoint() {
    return endpoint;
  }

  long lastSeen() {
    return lastSeen;
  }

  void start() {
    metrics.connections.increment();
    metrics.active.incrementAndGet();
    dial(false);
  }

  private void dial(boolean resetAffinity) {
    PortalContext context = portal.context();
    endpoint = balancer.next(client.getAddress(), resetAffinity);
    if (endpoint == null) {
      metrics.errors.increment();
      close();
      return;
    }
    InetSocketAddress source = context.source(route, client.getAddress(), endpoint);
    Bootstrap bootstrap =
        new Bootstrap()
            .group(portal.channel().eventLoop())
            .channelFactory(() -> context.datagramChannel(endpoint.ipv6()))
            .disableResolver()
            .option(ChannelOption.ALLOCATOR, context.allocator)
            .handler(new Replies());
    ChannelFuture connecting =
        source == null
            ? bootstrap.connect(endpoint.socketAddress())
            : bootstrap.connect(endpoint.socketAddress(), source);
    connecting.addListener((ChannelFutureListener) this::connected);
  }

  private void connected(ChannelFuture future) {
    if (closed) {
      future.channel().close();
      return;
    }
    if (!future.isSuccess()) {
      metrics.dialFailures.increment();
      logger.debug(
          "{}: UDP socket to {} failed: {}", route.name(), endpoint, future.cause().toString());
      attempt++;
      if (attempt < portal.context().dialAttempts()) {
        dial(true);
      } else {
        metrics.errors.increment();
        close();
      }
      return;
    }
    upstream = future.channel();
    portal.context().connections.add(upstream);
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      upstream.write(next, upstream.voidPromise());
    }
    upstream.flush();
  }

  /** Sends a client datagram (takes ownership of the buffer). */
  void send(ByteBuf data) {
    lastSeen = portal.context().clock.millis();
    metrics.bytesToEndpoint.increment(data.readableBytes());
    if (upstream != null) {
      upstream.writeAndFlush(data, upstream.voidPromise());
    } else if (pending.size() < MAX_PENDING && !closed) {
      pending.add(data);
    } else {
      metrics.dropped.increment();
      data.release();
    }
  }

  void close() {
    if (closed) {
      return;
    }
    closed = true;
    metrics.active.decrementAndGet();
    portal.forget(this);
    ByteBuf next;
    while ((next = pending.poll()) != null) {
      next.release();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  /** Carries the endpoint's replies back to the client, from the portal's address. */
  private final class Replies extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof DatagramPacket packet) || closed) {
        ReferenceCountUtil.release(msg);
        return;
      }
      lastSeen = portal.context().clock.millis();
      metrics.bytesToClient.increment(packet.content().readableBytes());
      Channel out = portal.channel();
      out.writeAndFlush(new DatagramPacket(packet.content(), client), out.voidPromise());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP port unreachable from the endpoint: nothing listens there. The session moves to the
      // next endpoint.
      // The datagram that met it is lost, as it would be; affinity is reset as after a failed dial.
      logger.debug("{}: UDP endpoint {}: {}", route.name(), endpoint, cause.toString());
      metrics.dialFailures.increment();
      Channel failed = upstream;
      upstream = null;
      if (failed != null) {
        failed.close();
      }
      attempt++;
      if (!closed && attempt < portal.context().dialAttempts()) {
        dial(true);
      } else {
        metrics.errors.increment();
        close();
      }
    }
  }
}
