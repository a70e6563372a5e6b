package dev.kemu.proxy.service;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Chooses the endpoint of each new connection of one Service port: round robin over the usable
 * endpoints, with ClientIP affinity when the Service asks for it. Mirrors the userspace proxier's
 * {@code LoadBalancerRR.NextEndpoint(service, srcAddr, sessionAffinityReset)} ({@code
 * pkg/proxy/userspace/roundrobin.go}).
 *
 * <p>The endpoint list is immutable; a change of endpoints gives a new balancer that shares the
 * round-robin position and the affinity records, so a change neither restarts the rotation nor
 * loses clients' affinity to endpoints that stay. A record pointing to an endpoint that left is
 * ignored and replaced ({@code removeStaleAffinity}). Safe to call from any event loop.
 */
final class EndpointBalancer {
  private final EndpointInfo[] endpoints;
  private final Set<InetSocketAddress> members;
  private final AtomicInteger position;
  private final ClientIpAffinity affinity;
  private final long affinityMillis;

  /**
   * A balancer.
   *
   * @param endpoints the usable endpoints, in a stable order
   * @param position the shared round-robin position
   * @param affinity the shared affinity records, or null without ClientIP affinity
   * @param affinitySeconds the affinity timeout
   */
  EndpointBalancer(
      List<EndpointInfo> endpoints,
      AtomicInteger position,
      ClientIpAffinity affinity,
      int affinitySeconds) {
    this.endpoints = endpoints.toArray(EndpointInfo[]::new);
    this.position = position;
    this.affinity = affinity;
    this.affinityMillis = affinitySeconds * 1000L;
    if (affinity != null) {
      members = new HashSet<>();
      for (EndpointInfo endpoint : endpoints) {
        members.add(endpoint.socketAddress());
      }
    } else {
      members = Set.of();
    }
  }

  /** How many endpoints new connections can use. */
  int size() {
    return endpoints.length;
  }

  List<EndpointInfo> endpoints() {
    return List.of(endpoints);
  }

  boolean sameAs(List<EndpointInfo> other, int affinitySeconds, ClientIpAffinity affinity) {
    return this.affinity == affinity
        && this.affinityMillis == affinitySeconds * 1000L
        && List.of(endpoints).equals(other);
  }

  /**
   * The endpoint for a new connection from {@code client}.
   *
   * @param resetAffinity true after a failed dial: ignore the client's record and replace it
   * @return the endpoint, or null when there is none
   */
  EndpointInfo next(InetAddress client, boolean resetAffinity) {
    int count = endpoints.length;
    if (count == 0) {
      return null;
    }
    if (affinity == null) {
      return endpoints[Math.floorMod(position.getAndIncrement(), count)];
    }
    long now = affinity.now();
    if (!resetAffinity) {
      ClientIpAffinity.Sticky sticky = affinity.lookup(client, now, affinityMillis);
      if (sticky != null && members.contains(sticky.endpoint.socketAddress())) {
        sticky.lastUsed = now;
        return sticky.endpoint;
      }
    }
    EndpointInfo chosen = endpoints[Math.floorMod(position.getAndIncrement(), count)];
    affinity.remember(client, chosen, now);
    return chosen;
  }

  void cleanupAffinity() {
    if (affinity != null) {
      affinity.cleanup(affinityMillis);
    }
  }
}
