package dev.kemu.dns.index;

import java.util.List;
import org.xbill.DNS.Name;

/**
 * What an IP reverses to: the Services that have it as a ClusterIP (CoreDNS answers with the first)
 * and the names of the endpoints that have it (CoreDNS answers with all of them).
 *
 * @param services the {@code name.namespace} keys of the Services, sorted
 * @param endpoints {@code hostname.svc.ns.svc.zone.}, sorted and without duplicates
 */
public record PtrEntry(List<String> services, List<Name> endpoints) {

  public PtrEntry {
    services = List.copyOf(services);
    endpoints = List.copyOf(endpoints);
  }
}
