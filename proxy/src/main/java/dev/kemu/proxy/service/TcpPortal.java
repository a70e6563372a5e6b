package dev.kemu.proxy.service;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;

/**
 * A TCP portal: a listener on a Service address whose accepted connections are proxied by {@link
 * TcpConnection} (the userspace proxier's {@code tcpProxySocket}).
 */
final class TcpPortal implements Portal {
  private final PortalKey key;
  private volatile PortalRoute route;
  private Channel channel;

  private TcpPortal(PortalKey key, PortalRoute route) {
    this.key = key;
    this.route = route;
  }

  /**
   * Binds a listener. As Vert.x's own servers do, it accepts on the acceptor loop and spreads
   * connections over the event loops.
   */
  static PendingBind bind(PortalContext context, PortalRoute route) {
    TcpPortal portal = new TcpPortal(route.key(), route);
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(context.acceptorGroup, context.ioGroup)
            .channelFactory(() -> context.serverChannel(route.key().ipv6()))
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(new TcpConnection.Acceptor(context, portal));
    context.configureAccepted(bootstrap);
    return new PendingBind(portal, bootstrap.bind(route.key().socketAddress()));
  }

  /** A bind in flight and the portal it gives once it succeeds. */
  record PendingBind(TcpPortal portal, ChannelFuture future) {
    TcpPortal bound() {
      portal.channel = future.channel();
      return portal;
    }
  }

  @Override
  public PortalKey key() {
    return key;
  }

  @Override
  public PortalRoute route() {
    return route;
  }

  @Override
  public void update(PortalRoute route) {
    // Established TCP connections keep their endpoint, as conntrack keeps them.
    this.route = route;
  }

  @Override
  public ChannelFuture close() {
    return channel.close();
  }
}
