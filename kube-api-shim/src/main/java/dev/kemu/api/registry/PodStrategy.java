package dev.kemu.api.registry;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.PodValidation;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * The write path of Pods, as {@code pkg/registry/core/pod/strategy.go}: decode-time defaults, a new
 * pod starts {@code Pending} with its QoS class, and a pod's spec is immutable but for the fields
 * {@code ValidatePodUpdate} allows.
 */
final class PodStrategy implements WriteStrategy {

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    Pod pod = (Pod) object;
    PodDefaults.applyPod(pod);
    PodStatus status = new PodStatus();
    status.setPhase("Pending");
    status.setQosClass(qosClass(pod));
    pod.setStatus(status);
    Registry.reject(ResourceTypes.POD, pod, PodValidation.validate(pod));
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    Pod pod = (Pod) object;
    PodDefaults.applyPod(pod);
    Registry.reject(ResourceTypes.POD, pod, PodValidation.validateUpdate(pod, (Pod) old));
  }

  /** {@code qos.GetPodQOS}: from the CPU and memory requests and limits of the containers. */
  static String qosClass(Pod pod) {
    Map<String, BigDecimal> requests = new HashMap<>();
    Map<String, BigDecimal> limits = new HashMap<>();
    boolean guaranteed = true;
    for (Container c : PodDefaults.containers(pod.getSpec())) {
      ResourceRequirements resources = c.getResources();
      Map<String, Quantity> req = resources == null ? null : resources.getRequests();
      Map<String, Quantity> lim = resources == null ? null : resources.getLimits();
      add(requests, req);
      Set<String> found = add(limits, lim);
      if (!found.containsAll(Set.of("cpu", "memory"))) {
        guaranteed = false;
      }
    }
    if (requests.isEmpty() && limits.isEmpty()) {
      return "BestEffort";
    }
    if (guaranteed) {
      for (Map.Entry<String, BigDecimal> e : requests.entrySet()) {
        BigDecimal limit = limits.get(e.getKey());
        if (limit == null || limit.compareTo(e.getValue()) != 0) {
          guaranteed = false;
          break;
        }
      }
    }
    return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
  }

  private static Set<String> add(Map<String, BigDecimal> sums, Map<String, Quantity> list) {
    Set<String> found = new HashSet<>();
    if (list == null) {
      return found;
    }
    for (Map.Entry<String, Quantity> e : list.entrySet()) {
      if (!e.getKey().equals("cpu") && !e.getKey().equals("memory")) {
        continue;
      }
      BigDecimal amount;
      try {
        amount = e.getValue().getNumericalAmount();
      } catch (RuntimeException ex) {
        continue;
      }
      if (amount.signum() > 0) {
        sums.merge(e.getKey(), amount, BigDecimal::add);
        found.add(e.getKey());
      }
    }
    return found;
  }
}
