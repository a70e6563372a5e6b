package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.EndpointMembership.ANNOTATION_LAST_CHANGE_TRIGGER_TIME;
import static dev.kemu.api.controllers.EndpointMembership.LABEL_HEADLESS;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The endpoints controller of kube-controller-manager: keeps a legacy {@code v1.Endpoints} object,
 * named like the Service, for every Service with a selector. Ready pods are in {@code addresses},
 * the others in {@code notReadyAddresses}; terminating pods are left out unless the Service
 * publishes not-ready addresses, in which case every pod counts as ready. Mirrors {@code
 * pkg/controller/endpoint/endpoints_controller.go} ({@code syncService}, {@code addEndpointSubset},
 * {@code truncateEndpoints}) and {@code pkg/api/v1/endpoints/util.go} ({@code RepackSubsets}).
 *
 * <ul>
 *   <li>The object carries the Service's labels (plus {@code service.kubernetes.io/headless} for a
 *       Service without ClusterIP) and the {@code endpoints.kubernetes.io/last-change-trigger-time}
 *       annotation; beyond 1000 addresses it is truncated and marked {@code
 *       endpoints.kubernetes.io/over-capacity: truncated}.
 *   <li>Services without a selector keep the Endpoints their users write.
 *   <li>When a Service is deleted its Endpoints object is deleted, whoever wrote it; when the
 *       controller starts, Endpoints left without a Service are deleted ({@code
 *       checkLeftoverEndpoints}).
 * </ul>
 */
public final class EndpointsController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(EndpointsController.class);

  /** The most addresses one Endpoints object holds ({@code maxCapacity}). */
  public static final int MAX_CAPACITY = 1000;

  private static final String ANNOTATION_OVER_CAPACITY = "endpoints.kubernetes.io/over-capacity";
  private static final String LEADER_ELECTION_ANNOTATION =
      "control-plane.alpha.kubernetes.io/leader";

  private final ResourceStore store;
  private final Informer informer;
  private final ServiceQueue queue;
  private final TriggerTimeTracker triggerTimes = new TriggerTimeTracker();
  private boolean firstSync = true;

  /** A controller writing into and following {@code store}. */
  public EndpointsController(ResourceStore store) {
    this.store = store;
    this.informer =
        new Informer(
            store,
            "endpoints-controller",
            List.of(Service.class, Pod.class, Endpoints.class),
            this::sync);
    this.queue =
        new ServiceQueue(informer, logger, "Error syncing endpoints for service {}, retrying: {}");
  }

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof Service service) {
        queue.add(service);
      } else if (change.object() instanceof Pod pod) {
        queue.addServicesOf(pod, (Pod) change.oldObject());
      } else if (change.object() instanceof Endpoints endpoints) {
        // On start every Endpoints object is checked for a Service (checkLeftoverEndpoints);
        // later only deletions matter, so a deleted object is put back.
        boolean leaderElection =
            endpoints.getMetadata().getAnnotations() != null
                && endpoints.getMetadata().getAnnotations().containsKey(LEADER_ELECTION_ANNOTATION);
        if ((firstSync && !leaderElection) || change.type() == EventType.DELETED) {
          queue.add(key(endpoints));
        }
      }
    }
    firstSync = false;
    queue.process(this::syncService);
  }

  private void syncService(String namespace, String name) {
    Optional<Service> found = informer.lister(Service.class).get(namespace, name);
    if (found.isEmpty()) {
      // The Service is gone, so is its Endpoints object.
      try {
        store.delete(new ResourceKey(ResourceTypes.ENDPOINTS, namespace, name));
      } catch (ApiException.NotFound e) {
        // Nothing to delete.
      }
      triggerTimes.delete(namespace, name);
      return;
    }
    Service service = found.get();
    if (!EndpointMembership.hasManagedEndpoints(service)) {
      return;
    }
    boolean publishNotReady = EndpointSliceReconciler.publishNotReady(service);
    List<Pod> pods =
        informer
            .lister(Pod.class)
            .list(namespace, LabelSelector.of(service.getSpec().getSelector()));
    Instant triggerTime = triggerTimes.compute(namespace, service, pods);

    List<EndpointSubset> subsets = new ArrayList<>();
    List<ServicePort> servicePorts = EndpointSliceReconciler.listOf(service.getSpec().getPorts());
    for (Pod pod : pods) {
      if (!EndpointMembership.shouldPodBeInEndpoints(pod, publishNotReady)) {
        continue;
      }
      EndpointAddress address = podToEndpointAddress(service, pod);
      if (address == null) {
        logger.debug(
            "Failed to find endpoint for service {} with ClusterIP {} on pod {}",
            key(service),
            service.getSpec().getClusterIP(),
            key(pod));
        continue;
      }
      if (EndpointMembership.shouldSetHostname(pod, service)) {
        address.setHostname(pod.getSpec().getHostname());
      }
      boolean ready = publishNotReady || EndpointMembership.isPodReady(pod);
      if (servicePorts.isEmpty()) {
        // A headless Service may have no ports.
        if ("None".equals(service.getSpec().getClusterIP())) {
          subsets.add(subset(address, null, ready));
        }
        continue;
      }
      for (ServicePort servicePort : servicePorts) {
        OptionalInt port = EndpointMembership.findPort(pod, servicePort);
        if (port.isEmpty()) {
          continue;
        }
        EndpointPort endpointPort =
            new EndpointPort(
                servicePort.getAppProtocol(),
                EndpointMembership.isBlank(servicePort.getName()) ? null : servicePort.getName(),
                port.getAsInt(),
                EndpointMembership.protocol(servicePort));
        subsets.add(
            subset(
                ResourceCodec.convert(ResourceCodec.tree(address), EndpointAddress.class),
                endpointPort,
                ready));
      }
    }
    subsets = EndpointSubsets.repack(subsets);

    Endpoints current = store.get(Endpoints.class, namespace, name).orElse(null);
    boolean create = current == null;
    if (create) {
      current = new Endpoints();
      current.setApiVersion("v1");
      current.setKind("Endpoints");
      ObjectMeta meta = new ObjectMeta();
      meta.setName(name);
      meta.setNamespace(namespace);
      meta.setLabels(service.getMetadata().getLabels());
      current.setMetadata(meta);
    }
    Map<String, String> currentLabels = new TreeMap<>(mapOf(current.getMetadata().getLabels()));
    currentLabels.remove(LABEL_HEADLESS);
    if (!create
        && sameSubsets(current.getSubsets(), subsets)
        && currentLabels.equals(new TreeMap<>(mapOf(service.getMetadata().getLabels())))
        && capacityAnnotationSetCorrectly(current)) {
      return;
    }

    Endpoints updated = ResourceCodec.copy(current);
    updated.setSubsets(subsets);
    Map<String, String> labels = new LinkedHashMap<>(mapOf(service.getMetadata().getLabels()));
    if (EndpointMembership.isServiceIpSet(service)) {
      labels.remove(LABEL_HEADLESS);
    } else {
      labels.put(LABEL_HEADLESS, "");
    }
    updated.getMetadata().setLabels(labels);
    Map<String, String> annotations =
        new LinkedHashMap<>(mapOf(updated.getMetadata().getAnnotations()));
    if (triggerTime != null) {
      annotations.put(
          ANNOTATION_LAST_CHANGE_TRIGGER_TIME, EndpointMembership.formatRfc3339Nano(triggerTime));
    } else {
      annotations.remove(ANNOTATION_LAST_CHANGE_TRIGGER_TIME);
    }
    if (truncate(updated)) {
      annotations.put(ANNOTATION_OVER_CAPACITY, "truncated");
    } else {
      annotations.remove(ANNOTATION_OVER_CAPACITY);
    }
    updated.getMetadata().setAnnotations(annotations);

    if (create) {
      try {
        store.create(updated);
      } catch (ApiException.Forbidden e) {
        // The namespace is terminating: creates will keep failing, so drop the item.
        logger.debug("Forbidden from creating endpoints for {}: {}", key(service), e.getMessage());
      }
    } else {
      store.update(updated);
    }
  }

  /**
   * The address of a pod for a Service ({@code podToEndpointAddressForService}): the pod IP of the
   * Service's first IP family, or null if the pod has none.
   */
  private static EndpointAddress podToEndpointAddress(Service service, Pod pod) {
    boolean ipv6;
    List<String> families = service.getSpec().getIpFamilies();
    String clusterIp = service.getSpec().getClusterIP();
    List<String> podIps = EndpointMembership.podIps(pod);
    if (families != null && !families.isEmpty()) {
      ipv6 = "IPv6".equals(families.get(0));
    } else if (!EndpointMembership.isBlank(clusterIp) && !"None".equals(clusterIp)) {
      ipv6 = EndpointMembership.isIpv6(clusterIp);
    } else {
      ipv6 = !podIps.isEmpty() && EndpointMembership.isIpv6(podIps.get(0));
    }
    for (String ip : podIps) {
      if (EndpointMembership.isIpv6(ip) == ipv6) {
        ObjectReference ref = new ObjectReference();
        ref.setKind("Pod");
        ref.setNamespace(pod.getMetadata().getNamespace());
        ref.setName(pod.getMetadata().getName());
        ref.setUid(pod.getMetadata().getUid());
        EndpointAddress address = new EndpointAddress();
        address.setIp(ip);
        address.setNodeName(pod.getSpec() == null ? null : pod.getSpec().getNodeName());
        address.setTargetRef(ref);
        return address;
      }
    }
    return null;
  }

  private static EndpointSubset subset(EndpointAddress address, EndpointPort port, boolean ready) {
    List<EndpointPort> ports = port == null ? new ArrayList<>() : new ArrayList<>(List.of(port));
    return ready
        ? new EndpointSubset(new ArrayList<>(List.of(address)), new ArrayList<>(), ports)
        : new EndpointSubset(new ArrayList<>(), new ArrayList<>(List.of(address)), ports);
  }

  /** Subsets compare equal whatever the resourceVersion their target references carry. */
  private static boolean sameSubsets(List<EndpointSubset> a, List<EndpointSubset> b) {
    return Objects.equals(normalized(a), normalized(b));
  }

  private static Object normalized(List<EndpointSubset> subsets) {
    List<EndpointSubset> copy = new ArrayList<>();
    for (EndpointSubset subset : EndpointSliceReconciler.listOf(subsets)) {
      EndpointSubset s = ResourceCodec.convert(ResourceCodec.tree(subset), EndpointSubset.class);
      for (EndpointAddress address : s.getAddresses()) {
        clearVersion(address);
      }
      for (EndpointAddress address : s.getNotReadyAddresses()) {
        clearVersion(address);
      }
      copy.add(s);
    }
    return ResourceCodec.tree(copy);
  }

  private static void clearVersion(EndpointAddress address) {
    if (address.getTargetRef() != null) {
      address.getTargetRef().setResourceVersion(null);
    }
  }

  private static boolean capacityAnnotationSetCorrectly(Endpoints endpoints) {
    int count = 0;
    for (EndpointSubset subset : EndpointSliceReconciler.listOf(endpoints.getSubsets())) {
      count += subset.getAddresses().size() + subset.getNotReadyAddresses().size();
    }
    if (count > MAX_CAPACITY) {
      return false;
    }
    return !mapOf(endpoints.getMetadata().getAnnotations()).containsKey(ANNOTATION_OVER_CAPACITY);
  }

  /**
   * {@code truncateEndpoints}: past {@link #MAX_CAPACITY} addresses, keeps ready addresses first
   * and shares what room is left among the subsets in proportion to their size.
   */
  private static boolean truncate(Endpoints endpoints) {
    int totalReady = 0;
    int totalNotReady = 0;
    List<EndpointSubset> subsets = endpoints.getSubsets();
    for (EndpointSubset subset : subsets) {
      totalReady += subset.getAddresses().size();
      totalNotReady += subset.getNotReadyAddresses().size();
    }
    if (totalReady + totalNotReady <= MAX_CAPACITY) {
      return false;
    }
    boolean truncateReady = totalReady > MAX_CAPACITY;
    int max = truncateReady ? MAX_CAPACITY : MAX_CAPACITY - totalReady;
    int total = truncateReady ? totalReady : totalNotReady;
    int canBeAdded = max;
    for (EndpointSubset subset : subsets) {
      int inSubset =
          truncateReady ? subset.getAddresses().size() : subset.getNotReadyAddresses().size();
      int toBeAdded = (int) Math.ceil(((double) inSubset / total) * max);
      toBeAdded = Math.min(toBeAdded, canBeAdded);
      if (truncateReady) {
        subset.setAddresses(head(subset.getAddresses(), toBeAdded));
        subset.setNotReadyAddresses(new ArrayList<>());
        canBeAdded -= subset.getAddresses().size();
      } else {
        subset.setNotReadyAddresses(head(subset.getNotReadyAddresses(), toBeAdded));
        canBeAdded -= subset.getNotReadyAddresses().size();
      }
    }
    return true;
  }

  private static List<EndpointAddress> head(List<EndpointAddress> addresses, int n) {
    return addresses.size() <= n ? addresses : new ArrayList<>(addresses.subList(0, n));
  }

  private static Map<String, String> mapOf(Map<String, String> map) {
    return map == null ? Map.of() : map;
  }

  private static String key(HasMetadata object) {
    return ServiceQueue.key(object);
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
