package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.EndpointMembership.LABEL_MANAGED_BY;
import static dev.kemu.api.controllers.EndpointMembership.LABEL_SERVICE_NAME;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The EndpointSlice controller of kube-controller-manager: for every Service with a selector, keeps
 * EndpointSlices ({@code discovery.k8s.io/v1}) listing the pods the selector matches, with their
 * readiness, serving and terminating conditions and their resolved ports. Mirrors {@code
 * pkg/controller/endpointslice/endpointslice_controller.go} ({@code syncService}) and the
 * reconciler of {@code staging/src/k8s.io/endpointslice}; see also
 * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/.
 *
 * <ul>
 *   <li>Slices are named {@code <service>-<5 random chars>} ({@code generateName}), carry {@code
 *       kubernetes.io/service-name} and {@code endpointslice.kubernetes.io/managed-by:
 *       endpointslice-controller.k8s.io}, and are owned by the Service.
 *   <li>Services without a selector, and {@code ExternalName} services, are left alone: their
 *       slices are made by hand.
 *   <li>A deleted Service's slices are deleted, as the garbage collector does for their owner
 *       references.
 * </ul>
 *
 * <p>Departures, because kemu has one implicit node: pods are not checked against Node objects and
 * endpoints carry no {@code zone}; topology hints are not computed.
 */
public final class EndpointSliceController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(EndpointSliceController.class);

  /** The {@code managed-by} value of the slices this controller owns. */
  public static final String CONTROLLER_NAME = "endpointslice-controller.k8s.io";

  /** Upstream's default {@code --max-endpoints-per-slice}. */
  public static final int DEFAULT_MAX_ENDPOINTS_PER_SLICE = 100;

  private final ResourceStore store;
  private final Informer informer;
  private final ServiceQueue queue;
  private final EndpointSliceReconciler reconciler;
  private final TriggerTimeTracker triggerTimes = new TriggerTimeTracker();
  // The resourceVersion of each slice this controller last wrote, and the slices it deleted, so
  // that the events of its own writes do not queue their Service again (the EndpointSliceTracker).
  private final Map<String, String> ownWrites = new HashMap<>();
  private final Set<String> ownDeletes = new HashSet<>();

  /** A controller with upstream's 100 endpoints per slice. */
  public EndpointSliceController(ResourceStore store) {
    this(store, DEFAULT_MAX_ENDPOINTS_PER_SLICE);
  }

  /**
   * A controller.
   *
   * @param store the store to follow and write
   * @param maxEndpointsPerSlice how many endpoints one slice holds at most
   */
  public EndpointSliceController(ResourceStore store, int maxEndpointsPerSlice) {
    if (maxEndpointsPerSlice < 1 || maxEndpointsPerSlice > 1000) {
      throw new IllegalArgumentException(
          "maxEndpointsPerSlice: Invalid value: "
              + maxEndpointsPerSlice
              + ": must be between 1 and 1000, inclusive");
    }
    this.store = store;
    this.reconciler =
        new EndpointSliceReconciler(
            store,
            maxEndpointsPerSlice,
            CONTROLLER_NAME,
            new EndpointSliceReconciler.WriteObserver() {
              @Override
              public void written(EndpointSlice slice) {
                ownWrites.put(key(slice), slice.getMetadata().getResourceVersion());
              }

              @Override
              public void deleted(String namespace, String name) {
                ownWrites.remove(namespace + "/" + name);
                ownDeletes.add(namespace + "/" + name);
              }
            });
    this.informer =
        new Informer(
            store,
            "endpointslice-controller",
            List.of(Service.class, Pod.class, EndpointSlice.class),
            this::sync);
    this.queue =
        new ServiceQueue(
            informer, logger, "Error syncing endpoint slices for service {}, retrying: {}");
  }

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof Service service) {
        queue.add(service);
      } else if (change.object() instanceof Pod pod) {
        queue.addServicesOf(pod, (Pod) change.oldObject());
      } else if (change.object() instanceof EndpointSlice slice) {
        sliceChanged(change.type(), slice, (EndpointSlice) change.oldObject());
      }
    }
    queue.process(this::syncService);
  }

  /**
   * A change to a managed slice that this controller did not make (someone edited or deleted it)
   * queues its Service, so the slice is put back ({@code onEndpointSliceUpdate}).
   */
  private void sliceChanged(EventType type, EndpointSlice slice, EndpointSlice old) {
    String key = key(slice);
    if (type == EventType.DELETED) {
      if (ownDeletes.remove(key)) {
        return;
      }
      ownWrites.remove(key);
    } else if (slice.getMetadata().getResourceVersion() != null
        && slice.getMetadata().getResourceVersion().equals(ownWrites.get(key))) {
      return;
    }
    String namespace = slice.getMetadata().getNamespace();
    for (EndpointSlice version : old == null ? List.of(slice) : List.of(slice, old)) {
      Map<String, String> labels = version.getMetadata().getLabels();
      if (labels != null
          && CONTROLLER_NAME.equals(labels.get(LABEL_MANAGED_BY))
          && labels.get(LABEL_SERVICE_NAME) != null) {
        queue.add(namespace + "/" + labels.get(LABEL_SERVICE_NAME));
      }
    }
  }

  private void syncService(String namespace, String name) {
    Optional<Service> found = informer.lister(Service.class).get(namespace, name);
    if (found.isEmpty()) {
      triggerTimes.delete(namespace, name);
      collectGarbage(namespace, name);
      return;
    }
    Service service = found.get();
    if (!EndpointMembership.hasManagedEndpoints(service)) {
      // Services without a selector get their slices from whoever made them, by hand or through
      // the API; ExternalName services get none.
      return;
    }
    LabelSelector selector = LabelSelector.of(service.getSpec().getSelector());
    List<Pod> pods = informer.lister(Pod.class).list(namespace, selector);
    List<EndpointSlice> existing = new ArrayList<>();
    for (EndpointSlice slice : managedSlices(namespace, name)) {
      // Slices marked for deletion are on their way out; counting them could stall the controller.
      if (slice.getMetadata().getDeletionTimestamp() == null) {
        existing.add(slice);
      }
    }
    // Computed on every sync, even one that changes nothing, so the tracker keeps up.
    Instant triggerTime = triggerTimes.compute(namespace, service, pods);
    reconciler.reconcile(service, pods, existing, triggerTime);
  }

  /**
   * A Service is gone: its slices go too. Upstream leaves this to the garbage collector, which
   * deletes objects whose owners are all gone; kemu has no general garbage collector, so the
   * controller deletes the managed slices owned by a Service of that name.
   */
  private void collectGarbage(String namespace, String name) {
    for (EndpointSlice slice : managedSlices(namespace, name)) {
      boolean ownedByService = false;
      for (OwnerReference ref :
          EndpointSliceReconciler.listOf(slice.getMetadata().getOwnerReferences())) {
        if ("Service".equals(ref.getKind()) && name.equals(ref.getName())) {
          ownedByService = true;
        }
      }
      if (ownedByService) {
        reconciler.delete(slice);
      }
    }
  }

  /** The slices of a Service this controller manages, read from the store, not the cache. */
  private List<EndpointSlice> managedSlices(String namespace, String serviceName) {
    LabelSelector selector =
        LabelSelector.of(
            Map.of(LABEL_SERVICE_NAME, serviceName, LABEL_MANAGED_BY, CONTROLLER_NAME));
    return store.list(EndpointSlice.class, ListOptions.inNamespace(namespace).withLabels(selector));
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
