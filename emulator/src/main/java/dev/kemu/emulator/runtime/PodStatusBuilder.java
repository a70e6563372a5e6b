package dev.kemu.emulator.runtime;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerState;
import io.fabric8.kubernetes.api.model.ContainerStateRunning;
import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodReadinessGate;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Quantity;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a pod's status from what the runtime holds, as the kubelet's {@code generateAPIPodStatus}
 * does ({@code pkg/kubelet/kubelet_pods.go}, {@code pkg/kubelet/status/generate.go}): phase, pod
 * and host IPs, start time, QoS class, the conditions {@code PodReadyToStartContainers}, {@code
 * Initialized}, {@code Ready}, {@code ContainersReady} and {@code PodScheduled} (each keeping its
 * {@code lastTransitionTime} while its status holds), and one status per container. Conditions
 * other components own (readiness gates, {@code DisruptionTarget}) are kept.
 */
final class PodStatusBuilder {
  static final String POD_READY_TO_START_CONTAINERS = "PodReadyToStartContainers";
  static final String INITIALIZED = "Initialized";
  static final String READY = "Ready";
  static final String CONTAINERS_READY = "ContainersReady";
  static final String POD_SCHEDULED = "PodScheduled";
  private static final Set<String> OWNED =
      Set.of(POD_READY_TO_START_CONTAINERS, INITIALIZED, READY, CONTAINERS_READY, POD_SCHEDULED);

  private PodStatusBuilder() {}

  /**
   * The status to write.
   *
   * @param pod the pod as stored (its status gives the conditions' transition times)
   * @param sandbox what the runtime holds for it
   * @param hostIp the node's address
   * @param now the current time, RFC 3339
   */
  static PodStatus build(Pod pod, PodSandbox sandbox, String hostIp, String now) {
    PodStatus old = pod.getStatus() == null ? new PodStatus() : pod.getStatus();
    Map<String, PodCondition> previous = new HashMap<>();
    for (PodCondition condition : listOf(old.getConditions())) {
      previous.put(condition.getType(), condition);
    }
    PodStatus status = new PodStatus();
    status.setPhase(sandbox.running ? "Running" : "Pending");
    status.setHostIP(hostIp);
    status.setHostIPs(List.of(new HostIP(hostIp)));
    if (sandbox.ip != null) {
      status.setPodIP(sandbox.ip);
      status.setPodIPs(List.of(new PodIP(sandbox.ip)));
    }
    status.setStartTime(old.getStartTime() != null ? old.getStartTime() : sandbox.startTime);
    status.setQosClass(qosClass(pod));

    List<String> unready = new ArrayList<>();
    for (PodSandbox.ContainerRuntime container : sandbox.containers.values()) {
      if (!container.ready) {
        unready.add(container.name);
      }
    }
    boolean containersReady = sandbox.running && unready.isEmpty();
    String containersMessage =
        "containers with unready status: [" + String.join(" ", unready) + "]";

    List<String> gateProblems = new ArrayList<>();
    if (pod.getSpec().getReadinessGates() != null) {
      for (PodReadinessGate gate : pod.getSpec().getReadinessGates()) {
        PodCondition condition = previous.get(gate.getConditionType());
        if (condition == null) {
          gateProblems.add(
              "corresponding condition of pod readiness gate \""
                  + gate.getConditionType()
                  + "\" does not exist.");
        } else if (!"True".equals(condition.getStatus())) {
          gateProblems.add(
              "the status of pod readiness gate \""
                  + gate.getConditionType()
                  + "\" is not \"True\", but "
                  + condition.getStatus());
        }
      }
    }

    List<PodCondition> conditions = new ArrayList<>();
    conditions.add(condition(previous, POD_READY_TO_START_CONTAINERS, true, null, null, now));
    conditions.add(condition(previous, INITIALIZED, true, null, null, now));
    if (!containersReady) {
      conditions.add(
          condition(previous, READY, false, "ContainersNotReady", containersMessage, now));
    } else if (!gateProblems.isEmpty()) {
      conditions.add(
          condition(
              previous,
              READY,
              false,
              "ReadinessGatesNotReady",
              String.join(", ", gateProblems),
              now));
    } else {
      conditions.add(condition(previous, READY, true, null, null, now));
    }
    conditions.add(
        containersReady
            ? condition(previous, CONTAINERS_READY, true, null, null, now)
            : condition(
                previous, CONTAINERS_READY, false, "ContainersNotReady", containersMessage, now));
    conditions.add(condition(previous, POD_SCHEDULED, true, null, null, now));
    for (PodCondition other : listOf(old.getConditions())) {
      if (!OWNED.contains(other.getType())) {
        conditions.add(other);
      }
    }
    status.setConditions(conditions);

    List<ContainerStatus> containerStatuses = new ArrayList<>();
    for (PodSandbox.ContainerRuntime container : sandbox.containers.values()) {
      containerStatuses.add(containerStatus(container));
    }
    status.setContainerStatuses(containerStatuses);
    List<ContainerStatus> initStatuses = new ArrayList<>();
    for (Container init : listOf(pod.getSpec().getInitContainers())) {
      initStatuses.add(initContainerStatus(sandbox, init));
    }
    if (!initStatuses.isEmpty()) {
      status.setInitContainerStatuses(initStatuses);
    }
    return status;
  }

  private static PodCondition condition(
      Map<String, PodCondition> previous,
      String type,
      boolean value,
      String reason,
      String message,
      String now) {
    String status = value ? "True" : "False";
    PodCondition before = previous.get(type);
    String transition =
        before != null
                && status.equals(before.getStatus())
                && before.getLastTransitionTime() != null
            ? before.getLastTransitionTime()
            : now;
    PodCondition condition = new PodCondition();
    condition.setType(type);
    condition.setStatus(status);
    condition.setLastTransitionTime(transition);
    condition.setReason(reason);
    condition.setMessage(message);
    return condition;
  }

  private static ContainerStatus containerStatus(PodSandbox.ContainerRuntime container) {
    ContainerStatus status = new ContainerStatus();
    status.setName(container.name);
    status.setImage(container.image);
    status.setReady(container.ready);
    status.setRestartCount(0);
    status.setStarted(container.running);
    status.setLastState(new ContainerState());
    ContainerState state = new ContainerState();
    if (container.running) {
      status.setImageID(container.image);
      status.setContainerID(container.containerId);
      state.setRunning(new ContainerStateRunning(container.startedAt));
    } else {
      status.setImageID("");
      state.setWaiting(
          new ContainerStateWaiting(container.waitingMessage, container.waitingReason));
    }
    status.setState(state);
    return status;
  }

  /**
   * kemu runs no init containers: the pod's backend stands for the whole pod, so they are reported
   * as completed when the sandbox started, with a message that says so.
   */
  private static ContainerStatus initContainerStatus(PodSandbox sandbox, Container init) {
    String image = ImageReference.parse(init.getImage()).normalized();
    String containerId = ContainerIds.of(sandbox.uid, init.getName());
    ContainerStatus status = new ContainerStatus();
    status.setName(init.getName());
    status.setImage(image);
    status.setImageID(image);
    status.setContainerID(containerId);
    status.setReady(true);
    status.setStarted(false);
    status.setRestartCount(0);
    status.setLastState(new ContainerState());
    ContainerStateTerminated terminated = new ContainerStateTerminated();
    terminated.setContainerID(containerId);
    terminated.setExitCode(0);
    terminated.setReason("Completed");
    terminated.setMessage("not run by kemu: the pod's backend stands for its init containers");
    terminated.setStartedAt(sandbox.startTime);
    terminated.setFinishedAt(sandbox.startTime);
    ContainerState state = new ContainerState();
    state.setTerminated(terminated);
    status.setState(state);
    return status;
  }

  /**
   * The QoS class, as {@code GetPodQOS} ({@code pkg/apis/core/helper/qos}) computes it: requests
   * default to limits (API defaulting); BestEffort without any CPU or memory request or limit,
   * Guaranteed when every container limits both and requests equal limits, Burstable otherwise.
   */
  static String qosClass(Pod pod) {
    Map<String, BigDecimal> requests = new HashMap<>();
    Map<String, BigDecimal> limits = new HashMap<>();
    boolean guaranteed = true;
    List<Container> all = new ArrayList<>(listOf(pod.getSpec().getContainers()));
    all.addAll(listOf(pod.getSpec().getInitContainers()));
    for (Container container : all) {
      Map<String, Quantity> containerLimits =
          container.getResources() == null ? Map.of() : mapOf(container.getResources().getLimits());
      Map<String, Quantity> containerRequests =
          new HashMap<>(
              container.getResources() == null
                  ? Map.of()
                  : mapOf(container.getResources().getRequests()));
      containerLimits.forEach(containerRequests::putIfAbsent);
      for (String resource : List.of("cpu", "memory")) {
        BigDecimal request = amount(containerRequests.get(resource));
        if (request.signum() > 0) {
          requests.merge(resource, request, BigDecimal::add);
        }
      }
      int limited = 0;
      for (String resource : List.of("cpu", "memory")) {
        BigDecimal limit = amount(containerLimits.get(resource));
        if (limit.signum() > 0) {
          limited++;
          limits.merge(resource, limit, BigDecimal::add);
        }
      }
      if (limited < 2) {
        guaranteed = false;
      }
    }
    if (requests.isEmpty() && limits.isEmpty()) {
      return "BestEffort";
    }
    if (guaranteed) {
      for (var request : requests.entrySet()) {
        BigDecimal limit = limits.get(request.getKey());
        if (limit == null || limit.compareTo(request.getValue()) != 0) {
          guaranteed = false;
          break;
        }
      }
    }
    return guaranteed && requests.size() == limits.size() ? "Guaranteed" : "Burstable";
  }

  private static BigDecimal amount(Quantity quantity) {
    return quantity == null ? BigDecimal.ZERO : Quantity.getAmountInBytes(quantity);
  }

  private static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }

  private static <K, V> Map<K, V> mapOf(Map<K, V> map) {
    return map == null ? Map.of() : Objects.requireNonNullElse(map, Map.of());
  }
}
