package dev.kemu.dns.index;

import java.net.InetAddress;
import java.util.List;
import java.util.Set;

/**
 * The immutable snapshot the DNS request path reads: Services by {@code name.namespace}, their
 * published endpoints, reverse entries by IP, pod IPs, namespaces and the external zone. Mirrors
 * the indexes of CoreDNS's {@code dnsController} ({@code plugin/kubernetes/controller.go}: {@code
 * SvcIndex}, {@code EpIndex}, {@code SvcIndexReverse}, {@code EpIndexReverse}, {@code PodIndex},
 * {@code GetNamespaceByName}), built by {@link DnsIndexBuilder} and swapped atomically after each
 * informer sync, so a query never takes a lock nor reads the store.
 */
public final class DnsIndex {
  private static final DnsIndex UNSYNCED =
      new DnsIndex(
          false,
          -1,
          0,
          Set.of(),
          ShardedMap.empty(),
          ShardedMap.empty(),
          ShardedMap.empty(),
          ShardedMap.empty(),
          ExternalZone.EMPTY);

  private final boolean synced;
  private final long resourceVersion;
  private final long serial;
  private final Set<String> namespaces;
  private final ShardedMap<String, ServiceEntry> services;
  private final ShardedMap<String, List<SliceEntry>> endpoints;
  private final ShardedMap<InetAddress, PtrEntry> reverse;
  private final ShardedMap<InetAddress, List<String>> podNamespaces;
  private final ExternalZone external;

  DnsIndex(
      boolean synced,
      long resourceVersion,
      long serial,
      Set<String> namespaces,
      ShardedMap<String, ServiceEntry> services,
      ShardedMap<String, List<SliceEntry>> endpoints,
      ShardedMap<InetAddress, PtrEntry> reverse,
      ShardedMap<InetAddress, List<String>> podNamespaces,
      ExternalZone external) {
    this.synced = synced;
    this.resourceVersion = resourceVersion;
    this.serial = serial;
    this.namespaces = namespaces;
    this.services = services;
    this.endpoints = endpoints;
    this.reverse = reverse;
    this.podNamespaces = podNamespaces;
    this.external = external;
  }

  /** The index before the first sync: it knows nothing, so name errors become SERVFAIL. */
  public static DnsIndex unsynced() {
    return UNSYNCED;
  }

  /** Whether the informer behind it has synced (CoreDNS {@code HasSynced}). */
  public boolean synced() {
    return synced;
  }

  /** The highest resourceVersion among the objects it was built from. */
  public long resourceVersion() {
    return resourceVersion;
  }

  /** The SOA serial: the time of the last change, in seconds (CoreDNS {@code Modified}). */
  public long serial() {
    return serial;
  }

  /** Whether a namespace exists (CoreDNS {@code filteredNamespaceExists}). */
  public boolean namespaceExists(String namespace) {
    return namespaces.contains(namespace);
  }

  /** The Service with this {@code name.namespace} key, or null. */
  public ServiceEntry service(String key) {
    return services.get(key);
  }

  /** The published EndpointSlices of the Service with this key (empty if none). */
  public List<SliceEntry> endpoints(String key) {
    List<SliceEntry> slices = endpoints.get(key);
    return slices == null ? List.of() : slices;
  }

  /** What an IP reverses to, or null. */
  public PtrEntry reverse(InetAddress ip) {
    return reverse.get(ip);
  }

  /** The namespaces of the running pods that have this IP (empty if none). */
  public List<String> podNamespaces(InetAddress ip) {
    List<String> namespaces = podNamespaces.get(ip);
    return namespaces == null ? List.of() : namespaces;
  }

  /** The external zone's records. */
  public ExternalZone external() {
    return external;
  }

  /** How many Services the index holds. */
  public int serviceCount() {
    return services.size();
  }

  ShardedMap<String, ServiceEntry> services() {
    return services;
  }

  ShardedMap<String, List<SliceEntry>> endpointMap() {
    return endpoints;
  }

  ShardedMap<InetAddress, PtrEntry> reverseMap() {
    return reverse;
  }

  ShardedMap<InetAddress, List<String>> podMap() {
    return podNamespaces;
  }

  Set<String> namespaces() {
    return namespaces;
  }
}
