package dev.kemu.proxy.service;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.IpLiterals;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.DatagramChannel;
import io.netty.channel.socket.InternetProtocolFamily;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.util.concurrent.ImmediateEventExecutor;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.spi.transport.Transport;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.List;

/**
 * What every portal and connection shares: Vert.x's Netty event loops and transport, the identity
 * rules for upstream source addresses, the options and the clock.
 *
 * <p>Portals run on Vert.x's own event loops (no threads of their own) through its Netty transport:
 * NIO by default, epoll when Vert.x runs the native transport, which adds {@code
 * IP_BIND_ADDRESS_NO_PORT} so that binding a source address costs no port range.
 */
final class PortalContext {
  private static final WriteBufferWaterMark WATER_MARK =
      new WriteBufferWaterMark(256 * 1024, 1024 * 1024);
  private static final InetAddress DEFAULT_LOOPBACK_SOURCE = IpLiterals.parse("127.0.0.1");

  final ServiceProxyOptions options;
  final Clock clock;
  final EventLoopGroup acceptorGroup;
  final EventLoopGroup ioGroup;
  final ChannelFactory<? extends ServerChannel> serverChannels;
  final ChannelFactory<? extends Channel> channels;
  final boolean epoll;
  final ByteBufAllocator allocator = PooledByteBufAllocator.DEFAULT;
  final ChannelGroup connections =
      new DefaultChannelGroup("kemu-service-connections", ImmediateEventExecutor.INSTANCE);
  private final Transport transport;
  private final CidrSet podCidr;
  private final InetAddress nodeAddress;
  private final InetSocketAddress nodeSource;
  private final long[] dialTimeouts;
  private final java.util.concurrent.ConcurrentHashMap<EventLoop, Bootstrap[]> upstreams =
      new java.util.concurrent.ConcurrentHashMap<>();

  PortalContext(Vertx vertx, AddressPlan plan, ServiceProxyOptions options, Clock clock) {
    VertxInternal internal = (VertxInternal) vertx;
    this.options = options;
    this.clock = clock;
    this.transport = internal.transport();
    this.acceptorGroup = internal.acceptorEventLoopGroup();
    this.ioGroup = internal.nettyEventLoopGroup();
    this.serverChannels = transport.serverChannelFactory(false);
    this.channels = transport.channelFactory(false);
    this.epoll = isEpoll(channels);
    this.podCidr = new CidrSet(List.of(plan.podCidr()));
    this.nodeAddress = IpLiterals.parse(plan.nodeAddress());
    // Where "masqueraded" connections come from: the node address, unless it is the wildcard or
    // the loopback source the kernel picks anyway (binding costs a syscall).
    this.nodeSource =
        nodeAddress == null
                || nodeAddress.isAnyLocalAddress()
                || nodeAddress.equals(DEFAULT_LOOPBACK_SOURCE)
            ? null
            : new InetSocketAddress(nodeAddress, 0);
    this.dialTimeouts =
        options.dialTimeouts().stream().mapToLong(java.time.Duration::toMillis).toArray();
  }

  private static boolean isEpoll(ChannelFactory<? extends Channel> factory) {
    Channel probe = factory.newChannel();
    try {
      return probe instanceof EpollSocketChannel;
    } finally {
      probe.unsafe().closeForcibly();
    }
  }

  // ---------------------------------------------------------------- endpoint choice

  /**
   * The balancer for a new connection from {@code client}, or null when kube-proxy would drop it.
   *
   * <ul>
   *   <li>LoadBalancer traffic from outside {@code loadBalancerSourceRanges} is dropped (the
   *       iptables proxier's {@code KUBE-FW} chain).
   *   <li>Internal traffic under {@code internalTrafficPolicy: Local} uses local endpoints only,
   *       and is dropped when there is none ({@code "has no local endpoints"}).
   *   <li>External traffic under {@code externalTrafficPolicy: Local} from a pod or from the node
   *       itself is short-circuited to the cluster endpoints, as kube-proxy's {@code KUBE-EXT}
   *       chain does; only traffic from other hosts is held to local endpoints (and dropped without
   *       one).
   * </ul>
   */
  EndpointBalancer select(PortalRoute route, InetAddress client) {
    if (route.kind() == PortalKind.LOAD_BALANCER
        && !route.sourceRanges().isEmpty()
        && !route.sourceRanges().contains(client)) {
      return null;
    }
    EndpointBalancer local = route.local();
    if (local == null) {
      return route.cluster();
    }
    if (route.kind().external() && isNodeLocal(client)) {
      return route.cluster();
    }
    return local.size() > 0 ? local : null;
  }

  private boolean isNodeLocal(InetAddress client) {
    return client.isLoopbackAddress() || podCidr.contains(client) || client.equals(nodeAddress);
  }

  /**
   * The source address of the connection kemu makes to an endpoint, or null to let the kernel
   * choose. This is kemu's "Identity" rule, mirroring where kube-proxy masquerades:
   *
   * <ul>
   *   <li>a pod connecting to a ClusterIP keeps its pod IP (kube-proxy does not masquerade pod
   *       traffic), except when it reaches itself (hairpin traffic is masqueraded);
   *   <li>a pod reaching an external address of a {@code Local}-policy Service keeps its IP too;
   *   <li>everything else (the host, other containers, NodePort/LoadBalancer/externalIP traffic
   *       under {@code Cluster} policy) comes from the node address, as after kube-proxy's SNAT.
   * </ul>
   */
  InetSocketAddress source(PortalRoute route, InetAddress client, EndpointInfo endpoint) {
    if (podCidr.contains(client)
        && !client.equals(endpoint.address())
        && (client instanceof Inet4Address) != endpoint.ipv6()
        && (route.kind() == PortalKind.CLUSTER_IP || route.localPolicy())) {
      return new InetSocketAddress(client, 0);
    }
    if (nodeSource == null
        || nodeAddress.isLoopbackAddress() != endpoint.address().isLoopbackAddress()
        || (nodeAddress instanceof Inet4Address) != !endpoint.ipv6()) {
      return null;
    }
    return nodeSource;
  }

  int dialAttempts() {
    return dialTimeouts.length;
  }

  // ---------------------------------------------------------------- channels

  /**
   * A listener socket. On epoll it is of the address's own family: a dual-stack IPv6 socket would
   * cost an extra option and address conversions on every connection.
   */
  ServerChannel serverChannel(boolean ipv6) {
    if (epoll) {
      return new EpollServerSocketChannel(
          ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET);
    }
    return serverChannels.newChannel();
  }

  /**
   * A TCP connection to an endpoint, on the event loop of the connection it serves. The bootstraps
   * are built once per event loop and kind of dial (attempt, family, bound source) and reused: the
   * event loop is their only user, so setting the handler before each connect is safe, and a
   * connection costs no bootstrap and option tables of its own.
   *
   * <p>The endpoint side does not allow half-closure: a FIN from the endpoint ends the connection
   * (the client still gets every byte, then a FIN), which saves the work of half-closing on every
   * short connection. A FIN from the client is forwarded as a half-close, so requests followed by
   * {@code shutdown(SHUT_WR)} still get their answer.
   */
  Bootstrap upstreamTcp(
      EventLoop loop, int attempt, ChannelHandler handler, boolean bind, boolean ipv6) {
    int slot = attempt * 4 + (ipv6 ? 2 : 0) + (bind ? 1 : 0);
    Bootstrap[] cached =
        upstreams.computeIfAbsent(loop, l -> new Bootstrap[dialTimeouts.length * 4]);
    Bootstrap bootstrap = cached[slot];
    if (bootstrap == null) {
      bootstrap = newUpstream(loop, dialTimeouts[attempt], bind, ipv6);
      cached[slot] = bootstrap;
    }
    return bootstrap.handler(handler);
  }

  private Bootstrap newUpstream(EventLoop loop, long timeoutMillis, boolean bind, boolean ipv6) {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channelFactory(
                epoll
                    ? () ->
                        new EpollSocketChannel(
                            ipv6 ? SocketProtocolFamily.INET6 : SocketProtocolFamily.INET)
                    : channels)
            .disableResolver()
            .option(ChannelOption.ALLOCATOR, allocator)
            .option(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeoutMillis);
    if (!epoll) {
      // The epoll transport sets TCP_NODELAY on every socket already; NIO does not.
      bootstrap.option(ChannelOption.TCP_NODELAY, true);
    } else if (bind) {
      bootstrap.option(EpollChannelOption.IP_BIND_ADDRESS_NO_PORT, true);
    }
    return bootstrap;
  }

  /** Options of accepted TCP connections. */
  void configureAccepted(io.netty.bootstrap.ServerBootstrap bootstrap) {
    bootstrap
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
        .childOption(ChannelOption.ALLOCATOR, allocator)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK);
    if (!epoll) {
      bootstrap.childOption(ChannelOption.TCP_NODELAY, true);
    }
  }

  /** A UDP channel of the portal address's family. */
  DatagramChannel datagramChannel(boolean ipv6) {
    return transport.datagramChannel(
        ipv6 ? InternetProtocolFamily.IPv6 : InternetProtocolFamily.IPv4);
  }
}
