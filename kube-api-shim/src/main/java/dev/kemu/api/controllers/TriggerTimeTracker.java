package dev.kemu.api.controllers;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.Service;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * Computes the {@code endpoints.kubernetes.io/last-change-trigger-time} annotation: the earliest
 * time, among the changes seen since the last sync of a Service, at which something that moves its
 * endpoints happened (a pod's Ready condition changed, or the Service was created). Mirrors {@code
 * k8s.io/endpointslice/util/trigger_time_tracker.go}, including its accepted imprecision when one
 * object changes several times between two syncs. Used on one controller thread only.
 */
final class TriggerTimeTracker {
  private record ServiceState(Instant serviceTrigger, Map<String, Instant> podTriggers) {}

  private final Map<String, ServiceState> states = new HashMap<>();

  /**
   * Records the state seen now and returns the trigger time to write: the Service's creation for a
   * Service not seen before, else the earliest trigger that changed since the last call, or null
   * when none did (the annotation is then removed).
   */
  Instant compute(String namespace, Service service, Iterable<Pod> pods) {
    String key = namespace + "/" + service.getMetadata().getName();
    ServiceState previous = states.get(key);
    Instant minChanged = null;
    Map<String, Instant> podTriggers = new HashMap<>();
    for (Pod pod : pods) {
      Instant trigger = podTriggerTime(pod);
      if (trigger == null) {
        continue;
      }
      String name = pod.getMetadata().getName();
      podTriggers.put(name, trigger);
      Instant last = previous == null ? null : previous.podTriggers().get(name);
      if (last == null || trigger.isAfter(last)) {
        minChanged = min(minChanged, trigger);
      }
    }
    Instant serviceTrigger =
        EndpointMembership.parseTime(service.getMetadata().getCreationTimestamp());
    if (serviceTrigger != null
        && (previous == null
            || previous.serviceTrigger() == null
            || serviceTrigger.isAfter(previous.serviceTrigger()))) {
      minChanged = min(minChanged, serviceTrigger);
    }
    states.put(key, new ServiceState(serviceTrigger, podTriggers));
    if (previous == null) {
      return serviceTrigger;
    }
    return minChanged;
  }

  /** Forgets a deleted Service. */
  void delete(String namespace, String name) {
    states.remove(namespace + "/" + name);
  }

  private static Instant podTriggerTime(Pod pod) {
    PodCondition ready = EndpointMembership.readyCondition(pod);
    return ready == null ? null : EndpointMembership.parseTime(ready.getLastTransitionTime());
  }

  private static Instant min(Instant current, Instant candidate) {
    return current == null || candidate.isBefore(current) ? candidate : current;
  }
}
