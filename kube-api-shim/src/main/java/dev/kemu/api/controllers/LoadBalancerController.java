package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import java.math.BigInteger;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives Services of type LoadBalancer an address from the LoadBalancer pool and writes it to {@code
 * status.loadBalancer.ingress}, as MetalLB's controller does on a bare-metal cluster (or k3s's
 * ServiceLB): {@code metallb/metallb controller/service.go} ({@code convergeBalancer}) and {@code
 * internal/allocator/allocator.go} ({@code Assign}, {@code AllocateFromPool}).
 *
 * <ul>
 *   <li>Without a request, the lowest address of the pool that is free, or that the Service may
 *       share, is taken. A request is {@code spec.loadBalancerIP} or the annotation {@code
 *       metallb.io/loadBalancerIPs} (a comma list, one address per IP family; not both). A
 *       requested address outside the pool, or taken, leaves the Service pending: a warning is
 *       logged and the status stays empty.
 *   <li>Services with the same {@code metallb.io/allow-shared-ip} key and no port (protocol and
 *       number) in common may share an address; with {@code externalTrafficPolicy: Local} they must
 *       also select the same pods.
 *   <li>Only Services whose {@code spec.loadBalancerClass} is unset or {@value
 *       #LOAD_BALANCER_CLASS} are handled; others stay pending, as Kubernetes leaves them to their
 *       own implementation.
 *   <li>A Service that stops being a LoadBalancer, or is deleted, releases its address; its status
 *       is cleared. A Service that failed is tried again whenever an address is released.
 *   <li>The address in the status is kept across resyncs and restarts: on its first sync the
 *       controller first takes back the addresses Services already show, in namespace/name order,
 *       then allocates for the others in that order; afterwards it follows the order of events.
 * </ul>
 *
 * <p>Departures from MetalLB, for one pool and no pool objects: the pool's network and broadcast
 * addresses are never given out, the {@code metallb.io/ip-allocated-from-pool} annotation is not
 * written, failures are logged rather than recorded as Events, and a dual-stack Service gets an
 * address of the pool's family only.
 */
public final class LoadBalancerController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(LoadBalancerController.class);

  /** The {@code spec.loadBalancerClass} kemu implements; Services without a class count as it. */
  public static final String LOAD_BALANCER_CLASS = "kemu.dev/loadbalancer";

  static final String ANNOTATION_LOAD_BALANCER_IPS = "metallb.io/loadBalancerIPs";
  static final String ANNOTATION_ALLOW_SHARED_IP = "metallb.io/allow-shared-ip";
  private static final String DEPRECATED_ANNOTATION_LOAD_BALANCER_IPS =
      "metallb.universe.tf/loadBalancerIPs";
  private static final String DEPRECATED_ANNOTATION_ALLOW_SHARED_IP =
      "metallb.universe.tf/allow-shared-ip";

  /** One port a Service uses on its address, printed as MetalLB prints it: {@code TCP/80}. */
  private record PortUse(String protocol, int port) {
    @Override
    public String toString() {
      return protocol + "/" + port;
    }
  }

  /** Who may share an address: the sharing key and, for Local traffic policy, the selector. */
  private record SharingKey(String sharing, String backend) {}

  private record Allocation(List<String> ips, List<PortUse> ports, SharingKey key) {}

  /** An address a Service last had written to its status, and the version of that write. */
  private record WrittenStatus(long resourceVersion, List<String> ips) {}

  /** Why a Service cannot have the address it asks for; the message is MetalLB's. */
  private static final class AllocationFailure extends Exception {
    AllocationFailure(String message) {
      super(message, null, false, false);
    }
  }

  private final ResourceStore store;
  private final IpAllocator pool;
  private final Informer informer;
  private final Map<String, Allocation> allocations = new HashMap<>();
  private final Map<String, Set<String>> servicesOnIp = new HashMap<>();
  private final Map<String, SharingKey> sharingKeyForIp = new HashMap<>();
  private final Map<String, Map<PortUse, String>> portsInUse = new HashMap<>();
  private final Map<String, WrittenStatus> written = new HashMap<>();
  private final Set<String> pending = new LinkedHashSet<>();
  private final Map<String, String> lastProblem = new HashMap<>();
  private boolean firstSync = true;
  private boolean released;

  /** A controller allocating from the plan's LoadBalancer pool. */
  public LoadBalancerController(ResourceStore store, AddressPlan plan) {
    this(store, new IpAllocator(plan.loadBalancerPool(), 0));
  }

  /**
   * A controller allocating from a pool it may share with other users of the same addresses (an
   * address the pool has given to someone else counts as taken).
   */
  public LoadBalancerController(ResourceStore store, IpAllocator pool) {
    this.store = store;
    this.pool = pool;
    this.informer =
        new Informer(store, "loadbalancer-controller", List.of(Service.class), this::sync);
  }

  private void sync(List<ObjectChange> changes) {
    if (firstSync) {
      firstSync = false;
      List<Service> services = informer.lister(Service.class).list();
      // Addresses already in a status come back first, so that no new Service takes them.
      for (Service service : services) {
        if (!statusIps(service).isEmpty()) {
          converge(key(service));
        }
      }
      for (Service service : services) {
        if (statusIps(service).isEmpty()) {
          converge(key(service));
        }
      }
    } else {
      Set<String> dirty = new LinkedHashSet<>();
      for (ObjectChange change : changes) {
        dirty.add(key((Service) change.object()));
      }
      for (String key : dirty) {
        converge(key);
      }
    }
    // A released address may be what a pending Service was waiting for.
    while (released && !pending.isEmpty()) {
      released = false;
      for (String key : List.copyOf(pending)) {
        converge(key);
      }
    }
    released = false;
  }

  private void converge(String key) {
    int slash = key.indexOf('/');
    Optional<Service> found =
        informer.lister(Service.class).get(key.substring(0, slash), key.substring(slash + 1));
    if (found.isEmpty()) {
      if (unassign(key)) {
        logger.info("Service {} deleted: released its LoadBalancer address", key);
      }
      forget(key);
      return;
    }
    Service service = found.get();
    ServiceSpec spec = service.getSpec();
    if (spec == null || !"LoadBalancer".equals(spec.getType())) {
      // It may have been a LoadBalancer before: release and clear, never allocate.
      unassign(key);
      forget(key);
      writeStatus(service, List.of());
      return;
    }
    if (!handlesClass(spec.getLoadBalancerClass())) {
      // Another implementation's Service: left pending for it. Should it have been kemu's before,
      // what kemu gave it is taken back.
      forget(key);
      if (unassign(key)) {
        writeStatus(service, List.of());
      }
      return;
    }
    List<PortUse> ports = ports(service);
    SharingKey sharing = sharingKey(service);

    List<String> ips = currentIps(service);
    if (!ips.isEmpty()) {
      // The assigned address is the end state; if the configuration no longer allows it, start
      // again from nothing.
      try {
        assign(key, ips, ports, sharing);
      } catch (AllocationFailure e) {
        logger.info(
            "current IP for \"{}\" not allowed by config, will attempt for new IP assignment: {}",
            key,
            e.getMessage());
        unassign(key);
        ips = List.of();
      }
      List<String> desired;
      try {
        desired = desiredIps(service);
      } catch (AllocationFailure e) {
        problem(key, "invalid requested loadbalancer IPs: " + e.getMessage());
        return;
      }
      if (!ips.isEmpty()
          && !desired.isEmpty()
          && !new TreeSet<>(ips).equals(new TreeSet<>(desired))) {
        logger.info("user requested a different IP than the one currently assigned to {}", key);
        unassign(key);
        ips = List.of();
      }
    }
    if (ips.isEmpty()) {
      try {
        ips = allocate(key, service, ports, sharing);
      } catch (AllocationFailure e) {
        problem(key, "Failed to allocate IP for \"" + key + "\": " + e.getMessage());
        unassign(key);
        pending.add(key);
        writeStatus(service, List.of());
        return;
      }
      logger.info("Service {}: IP address {} assigned by controller", key, ips);
    }
    pending.remove(key);
    lastProblem.remove(key);
    writeStatus(service, ips);
  }

  private static boolean handlesClass(String loadBalancerClass) {
    return loadBalancerClass == null
        || loadBalancerClass.isEmpty()
        || LOAD_BALANCER_CLASS.equals(loadBalancerClass);
  }

  private void forget(String key) {
    pending.remove(key);
    lastProblem.remove(key);
  }

  /** Logs a failure once per distinct message, so a pending Service does not flood the log. */
  private void problem(String key, String message) {
    if (!message.equals(lastProblem.put(key, message))) {
      logger.warn("{}", message);
    }
  }

  // ------------------------------------------------------------- allocation

  /** {@code allocateIPs}: the requested addresses if any, else the first usable one of the pool. */
  private List<String> allocate(
      String key, Service service, List<PortUse> ports, SharingKey sharing)
      throws AllocationFailure {
    String family = serviceFamily(service);
    List<String> desired = desiredIps(service);
    if (!desired.isEmpty()) {
      if (!family.equals(family(desired))) {
        throw new AllocationFailure(
            "requested loadBalancer IP(s) "
                + goQuote(desired)
                + " does not match the ipFamily of the service");
      }
      assign(key, desired, ports, sharing);
      return desired;
    }
    Cidr range = pool.range();
    String poolFamily = range.isIpv6() ? "ipv6" : "ipv4";
    if (family.equals(poolFamily) || family.equals("dual")) {
      long last = lastOffset(range);
      for (long offset = 1; offset <= last; offset++) {
        String candidate = IpLiterals.format(range.address(offset));
        if (!servicesOnIp.containsKey(candidate) && pool.has(range.address(offset))) {
          continue;
        }
        try {
          assign(key, List.of(candidate), ports, sharing);
          return List.of(candidate);
        } catch (AllocationFailure e) {
          // In use and not shareable: try the next address.
        }
      }
    }
    throw new AllocationFailure("no available IPs");
  }

  /**
   * {@code Assign}: gives the addresses to the Service if each is in the pool and either unused or
   * used only by Services that allow sharing with it on other ports.
   */
  private void assign(String key, List<String> ips, List<PortUse> ports, SharingKey sharing)
      throws AllocationFailure {
    for (String ip : ips) {
      InetAddress address = IpLiterals.parse(ip);
      if (address == null || !inPool(address)) {
        throw new AllocationFailure("\"" + ip + "\" is not allowed in config");
      }
      Set<String> users = servicesOnIp.getOrDefault(ip, Set.of());
      if (users.isEmpty()) {
        if (pool.has(address)) {
          throw new AllocationFailure("provided " + ip + " is already allocated");
        }
        continue;
      }
      List<String> others = users.stream().filter(u -> !u.equals(key)).sorted().toList();
      if (!others.isEmpty() && !sharingAllowed(sharingKeyForIp.get(ip), sharing)) {
        throw new AllocationFailure(
            "can't change sharing key for \""
                + key
                + "\", address also in use by "
                + String.join(",", others));
      }
      Map<PortUse, String> inUse = portsInUse.getOrDefault(ip, Map.of());
      for (PortUse port : ports) {
        String user = inUse.get(port);
        if (user != null && !user.equals(key)) {
          throw new AllocationFailure("port " + port + " is already in use on \"" + ip + "\"");
        }
      }
    }
    Allocation previous = allocations.get(key);
    if (previous != null
        && previous.ips().equals(ips)
        && previous.ports().equals(ports)
        && previous.key().equals(sharing)) {
      return;
    }
    Set<String> keep = new TreeSet<>(ips);
    unassign(key, keep);
    allocations.put(key, new Allocation(List.copyOf(ips), List.copyOf(ports), sharing));
    for (String ip : ips) {
      Set<String> users = servicesOnIp.computeIfAbsent(ip, i -> new TreeSet<>());
      InetAddress address = IpLiterals.parse(ip);
      if (users.isEmpty() && !pool.has(address)) {
        pool.allocate(address);
      }
      users.add(key);
      sharingKeyForIp.put(ip, sharing);
      Map<PortUse, String> inUse = portsInUse.computeIfAbsent(ip, i -> new HashMap<>());
      for (PortUse port : ports) {
        inUse.put(port, key);
      }
    }
  }

  private boolean unassign(String key) {
    return unassign(key, Set.of());
  }

  /** Frees the Service's addresses; those in {@code keep} stay allocated in the pool. */
  private boolean unassign(String key, Set<String> keep) {
    Allocation allocation = allocations.remove(key);
    if (allocation == null) {
      return false;
    }
    for (String ip : allocation.ips()) {
      Map<PortUse, String> inUse = portsInUse.get(ip);
      if (inUse != null) {
        inUse.values().removeIf(key::equals);
      }
      Set<String> users = servicesOnIp.get(ip);
      if (users != null) {
        users.remove(key);
      }
      if (users == null || users.isEmpty()) {
        servicesOnIp.remove(ip);
        portsInUse.remove(ip);
        sharingKeyForIp.remove(ip);
        if (!keep.contains(ip)) {
          pool.release(IpLiterals.parse(ip));
          released = true;
        }
      }
    }
    return true;
  }

  /** {@code sharingOK}: both allow sharing, with the same key and the same backends. */
  private static boolean sharingAllowed(SharingKey existing, SharingKey requested) {
    return existing != null
        && !existing.sharing().isEmpty()
        && !requested.sharing().isEmpty()
        && existing.sharing().equals(requested.sharing())
        && existing.backend().equals(requested.backend());
  }

  /** Whether the pool may give out the address: inside it, not its network or broadcast address. */
  private boolean inPool(InetAddress address) {
    long offset = pool.range().offsetOf(address);
    return offset >= 1 && offset <= lastOffset(pool.range());
  }

  private static long lastOffset(Cidr range) {
    BigInteger size = range.size().min(BigInteger.valueOf(1L << 30));
    return range.isIpv6() ? size.longValueExact() - 1 : size.longValueExact() - 2;
  }

  // ------------------------------------------------------------- what a Service asks for

  /**
   * {@code getDesiredLbIPs}: the addresses of {@code metallb.io/loadBalancerIPs} or of {@code
   * spec.loadBalancerIP}, canonical; empty if neither is set.
   */
  private static List<String> desiredIps(Service service) throws AllocationFailure {
    String annotation =
        annotation(service, ANNOTATION_LOAD_BALANCER_IPS, DEPRECATED_ANNOTATION_LOAD_BALANCER_IPS);
    String requested = service.getSpec().getLoadBalancerIP();
    boolean hasAnnotation = annotation != null && !annotation.isEmpty();
    boolean hasField = requested != null && !requested.isEmpty();
    if (!hasAnnotation && !hasField) {
      return List.of();
    }
    if (hasAnnotation && hasField) {
      throw new AllocationFailure(
          "service can not have both "
              + ANNOTATION_LOAD_BALANCER_IPS
              + " and svc.Spec.LoadBalancerIP");
    }
    List<String> ips = new ArrayList<>();
    if (hasAnnotation) {
      for (String part : annotation.split(",", -1)) {
        InetAddress address = IpLiterals.parse(part.trim());
        if (address == null) {
          throw new AllocationFailure(
              "invalid " + ANNOTATION_LOAD_BALANCER_IPS + ": \"" + annotation + "\"");
        }
        ips.add(IpLiterals.format(address));
      }
      if (ips.size() == 2 && family(ips.subList(0, 1)).equals(family(ips.subList(1, 2)))) {
        throw new AllocationFailure("IPFamilyForAddresses: same address family " + goQuote(ips));
      }
      if (ips.size() > 2) {
        throw new AllocationFailure(
            "IPFamilyForAddresses: invalid ips length " + ips.size() + " " + goQuote(ips));
      }
      return ips;
    }
    InetAddress address = IpLiterals.parse(requested);
    if (address == null) {
      throw new AllocationFailure("invalid spec.loadBalancerIP \"" + requested + "\"");
    }
    return List.of(IpLiterals.format(address));
  }

  /** {@code ipfamily.ForAddresses}: {@code ipv4}, {@code ipv6} or {@code dual}. */
  private static String family(List<String> ips) {
    if (ips.size() == 2) {
      return "dual";
    }
    return EndpointMembership.isIpv6(ips.get(0)) ? "ipv6" : "ipv4";
  }

  /** The Service's IP family; one kemu has not defaulted counts as the pool's. */
  private String serviceFamily(Service service) {
    List<String> families = service.getSpec().getIpFamilies();
    if (families != null && families.size() == 2) {
      return "dual";
    }
    if (families != null && families.size() == 1) {
      return "IPv6".equals(families.get(0)) ? "ipv6" : "ipv4";
    }
    String clusterIp = service.getSpec().getClusterIP();
    if (!EndpointMembership.isBlank(clusterIp) && !"None".equals(clusterIp)) {
      return EndpointMembership.isIpv6(clusterIp) ? "ipv6" : "ipv4";
    }
    return pool.range().isIpv6() ? "ipv6" : "ipv4";
  }

  private static List<PortUse> ports(Service service) {
    List<PortUse> ports = new ArrayList<>();
    for (ServicePort port : EndpointSliceReconciler.listOf(service.getSpec().getPorts())) {
      if (port.getPort() != null) {
        ports.add(new PortUse(EndpointMembership.protocol(port), port.getPort()));
      }
    }
    return ports;
  }

  /** {@code SharingKey} and {@code BackendKey} of MetalLB's allocator. */
  private static SharingKey sharingKey(Service service) {
    String sharing =
        Objects.requireNonNullElse(
            annotation(service, ANNOTATION_ALLOW_SHARED_IP, DEPRECATED_ANNOTATION_ALLOW_SHARED_IP),
            "");
    String backend = "";
    if ("Local".equals(service.getSpec().getExternalTrafficPolicy())) {
      // With Local traffic only nodes with endpoints answer, so sharers need the same pods.
      Map<String, String> selector = service.getSpec().getSelector();
      backend =
          new TreeMap<>(selector == null ? Map.of() : selector)
              .entrySet().stream()
                  .map(e -> e.getKey() + "=" + e.getValue())
                  .collect(Collectors.joining(","));
    }
    return new SharingKey(sharing, backend);
  }

  private static String annotation(Service service, String stable, String deprecated) {
    Map<String, String> annotations = service.getMetadata().getAnnotations();
    if (annotations == null) {
      return null;
    }
    if (annotations.containsKey(stable)) {
      return annotations.get(stable);
    }
    return annotations.get(deprecated);
  }

  // ------------------------------------------------------------- status

  private static List<String> statusIps(Service service) {
    List<String> ips = new ArrayList<>();
    ServiceStatus status = service.getStatus();
    if (status == null || status.getLoadBalancer() == null) {
      return ips;
    }
    for (LoadBalancerIngress ingress :
        EndpointSliceReconciler.listOf(status.getLoadBalancer().getIngress())) {
      InetAddress address = IpLiterals.parse(ingress.getIp());
      if (address != null) {
        ips.add(IpLiterals.format(address));
      }
    }
    return ips;
  }

  /** The status addresses, counting this controller's own last write if the cache lags behind. */
  private List<String> currentIps(Service service) {
    WrittenStatus own = written.get(key(service));
    long seen = version(service);
    if (own != null && seen <= own.resourceVersion()) {
      return own.ips();
    }
    return statusIps(service);
  }

  private void writeStatus(Service service, List<String> ips) {
    String key = key(service);
    List<LoadBalancerIngress> ingress = new ArrayList<>();
    for (String ip : ips) {
      LoadBalancerIngress entry = new LoadBalancerIngress();
      entry.setIp(ip);
      entry.setIpMode("VIP");
      ingress.add(entry);
    }
    List<LoadBalancerIngress> current =
        service.getStatus() == null || service.getStatus().getLoadBalancer() == null
            ? List.of()
            : EndpointSliceReconciler.listOf(service.getStatus().getLoadBalancer().getIngress());
    WrittenStatus own = written.get(key);
    boolean cacheCurrent = own == null || version(service) > own.resourceVersion();
    if (cacheCurrent ? sameIngress(current, ingress) : own.ips().equals(ips)) {
      return;
    }
    try {
      Service updated =
          store.modifyStatus(
              Service.class,
              new ResourceKey(
                  ResourceTypes.SERVICE,
                  service.getMetadata().getNamespace(),
                  service.getMetadata().getName()),
              s -> {
                if (s.getStatus() == null) {
                  s.setStatus(new ServiceStatus());
                }
                LoadBalancerStatus status = new LoadBalancerStatus();
                status.setIngress(ingress);
                s.getStatus().setLoadBalancer(status);
                return s;
              });
      written.put(key, new WrittenStatus(version(updated), List.copyOf(ips)));
    } catch (ApiException.NotFound e) {
      // Deleted meanwhile; its deletion event releases the address.
      written.remove(key);
    }
  }

  private static boolean sameIngress(List<LoadBalancerIngress> a, List<LoadBalancerIngress> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      LoadBalancerIngress x = a.get(i);
      LoadBalancerIngress y = b.get(i);
      if (!Objects.equals(x.getIp(), y.getIp())
          || !Objects.equals(x.getIpMode(), y.getIpMode())
          || !Objects.equals(x.getHostname(), y.getHostname())
          || !EndpointSliceReconciler.listOf(x.getPorts()).isEmpty()) {
        return false;
      }
    }
    return true;
  }

  private static long version(Service service) {
    String rv = service.getMetadata().getResourceVersion();
    try {
      return rv == null ? -1 : Long.parseLong(rv);
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Go's {@code %q} of a list of strings: {@code ["a" "b"]}. */
  private static String goQuote(List<String> values) {
    return values.stream().map(v -> "\"" + v + "\"").collect(Collectors.joining(" ", "[", "]"));
  }

  private static String key(Service service) {
    return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
  }

  @Override
  public String name() {
    return informer.name();
  }

  @Override
  public CompletableFuture<Void> start() {
    return informer.start();
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  @Override
  public void close() {
    informer.close();
  }
}
