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
  private final Channel channel;

  private TcpPortal(PortalKey key, Channel channel) {
    this.key = key;
    this.channel = channel;
  }

  /**
   * Binds a listener; the future's channel is the listener. As Vert.x's own servers do, it accepts
   * on the acceptor loop and spreads connections over the event loops.
   */
  static ChannelFuture bind(PortalContext context, PortalKey key) {
    ServerBootstrap bootstrap =
        new ServerBootstrap()
            .group(context.acceptorGroup, context.ioGroup)
            .channelFactory(() -> context.serverChannel(key.ipv6()))
            .option(ChannelOption.SO_BACKLOG, 1024)
            .option(ChannelOption.SO_REUSEADDR, true)
            .childHandler(new TcpConnection.Acceptor(context, key));
    context.configureAccepted(bootstrap);
    return bootstrap.bind(key.socketAddress());
  }

  static TcpPortal bound(PortalKey key, Channel channel) {
    return new TcpPortal(key, channel);
  }

  @Override
  public PortalKey key() {
    return key;
  }

  @Override
  public ChannelFuture close() {
    return channel.close();
  }

  @Override
  public void routeChanged(PortalRoute route) {
    // Established TCP connections keep their endpoint, as conntrack keeps them.
  }
}
