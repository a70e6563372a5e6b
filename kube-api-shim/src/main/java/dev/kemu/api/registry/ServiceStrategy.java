package dev.kemu.api.registry;

import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.GoValue;
import dev.kemu.api.validation.ServiceValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LoadBalancerStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The write path of Services: defaulting, ClusterIP and NodePort allocation, validation. Mirrors
 * the apiserver's Service REST storage: {@code pkg/registry/core/service/strategy.go} ({@code
 * PrepareForCreate}, {@code PrepareForUpdate}, {@code patchAllocatedValues}, {@code
 * normalizeClusterIPs}, {@code dropTypeDependentFields}) and {@code storage/alloc.go} ({@code
 * allocateCreate}, {@code allocateUpdate}, {@code releaseAllocatedResources}), in the same order:
 * allocation happens before validation, and every allocation is undone if the write fails.
 *
 * <p>The cluster is single-stack: one service range, of the family of the plan's service CIDR.
 */
final class ServiceStrategy implements WriteStrategy {
  private static final Logger logger = LoggerFactory.getLogger(ServiceStrategy.class);
  private static final FieldPath SPEC = FieldPath.of("spec");

  private final IpAllocator clusterIps;
  private final NodePortAllocator nodePorts;
  private final String family;

  ServiceStrategy(IpAllocator clusterIps, NodePortAllocator nodePorts) {
    this.clusterIps = clusterIps;
    this.nodePorts = nodePorts;
    this.family = clusterIps.range().isIpv6() ? "IPv6" : "IPv4";
  }

  // ------------------------------------------------------------------ create

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    Service service = (Service) object;
    ServiceDefaults.apply(service);
    service.setStatus(new ServiceStatus(null, new LoadBalancerStatus()));
    normalizeClusterIps(service, null);
    initIpFamilyFields(service, null);
    allocateClusterIps(service, tx);
    allocateNodePorts(service, tx);
    if (ServiceValidation.needsHealthCheck(service)) {
      allocateHealthCheckNodePort(service, tx);
    }
    Registry.reject(ResourceTypes.SERVICE, service, ServiceValidation.validate(service));
  }

  // ------------------------------------------------------------------ update

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata oldObject, Transaction tx) {
    Service service = (Service) object;
    Service old = (Service) oldObject;
    ServiceDefaults.apply(service);
    // beginUpdate: keep what was allocated for the client, then allocate what is new.
    patchAllocatedValues(service, old);
    normalizeClusterIps(service, old);
    initIpFamilyFields(service, old);
    updateClusterIps(service, old, tx);
    updateNodePorts(service, old, tx);
    // PrepareForUpdate.
    service.setStatus(old.getStatus());
    patchAllocatedValues(service, old);
    normalizeClusterIps(service, old);
    dropTypeDependentFields(service, old);
    Registry.reject(ResourceTypes.SERVICE, service, ServiceValidation.validateUpdate(service, old));
  }

  // ------------------------------------------------------------------ delete

  @Override
  public void afterDelete(HasMetadata oldObject) {
    Service service = (Service) oldObject;
    ServiceSpec spec = spec(service);
    if (!"ExternalName".equals(spec.getType()) && !ServiceValidation.isHeadless(service)) {
      for (String ip : list(spec.getClusterIPs())) {
        InetAddress address = IpLiterals.parse(ip);
        if (address != null) {
          clusterIps.release(address);
        }
      }
    }
    for (int port : collectNodePorts(service)) {
      nodePorts.release(port);
    }
    int hc = intValue(spec.getHealthCheckNodePort());
    if (ServiceValidation.needsHealthCheck(service) && hc > 0) {
      nodePorts.release(hc);
    }
  }

  /**
   * Marks what a stored Service holds as allocated, as the apiserver's repair controllers do for
   * objects that exist before the allocator (kemu: objects written before {@link
   * Registry#install}).
   */
  void restore(Service service) {
    ServiceSpec spec = spec(service);
    if (!"ExternalName".equals(spec.getType()) && !ServiceValidation.isHeadless(service)) {
      for (String ip : list(spec.getClusterIPs())) {
        InetAddress address = IpLiterals.parse(ip);
        if (address != null && clusterIps.range().contains(address) && !clusterIps.has(address)) {
          try {
            clusterIps.allocate(address);
          } catch (RuntimeException e) {
            logger.warn("Service {} holds {}: {}", name(service), ip, e.getMessage());
          }
        }
      }
    }
    Set<Integer> ports = new HashSet<>(collectNodePorts(service));
    if (ServiceValidation.needsHealthCheck(service)
        && intValue(spec.getHealthCheckNodePort()) > 0) {
      ports.add(spec.getHealthCheckNodePort());
    }
    for (int port : ports) {
      if (!nodePorts.has(port)) {
        try {
          nodePorts.allocate(port);
        } catch (RuntimeException e) {
          logger.warn("Service {} holds NodePort {}: {}", name(service), port, e.getMessage());
        }
      }
    }
  }

  // ------------------------------------------------------------------ strategy.go

  /**
   * {@code patchAllocatedValues}: a client that resubmits a manifest without the values the server
   * allocated keeps them (ClusterIPs, NodePorts matched by port name, the health check port).
   */
  static void patchAllocatedValues(Service service, Service old) {
    ServiceSpec spec = spec(service);
    ServiceSpec oldSpec = spec(old);
    if (needsClusterIp(old) && needsClusterIp(service)) {
      if (isEmpty(spec.getClusterIP())) {
        spec.setClusterIP(oldSpec.getClusterIP());
      }
      if (list(spec.getClusterIPs()).isEmpty() && !list(oldSpec.getClusterIPs()).isEmpty()) {
        spec.setClusterIPs(new ArrayList<>(oldSpec.getClusterIPs()));
      }
    }
    if (needsNodePort(old) && needsNodePort(service)) {
      // NodePorts in both objects cannot be patched onto another port.
      Set<Integer> used = new HashSet<>(collectNodePorts(old));
      used.retainAll(new HashSet<>(collectNodePorts(service)));
      // Map NodePorts by port name: the user may have changed other properties of the port.
      Map<String, Integer> byName = new HashMap<>();
      for (ServicePort p : list(oldSpec.getPorts())) {
        byName.put(Objects.requireNonNullElse(p.getName(), ""), intValue(p.getNodePort()));
      }
      for (ServicePort p : list(spec.getPorts())) {
        if (intValue(p.getNodePort()) == 0) {
          int oldValue = byName.getOrDefault(Objects.requireNonNullElse(p.getName(), ""), 0);
          if (!used.contains(oldValue)) {
            p.setNodePort(oldValue == 0 ? null : oldValue);
          }
        }
      }
    }
    if (needsHealthCheckPort(old) && needsHealthCheckPort(service)) {
      if (intValue(spec.getHealthCheckNodePort()) == 0) {
        spec.setHealthCheckNodePort(oldSpec.getHealthCheckNodePort());
      }
    }
  }

  /** {@code normalizeClusterIPs}: keep {@code clusterIP} and {@code clusterIPs} in step. */
  static void normalizeClusterIps(Service service, Service old) {
    ServiceSpec spec = spec(service);
    String clusterIp = Objects.requireNonNullElse(spec.getClusterIP(), "");
    if (old == null) {
      if (!clusterIp.isEmpty() && list(spec.getClusterIPs()).isEmpty()) {
        spec.setClusterIPs(new ArrayList<>(List.of(clusterIp)));
      }
      return;
    }
    ServiceSpec oldSpec = spec(old);
    String oldClusterIp = Objects.requireNonNullElse(oldSpec.getClusterIP(), "");
    // Cleared by an old client that patched some field and did not send clusterIPs.
    if (!list(oldSpec.getClusterIPs()).isEmpty() && list(spec.getClusterIPs()).isEmpty()) {
      if (oldClusterIp.equals(clusterIp)) {
        spec.setClusterIPs(new ArrayList<>(oldSpec.getClusterIPs()));
      }
    }
    if (!oldClusterIp.equals(clusterIp)) {
      if (!oldClusterIp.isEmpty() && clusterIp.isEmpty() && sameClusterIps(old, service)) {
        spec.setClusterIPs(null);
      }
      if (!clusterIp.isEmpty() && sameClusterIps(old, service)) {
        spec.setClusterIPs(new ArrayList<>(List.of(clusterIp)));
      }
    }
  }

  /** {@code dropTypeDependentFields}: a type change drops what only the old type used. */
  static void dropTypeDependentFields(Service service, Service old) {
    ServiceSpec spec = spec(service);
    ServiceSpec oldSpec = spec(old);
    if (needsClusterIp(old) && !needsClusterIp(service)) {
      if (sameClusterIps(old, service)) {
        // Released on commit by updateClusterIps.
        spec.setClusterIP(null);
        spec.setClusterIPs(null);
      }
      if (list(oldSpec.getIpFamilies()).equals(list(spec.getIpFamilies()))) {
        spec.setIpFamilies(null);
      }
      if (Objects.equals(oldSpec.getIpFamilyPolicy(), spec.getIpFamilyPolicy())) {
        spec.setIpFamilyPolicy(null);
      }
    }
    if (needsNodePort(old) && !needsNodePort(service) && sameNodePorts(old, service)) {
      for (ServicePort p : list(spec.getPorts())) {
        p.setNodePort(null);
      }
    }
    if (needsHealthCheckPort(old) && !needsHealthCheckPort(service)) {
      if (intValue(oldSpec.getHealthCheckNodePort()) == intValue(spec.getHealthCheckNodePort())) {
        spec.setHealthCheckNodePort(null);
      }
    }
    if ("LoadBalancer".equals(oldSpec.getType()) && !"LoadBalancer".equals(spec.getType())) {
      if (spec.getAllocateLoadBalancerNodePorts() != null
          && Objects.equals(
              oldSpec.getAllocateLoadBalancerNodePorts(),
              spec.getAllocateLoadBalancerNodePorts())) {
        spec.setAllocateLoadBalancerNodePorts(null);
      }
      if (Objects.equals(oldSpec.getLoadBalancerClass(), spec.getLoadBalancerClass())) {
        spec.setLoadBalancerClass(null);
      }
    }
    if (ServiceValidation.externallyAccessible(old)
        && !ServiceValidation.externallyAccessible(service)
        && Objects.equals(oldSpec.getExternalTrafficPolicy(), spec.getExternalTrafficPolicy())) {
      spec.setExternalTrafficPolicy(null);
    }
    if (!"LoadBalancer".equals(spec.getType())) {
      ServiceStatus status =
          service.getStatus() == null ? new ServiceStatus() : service.getStatus();
      status.setLoadBalancer(new LoadBalancerStatus());
      service.setStatus(status);
    }
  }

  // ------------------------------------------------------------------ alloc.go: IP families

  /** {@code initIPFamilyFields} for a single-stack cluster. */
  private void initIpFamilyFields(Service service, Service old) {
    ServiceSpec spec = spec(service);
    if ("ExternalName".equals(spec.getType())) {
      return;
    }
    if (isMatchingPreferDualStack(service, old)) {
      return;
    }
    if (spec.getIpFamilyPolicy() == null) {
      if (old != null && spec(old).getIpFamilyPolicy() != null) {
        spec.setIpFamilyPolicy(spec(old).getIpFamilyPolicy());
      } else if ("None".equals(spec.getClusterIP()) && isEmpty(spec.getSelector())) {
        // Headless and selectorless defaults to dual-stack.
        spec.setIpFamilyPolicy("RequireDualStack");
      } else {
        spec.setIpFamilyPolicy("SingleStack");
      }
    }
    Registry.reject(
        ResourceTypes.SERVICE, service, ServiceValidation.clusterIpsRelatedFields(service));

    List<FieldError> errs = new ArrayList<>();
    String policy = spec.getIpFamilyPolicy();
    FieldPath policyPath = SPEC.child("ipFamilyPolicy");
    if (old != null) {
      if ("SingleStack".equals(policy)) {
        if (sameClusterIps(old, service) && list(spec.getClusterIPs()).size() > 1) {
          spec.setClusterIPs(new ArrayList<>(spec.getClusterIPs().subList(0, 1)));
        }
        if (list(spec(old).getIpFamilies()).equals(list(spec.getIpFamilies()))
            && list(spec.getIpFamilies()).size() > 1) {
          spec.setIpFamilies(new ArrayList<>(spec.getIpFamilies().subList(0, 1)));
        }
      } else {
        List<String> newIps = list(spec.getClusterIPs());
        if (!newIps.isEmpty() && newIps.size() < list(spec(old).getClusterIPs()).size()) {
          errs.add(
              FieldError.invalid(
                  policyPath, policy, "must be 'SingleStack' to release the secondary cluster IP"));
        }
        List<String> newFamilies = list(spec.getIpFamilies());
        if (!newFamilies.isEmpty() && newFamilies.size() < list(spec(old).getIpFamilies()).size()) {
          errs.add(
              FieldError.invalid(
                  policyPath, policy, "must be 'SingleStack' to release the secondary IP family"));
        }
      }
    }
    if ("SingleStack".equals(policy)) {
      if (list(spec.getClusterIPs()).size() == 2) {
        errs.add(
            FieldError.invalid(
                policyPath,
                policy,
                "must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are"
                    + " specified"));
      }
      if (list(spec.getIpFamilies()).size() == 2) {
        errs.add(
            FieldError.invalid(
                policyPath,
                policy,
                "must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are"
                    + " specified"));
      }
    }
    // Infer ipFamilies from clusterIPs.
    List<String> ips = list(spec.getClusterIPs());
    List<String> families = new ArrayList<>(list(spec.getIpFamilies()));
    for (int i = 0; i < ips.size(); i++) {
      if ("None".equals(ips.get(i))) {
        break;
      }
      String ipFamily = familyOf(ips.get(i));
      if (i >= families.size()) {
        if (!ipFamily.equals(family)) {
          errs.add(
              FieldError.invalid(
                  SPEC.child("clusterIPs").index(i),
                  GoValue.strings(ips),
                  ipFamily + " is not configured on this cluster"));
        } else {
          families.add(ipFamily);
        }
      }
    }
    spec.setIpFamilies(families.isEmpty() ? null : families);
    Registry.reject(ResourceTypes.SERVICE, service, errs);

    if ("None".equals(spec.getClusterIP()) && isEmpty(spec.getSelector())) {
      if (families.isEmpty()) {
        families.add(family);
      }
      if (families.size() < 2 && !"SingleStack".equals(policy)) {
        families.add(families.get(0).equals("IPv4") ? "IPv6" : "IPv4");
      }
      spec.setIpFamilies(families);
      return;
    }
    if ("RequireDualStack".equals(policy)) {
      errs.add(
          FieldError.invalid(
              policyPath, policy, "this cluster is not configured for dual-stack services"));
    }
    for (int i = 0; i < families.size(); i++) {
      if (!families.get(i).equals(family)) {
        errs.add(
            FieldError.invalid(
                SPEC.child("ipFamilies").index(i),
                families.get(i),
                "not configured on this cluster"));
      }
    }
    Registry.reject(ResourceTypes.SERVICE, service, errs);
    if (families.isEmpty()) {
      families.add(family);
    }
    spec.setIpFamilies(families);
  }

  /** {@code isMatchingPreferDualStackClusterIPFields}. */
  private static boolean isMatchingPreferDualStack(Service service, Service old) {
    if (old == null || spec(service).getIpFamilyPolicy() == null) {
      return false;
    }
    String type = spec(service).getType();
    if (!Objects.equals(spec(old).getType(), type)) {
      return false;
    }
    if (!"ClusterIP".equals(type) && !"NodePort".equals(type) && !"LoadBalancer".equals(type)) {
      return false;
    }
    if (!"PreferDualStack".equals(spec(service).getIpFamilyPolicy())) {
      return false;
    }
    if (spec(old).getIpFamilyPolicy() != null
        && !"PreferDualStack".equals(spec(old).getIpFamilyPolicy())) {
      return false;
    }
    return sameClusterIps(old, service)
        && list(spec(old).getIpFamilies()).equals(list(spec(service).getIpFamilies()));
  }

  // ------------------------------------------------------------------ alloc.go: ClusterIPs

  /** {@code allocClusterIPs}: the requested ClusterIP, or the next free one. */
  private void allocateClusterIps(Service service, Transaction tx) {
    ServiceSpec spec = spec(service);
    if ("ExternalName".equals(spec.getType()) || ServiceValidation.isHeadless(service)) {
      return;
    }
    List<String> ips = new ArrayList<>(list(spec.getClusterIPs()));
    String requested = ips.isEmpty() ? "" : ips.get(0);
    InetAddress address;
    if (requested.isEmpty()) {
      try {
        address = clusterIps.allocateNext();
      } catch (RangeFullException e) {
        throw new ApiException.InternalError("failed to allocate a serviceIP: " + e.getMessage());
      }
    } else {
      address = IpLiterals.parse(requested);
      try {
        clusterIps.allocate(address);
      } catch (NotInRangeException | AlreadyAllocatedException e) {
        if (ips.isEmpty()) {
          ips.add(requested);
        }
        throw invalid(
            service,
            FieldError.invalid(
                SPEC.child("clusterIPs"),
                GoValue.strings(ips),
                "failed to allocate IP " + requested + ": " + e.getMessage()));
      }
    }
    InetAddress allocated = address;
    tx.onRollback(() -> clusterIps.undo(allocated));
    String text = IpLiterals.format(address);
    if (ips.isEmpty()) {
      ips.add(text);
    } else {
      ips.set(0, text);
    }
    spec.setClusterIPs(ips);
    spec.setClusterIP(text);
  }

  /** {@code updateClusterIPs}: a type change to or from ExternalName allocates or releases. */
  private void updateClusterIps(Service service, Service old, Transaction tx) {
    if (isMatchingPreferDualStack(service, old)) {
      return;
    }
    String oldType = spec(old).getType();
    String type = spec(service).getType();
    if ("ExternalName".equals(oldType) && !"ExternalName".equals(type)) {
      allocateClusterIps(service, tx);
      return;
    }
    if (ServiceValidation.isHeadless(old)) {
      return;
    }
    if (!"ExternalName".equals(oldType) && "ExternalName".equals(type)) {
      List<InetAddress> release = new ArrayList<>();
      for (String ip : list(spec(old).getClusterIPs())) {
        InetAddress address = IpLiterals.parse(ip);
        if (address != null) {
          release.add(address);
        }
      }
      tx.onCommit(() -> release.forEach(clusterIps::release));
    }
  }

  // ------------------------------------------------------------------ alloc.go: NodePorts

  /** {@code txnAllocNodePorts}/{@code initNodePorts} for a new Service. */
  private void allocateNodePorts(Service service, Transaction tx) {
    ServiceSpec spec = spec(service);
    if (!needsNodePort(service)) {
      return;
    }
    List<ServicePort> ports = list(spec.getPorts());
    // Ports with the same number (53/TCP and 53/UDP) share one NodePort.
    Map<Integer, Integer> byPort = new HashMap<>();
    for (int i = 0; i < ports.size(); i++) {
      ServicePort port = ports.get(i);
      int requested = intValue(port.getNodePort());
      if (requested == 0 && !shouldAllocateNodePorts(service)) {
        continue;
      }
      int number = intValue(port.getPort());
      int allocated = byPort.getOrDefault(number, 0);
      if (allocated == 0) {
        int np = requestedNodePort(number, ports);
        if (np != 0) {
          allocateNodePort(service, np, i, tx);
        } else {
          np = allocateNextNodePort(tx);
        }
        port.setNodePort(np);
        byPort.put(number, np);
      } else if (requested != allocated) {
        if (requested == 0) {
          port.setNodePort(allocated);
        } else {
          allocateNodePort(service, requested, i, tx);
        }
      }
    }
  }

  /** {@code txnUpdateNodePorts}. */
  private void updateNodePorts(Service service, Service old, Transaction tx) {
    String type = spec(service).getType();
    if (needsNodePort(old) && ("ExternalName".equals(type) || "ClusterIP".equals(type))) {
      List<Integer> release = collectNodePorts(old);
      tx.onCommit(() -> release.forEach(nodePorts::release));
    }
    if (needsNodePort(service)) {
      List<Integer> oldNumbers = collectNodePorts(old);
      List<String> seen = new ArrayList<>();
      Set<Integer> allocatedHere = new HashSet<>();
      List<ServicePort> ports = list(spec(service).getPorts());
      for (int i = 0; i < ports.size(); i++) {
        ServicePort port = ports.get(i);
        int np = intValue(port.getNodePort());
        if (np == 0 && !shouldAllocateNodePorts(service)) {
          continue;
        }
        if (np != 0) {
          if (!oldNumbers.contains(np) && !allocatedHere.contains(np)) {
            allocateNodePort(service, np, i, tx);
            allocatedHere.add(np);
          }
        } else {
          np = allocateNextNodePort(tx);
          port.setNodePort(np);
        }
        String key = "{" + port.getProtocol() + " " + np + "}";
        if (seen.contains(key)) {
          throw new ApiException.InternalError("duplicate nodePort: " + key);
        }
        seen.add(key);
      }
      List<Integer> newNumbers = collectNodePorts(service);
      List<Integer> release = new ArrayList<>();
      for (int np : oldNumbers) {
        if (!newNumbers.contains(np)) {
          release.add(np);
        }
      }
      tx.onCommit(() -> release.forEach(nodePorts::release));
    }
    // updateHealthCheckNodePort.
    boolean needed = ServiceValidation.needsHealthCheck(old);
    boolean needs = ServiceValidation.needsHealthCheck(service);
    if (!needed && needs) {
      allocateHealthCheckNodePort(service, tx);
    } else if (needed && !needs) {
      int oldPort = intValue(spec(old).getHealthCheckNodePort());
      tx.onCommit(() -> nodePorts.release(oldPort));
    }
  }

  /** {@code allocHealthCheckNodePort}. */
  private void allocateHealthCheckNodePort(Service service, Transaction tx) {
    ServiceSpec spec = spec(service);
    int requested = intValue(spec.getHealthCheckNodePort());
    if (requested != 0) {
      try {
        nodePorts.allocate(requested);
      } catch (NotInRangeException | AlreadyAllocatedException e) {
        throw new ApiException.InternalError(
            "failed to allocate requested HealthCheck NodePort "
                + requested
                + ": "
                + e.getMessage());
      }
      tx.onRollback(() -> nodePorts.undo(requested));
    } else {
      int port;
      try {
        port = nodePorts.allocateNext();
      } catch (RangeFullException e) {
        throw new ApiException.InternalError(
            "failed to allocate a HealthCheck NodePort 0: " + e.getMessage());
      }
      tx.onRollback(() -> nodePorts.undo(port));
      spec.setHealthCheckNodePort(port);
    }
  }

  private void allocateNodePort(Service service, int port, int index, Transaction tx) {
    try {
      nodePorts.allocate(port);
    } catch (NotInRangeException | AlreadyAllocatedException e) {
      throw invalid(
          service,
          FieldError.invalid(
              SPEC.child("ports").index(index).child("nodePort"), port, e.getMessage()));
    }
    tx.onRollback(() -> nodePorts.undo(port));
  }

  private int allocateNextNodePort(Transaction tx) {
    int port;
    try {
      port = nodePorts.allocateNext();
    } catch (RangeFullException e) {
      throw new ApiException.InternalError("failed to allocate a nodePort: " + e.getMessage());
    }
    tx.onRollback(() -> nodePorts.undo(port));
    return port;
  }

  /** {@code findRequestedNodePort}: a NodePort asked for by any port with this number. */
  private static int requestedNodePort(int number, List<ServicePort> ports) {
    for (ServicePort p : ports) {
      if (intValue(p.getPort()) == number && intValue(p.getNodePort()) != 0) {
        return p.getNodePort();
      }
    }
    return 0;
  }

  private static boolean shouldAllocateNodePorts(Service service) {
    String type = spec(service).getType();
    if ("NodePort".equals(type)) {
      return true;
    }
    if ("LoadBalancer".equals(type)) {
      return !Boolean.FALSE.equals(spec(service).getAllocateLoadBalancerNodePorts());
    }
    return false;
  }

  static List<Integer> collectNodePorts(Service service) {
    List<Integer> ports = new ArrayList<>();
    for (ServicePort p : list(spec(service).getPorts())) {
      if (intValue(p.getNodePort()) != 0) {
        ports.add(p.getNodePort());
      }
    }
    return ports;
  }

  // ------------------------------------------------------------------ helpers of strategy.go

  private static boolean needsClusterIp(Service service) {
    return !"ExternalName".equals(spec(service).getType());
  }

  private static boolean needsNodePort(Service service) {
    String type = spec(service).getType();
    return "NodePort".equals(type) || "LoadBalancer".equals(type);
  }

  private static boolean needsHealthCheckPort(Service service) {
    return ServiceValidation.needsHealthCheck(service);
  }

  private static boolean sameClusterIps(Service a, Service b) {
    return list(spec(a).getClusterIPs()).equals(list(spec(b).getClusterIPs()));
  }

  private static boolean sameNodePorts(Service a, Service b) {
    List<ServicePort> x = list(spec(a).getPorts());
    List<ServicePort> y = list(spec(b).getPorts());
    if (x.size() != y.size()) {
      return false;
    }
    for (int i = 0; i < x.size(); i++) {
      if (intValue(x.get(i).getNodePort()) != intValue(y.get(i).getNodePort())) {
        return false;
      }
    }
    return true;
  }

  private static String familyOf(String ip) {
    InetAddress address = IpLiterals.parse(ip);
    if (address == null) {
      return "unknown";
    }
    return address instanceof Inet6Address ? "IPv6" : "IPv4";
  }

  private static ApiException.Invalid invalid(Service service, FieldError error) {
    return new ApiException.Invalid(ResourceTypes.SERVICE, name(service), List.of(error));
  }

  private static String name(Service service) {
    return service.getMetadata() == null ? "" : service.getMetadata().getName();
  }

  private static ServiceSpec spec(Service service) {
    if (service.getSpec() == null) {
      service.setSpec(new ServiceSpec());
    }
    return service.getSpec();
  }

  private static int intValue(Integer value) {
    return value == null ? 0 : value;
  }

  private static boolean isEmpty(String s) {
    return s == null || s.isEmpty();
  }

  private static boolean isEmpty(Map<?, ?> map) {
    return map == null || map.isEmpty();
  }

  private static <T> List<T> list(List<T> list) {
    return list == null ? List.of() : list;
  }
}
