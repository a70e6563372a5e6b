package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.store.LabelSelector;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import org.slf4j.Logger;

/**
 * The queue of Service keys ({@code namespace/name}) that the endpoints and EndpointSlice
 * controllers sync: the Services one batch of changes touched, and those whose last sync failed,
 * which are tried again after a delay. Mirrors the work queue both controllers share upstream
 * ({@code pkg/controller/endpoint/endpoints_controller.go} and {@code
 * pkg/controller/endpointslice/endpointslice_controller.go}: {@code onServiceUpdate}, {@code
 * addPod}/{@code updatePod} through {@code GetPodServiceMemberships}, {@code handleErr}). Used on
 * the informer's thread only.
 */
final class ServiceQueue {
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final Informer informer;
  private final Logger logger;
  private final String failureMessage;
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Set<String> retry = new LinkedHashSet<>();

  /**
   * A queue.
   *
   * @param informer the informer whose Service lister finds a pod's Services and which resyncs
   *     after a failure
   * @param logger the controller's logger
   * @param failureMessage the log line of a failed sync, with placeholders for the key and error
   */
  ServiceQueue(Informer informer, Logger logger, String failureMessage) {
    this.informer = informer;
    this.logger = logger;
    this.failureMessage = failureMessage;
  }

  /** Queues a Service by its key. */
  void add(String key) {
    dirty.add(key);
  }

  /** Queues the Service. */
  void add(Service service) {
    dirty.add(key(service));
  }

  /**
   * Queues the Services with managed endpoints whose selector matches the pod now or matched it
   * before the change ({@code GetPodServiceMemberships} for the new and the old pod).
   */
  void addServicesOf(Pod pod, Pod old) {
    for (Service service : informer.lister(Service.class).list(pod.getMetadata().getNamespace())) {
      if (!EndpointMembership.hasManagedEndpoints(service)) {
        continue;
      }
      LabelSelector selector = LabelSelector.of(service.getSpec().getSelector());
      if (selector.matches(labels(pod)) || (old != null && selector.matches(labels(old)))) {
        dirty.add(key(service));
      }
    }
  }

  /**
   * Syncs every queued Service and those that failed before, in order; a sync that throws is logged
   * and queued again, and the informer resyncs after a delay so it is retried.
   *
   * @param syncService called with the namespace and the name of each Service
   */
  void process(BiConsumer<String, String> syncService) {
    Set<String> keys = new LinkedHashSet<>(dirty);
    keys.addAll(retry);
    dirty.clear();
    retry.clear();
    for (String key : keys) {
      int slash = key.indexOf('/');
      try {
        syncService.accept(key.substring(0, slash), key.substring(slash + 1));
      } catch (RuntimeException e) {
        logger.info(failureMessage, key, e.toString());
        retry.add(key);
      }
    }
    if (!retry.isEmpty()) {
      informer.resync(RETRY);
    }
  }

  /** The key a Service, or an object named like its Service, is queued under. */
  static String key(HasMetadata object) {
    return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
  }

  private static Map<String, String> labels(HasMetadata object) {
    Map<String, String> labels = object.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }
}
