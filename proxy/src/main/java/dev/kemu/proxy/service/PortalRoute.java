package dev.kemu.proxy.service;

/**
 * Where new connections to one portal go: the Service port, its balancers and the policies that
 * choose between them. Immutable: a sync builds a new one and swaps it into the {@link Portal}.
 *
 * @param key the portal's socket
 * @param kind which Service address the portal is
 * @param name the Service port
 * @param cluster the endpoints {@code Cluster} traffic policy uses
 * @param local the endpoints {@code Local} traffic policy uses, or null under {@code Cluster}
 * @param sourceRanges {@code loadBalancerSourceRanges} for LoadBalancer portals (empty: any source)
 * @param metrics the Service port's meters
 */
record PortalRoute(
    PortalKey key,
    PortalKind kind,
    ServicePortName name,
    EndpointBalancer cluster,
    EndpointBalancer local,
    CidrSet sourceRanges,
    ServicePortMetrics metrics) {

  /**
   * Whether the portal should listen. A Service port with no usable endpoint anywhere is rejected
   * by kube-proxy ({@code "has no endpoints"}, REJECT): kemu then does not listen, so the kernel
   * refuses at once. With usable endpoints somewhere but none local under {@code Local} policy,
   * kube-proxy drops instead, so the portal listens and drops.
   */
  boolean listening() {
    return cluster.size() > 0;
  }

  boolean localPolicy() {
    return local != null;
  }

  /** How many endpoints new connections can use, for the status table. */
  int usableEndpoints() {
    return local != null && !kind.external() ? local.size() : cluster.size();
  }
}
