package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAffinity;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSelectorRequirement;
import io.fabric8.kubernetes.api.model.NodeSelectorTerm;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Toleration;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.DaemonSetSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetUpdateStrategy;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDaemonSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one pod of each DaemonSet on every Node that should run it. Mirrors {@code
 * pkg/controller/daemon} ({@code daemon_controller.go}, {@code update.go}, {@code
 * util/daemonset_util.go}):
 *
 * <ul>
 *   <li>a node should run the pod when its name, labels ({@code nodeSelector}, required node
 *       affinity) and taints admit it;
 *   <li>the pod is made from the template with {@code generateName: <ds>-}, the labels {@code
 *       controller-revision-hash} and {@code pod-template-generation}, the tolerations every daemon
 *       pod gets (not-ready and unreachable NoExecute; disk, memory and PID pressure and
 *       unschedulable NoSchedule; network-unavailable with host networking), and a required node
 *       affinity {@code metadata.name In [<node>]} in place of the template's, which is how
 *       upstream binds a daemon pod to its node through the scheduler (so {@code spec.nodeName} is
 *       left for the scheduler, here kemu's PodRuntime);
 *   <li>failed pods are replaced; extra pods on a node are deleted, oldest kept;
 *   <li>{@code RollingUpdate} replaces out-of-date pods within {@code maxUnavailable}, or with
 *       {@code maxSurge} starts the new pod first and deletes the old one once the new one is
 *       available; {@code OnDelete} waits for someone to delete them;
 *   <li>the status has desiredNumberScheduled, currentNumberScheduled, numberMisscheduled,
 *       numberReady, numberAvailable, numberUnavailable, updatedNumberScheduled and
 *       observedGeneration.
 * </ul>
 *
 * <p>The nodes are the Node objects in the store: kemu's one node, {@code kemu-node}, written by
 * {@link ClusterBootstrap}. Not modelled: ControllerRevision objects (the revision hash is the
 * template's, see {@link PodTemplateHash}), Events and the failed-pod back-off.
 */
public final class DaemonSetController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(DaemonSetController.class);

  static final String REVISION_LABEL = "controller-revision-hash";
  static final String TEMPLATE_GENERATION_LABEL = "pod-template-generation";

  private final ResourceStore store;
  private final Informer informer;
  private final WorkQueue queue;

  /** A DaemonSet controller for the store; {@link #start()} begins reconciling. */
  public DaemonSetController(ResourceStore store) {
    this.store = store;
    this.informer =
        new Informer(
            store,
            "daemonset-controller",
            List.of(DaemonSet.class, Pod.class, Node.class),
            this::sync);
    this.queue = new WorkQueue(informer);
  }

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof DaemonSet ds) {
        queue.add(ResourceKey.of(ResourceTypes.DAEMON_SET, ds));
      } else if (change.object() instanceof Pod pod) {
        enqueueOwners(pod);
        if (change.oldObject() instanceof Pod old) {
          enqueueOwners(old);
        }
      } else if (change.object() instanceof Node) {
        for (DaemonSet ds : informer.lister(DaemonSet.class).list()) {
          queue.add(ResourceKey.of(ResourceTypes.DAEMON_SET, ds));
        }
      }
    }
    queue.process(this::syncDaemonSet);
  }

  private void enqueueOwners(Pod pod) {
    String namespace = pod.getMetadata().getNamespace();
    OwnerReference ref = OwnerReferences.controllerOf(pod);
    if (ref != null) {
      if ("DaemonSet".equals(ref.getKind())) {
        queue.add(new ResourceKey(ResourceTypes.DAEMON_SET, namespace, ref.getName()));
      }
      return;
    }
    for (DaemonSet ds : informer.lister(DaemonSet.class).list(namespace)) {
      if (selector(ds).matches(pod.getMetadata().getLabels())) {
        queue.add(ResourceKey.of(ResourceTypes.DAEMON_SET, ds));
      }
    }
  }

  private static LabelSelector selector(DaemonSet ds) {
    try {
      return LabelSelector.of(ds.getSpec() == null ? null : ds.getSpec().getSelector());
    } catch (ApiException.BadRequest e) {
      return LabelSelector.nothing();
    }
  }

  // ------------------------------------------------------------------ sync

  private void syncDaemonSet(ResourceKey key) {
    DaemonSet cached =
        informer.lister(DaemonSet.class).get(key.namespace(), key.name()).orElse(null);
    if (cached == null || OwnerReferences.isDeleting(cached)) {
      return;
    }
    DaemonSet ds = withDefaults(ResourceCodec.copy(cached));
    LabelSelector selector = selector(ds);
    if (selector.isEverything()) {
      logger.warn("DaemonSet {} is selecting all pods. A non-empty selector is required.", key);
      return;
    }
    if (selector.matchesNothing()) {
      return;
    }
    Integer collisionCount = ds.getStatus() == null ? null : ds.getStatus().getCollisionCount();
    String hash = PodTemplateHash.compute(ds.getSpec().getTemplate(), collisionCount);
    List<Pod> pods =
        OwnerReferences.claim(
            store,
            ds,
            ResourceTypes.DAEMON_SET,
            Pod.class,
            informer.lister(Pod.class).list(key.namespace()),
            pod -> selector.matches(pod.getMetadata().getLabels()));
    List<Node> nodes = informer.lister(Node.class).list();

    Map<String, List<Pod>> byNode = podsByNode(pods, true);
    for (Node node : nodes) {
      manageNode(ds, node, byNode.getOrDefault(name(node), List.of()), hash);
    }
    if ("RollingUpdate".equals(ds.getSpec().getUpdateStrategy().getType())) {
      byNode = podsByNode(livePods(pods, ds), true);
      rollingUpdate(ds, nodes, byNode, hash);
    }
    updateStatus(ds, nodes, podsByNode(livePods(pods, ds), false), hash);
  }

  /** The daemon set's pods as the store has them now (after this pass's writes). */
  private List<Pod> livePods(List<Pod> claimed, DaemonSet ds) {
    List<Pod> live = new ArrayList<>();
    for (Pod pod :
        store.list(Pod.class, dev.kemu.api.store.ListOptions.inNamespace(namespace(ds)))) {
      if (OwnerReferences.isControlledBy(pod, ds.getMetadata().getUid())) {
        live.add(pod);
      }
    }
    return live;
  }

  /** apps/v1 defaults of a DaemonSet, applied to a working copy. */
  static DaemonSet withDefaults(DaemonSet ds) {
    DaemonSetSpec spec = ds.getSpec() == null ? new DaemonSetSpec() : ds.getSpec();
    ds.setSpec(spec);
    DaemonSetUpdateStrategy strategy =
        spec.getUpdateStrategy() == null ? new DaemonSetUpdateStrategy() : spec.getUpdateStrategy();
    spec.setUpdateStrategy(strategy);
    if (strategy.getType() == null || strategy.getType().isEmpty()) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      RollingUpdateDaemonSet rolling =
          strategy.getRollingUpdate() == null
              ? new RollingUpdateDaemonSet()
              : strategy.getRollingUpdate();
      strategy.setRollingUpdate(rolling);
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable(new IntOrString(1));
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge(new IntOrString(0));
      }
    }
    if (spec.getMinReadySeconds() == null) {
      spec.setMinReadySeconds(0);
    }
    if (spec.getTemplate() == null) {
      spec.setTemplate(new PodTemplateSpec());
    }
    return ds;
  }

  /**
   * {@code getNodesToDaemonPods}: pods by the node they are for ({@code spec.nodeName}, or the node
   * affinity the controller set), optionally leaving out finished pods being deleted.
   */
  private static Map<String, List<Pod>> podsByNode(List<Pod> pods, boolean includeDeletedTerminal) {
    Map<String, List<Pod>> byNode = new TreeMap<>();
    for (Pod pod : pods) {
      if (!includeDeletedTerminal && isTerminal(pod) && Pods.isTerminating(pod)) {
        continue;
      }
      String node = targetNodeName(pod);
      if (node != null) {
        byNode.computeIfAbsent(node, n -> new ArrayList<>()).add(pod);
      }
    }
    return byNode;
  }

  /** {@code GetTargetNodeName}. */
  static String targetNodeName(Pod pod) {
    PodSpec spec = pod.getSpec();
    if (spec == null) {
      return null;
    }
    if (spec.getNodeName() != null && !spec.getNodeName().isEmpty()) {
      return spec.getNodeName();
    }
    Affinity affinity = spec.getAffinity();
    if (affinity == null
        || affinity.getNodeAffinity() == null
        || affinity.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution() == null) {
      return null;
    }
    for (NodeSelectorTerm term :
        Pods.listOf(
            affinity
                .getNodeAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution()
                .getNodeSelectorTerms())) {
      for (NodeSelectorRequirement field : Pods.listOf(term.getMatchFields())) {
        if (NodePredicates.OBJECT_NAME_FIELD.equals(field.getKey())
            && "In".equals(field.getOperator())
            && Pods.listOf(field.getValues()).size() == 1) {
          return field.getValues().get(0);
        }
      }
    }
    return null;
  }

  /** {@code NodeShouldRunDaemonPod}: {shouldRun, shouldContinueRunning}. */
  static boolean[] shouldRun(DaemonSet ds, Node node) {
    // upstream NewPod: the template with the node's name and the daemon tolerations.
    PodSpec spec = newPodTemplate(ds, null, "").getSpec();
    String templateNode =
        ds.getSpec().getTemplate().getSpec() == null
            ? null
            : ds.getSpec().getTemplate().getSpec().getNodeName();
    if (templateNode != null && !templateNode.isEmpty() && !templateNode.equals(name(node))) {
      return new boolean[] {false, false};
    }
    if (!NodePredicates.fitsNodeAffinity(spec, node)) {
      return new boolean[] {false, false};
    }
    var taints = node.getSpec() == null ? null : node.getSpec().getTaints();
    boolean fitsTaints =
        !NodePredicates.hasUntoleratedTaint(
            taints,
            spec.getTolerations(),
            t -> "NoExecute".equals(t.getEffect()) || "NoSchedule".equals(t.getEffect()));
    if (!fitsTaints) {
      // A scheduled daemon pod keeps running if it tolerates the NoExecute taints.
      boolean continues =
          !NodePredicates.hasUntoleratedTaint(
              taints, spec.getTolerations(), t -> "NoExecute".equals(t.getEffect()));
      return new boolean[] {false, continues};
    }
    return new boolean[] {true, true};
  }

  private void manageNode(DaemonSet ds, Node node, List<Pod> daemonPods, String hash) {
    boolean[] should = shouldRun(ds, node);
    boolean shouldRun = should[0];
    boolean shouldContinueRunning = should[1];
    boolean exists = !daemonPods.isEmpty();
    List<Pod> toDelete = new ArrayList<>();
    if (shouldRun && !exists) {
      createPod(ds, name(node), hash);
      return;
    }
    if (shouldRun) {
      List<Pod> running = new ArrayList<>();
      for (Pod pod : daemonPods) {
        if (Pods.isTerminating(pod)) {
          continue;
        }
        String phase = Pods.phase(pod);
        if ("Failed".equals(phase)) {
          logger.info(
              "Found failed daemon pod {}/{} on node {}, will try to kill it",
              namespace(ds),
              pod.getMetadata().getName(),
              name(node));
          toDelete.add(pod);
        } else if ("Succeeded".equals(phase)) {
          toDelete.add(pod);
        } else {
          running.add(pod);
        }
      }
      running.sort(BY_CREATION_AND_PHASE);
      if (!allowsSurge(ds)) {
        for (int i = 1; i < running.size(); i++) {
          toDelete.add(running.get(i));
        }
      } else if (running.size() > 1) {
        toDelete.addAll(excessSurgePods(ds, running, hash));
      }
    } else if (!shouldContinueRunning && exists) {
      for (Pod pod : daemonPods) {
        if (!Pods.isTerminating(pod)) {
          toDelete.add(pod);
        }
      }
    }
    for (Pod pod : toDelete) {
      delete(pod);
    }
  }

  /**
   * With surge, two pods may share a node only while the oldest up-to-date pod is not available and
   * the oldest out-of-date one is; everything else goes (upstream {@code podsShouldBeOnNode}).
   */
  private List<Pod> excessSurgePods(DaemonSet ds, List<Pod> running, String hash) {
    Instant now = store.clock().instant();
    Pod oldestNew = null;
    Pod oldestOld = null;
    for (Pod pod : running) {
      if (isUpdated(pod, hash, ds)) {
        if (oldestNew == null) {
          oldestNew = pod;
        }
      } else if (oldestOld == null) {
        oldestOld = pod;
      }
    }
    List<Pod> excess = new ArrayList<>();
    int minReady = ds.getSpec().getMinReadySeconds();
    for (Pod pod : running) {
      if (pod == oldestNew) {
        continue;
      }
      if (pod == oldestOld
          && oldestNew != null
          && !Pods.isAvailable(oldestNew, minReady, now)
          && Pods.isAvailable(oldestOld, minReady, now)) {
        continue;
      }
      if (pod == oldestOld && oldestNew == null) {
        continue;
      }
      excess.add(pod);
    }
    return excess;
  }

  /** {@code rollingUpdate} of {@code update.go}, for the nodes that should run the pod. */
  private void rollingUpdate(
      DaemonSet ds, List<Node> nodes, Map<String, List<Pod>> byNode, String hash) {
    Instant now = store.clock().instant();
    int minReady = ds.getSpec().getMinReadySeconds();
    int desired = 0;
    for (Node node : nodes) {
      if (shouldRun(ds, node)[0]) {
        desired++;
      }
    }
    RollingUpdateDaemonSet rolling = ds.getSpec().getUpdateStrategy().getRollingUpdate();
    int maxSurge = IntOrPercent.scaled(rolling.getMaxSurge(), new IntOrString(0), desired, true);
    int maxUnavailable =
        IntOrPercent.scaled(rolling.getMaxUnavailable(), new IntOrString(1), desired, true);
    if (desired > 0 && maxSurge == 0 && maxUnavailable == 0) {
      maxUnavailable = 1;
    }
    int unavailable = 0;
    List<Pod> candidates = new ArrayList<>();
    for (Node node : nodes) {
      if (!shouldRun(ds, node)[0]) {
        continue;
      }
      List<Pod> pods = new ArrayList<>(byNode.getOrDefault(name(node), List.of()));
      pods.removeIf(Pods::isTerminating);
      pods.sort(BY_CREATION_AND_PHASE);
      Pod newPod = null;
      Pod oldPod = null;
      for (Pod pod : pods) {
        if (isUpdated(pod, hash, ds)) {
          newPod = newPod == null ? pod : newPod;
        } else {
          oldPod = oldPod == null ? pod : oldPod;
        }
      }
      if (maxSurge == 0) {
        if (oldPod == null) {
          if (newPod == null || !Pods.isAvailable(newPod, minReady, now)) {
            unavailable++;
          }
          continue;
        }
        if (!Pods.isAvailable(oldPod, minReady, now)) {
          // An unavailable old pod can go at once: it takes no availability with it.
          delete(oldPod);
          unavailable++;
        } else {
          candidates.add(oldPod);
        }
      } else {
        if (oldPod == null) {
          continue;
        }
        if (!Pods.isAvailable(oldPod, minReady, now)) {
          delete(oldPod);
        } else if (newPod == null) {
          createPod(ds, name(node), hash);
        } else if (Pods.isAvailable(newPod, minReady, now)) {
          delete(oldPod);
        } else if (minReady > 0 && Pods.isReady(newPod)) {
          queue.addAfter(
              ResourceKey.of(ResourceTypes.DAEMON_SET, ds), Duration.ofSeconds(minReady));
        }
      }
    }
    for (Pod pod : candidates) {
      if (unavailable >= maxUnavailable) {
        break;
      }
      delete(pod);
      unavailable++;
    }
  }

  private void createPod(DaemonSet ds, String nodeName, String hash) {
    PodTemplateSpec template = newPodTemplate(ds, ds.getMetadata().getGeneration(), hash);
    template.getSpec().setAffinity(nodeNameAffinity(template.getSpec().getAffinity(), nodeName));
    Pod pod =
        Pods.fromTemplate(
            template, ds, OwnerReferences.newControllerRef(ds, ResourceTypes.DAEMON_SET));
    try {
      store.create(pod);
    } catch (ApiException.Forbidden e) {
      // The namespace is being terminated.
      logger.debug("DaemonSet {}: {}", ds.getMetadata().getName(), e.getMessage());
    }
  }

  private void delete(Pod pod) {
    try {
      store.delete(store.keyOf(pod), DeleteOptions.DEFAULT);
    } catch (ApiException.NotFound e) {
      // Gone already.
    }
  }

  /** {@code CreatePodTemplate}: the template plus daemon tolerations and revision labels. */
  static PodTemplateSpec newPodTemplate(DaemonSet ds, Long generation, String hash) {
    PodTemplateSpec template = Pods.copy(ds.getSpec().getTemplate());
    if (template.getSpec() == null) {
      template.setSpec(new PodSpec());
    }
    addDaemonTolerations(template.getSpec());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    Map<String, String> labels =
        template.getMetadata().getLabels() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(template.getMetadata().getLabels());
    if (generation != null) {
      labels.put(TEMPLATE_GENERATION_LABEL, Long.toString(generation));
    }
    if (!hash.isEmpty()) {
      labels.put(REVISION_LABEL, hash);
    }
    template.getMetadata().setLabels(labels);
    return template;
  }

  /** {@code AddOrUpdateDaemonPodTolerations}. */
  static void addDaemonTolerations(PodSpec spec) {
    addOrUpdate(spec, "node.kubernetes.io/not-ready", "NoExecute");
    addOrUpdate(spec, "node.kubernetes.io/unreachable", "NoExecute");
    addOrUpdate(spec, "node.kubernetes.io/disk-pressure", "NoSchedule");
    addOrUpdate(spec, "node.kubernetes.io/memory-pressure", "NoSchedule");
    addOrUpdate(spec, "node.kubernetes.io/pid-pressure", "NoSchedule");
    addOrUpdate(spec, "node.kubernetes.io/unschedulable", "NoSchedule");
    if (Boolean.TRUE.equals(spec.getHostNetwork())) {
      addOrUpdate(spec, "node.kubernetes.io/network-unavailable", "NoSchedule");
    }
  }

  /** {@code AddOrUpdateTolerationInPodSpec}: replaces a toleration of the same key and effect. */
  private static void addOrUpdate(PodSpec spec, String key, String effect) {
    Toleration toleration =
        new TolerationBuilder().withKey(key).withOperator("Exists").withEffect(effect).build();
    List<Toleration> tolerations = new ArrayList<>();
    boolean updated = false;
    for (Toleration existing : Pods.listOf(spec.getTolerations())) {
      if (Objects.equals(existing.getKey(), key)
          && Objects.equals(existing.getEffect(), effect)
          && Objects.equals(existing.getOperator(), "Exists")
          && (existing.getValue() == null || existing.getValue().isEmpty())) {
        if (!updated) {
          tolerations.add(toleration);
          updated = true;
        }
        continue;
      }
      tolerations.add(existing);
    }
    if (!updated) {
      tolerations.add(toleration);
    }
    spec.setTolerations(tolerations);
  }

  /** {@code ReplaceDaemonSetPodNodeNameNodeAffinity}. */
  static Affinity nodeNameAffinity(Affinity affinity, String nodeName) {
    NodeSelectorRequirement requirement =
        new NodeSelectorRequirement(NodePredicates.OBJECT_NAME_FIELD, "In", List.of(nodeName));
    NodeSelectorTerm term = new NodeSelectorTerm(List.of(), List.of(requirement));
    Affinity result = affinity == null ? new Affinity() : affinity;
    NodeAffinity nodeAffinity =
        result.getNodeAffinity() == null ? new NodeAffinity() : result.getNodeAffinity();
    result.setNodeAffinity(nodeAffinity);
    NodeSelector required = nodeAffinity.getRequiredDuringSchedulingIgnoredDuringExecution();
    if (required == null) {
      required = new NodeSelector();
      nodeAffinity.setRequiredDuringSchedulingIgnoredDuringExecution(required);
    }
    required.setNodeSelectorTerms(new ArrayList<>(List.of(term)));
    return result;
  }

  /** {@code IsPodUpdated}: the revision hash or the template generation matches. */
  private static boolean isUpdated(Pod pod, String hash, DaemonSet ds) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    if (labels == null) {
      return false;
    }
    Long generation = ds.getMetadata().getGeneration();
    return hash.equals(labels.get(REVISION_LABEL))
        || (generation != null
            && Long.toString(generation).equals(labels.get(TEMPLATE_GENERATION_LABEL)));
  }

  private static boolean allowsSurge(DaemonSet ds) {
    DaemonSetUpdateStrategy strategy = ds.getSpec().getUpdateStrategy();
    if (!"RollingUpdate".equals(strategy.getType()) || strategy.getRollingUpdate() == null) {
      return false;
    }
    IntOrString surge = strategy.getRollingUpdate().getMaxSurge();
    return surge != null && IntOrPercent.scaled(surge, 1, true) > 0;
  }

  private void updateStatus(
      DaemonSet ds, List<Node> nodes, Map<String, List<Pod>> byNode, String hash) {
    Instant now = store.clock().instant();
    int minReady = ds.getSpec().getMinReadySeconds();
    int desired = 0;
    int current = 0;
    int misscheduled = 0;
    int ready = 0;
    int updated = 0;
    int available = 0;
    for (Node node : nodes) {
      boolean shouldRun = shouldRun(ds, node)[0];
      List<Pod> pods = new ArrayList<>(byNode.getOrDefault(name(node), List.of()));
      boolean scheduled = !pods.isEmpty();
      if (shouldRun) {
        desired++;
        if (!scheduled) {
          continue;
        }
        current++;
        pods.sort(BY_CREATION_AND_PHASE);
        Pod pod = pods.get(0);
        if (Pods.isReady(pod)) {
          ready++;
          if (Pods.isAvailable(pod, minReady, now)) {
            available++;
          }
        }
        if (isUpdated(pod, hash, ds)) {
          updated++;
        }
      } else if (scheduled) {
        misscheduled++;
      }
    }
    DaemonSetStatus old = ds.getStatus() == null ? new DaemonSetStatus() : ds.getStatus();
    DaemonSetStatus status = ResourceCodec.convert(ResourceCodec.tree(old), DaemonSetStatus.class);
    status.setObservedGeneration(ds.getMetadata().getGeneration());
    status.setDesiredNumberScheduled(desired);
    status.setCurrentNumberScheduled(current);
    status.setNumberMisscheduled(misscheduled);
    status.setNumberReady(ready);
    status.setUpdatedNumberScheduled(updated);
    status.setNumberAvailable(available);
    status.setNumberUnavailable(desired - available);
    if (!ResourceCodec.tree(status).equals(ResourceCodec.tree(old))) {
      String uid = ds.getMetadata().getUid();
      try {
        store.modifyStatus(
            DaemonSet.class,
            ResourceKey.of(ResourceTypes.DAEMON_SET, ds),
            live -> {
              if (Objects.equals(live.getMetadata().getUid(), uid)) {
                live.setStatus(status);
              }
              return live;
            });
      } catch (ApiException.NotFound e) {
        // Deleted meanwhile.
      }
    }
    if (minReady > 0 && ready == desired && available != desired) {
      queue.addAfter(ResourceKey.of(ResourceTypes.DAEMON_SET, ds), Duration.ofSeconds(minReady));
    }
  }

  /** {@code podByCreationTimestampAndPhase}: scheduled and running first, then oldest. */
  private static final Comparator<Pod> BY_CREATION_AND_PHASE =
      (a, b) -> {
        boolean aBound = a.getSpec() != null && a.getSpec().getNodeName() != null;
        boolean bBound = b.getSpec() != null && b.getSpec().getNodeName() != null;
        if (aBound != bBound) {
          return aBound ? -1 : 1;
        }
        boolean aRunning = "Running".equals(Pods.phase(a));
        boolean bRunning = "Running".equals(Pods.phase(b));
        if (aRunning != bRunning) {
          return aRunning ? -1 : 1;
        }
        Instant ca = Objects.requireNonNullElse(Pods.created(a), Instant.MIN);
        Instant cb = Objects.requireNonNullElse(Pods.created(b), Instant.MIN);
        int byTime = ca.compareTo(cb);
        return byTime != 0
            ? byTime
            : a.getMetadata().getName().compareTo(b.getMetadata().getName());
      };

  private static boolean isTerminal(Pod pod) {
    String phase = Pods.phase(pod);
    return "Failed".equals(phase) || "Succeeded".equals(phase);
  }

  private static String name(Node node) {
    return node.getMetadata().getName();
  }

  private static String namespace(DaemonSet ds) {
    return ds.getMetadata().getNamespace();
  }

  // ------------------------------------------------------------------ StoreReader

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
