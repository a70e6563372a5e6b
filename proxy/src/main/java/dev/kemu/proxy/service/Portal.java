package dev.kemu.proxy.service;

import io.netty.channel.ChannelFuture;

/**
 * A socket kemu owns for a Service address: a TCP listener or a UDP socket bound to one address and
 * port. Each portal holds its current {@link PortalRoute}, an immutable snapshot that a sync
 * replaces with one reference write; a connection reads it once, with no lock and no lookup.
 * Closing a TCP portal stops new connections only; established ones stay, as they do through
 * kube-proxy (conntrack keeps them).
 */
sealed interface Portal permits TcpPortal, UdpPortal {

  PortalKey key();

  /** The route new connections take. */
  PortalRoute route();

  /** Swaps in a new route; UDP sessions to endpoints that left end. */
  void update(PortalRoute route);

  /** Stops listening. */
  ChannelFuture close();
}
