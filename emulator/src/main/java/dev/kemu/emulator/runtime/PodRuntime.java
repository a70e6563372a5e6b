package dev.kemu.emulator.runtime;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.AlreadyAllocatedException;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.registry.NotInRangeException;
import dev.kemu.api.registry.RangeFullException;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.fixtures.echo.EchoServer;
import dev.kemu.fixtures.workload.ContainerConfigException;
import dev.kemu.fixtures.workload.ContainerContext;
import dev.kemu.fixtures.workload.ContainerEnvironment;
import dev.kemu.fixtures.workload.EnvSources;
import dev.kemu.proxy.forward.TcpForwarder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The kubelet of kemu's one node: it takes every pod bound to the node (or to no node yet), gives
 * it an IP from the pod CIDR, runs what stands behind it, probes its readiness and writes its
 * status; it tears the pod down when the pod is deleted. DESIGN "Workloads" lists the backends:
 *
 * <ul>
 *   <li><b>in-JVM</b>: every container's image is {@code kemu/echo} (any registry, any tag): an
 *       {@link EchoServer} per container, bound to the pod IP on the container's ports, with the
 *       environment the kubelet would give it;
 *   <li><b>forwarded</b>: annotation {@code kemu.dev/backend: host:port} (on the pod, or on a
 *       template that copies it to its pods): a {@link TcpForwarder} on podIP:containerPort for
 *       each TCP containerPort, to that address (or, with no TCP containerPort, on the backend's
 *       port); {@code kemu.dev/backend: "http=localhost:8080,9090=localhost:9091"} forwards ports
 *       by name or number;
 *   <li><b>bound</b>: {@code kemu.dev/backend: bound}: nothing of kemu's listens; the user's
 *       process binds the pod IP it reads from {@code status.podIP};
 *   <li>otherwise the pod stays {@code Pending}, its containers waiting with reason {@code
 *       NoRuntime} and a message that says how to back it.
 * </ul>
 *
 * <p>What the kubelet does and kemu mirrors:
 *
 * <ul>
 *   <li><b>Scheduling</b>: a pod without {@code spec.nodeName} is bound to {@link
 *       AddressPlan#nodeName()} first. The apiserver does that through the {@code pods/binding}
 *       subresource; kemu writes {@code spec.nodeName} with a store read-modify-write, so a pod
 *       validation that made {@code spec.nodeName} immutable would have to let the runtime through.
 *       Pods bound to another node are left alone (no kubelet of kemu's runs them).
 *   <li><b>IPs</b>: lowest free address of the pod CIDR after the gateway ({@code .1}, as kind's
 *       host-local IPAM), so the same order of pods gives the same IPs; a pod that already has an
 *       IP in the range keeps it. {@code hostNetwork} pods use the node address.
 *   <li><b>Status</b>, written before the sync that saw the pod returns (so {@code Cluster.apply}
 *       sees Running pods): phase, {@code podIP(s)}, {@code hostIP(s)}, {@code startTime}, {@code
 *       qosClass}, the conditions {@code PodReadyToStartContainers}, {@code Initialized}, {@code
 *       Ready}, {@code ContainersReady}, {@code PodScheduled}, and per container {@code image},
 *       {@code imageID}, {@code containerID} ({@code kemu://...}), {@code ready}, {@code started},
 *       {@code restartCount} and {@code state}. See {@link PodStatusBuilder}.
 *   <li><b>Readiness</b>: without a readiness probe a running container is ready; with an {@code
 *       httpGet} or {@code tcpSocket} probe it is unready until the probe has succeeded {@code
 *       successThreshold} times, and unready again after {@code failureThreshold} failures ({@link
 *       ProbeRunner}). Probes target the pod IP, so a forwarded pod is probed through its forwarder
 *       and reaches the real backend. kemu cannot run {@code exec} (or {@code grpc}) probes: such a
 *       container counts as ready as if it had no probe, and the runtime logs a warning saying so
 *       (a container that never became ready would keep a working backend out of its Services).
 *       Liveness and startup probes are not run.
 *   <li><b>Failures</b> as the kubelet reports them: {@code CreateContainerConfigError} (a missing
 *       ConfigMap, Secret or key; a malformed {@code kemu.dev/backend}), {@code RunContainerError}
 *       (a port that cannot be bound, retried with a back-off from 10s to 5 minutes); a pending pod
 *       is tried again when it changes, or when a ConfigMap or Secret of its namespace does.
 *   <li><b>Deletion</b>: a pod with a {@code deletionTimestamp} has its workloads stopped (sockets
 *       closed, connections dropped), its IP released, and is then deleted with a zero grace
 *       period, as the kubelet confirms a terminated pod. A pod that disappears from the store is
 *       stopped likewise.
 *   <li>Init containers are not run: the pod's backend stands for the whole pod, so they are
 *       reported as completed. A running pod's spec changes (a new image) do not restart it.
 * </ul>
 *
 * <p>Everything the runtime holds lives on its informer's thread; servers bind and probes run on
 * Vert.x event loops, and the informer thread waits for binds, never an event loop. {@link
 * #close()} stops every workload and probe and releases every IP.
 */
public final class PodRuntime implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(PodRuntime.class);

  /**
   * The annotation that chooses a pod's backend: {@code host:port}, a port map, or {@code bound}.
   */
  public static final String BACKEND_ANNOTATION = PodBackend.ANNOTATION;

  private static final Duration SOCKET_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration FIRST_RETRY = Duration.ofSeconds(10);
  private static final Duration MAX_RETRY = Duration.ofMinutes(5);

  private final ResourceStore store;
  private final AddressPlan plan;
  private final Vertx vertx;
  private final Informer informer;
  private final IpAllocator ips;
  private final ContainerEnvironment environment;
  private final HttpClient probeHttp;
  private final HttpClient probeHttps;
  private final NetClient probeTcp;
  private final Map<String, PodSandbox> sandboxes = new HashMap<>();
  private volatile boolean closed;

  /**
   * A runtime for the node of an address plan.
   *
   * @param store the store whose pods it runs
   * @param plan the node's name and address and the pod CIDR
   * @param vertx the Vert.x instance whose event loops serve workloads and probes
   */
  public PodRuntime(ResourceStore store, AddressPlan plan, Vertx vertx) {
    this.store = Objects.requireNonNull(store);
    this.plan = Objects.requireNonNull(plan);
    this.vertx = Objects.requireNonNull(vertx);
    this.informer =
        new Informer(
            store, "pod-runtime", List.of(Pod.class, ConfigMap.class, Secret.class), this::sync);
    // Offset 1 is the pod network's gateway, as with kind's host-local IPAM: pods start at .2.
    this.ips = new IpAllocator(plan.podCidr(), 1);
    this.environment =
        new ContainerEnvironment(
            new EnvSources() {
              @Override
              public Optional<ConfigMap> configMap(String namespace, String name) {
                return informer.lister(ConfigMap.class).get(namespace, name);
              }

              @Override
              public Optional<Secret> secret(String namespace, String name) {
                return informer.lister(Secret.class).get(namespace, name);
              }
            });
    String probeSource = probeSourceAddress(plan);
    HttpClientOptions http = new HttpClientOptions().setKeepAlive(false).setMaxRedirects(0);
    HttpClientOptions https =
        new HttpClientOptions(http).setSsl(true).setTrustAll(true).setVerifyHost(false);
    NetClientOptions tcp = new NetClientOptions();
    if (probeSource != null) {
      http.setLocalAddress(probeSource);
      https.setLocalAddress(probeSource);
      tcp.setLocalAddress(probeSource);
    }
    this.probeHttp = vertx.createHttpClient(http, new PoolOptions().setHttp1MaxSize(64));
    this.probeHttps = vertx.createHttpClient(https, new PoolOptions().setHttp1MaxSize(64));
    this.probeTcp = vertx.createNetClient(tcp);
  }

  /** Probes come from the node, as the kubelet's do, when the node address can be a source. */
  private static String probeSourceAddress(AddressPlan plan) {
    InetAddress node = IpLiterals.parse(plan.nodeAddress());
    if (node == null
        || node.getAddress().length != plan.podCidr().base().getAddress().length
        || node.isAnyLocalAddress()) {
      return null;
    }
    return IpLiterals.format(node);
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

  /** Stops every workload and probe, releases every IP and stops following the store. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    CompletableFuture<Void> stopped = new CompletableFuture<>();
    try {
      informer.execute(
          () -> {
            try {
              for (PodSandbox sandbox : List.copyOf(sandboxes.values())) {
                stop(sandbox, "runtime closed");
              }
            } finally {
              stopped.complete(null);
            }
          });
      stopped.get(SOCKET_TIMEOUT.toSeconds() * 2, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      logger.warn("pod-runtime: stopping workloads failed", e);
    } finally {
      informer.close();
      await(Future.join(probeHttp.close(), probeHttps.close(), probeTcp.close()), "probe clients");
    }
  }

  // ---------------------------------------------------------------- sync (informer thread)

  private void sync(List<ObjectChange> changes) {
    if (closed) {
      return;
    }
    Set<String> pods = new LinkedHashSet<>();
    Set<String> configNamespaces = new LinkedHashSet<>();
    for (ObjectChange change : changes) {
      HasMetadata object = change.object();
      if (object instanceof Pod) {
        pods.add(keyOf(object));
      } else {
        configNamespaces.add(object.getMetadata().getNamespace());
      }
    }
    for (String key : pods) {
      reconcile(key, false);
    }
    if (!configNamespaces.isEmpty()) {
      // A ConfigMap or Secret a waiting pod needs may have appeared.
      for (PodSandbox sandbox : List.copyOf(sandboxes.values())) {
        if (!sandbox.running
            && configNamespaces.contains(sandbox.key.namespace())
            && !pods.contains(sandbox.key.namespacedName())) {
          reconcile(sandbox.key.namespacedName(), true);
        }
      }
    }
  }

  private void reconcile(String key, boolean force) {
    int slash = key.indexOf('/');
    Pod pod =
        informer
            .lister(Pod.class)
            .get(key.substring(0, slash), key.substring(slash + 1))
            .orElse(null);
    try {
      reconcile(key, pod, force);
    } catch (RuntimeException e) {
      // One pod's trouble must not stop the others (or replay the whole batch).
      logger.error("pod {}: runtime failed", key, e);
    }
  }

  private void reconcile(String key, Pod pod, boolean force) {
    PodSandbox held = sandboxes.get(key);
    if (pod == null) {
      if (held != null) {
        stop(held, "deleted");
      }
      return;
    }
    String uid = pod.getMetadata().getUid();
    if (held != null && !held.uid.equals(uid)) {
      stop(held, "replaced");
      held = null;
    }
    String nodeName = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    boolean ours = isBlank(nodeName) || nodeName.equals(plan.nodeName());
    if (!ours) {
      if (held != null) {
        stop(held, "bound to node " + nodeName);
      }
      return;
    }
    if (pod.getMetadata().getDeletionTimestamp() != null) {
      if (held != null) {
        stop(held, "deleted");
      }
      if (!isBlank(nodeName)) {
        confirmDeletion(pod);
      }
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      if (held != null) {
        stop(held, "terminated");
      }
      return;
    }
    if (held == null) {
      start(pod, null);
    } else if (!held.running && (force || !held.fingerprint.equals(fingerprint(pod)))) {
      stopWorkloads(held);
      start(pod, held);
    }
  }

  /** The kubelet's last word on a terminated pod: delete it with no grace period. */
  private void confirmDeletion(Pod pod) {
    ResourceKey key = podKey(pod);
    try {
      store.delete(key, new DeleteOptions(0L, pod.getMetadata().getUid(), null, null, false));
    } catch (ApiException.NotFound | ApiException.Conflict e) {
      // Gone already, or replaced by a new pod of the same name.
    }
  }

  // ---------------------------------------------------------------- start

  private void start(Pod pod, PodSandbox previous) {
    ResourceKey key = podKey(pod);
    String uid = pod.getMetadata().getUid();
    if (isBlank(pod.getSpec().getNodeName())) {
      pod = schedule(key, uid);
      if (pod == null) {
        return;
      }
    }
    String now = ResourceStore.timestamp(store.clock().instant());
    String ip;
    boolean allocated;
    String allocationError = null;
    if (previous != null && previous.ip != null) {
      ip = previous.ip;
      allocated = previous.allocated;
    } else if (Boolean.TRUE.equals(pod.getSpec().getHostNetwork())) {
      ip = plan.nodeAddress();
      allocated = false;
    } else {
      String chosen;
      try {
        chosen = allocateIp(pod);
      } catch (RangeFullException e) {
        chosen = null;
        allocationError =
            "failed to allocate a pod IP: the pod CIDR " + plan.podCidr() + " is full";
      }
      ip = chosen;
      allocated = chosen != null;
    }
    String startTime =
        previous != null
            ? previous.startTime
            : pod.getStatus() != null && pod.getStatus().getStartTime() != null
                ? pod.getStatus().getStartTime()
                : now;
    PodSandbox sandbox = new PodSandbox(key, uid, ip, allocated, startTime);
    sandbox.fingerprint = fingerprint(pod);
    sandbox.failedStarts = previous == null ? 0 : previous.failedStarts;
    sandboxes.put(key.namespacedName(), sandbox);
    PodBackend backend =
        allocationError != null
            ? new PodBackend.Unbacked("ContainerCreating", allocationError)
            : PodBackend.of(pod);
    sandbox.backend = backend;
    for (Container container : pod.getSpec().getContainers()) {
      sandbox.containers.put(
          container.getName(),
          new PodSandbox.ContainerRuntime(
              container.getName(),
              ImageReference.parse(container.getImage()).normalized(),
              ContainerIds.of(uid, container.getName())));
    }

    Map<String, String> failures = new LinkedHashMap<>();
    if (backend instanceof PodBackend.Unbacked unbacked) {
      for (PodSandbox.ContainerRuntime container : sandbox.containers.values()) {
        waiting(container, unbacked.reason(), unbacked.message());
      }
    } else if (backend instanceof PodBackend.InJvm) {
      startEcho(pod, sandbox, failures);
    } else if (backend instanceof PodBackend.Forwarded forwarded) {
      startForwards(sandbox, forwarded, failures);
    }
    // PodBackend.Bound: nothing listens, the user's process binds the pod IP.
    for (Container container : pod.getSpec().getContainers()) {
      PodSandbox.ContainerRuntime runtime = sandbox.containers.get(container.getName());
      if (runtime.waitingReason != null) {
        continue;
      }
      runtime.running = true;
      runtime.startedAt = now;
      runtime.ready = true;
      Probe probe = container.getReadinessProbe();
      if (probe != null) {
        String unsupported = ProbeSpec.unsupported(probe);
        if (unsupported != null) {
          logger.warn(
              "pod {} container {}: readinessProbe: {}; the container counts as ready, as without"
                  + " a probe",
              key.namespacedName(),
              container.getName(),
              unsupported);
        } else {
          runtime.ready = false;
          sandbox.probes.add(probeRunner(sandbox, container, ProbeSpec.of(probe, container, ip)));
        }
      }
    }
    sandbox.running = sandbox.containers.values().stream().allMatch(c -> c.running);
    if (!failures.isEmpty()) {
      // Containers that did not start are not served; what did start of this pod is closed too,
      // and the whole pod is tried again later (the kubelet's back-off).
      stopWorkloads(sandbox);
      sandbox.running = false;
      for (PodSandbox.ContainerRuntime container : sandbox.containers.values()) {
        container.running = false;
        container.ready = false;
        if (container.waitingReason == null) {
          String message = failures.getOrDefault(container.name, failures.get(""));
          waiting(
              container,
              "RunContainerError",
              message != null ? message : String.join("; ", failures.values()));
        }
      }
      scheduleRetry(sandbox);
    }
    if (allocationError != null) {
      scheduleRetry(sandbox);
    }
    writeStatus(sandbox);
    if (sandbox.running) {
      sandbox.failedStarts = 0;
      logger.info("pod {} started", sandbox.describe());
      sandbox.probes.forEach(ProbeRunner::start);
    } else {
      PodSandbox.ContainerRuntime first =
          sandbox.containers.values().stream()
              .filter(c -> c.waitingReason != null)
              .findFirst()
              .orElse(null);
      logger.warn(
          "pod {} waiting: {}: {}",
          sandbox.describe(),
          first == null ? "" : first.waitingReason,
          first == null ? "" : first.waitingMessage);
    }
  }

  private Pod schedule(ResourceKey key, String uid) {
    try {
      return store.modify(
          Pod.class,
          key,
          current -> {
            if (uid.equals(current.getMetadata().getUid())
                && isBlank(current.getSpec().getNodeName())) {
              current.getSpec().setNodeName(plan.nodeName());
            }
            return current;
          });
    } catch (ApiException.NotFound e) {
      return null;
    }
  }

  private String allocateIp(Pod pod) {
    String existing = pod.getStatus() == null ? null : pod.getStatus().getPodIP();
    InetAddress address = existing == null ? null : IpLiterals.parse(existing);
    if (address != null && plan.podCidr().contains(address)) {
      try {
        ips.allocate(address);
        return IpLiterals.format(address);
      } catch (AlreadyAllocatedException | NotInRangeException e) {
        // Taken by another pod meanwhile, or the network address: take a new one.
      }
    }
    return IpLiterals.format(ips.allocateNext());
  }

  private void startEcho(Pod pod, PodSandbox sandbox, Map<String, String> failures) {
    List<String> podIps = List.of(sandbox.ip);
    List<String> hostIps = List.of(plan.nodeAddress());
    List<Future<?>> binds = new ArrayList<>();
    List<String> owners = new ArrayList<>();
    for (Container container : pod.getSpec().getContainers()) {
      PodSandbox.ContainerRuntime runtime = sandbox.containers.get(container.getName());
      EchoServer echo;
      try {
        echo =
            new EchoServer(
                vertx, ContainerContext.of(pod, container, podIps, hostIps, environment));
      } catch (ContainerConfigException e) {
        waiting(runtime, "CreateContainerConfigError", e.getMessage());
        continue;
      } catch (IllegalArgumentException e) {
        waiting(runtime, "RunContainerError", e.getMessage());
        continue;
      }
      PodSandbox.Workload workload =
          new PodSandbox.Workload("kemu/echo " + container.getName(), echo::start, echo::stop);
      sandbox.workloads.add(workload);
      binds.add(workload.start().get());
      owners.add(container.getName());
    }
    awaitBinds(binds, owners, failures);
  }

  private void startForwards(
      PodSandbox sandbox, PodBackend.Forwarded forwarded, Map<String, String> failures) {
    for (String ignored : forwarded.ignored()) {
      logger.warn("pod {}: {}", sandbox.key.namespacedName(), ignored);
    }
    List<Future<?>> binds = new ArrayList<>();
    List<String> owners = new ArrayList<>();
    for (PodBackend.PortForward forward : forwarded.forwards()) {
      TcpForwarder forwarder =
          TcpForwarder.to(
              vertx,
              SocketAddress.inetSocketAddress(forward.port(), sandbox.ip),
              SocketAddress.inetSocketAddress(forward.targetPort(), forward.host()));
      PodSandbox.Workload workload =
          new PodSandbox.Workload("forward " + forward, forwarder::start, forwarder::stop);
      sandbox.workloads.add(workload);
      binds.add(workload.start().get());
      // A forward belongs to the whole pod.
      owners.add("");
    }
    awaitBinds(binds, owners, failures);
  }

  /**
   * Waits (on the informer thread, never an event loop) for binds, collecting failures by owner.
   */
  private void awaitBinds(
      List<Future<?>> binds, List<String> owners, Map<String, String> failures) {
    await(Future.join(binds), "binds");
    for (int i = 0; i < binds.size(); i++) {
      Future<?> bind = binds.get(i);
      if (!bind.isComplete()) {
        failures.merge(owners.get(i), "bind timed out", (a, b) -> a + "; " + b);
      } else if (bind.failed()) {
        String message =
            Objects.requireNonNullElse(bind.cause().getMessage(), bind.cause().toString());
        failures.merge(owners.get(i), message, (a, b) -> a + "; " + b);
      }
    }
  }

  private void scheduleRetry(PodSandbox sandbox) {
    if (sandbox.retryScheduled) {
      return;
    }
    sandbox.retryScheduled = true;
    long seconds =
        Math.min(
            MAX_RETRY.toSeconds(),
            FIRST_RETRY.toSeconds() << Math.min(10, Math.max(0, sandbox.failedStarts)));
    sandbox.failedStarts++;
    String key = sandbox.key.namespacedName();
    informer.schedule(
        () -> {
          if (closed || sandboxes.get(key) != sandbox) {
            return;
          }
          sandbox.retryScheduled = false;
          reconcile(key, true);
        },
        Duration.ofSeconds(seconds));
  }

  private ProbeRunner probeRunner(PodSandbox sandbox, Container container, ProbeSpec spec) {
    String key = sandbox.key.namespacedName();
    String uid = sandbox.uid;
    String name = container.getName();
    return new ProbeRunner(
        vertx,
        probeHttp,
        probeHttps,
        probeTcp,
        spec,
        (ready, message) -> {
          if (!closed) {
            try {
              informer.execute(() -> applyProbeResult(key, uid, name, ready, message));
            } catch (RejectedExecutionException e) {
              // Closing.
            }
          }
        });
  }

  private void applyProbeResult(
      String key, String uid, String containerName, boolean ready, String message) {
    PodSandbox sandbox = sandboxes.get(key);
    if (closed || sandbox == null || !sandbox.uid.equals(uid) || !sandbox.running) {
      return;
    }
    PodSandbox.ContainerRuntime container = sandbox.containers.get(containerName);
    if (container == null) {
      return;
    }
    if (ready) {
      logger.info("pod {} container {} ready", key, containerName);
    } else {
      // The kubelet's Warning event: "Readiness probe failed: ...".
      logger.info(
          "pod {} container {} not ready: Readiness probe failed: {}", key, containerName, message);
    }
    if (container.ready != ready) {
      container.ready = ready;
      writeStatus(sandbox);
    }
  }

  private void writeStatus(PodSandbox sandbox) {
    String now = ResourceStore.timestamp(store.clock().instant());
    try {
      store.modifyStatus(
          Pod.class,
          sandbox.key,
          pod -> {
            if (sandbox.uid.equals(pod.getMetadata().getUid())) {
              pod.setStatus(PodStatusBuilder.build(pod, sandbox, plan.nodeAddress(), now));
            }
            return pod;
          });
    } catch (ApiException.NotFound e) {
      // Deleted meanwhile: the next sync stops it.
    }
  }

  private static void waiting(
      PodSandbox.ContainerRuntime container, String reason, String message) {
    container.running = false;
    container.ready = false;
    container.waitingReason = reason;
    container.waitingMessage = message;
  }

  // ---------------------------------------------------------------- stop

  private void stop(PodSandbox sandbox, String why) {
    stopWorkloads(sandbox);
    if (sandbox.allocated) {
      ips.release(IpLiterals.parse(sandbox.ip));
    }
    sandboxes.remove(sandbox.key.namespacedName(), sandbox);
    logger.info("pod {} stopped ({})", sandbox.describe(), why);
  }

  private void stopWorkloads(PodSandbox sandbox) {
    sandbox.probes.forEach(ProbeRunner::stop);
    sandbox.probes.clear();
    List<Future<?>> stops = new ArrayList<>();
    for (PodSandbox.Workload workload : sandbox.workloads) {
      stops.add(workload.stop().get());
    }
    sandbox.workloads.clear();
    await(Future.join(stops), "stopping " + sandbox.key.namespacedName());
  }

  // ---------------------------------------------------------------- helpers

  /** Waits for a Vert.x future from a thread that is not an event loop. */
  private static void await(Future<?> future, String what) {
    try {
      future
          .toCompletionStage()
          .toCompletableFuture()
          .get(SOCKET_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // Each future's own failure is looked at by the caller.
    } catch (TimeoutException e) {
      logger.warn("pod-runtime: {} did not finish within {}", what, SOCKET_TIMEOUT);
    }
  }

  /**
   * What decides whether a waiting pod is worth trying again: its spec (but the node binding the
   * runtime writes itself) and its backend annotation.
   */
  private static String fingerprint(Pod pod) {
    ObjectNode spec = (ObjectNode) ResourceCodec.tree(pod.getSpec());
    spec.remove("nodeName");
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String backend = annotations == null ? null : annotations.get(PodBackend.ANNOTATION);
    return spec + "|" + backend;
  }

  private static ResourceKey podKey(Pod pod) {
    return new ResourceKey(
        ResourceTypes.POD, pod.getMetadata().getNamespace(), pod.getMetadata().getName());
  }

  private static String keyOf(HasMetadata object) {
    return object.getMetadata().getNamespace() + "/" + object.getMetadata().getName();
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }
}
