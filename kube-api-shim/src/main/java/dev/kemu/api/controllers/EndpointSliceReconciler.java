package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.EndpointMembership.LABEL_HEADLESS;
import static dev.kemu.api.controllers.EndpointMembership.LABEL_MANAGED_BY;
import static dev.kemu.api.controllers.EndpointMembership.LABEL_SERVICE_NAME;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the pods selected by a Service into EndpointSlices: creates, updates and deletes slices so
 * that they hold exactly the desired endpoints, changing as few slices as it can. A port of {@code
 * k8s.io/endpointslice/reconciler.go} ({@code Reconcile}, {@code reconcileByAddressType}, {@code
 * reconcileByPortMapping}, {@code finalize}) and {@code utils.go} ({@code podToEndpoint}, {@code
 * getEndpointPorts}, {@code newEndpointSlice}, {@code setEndpointSliceLabels}).
 *
 * <p>Where upstream iterates Go maps (random order), this walks pods in namespace/name order and
 * slices in name order, so the same state always packs into the same slices.
 */
final class EndpointSliceReconciler {
  private static final Logger logger = LoggerFactory.getLogger(EndpointSliceReconciler.class);

  /** What the reconciler tells its controller about each write, to recognise its own events. */
  interface WriteObserver {
    void written(EndpointSlice slice);

    void deleted(String namespace, String name);
  }

  private final ResourceStore store;
  private final int maxEndpointsPerSlice;
  private final String controllerName;
  private final WriteObserver observer;

  EndpointSliceReconciler(
      ResourceStore store,
      int maxEndpointsPerSlice,
      String controllerName,
      WriteObserver observer) {
    this.store = store;
    this.maxEndpointsPerSlice = maxEndpointsPerSlice;
    this.controllerName = controllerName;
    this.observer = observer;
  }

  /**
   * An endpoint's identity: addresses, hostname and the pod it stands for ({@code endpointset.go}).
   */
  private record EndpointKey(
      List<String> addresses, String hostname, String namespace, String name) {
    static EndpointKey of(Endpoint endpoint) {
      List<String> addresses =
          endpoint.getAddresses() == null ? List.of() : new ArrayList<>(endpoint.getAddresses());
      addresses.sort(null);
      ObjectReference ref = endpoint.getTargetRef();
      return new EndpointKey(
          List.copyOf(addresses),
          Objects.requireNonNullElse(endpoint.getHostname(), ""),
          ref == null ? "" : Objects.requireNonNullElse(ref.getNamespace(), ""),
          ref == null ? "" : Objects.requireNonNullElse(ref.getName(), ""));
    }
  }

  /** One port of a slice, as a value ({@code PortMapKey} hashes the sorted list of these). */
  private record PortKey(String name, Integer port, String protocol, String appProtocol)
      implements Comparable<PortKey> {
    private static final Comparator<PortKey> ORDER =
        Comparator.comparing(PortKey::name, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(PortKey::port, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(PortKey::protocol, Comparator.nullsFirst(Comparator.naturalOrder()))
            .thenComparing(PortKey::appProtocol, Comparator.nullsFirst(Comparator.naturalOrder()));

    static List<PortKey> mapKey(List<EndpointPort> ports) {
      List<PortKey> keys = new ArrayList<>();
      if (ports != null) {
        for (EndpointPort port : ports) {
          keys.add(
              new PortKey(
                  port.getName(), port.getPort(), port.getProtocol(), port.getAppProtocol()));
        }
      }
      keys.sort(null);
      return List.copyOf(keys);
    }

    @Override
    public int compareTo(PortKey other) {
      return ORDER.compare(this, other);
    }
  }

  /** The slices one reconcile will create, update and delete. */
  private static final class Plan {
    final List<EndpointSlice> toCreate = new ArrayList<>();
    final List<EndpointSlice> toUpdate = new ArrayList<>();
    final List<EndpointSlice> toDelete = new ArrayList<>();
  }

  /**
   * Reconciles the slices of one Service.
   *
   * @param service the Service, which has a selector
   * @param pods the pods its selector matches, in namespace/name order
   * @param existingSlices the slices managed for it now (none being deleted)
   * @param triggerTime the last-change-trigger-time to write, or null to remove it
   */
  void reconcile(
      Service service, List<Pod> pods, List<EndpointSlice> existingSlices, Instant triggerTime) {
    Set<String> supported = addressTypes(service);
    List<EndpointSlice> unsupported = new ArrayList<>();
    Map<String, List<EndpointSlice>> byAddressType = new HashMap<>();
    for (EndpointSlice slice : sortedByName(existingSlices)) {
      if (!supported.contains(slice.getAddressType())) {
        unsupported.add(slice);
        continue;
      }
      byAddressType.computeIfAbsent(slice.getAddressType(), t -> new ArrayList<>()).add(slice);
    }
    for (String addressType : supported) {
      Plan plan =
          reconcileByAddressType(
              service, pods, byAddressType.getOrDefault(addressType, List.of()), addressType);
      finalizePlan(service, plan, triggerTime);
    }
    for (EndpointSlice slice : unsupported) {
      delete(slice);
    }
  }

  private Plan reconcileByAddressType(
      Service service, List<Pod> pods, List<EndpointSlice> existingSlices, String addressType) {
    Plan plan = new Plan();
    Map<List<PortKey>, List<EndpointSlice>> existingByPortMap = new LinkedHashMap<>();
    for (EndpointSlice slice : existingSlices) {
      if (ownedBy(slice, service)) {
        existingByPortMap
            .computeIfAbsent(PortKey.mapKey(slice.getPorts()), k -> new ArrayList<>())
            .add(slice);
      } else {
        plan.toDelete.add(slice);
      }
    }

    Map<List<PortKey>, List<EndpointPort>> desiredPorts = new LinkedHashMap<>();
    Map<List<PortKey>, LinkedHashMap<EndpointKey, Endpoint>> desiredEndpoints =
        new LinkedHashMap<>();
    for (Pod pod : pods) {
      if (!EndpointMembership.shouldPodBeInEndpoints(pod, true)) {
        continue;
      }
      List<EndpointPort> ports = endpointPorts(service, pod);
      List<PortKey> portMap = PortKey.mapKey(ports);
      desiredPorts.putIfAbsent(portMap, ports);
      LinkedHashMap<EndpointKey, Endpoint> set =
          desiredEndpoints.computeIfAbsent(portMap, k -> new LinkedHashMap<>());
      Endpoint endpoint = podToEndpoint(pod, service, addressType);
      if (!endpoint.getAddresses().isEmpty()) {
        set.put(EndpointKey.of(endpoint), endpoint);
      }
    }

    for (var entry : desiredEndpoints.entrySet()) {
      reconcileByPortMapping(
          service,
          existingByPortMap.getOrDefault(entry.getKey(), List.of()),
          entry.getValue(),
          desiredPorts.get(entry.getKey()),
          addressType,
          plan);
    }
    // Slices whose set of ports no pod wants any more go.
    for (var entry : existingByPortMap.entrySet()) {
      if (!desiredEndpoints.containsKey(entry.getKey())) {
        plan.toDelete.addAll(entry.getValue());
      }
    }

    // With no endpoints at all, a Service still gets one empty slice: the placeholder.
    if (existingSlices.size() == plan.toDelete.size() && plan.toCreate.isEmpty()) {
      EndpointSlice placeholder = newEndpointSlice(service, List.of(), addressType);
      if (plan.toDelete.size() == 1 && isSamePlaceholder(plan.toDelete.get(0), placeholder)) {
        // Deleting and recreating the placeholder would change nothing.
        plan.toDelete.clear();
      } else {
        plan.toCreate.add(placeholder);
      }
    }
    return plan;
  }

  /**
   * Steps of upstream {@code reconcileByPortMapping}: 1. drop endpoints no longer desired from the
   * existing slices and refresh changed ones; 2. fill the slices being updated anyway; 3. put what
   * is left into the unchanged slice it fits best, else into new slices.
   */
  private void reconcileByPortMapping(
      Service service,
      List<EndpointSlice> existingSlices,
      LinkedHashMap<EndpointKey, Endpoint> desired,
      List<EndpointPort> ports,
      String addressType,
      Plan plan) {
    Map<String, EndpointSlice> slicesByName = new TreeMap<>();
    Set<String> unchanged = new TreeSet<>();
    Set<String> toUpdate = new TreeSet<>();
    Set<String> toDelete = new TreeSet<>();

    // 1.
    for (EndpointSlice existing : existingSlices) {
      String name = existing.getMetadata().getName();
      slicesByName.put(name, existing);
      List<Endpoint> kept = new ArrayList<>();
      boolean endpointUpdated = false;
      for (Endpoint endpoint : listOf(existing.getEndpoints())) {
        EndpointKey key = EndpointKey.of(endpoint);
        Endpoint wanted = desired.get(key);
        if (wanted != null) {
          kept.add(wanted);
          if (!equalBeyondKey(wanted, endpoint)) {
            endpointUpdated = true;
          }
          desired.remove(key);
        }
      }
      Map<String, String> labels = sliceLabels(service);
      boolean labelsChanged =
          !userLabels(existing.getMetadata().getLabels()).equals(userLabels(labels));
      if (endpointUpdated || listOf(existing.getEndpoints()).size() != kept.size()) {
        if (kept.isEmpty()) {
          toDelete.add(name);
        } else {
          EndpointSlice copy = ResourceCodec.copy(existing);
          copy.setEndpoints(kept);
          copy.getMetadata().setLabels(labels);
          slicesByName.put(name, copy);
          toUpdate.add(name);
        }
      } else if (labelsChanged) {
        EndpointSlice copy = ResourceCodec.copy(existing);
        copy.getMetadata().setLabels(labels);
        slicesByName.put(name, copy);
        toUpdate.add(name);
      } else {
        unchanged.add(name);
      }
    }

    // 2. Fullest first, so endpoints concentrate in few slices.
    if (!desired.isEmpty() && !toUpdate.isEmpty()) {
      List<EndpointSlice> updating = new ArrayList<>();
      for (String name : toUpdate) {
        updating.add(slicesByName.get(name));
      }
      updating.sort(
          Comparator.comparingInt((EndpointSlice s) -> listOf(s.getEndpoints()).size()).reversed());
      for (EndpointSlice slice : updating) {
        fill(slice, desired);
      }
    }

    // 3.
    while (!desired.isEmpty()) {
      EndpointSlice sliceToFill = null;
      if (desired.size() < maxEndpointsPerSlice && !unchanged.isEmpty()) {
        List<EndpointSlice> candidates = new ArrayList<>();
        for (String name : unchanged) {
          candidates.add(slicesByName.get(name));
        }
        sliceToFill = sliceToFill(candidates, desired.size());
      }
      if (sliceToFill == null) {
        sliceToFill = newEndpointSlice(service, ports, addressType);
      } else {
        sliceToFill = ResourceCodec.copy(sliceToFill);
        slicesByName.put(sliceToFill.getMetadata().getName(), sliceToFill);
      }
      fill(sliceToFill, desired);
      String name = sliceToFill.getMetadata().getName();
      if (name != null) {
        toUpdate.add(name);
        unchanged.remove(name);
      } else {
        plan.toCreate.add(sliceToFill);
      }
    }

    for (String name : toUpdate) {
      plan.toUpdate.add(slicesByName.get(name));
    }
    for (String name : toDelete) {
      plan.toDelete.add(slicesByName.get(name));
    }
  }

  private void fill(EndpointSlice slice, LinkedHashMap<EndpointKey, Endpoint> desired) {
    List<Endpoint> endpoints = new ArrayList<>(listOf(slice.getEndpoints()));
    Iterator<Map.Entry<EndpointKey, Endpoint>> it = desired.entrySet().iterator();
    while (it.hasNext() && endpoints.size() < maxEndpointsPerSlice) {
      endpoints.add(it.next().getValue());
      it.remove();
    }
    slice.setEndpoints(endpoints);
  }

  /** The unchanged slice that ends closest to full after taking {@code count} endpoints. */
  private EndpointSlice sliceToFill(List<EndpointSlice> slices, int count) {
    int closestDiff = maxEndpointsPerSlice;
    EndpointSlice closest = null;
    for (EndpointSlice slice : slices) {
      int diff = maxEndpointsPerSlice - (count + listOf(slice.getEndpoints()).size());
      if (diff >= 0 && diff < closestDiff) {
        closestDiff = diff;
        closest = slice;
        if (diff == 0) {
          return closest;
        }
      }
    }
    return closest;
  }

  /**
   * Upstream {@code finalize}: turns creates into updates of slices it would delete, then writes.
   */
  private void finalizePlan(Service service, Plan plan, Instant triggerTime) {
    for (int i = 0; i < plan.toDelete.size() && !plan.toCreate.isEmpty(); ) {
      EndpointSlice doomed = plan.toDelete.get(i);
      EndpointSlice created = plan.toCreate.get(plan.toCreate.size() - 1);
      // Only slices of this very Service (not of an older one of the same name) with the same
      // address type, which cannot change, are reused.
      if (Objects.equals(doomed.getAddressType(), created.getAddressType())
          && ownedBy(doomed, service)) {
        created.getMetadata().setName(doomed.getMetadata().getName());
        plan.toCreate.remove(plan.toCreate.size() - 1);
        plan.toUpdate.add(created);
        plan.toDelete.remove(i);
      } else {
        i++;
      }
    }

    // No new slices for a Service being deleted: the garbage collector is removing them.
    if (service.getMetadata().getDeletionTimestamp() == null) {
      for (EndpointSlice slice : plan.toCreate) {
        setTriggerTime(slice, triggerTime);
        try {
          observer.written(store.create(slice));
        } catch (ApiException.Forbidden e) {
          // The namespace is terminating: creates will keep failing, so stop here.
          logger.debug("not creating EndpointSlice for {}: {}", key(service), e.getMessage());
          return;
        }
      }
    }
    for (EndpointSlice slice : plan.toUpdate) {
      setTriggerTime(slice, triggerTime);
      observer.written(store.update(slice));
    }
    for (EndpointSlice slice : plan.toDelete) {
      delete(slice);
    }
  }

  void delete(EndpointSlice slice) {
    String namespace = slice.getMetadata().getNamespace();
    String name = slice.getMetadata().getName();
    try {
      store.delete(new ResourceKey(ResourceTypes.ENDPOINT_SLICE, namespace, name));
      observer.deleted(namespace, name);
    } catch (ApiException.NotFound e) {
      // Already gone.
    }
  }

  private static void setTriggerTime(EndpointSlice slice, Instant triggerTime) {
    ObjectMeta meta = slice.getMetadata();
    Map<String, String> annotations =
        meta.getAnnotations() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(meta.getAnnotations());
    if (triggerTime != null) {
      annotations.put(
          EndpointMembership.ANNOTATION_LAST_CHANGE_TRIGGER_TIME,
          EndpointMembership.formatRfc3339Nano(triggerTime));
    } else {
      annotations.remove(EndpointMembership.ANNOTATION_LAST_CHANGE_TRIGGER_TIME);
    }
    meta.setAnnotations(annotations);
  }

  // ------------------------------------------------------------- building slices

  /**
   * The address types of a Service's slices: one per IP family ({@code getAddressTypesForService}).
   */
  static Set<String> addressTypes(Service service) {
    Set<String> types = new LinkedHashSet<>();
    List<String> families = service.getSpec().getIpFamilies();
    if (families != null) {
      for (String family : families) {
        if ("IPv4".equals(family) || "IPv6".equals(family)) {
          types.add(family);
        }
      }
    }
    if (!types.isEmpty()) {
      return types;
    }
    // A Service the apiserver has not defaulted: the ClusterIP tells the family; a headless one
    // gets both until it is defaulted.
    String clusterIp = service.getSpec().getClusterIP();
    if (!EndpointMembership.isBlank(clusterIp) && !"None".equals(clusterIp)) {
      types.add(EndpointMembership.isIpv6(clusterIp) ? "IPv6" : "IPv4");
      return types;
    }
    types.add("IPv4");
    types.add("IPv6");
    return types;
  }

  private static List<EndpointPort> endpointPorts(Service service, Pod pod) {
    List<EndpointPort> ports = new ArrayList<>();
    List<ServicePort> servicePorts = listOf(service.getSpec().getPorts());
    if (servicePorts.isEmpty() && "None".equals(service.getSpec().getClusterIP())) {
      return ports;
    }
    for (ServicePort servicePort : servicePorts) {
      OptionalInt port = EndpointMembership.findPort(pod, servicePort);
      if (port.isEmpty()) {
        logger.trace(
            "Failed to find port for service {}: no suitable port for manifest: {}",
            key(service),
            pod.getMetadata().getUid());
        continue;
      }
      EndpointPort endpointPort = new EndpointPort();
      endpointPort.setName(Objects.requireNonNullElse(servicePort.getName(), ""));
      endpointPort.setPort(port.getAsInt());
      endpointPort.setProtocol(EndpointMembership.protocol(servicePort));
      endpointPort.setAppProtocol(servicePort.getAppProtocol());
      ports.add(endpointPort);
    }
    return ports;
  }

  /**
   * The endpoint of a pod ({@code podToEndpoint}): {@code serving} is the pod's readiness, {@code
   * terminating} its deletionTimestamp, and {@code ready} is serving and not terminating, or always
   * true when the Service publishes not-ready addresses.
   */
  private static Endpoint podToEndpoint(Pod pod, Service service, String addressType) {
    boolean serving = EndpointMembership.isPodReady(pod);
    boolean terminating = EndpointMembership.isTerminating(pod);
    boolean ready = publishNotReady(service) || (serving && !terminating);
    Endpoint endpoint = new Endpoint();
    List<String> addresses = new ArrayList<>();
    for (String ip : EndpointMembership.podIps(pod)) {
      if (EndpointMembership.isIpv6(ip) == "IPv6".equals(addressType)) {
        addresses.add(ip);
      }
    }
    endpoint.setAddresses(addresses);
    endpoint.setConditions(new EndpointConditions(ready, serving, terminating));
    ObjectReference ref = new ObjectReference();
    ref.setKind("Pod");
    ref.setNamespace(pod.getMetadata().getNamespace());
    ref.setName(pod.getMetadata().getName());
    ref.setUid(pod.getMetadata().getUid());
    endpoint.setTargetRef(ref);
    String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (!EndpointMembership.isBlank(nodeName)) {
      endpoint.setNodeName(nodeName);
    }
    if (EndpointMembership.shouldSetHostname(pod, service)) {
      endpoint.setHostname(pod.getSpec().getHostname());
    }
    return endpoint;
  }

  static boolean publishNotReady(Service service) {
    return Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses());
  }

  private EndpointSlice newEndpointSlice(
      Service service, List<EndpointPort> ports, String addressType) {
    EndpointSlice slice = new EndpointSlice();
    slice.setApiVersion("discovery.k8s.io/v1");
    slice.setKind("EndpointSlice");
    ObjectMeta meta = new ObjectMeta();
    meta.setNamespace(service.getMetadata().getNamespace());
    meta.setGenerateName(slicePrefix(service.getMetadata().getName()));
    meta.setOwnerReferences(List.of(controllerRef(service)));
    meta.setLabels(sliceLabels(service));
    slice.setMetadata(meta);
    slice.setPorts(new ArrayList<>(ports));
    slice.setAddressType(addressType);
    slice.setEndpoints(new ArrayList<>());
    return slice;
  }

  /** {@code <service>-}, or the bare name when the dash would make it too long a name. */
  private static String slicePrefix(String serviceName) {
    String prefix = serviceName + "-";
    return prefix.length() > 253 ? serviceName : prefix;
  }

  /** {@code metav1.NewControllerRef(service, v1 Service)}. */
  private static OwnerReference controllerRef(Service service) {
    OwnerReference ref = new OwnerReference();
    ref.setApiVersion("v1");
    ref.setKind("Service");
    ref.setName(service.getMetadata().getName());
    ref.setUid(service.getMetadata().getUid());
    ref.setController(true);
    ref.setBlockOwnerDeletion(true);
    return ref;
  }

  /**
   * The labels a slice should carry ({@code setEndpointSliceLabels}): the Service's own labels,
   * minus the reserved ones, plus the service-name and managed-by labels, and the headless label
   * when the Service has no ClusterIP.
   */
  private Map<String, String> sliceLabels(Service service) {
    Map<String, String> labels = new TreeMap<>();
    Map<String, String> serviceLabels = service.getMetadata().getLabels();
    if (serviceLabels != null) {
      serviceLabels.forEach(
          (key, value) -> {
            if (isReservedLabel(key)) {
              logger.debug(
                  "Service {} uses reserved endpoint slices label {}: skipping it",
                  key(service),
                  key);
            } else {
              labels.put(key, value);
            }
          });
    }
    if (!EndpointMembership.isServiceIpSet(service)) {
      labels.put(LABEL_HEADLESS, "");
    }
    labels.put(LABEL_SERVICE_NAME, service.getMetadata().getName());
    labels.put(LABEL_MANAGED_BY, controllerName);
    return labels;
  }

  private static Map<String, String> userLabels(Map<String, String> labels) {
    Map<String, String> user = new TreeMap<>();
    if (labels != null) {
      labels.forEach(
          (key, value) -> {
            if (!isReservedLabel(key)) {
              user.put(key, value);
            }
          });
    }
    return user;
  }

  private static boolean isReservedLabel(String key) {
    return LABEL_SERVICE_NAME.equals(key)
        || LABEL_MANAGED_BY.equals(key)
        || LABEL_HEADLESS.equals(key);
  }

  /** Whether a slice is owned by this Service (its uid, not just its name). */
  static boolean ownedBy(EndpointSlice slice, Service service) {
    for (OwnerReference ref : listOf(slice.getMetadata().getOwnerReferences())) {
      if (Objects.equals(ref.getUid(), service.getMetadata().getUid())
          && "Service".equals(ref.getKind())
          && "v1".equals(ref.getApiVersion())) {
        return true;
      }
    }
    return false;
  }

  /** {@code placeholderSliceCompare}: namespace, labels, owners, address type and empty content. */
  private static boolean isSamePlaceholder(EndpointSlice existing, EndpointSlice placeholder) {
    return Objects.equals(
            existing.getMetadata().getNamespace(), placeholder.getMetadata().getNamespace())
        && new TreeMap<>(mapOf(existing.getMetadata().getLabels()))
            .equals(new TreeMap<>(mapOf(placeholder.getMetadata().getLabels())))
        && ownerRefsEqual(
            existing.getMetadata().getOwnerReferences(),
            placeholder.getMetadata().getOwnerReferences())
        && Objects.equals(existing.getAddressType(), placeholder.getAddressType())
        && listOf(existing.getEndpoints()).isEmpty()
        && listOf(existing.getPorts()).isEmpty();
  }

  private static boolean ownerRefsEqual(List<OwnerReference> a, List<OwnerReference> b) {
    List<OwnerReference> left = listOf(a);
    List<OwnerReference> right = listOf(b);
    if (left.size() != right.size()) {
      return false;
    }
    for (int i = 0; i < left.size(); i++) {
      OwnerReference x = left.get(i);
      OwnerReference y = right.get(i);
      if (!Objects.equals(x.getApiVersion(), y.getApiVersion())
          || !Objects.equals(x.getKind(), y.getKind())
          || !Objects.equals(x.getName(), y.getName())
          || !Objects.equals(x.getUid(), y.getUid())
          || !Objects.equals(x.getController(), y.getController())
          || !Objects.equals(x.getBlockOwnerDeletion(), y.getBlockOwnerDeletion())) {
        return false;
      }
    }
    return true;
  }

  /**
   * {@code EndpointsEqualBeyondHash}: node, zone, conditions and target (whose resourceVersion does
   * not count) agree; addresses and hostname are part of the key already.
   */
  private static boolean equalBeyondKey(Endpoint a, Endpoint b) {
    EndpointConditions ca =
        a.getConditions() == null ? new EndpointConditions() : a.getConditions();
    EndpointConditions cb =
        b.getConditions() == null ? new EndpointConditions() : b.getConditions();
    return Objects.equals(a.getNodeName(), b.getNodeName())
        && Objects.equals(a.getZone(), b.getZone())
        && Objects.equals(ca.getReady(), cb.getReady())
        && Objects.equals(ca.getServing(), cb.getServing())
        && Objects.equals(ca.getTerminating(), cb.getTerminating())
        && targetRefsEqual(a.getTargetRef(), b.getTargetRef());
  }

  private static boolean targetRefsEqual(ObjectReference a, ObjectReference b) {
    if (a == null || b == null) {
      return a == b;
    }
    return Objects.equals(a.getKind(), b.getKind())
        && Objects.equals(a.getNamespace(), b.getNamespace())
        && Objects.equals(a.getName(), b.getName())
        && Objects.equals(a.getUid(), b.getUid())
        && Objects.equals(a.getApiVersion(), b.getApiVersion())
        && Objects.equals(a.getFieldPath(), b.getFieldPath());
  }

  private static List<EndpointSlice> sortedByName(List<EndpointSlice> slices) {
    List<EndpointSlice> sorted = new ArrayList<>(slices);
    sorted.sort(Comparator.comparing(s -> s.getMetadata().getName()));
    return sorted;
  }

  static String key(Service service) {
    return service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
  }

  static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static Map<String, String> mapOf(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }
}
