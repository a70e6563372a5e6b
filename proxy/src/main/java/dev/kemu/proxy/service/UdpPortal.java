package dev.kemu.proxy.service;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A UDP portal: a socket bound to a Service address, with one session per client address (the
 * userspace proxier's {@code udpProxySocket} and its {@code clientCache}). Each session has its own
 * socket connected to the endpoint chosen for the client; replies are sent back from the portal's
 * socket, so they come from the address the client sent to. A session ends after {@code
 * udpIdleTimeout} without traffic, or when its endpoint leaves the Service port (kube-proxy clears
 * the conntrack entries of removed UDP endpoints for the same reason: otherwise datagrams would
 * keep going to an endpoint that is gone).
 *
 * <p>The sessions live on the portal's event loop and are touched only there.
 */
final class UdpPortal implements Portal {
  private static final Logger logger = LoggerFactory.getLogger(UdpPortal.class);

  private final PortalContext context;
  private final PortalKey key;
  private volatile PortalRoute route;
  private final Map<InetSocketAddress, UdpSession> sessions = new HashMap<>();
  private Channel channel;
  private ScheduledFuture<?> sweeper;

  private UdpPortal(PortalContext context, PortalRoute route) {
    this.context = context;
    this.key = route.key();
    this.route = route;
  }

  /** Binds the portal's socket; completes with the portal once bound. */
  static PendingBind bind(PortalContext context, PortalRoute route) {
    PortalKey key = route.key();
    UdpPortal portal = new UdpPortal(context, route);
    ChannelFuture future =
        new Bootstrap()
            .group(context.ioGroup)
            .channelFactory(() -> context.datagramChannel(key.ipv6()))
            .option(ChannelOption.ALLOCATOR, context.allocator)
            .handler(portal.new Receiver())
            .bind(key.socketAddress());
    return new PendingBind(portal, future);
  }

  /** A bind in flight and the portal it gives once it succeeds. */
  record PendingBind(UdpPortal portal, ChannelFuture future) {
    UdpPortal bound() {
      portal.started(future.channel());
      return portal;
    }
  }

  private void started(Channel channel) {
    this.channel = channel;
    long sweep = context.options.udpSweepInterval().toMillis();
    sweeper =
        channel.eventLoop().scheduleAtFixedRate(this::sweep, sweep, sweep, TimeUnit.MILLISECONDS);
  }

  PortalContext context() {
    return context;
  }

  Channel channel() {
    return channel;
  }

  void forget(UdpSession session) {
    sessions.remove(session.client(), session);
  }

  private void sweep() {
    long now = context.clock.millis();
    long timeout = context.options.udpIdleTimeout().toMillis();
    List<UdpSession> idle = new ArrayList<>();
    for (UdpSession session : sessions.values()) {
      if (now - session.lastSeen() >= timeout) {
        idle.add(session);
      }
    }
    idle.forEach(UdpSession::close);
  }

  @Override
  public PortalKey key() {
    return key;
  }

  @Override
  public ChannelFuture close() {
    if (sweeper != null) {
      sweeper.cancel(false);
    }
    channel
        .eventLoop()
        .execute(() -> new ArrayList<>(sessions.values()).forEach(UdpSession::close));
    return channel.close();
  }

  @Override
  public PortalRoute route() {
    return route;
  }

  @Override
  public void update(PortalRoute route) {
    this.route = route;
    Set<InetSocketAddress> usable = new HashSet<>();
    if (route != null) {
      route.cluster().endpoints().forEach(e -> usable.add(e.socketAddress()));
      if (route.local() != null) {
        route.local().endpoints().forEach(e -> usable.add(e.socketAddress()));
      }
    }
    channel
        .eventLoop()
        .execute(
            () -> {
              List<UdpSession> stale = new ArrayList<>();
              for (UdpSession session : sessions.values()) {
                if (session.endpoint() != null
                    && !usable.contains(session.endpoint().socketAddress())) {
                  stale.add(session);
                }
              }
              stale.forEach(UdpSession::close);
            });
  }

  /** Reads client datagrams and hands each to its client's session. */
  private final class Receiver extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof DatagramPacket packet)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      InetSocketAddress sender = packet.sender();
      UdpSession session = sessions.get(sender);
      if (session == null) {
        PortalRoute route = UdpPortal.this.route;
        if (route == null || !route.listening()) {
          packet.release();
          return;
        }
        EndpointBalancer balancer = context.select(route, sender.getAddress());
        if (balancer == null) {
          route.metrics().dropped.increment();
          packet.release();
          return;
        }
        session = new UdpSession(UdpPortal.this, route, balancer, sender);
        sessions.put(sender, session);
        session.start();
      }
      session.send(packet.content());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A UDP socket reports ICMP errors of earlier sends here; the portal itself stays up.
      logger.debug("{}: {}", key, cause.toString());
    }
  }
}
