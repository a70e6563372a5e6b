package dev.kemu.proxy.service;

/**
 * Which Service address a portal serves. kube-proxy treats ClusterIP traffic as <em>internal</em>
 * (governed by {@code spec.internalTrafficPolicy}) and NodePort, externalIP and LoadBalancer
 * traffic as <em>external</em> (governed by {@code spec.externalTrafficPolicy}).
 */
public enum PortalKind {
  /** {@code spec.clusterIPs} on {@code spec.ports[].port}. */
  CLUSTER_IP(false),
  /** {@code spec.ports[].nodePort} on the node address. */
  NODE_PORT(true),
  /** {@code spec.externalIPs} on {@code spec.ports[].port}. */
  EXTERNAL_IP(true),
  /** {@code status.loadBalancer.ingress[].ip} on {@code spec.ports[].port}. */
  LOAD_BALANCER(true);

  private final boolean external;

  PortalKind(boolean external) {
    this.external = external;
  }

  /** Whether traffic to this address is external (externalTrafficPolicy applies). */
  public boolean external() {
    return external;
  }
}
