package dev.kemu.proxy.service;

import dev.kemu.api.registry.Cidr;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What outlives the rebuilds of one Service port's routes: its meters, its round-robin positions
 * and its ClientIP affinity records (the userspace proxier's per-port {@code balancerState}). The
 * balancers built from it are reused while the endpoints stay the same. Owned by the proxy's sync
 * thread.
 */
final class ServicePortState {
  /** Balancer slots: IPv4 cluster, IPv4 local, IPv6 cluster, IPv6 local. */
  private static final int SLOTS = 4;

  final ServicePortMetrics metrics;
  private final Clock clock;
  private final AtomicInteger[] positions = new AtomicInteger[SLOTS];
  private final EndpointBalancer[] balancers = new EndpointBalancer[SLOTS];
  private ClientIpAffinity affinity;
  private List<Cidr> rangesSource = List.of();
  private CidrSet ranges = new CidrSet(List.of());

  ServicePortState(MeterRegistry registry, ServicePortName name, Clock clock) {
    this.metrics = new ServicePortMetrics(registry, name);
    this.clock = clock;
    for (int i = 0; i < SLOTS; i++) {
      positions[i] = new AtomicInteger();
    }
  }

  /** The balancer of a slot for these endpoints, the previous one if nothing changed. */
  EndpointBalancer balancer(
      boolean ipv6, boolean local, List<EndpointInfo> endpoints, int affinitySeconds) {
    if (affinitySeconds > 0) {
      if (affinity == null) {
        affinity = new ClientIpAffinity(clock);
      }
    } else {
      affinity = null;
    }
    int slot = (ipv6 ? 2 : 0) + (local ? 1 : 0);
    EndpointBalancer current = balancers[slot];
    if (current != null && current.sameAs(endpoints, affinitySeconds, affinity)) {
      return current;
    }
    EndpointBalancer next =
        new EndpointBalancer(endpoints, positions[slot], affinity, affinitySeconds);
    balancers[slot] = next;
    return next;
  }

  CidrSet ranges(List<Cidr> cidrs) {
    if (!cidrs.equals(rangesSource)) {
      rangesSource = cidrs;
      ranges = new CidrSet(cidrs);
    }
    return ranges;
  }

  void cleanupAffinity() {
    for (EndpointBalancer balancer : balancers) {
      if (balancer != null) {
        balancer.cleanupAffinity();
      }
    }
  }
}
