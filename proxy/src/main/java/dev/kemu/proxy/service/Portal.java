package dev.kemu.proxy.service;

import io.netty.channel.ChannelFuture;

/**
 * A socket kemu owns for a Service address: a TCP listener or a UDP socket bound to one address and
 * port. Closing a TCP portal stops new connections only; established ones stay, as they do through
 * kube-proxy (conntrack keeps them).
 */
sealed interface Portal permits TcpPortal, UdpPortal {

  PortalKey key();

  /** Stops listening. */
  ChannelFuture close();

  /** The portal's route changed (endpoints moved); UDP sessions to endpoints that left end. */
  void routeChanged(PortalRoute route);
}
