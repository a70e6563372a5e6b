package dev.kemu.api.controllers;

import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * What workload controllers read from Pods and how they make them. Mirrors {@code
 * pkg/api/v1/pod/util.go} ({@code IsPodReady}, {@code IsPodAvailable}), {@code
 * controller.IsPodActive} and {@code controller.GetPodFromTemplate} ({@code
 * pkg/controller/controller_utils.go}).
 */
final class Pods {
  private Pods() {}

  /** The pod's phase; an empty phase counts as Pending, which the apiserver sets on create. */
  static String phase(Pod pod) {
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    return phase == null || phase.isEmpty() ? "Pending" : phase;
  }

  /** {@code IsPodActive}: not Succeeded, not Failed, not being deleted. */
  static boolean isActive(Pod pod) {
    String phase = phase(pod);
    return !"Succeeded".equals(phase)
        && !"Failed".equals(phase)
        && pod.getMetadata().getDeletionTimestamp() == null;
  }

  /** Whether the pod has been marked for deletion. */
  static boolean isTerminating(Pod pod) {
    return pod.getMetadata().getDeletionTimestamp() != null;
  }

  /** The Ready condition, or null. */
  static PodCondition readyCondition(Pod pod) {
    if (pod.getStatus() == null || pod.getStatus().getConditions() == null) {
      return null;
    }
    for (PodCondition condition : pod.getStatus().getConditions()) {
      if ("Ready".equals(condition.getType())) {
        return condition;
      }
    }
    return null;
  }

  /** {@code IsPodReady}: the Ready condition is True. */
  static boolean isReady(Pod pod) {
    PodCondition ready = readyCondition(pod);
    return ready != null && "True".equals(ready.getStatus());
  }

  /** When the pod last became ready, or null. */
  static Instant readySince(Pod pod) {
    PodCondition ready = readyCondition(pod);
    return ready == null || !"True".equals(ready.getStatus())
        ? null
        : parseTime(ready.getLastTransitionTime());
  }

  /**
   * {@code IsPodAvailable}: ready, and ready for at least {@code minReadySeconds} (strictly before
   * now, as upstream compares with {@code Before}).
   */
  static boolean isAvailable(Pod pod, int minReadySeconds, Instant now) {
    if (!isReady(pod)) {
      return false;
    }
    if (minReadySeconds == 0) {
      return true;
    }
    Instant since = readySince(pod);
    return since != null && since.plusSeconds(minReadySeconds).isBefore(now);
  }

  /** Running and Ready, the StatefulSet controller's measure of a healthy pod. */
  static boolean isRunningAndReady(Pod pod) {
    return "Running".equals(phase(pod)) && isReady(pod);
  }

  /** The highest restart count among regular containers, and among restartable init containers. */
  static int[] maxRestarts(Pod pod) {
    int regular = 0;
    int sidecar = 0;
    if (pod.getStatus() != null) {
      for (ContainerStatus status : listOf(pod.getStatus().getContainerStatuses())) {
        regular = Math.max(regular, restarts(status));
      }
      for (ContainerStatus status : listOf(pod.getStatus().getInitContainerStatuses())) {
        if (isSidecar(pod, status.getName())) {
          sidecar = Math.max(sidecar, restarts(status));
        }
      }
    }
    return new int[] {regular, sidecar};
  }

  private static boolean isSidecar(Pod pod, String name) {
    if (pod.getSpec() == null) {
      return false;
    }
    for (Container container : listOf(pod.getSpec().getInitContainers())) {
      if (container.getName().equals(name)) {
        return "Always".equals(container.getRestartPolicy());
      }
    }
    return false;
  }

  private static int restarts(ContainerStatus status) {
    return status.getRestartCount() == null ? 0 : status.getRestartCount();
  }

  /**
   * {@code GetPodFromTemplate}: a pod with the template's labels, annotations, finalizers and spec,
   * named from {@code generateName} {@code <parent>-}, controlled by {@code controllerRef}.
   */
  static Pod fromTemplate(
      PodTemplateSpec template, HasMetadata parent, OwnerReference controllerRef) {
    PodTemplateSpec copy = copy(template);
    ObjectMeta meta = new ObjectMeta();
    ObjectMeta templateMeta = copy.getMetadata() == null ? new ObjectMeta() : copy.getMetadata();
    meta.setNamespace(parent.getMetadata().getNamespace());
    meta.setGenerateName(parent.getMetadata().getName() + "-");
    meta.setLabels(
        templateMeta.getLabels() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(templateMeta.getLabels()));
    if (templateMeta.getAnnotations() != null && !templateMeta.getAnnotations().isEmpty()) {
      meta.setAnnotations(new LinkedHashMap<>(templateMeta.getAnnotations()));
    }
    if (templateMeta.getFinalizers() != null && !templateMeta.getFinalizers().isEmpty()) {
      meta.setFinalizers(new ArrayList<>(templateMeta.getFinalizers()));
    }
    if (controllerRef != null) {
      meta.setOwnerReferences(new ArrayList<>(List.of(controllerRef)));
    }
    Pod pod = new Pod();
    pod.setApiVersion("v1");
    pod.setKind("Pod");
    pod.setMetadata(meta);
    pod.setSpec(copy.getSpec() == null ? new PodSpec() : copy.getSpec());
    return pod;
  }

  /** A deep copy of a template. */
  static PodTemplateSpec copy(PodTemplateSpec template) {
    return template == null
        ? new PodTemplateSpec()
        : ResourceCodec.convert(ResourceCodec.tree(template), PodTemplateSpec.class);
  }

  /** Parses an RFC 3339 timestamp; null if absent or malformed. */
  static Instant parseTime(String timestamp) {
    if (timestamp == null || timestamp.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(timestamp).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** The creation time of an object, or null. */
  static Instant created(HasMetadata object) {
    return parseTime(object.getMetadata().getCreationTimestamp());
  }

  static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }
}
