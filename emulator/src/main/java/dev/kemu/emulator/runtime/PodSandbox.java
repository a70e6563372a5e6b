package dev.kemu.emulator.runtime;

import dev.kemu.api.model.ResourceKey;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What the runtime holds for one pod, as the kubelet holds a pod sandbox (the network namespace
 * that owns the pod IP) and the containers started in it. Touched only on the runtime's informer
 * thread.
 */
final class PodSandbox {
  final ResourceKey key;
  final String uid;
  final String ip;
  final boolean allocated;
  final String startTime;
  final Map<String, ContainerRuntime> containers = new LinkedHashMap<>();
  final List<Workload> workloads = new ArrayList<>();
  final List<ProbeRunner> probes = new ArrayList<>();
  PodBackend backend;
  String fingerprint;
  boolean running;
  int failedStarts;
  boolean retryScheduled;

  PodSandbox(ResourceKey key, String uid, String ip, boolean allocated, String startTime) {
    this.key = key;
    this.uid = uid;
    this.ip = ip;
    this.allocated = allocated;
    this.startTime = startTime;
  }

  /** {@code ns/name ip runtime}, for logs. */
  String describe() {
    return key.namespacedName() + " " + ip + " " + (backend == null ? "none" : backend.runtime());
  }

  /** Whether every container is ready. */
  boolean allReady() {
    return running && containers.values().stream().allMatch(c -> c.ready);
  }

  /** One container's state. */
  static final class ContainerRuntime {
    final String name;
    final String image;
    final String containerId;
    boolean running;
    String startedAt;
    boolean ready;
    String waitingReason;
    String waitingMessage;

    ContainerRuntime(String name, String image, String containerId) {
      this.name = name;
      this.image = image;
      this.containerId = containerId;
    }
  }

  /**
   * Something started for the pod: an in-JVM server or a forwarder.
   *
   * @param description what it is, for logs
   * @param start binds it
   * @param stop closes it
   */
  record Workload(String description, Supplier<Future<Void>> start, Supplier<Future<Void>> stop) {}
}
