package dev.kemu.proxy.service;

import dev.kemu.api.registry.Cidr;
import java.util.List;

/**
 * What one Service port asks of the data plane, derived from the Service and its EndpointSlices by
 * {@link ServiceRouteBuilder}: the portals it owns and the endpoints behind them, plus the policies
 * that choose among those endpoints. Plain data; the balancers are attached by the proxy.
 *
 * @param name the Service port
 * @param protocol TCP or UDP
 * @param portals the addresses to listen on
 * @param endpoints every endpoint of the port (deduplicated by {@code ip:port}, sorted)
 * @param affinitySeconds the ClientIP affinity timeout, 0 without affinity
 * @param internalLocal {@code internalTrafficPolicy: Local}
 * @param externalLocal {@code externalTrafficPolicy: Local}
 * @param sourceRanges {@code loadBalancerSourceRanges} (empty: every source)
 */
record ServicePortRoute(
    ServicePortName name,
    L4Protocol protocol,
    List<PortalAddress> portals,
    List<EndpointInfo> endpoints,
    int affinitySeconds,
    boolean internalLocal,
    boolean externalLocal,
    List<Cidr> sourceRanges) {

  /** A portal of a Service port: the socket and which Service address it is. */
  record PortalAddress(PortalKey key, PortalKind kind) {}
}
