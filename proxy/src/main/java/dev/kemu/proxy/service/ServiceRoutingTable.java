package dev.kemu.proxy.service;

import java.util.Collection;
import java.util.Map;

/**
 * The immutable snapshot the connection path reads: portal → route. The Service proxy rebuilds it
 * in each sync and publishes it with one reference swap, so a connection sees either the old or the
 * new table, never a mix, and reads it without a lock (Traefik's {@code HandlerSwitcher}, the
 * userspace proxier's {@code serviceMap}).
 */
final class ServiceRoutingTable {
  static final ServiceRoutingTable EMPTY = new ServiceRoutingTable(Map.of());

  private final Map<PortalKey, PortalRoute> routes;

  ServiceRoutingTable(Map<PortalKey, PortalRoute> routes) {
    this.routes = Map.copyOf(routes);
  }

  /** The route of a portal, or null if the portal no longer belongs to any Service port. */
  PortalRoute route(PortalKey key) {
    return routes.get(key);
  }

  Collection<PortalRoute> routes() {
    return routes.values();
  }

  int size() {
    return routes.size();
  }
}
