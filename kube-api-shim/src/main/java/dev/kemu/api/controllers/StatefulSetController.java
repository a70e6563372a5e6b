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
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.apps.StatefulSetSpec;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetUpdateStrategy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives each StatefulSet its pods {@code <name>-<ordinal>}. Mirrors {@code
 * pkg/controller/statefulset} ({@code stateful_set_control.go}, {@code stateful_set_utils.go}):
 *
 * <ul>
 *   <li>each pod gets {@code spec.hostname = <pod name>} and {@code spec.subdomain =
 *       spec.serviceName} (so the headless Service gives it a DNS name), the labels {@code
 *       statefulset.kubernetes.io/pod-name}, {@code apps.kubernetes.io/pod-index} and {@code
 *       controller-revision-hash}, and a controller reference to the set;
 *   <li>with {@code podManagementPolicy: OrderedReady} (the default) pods are created one at a time
 *       in ordinal order, each once its predecessors are Running and Ready (and available for
 *       {@code minReadySeconds}), and removed from the highest ordinal down, one at a time; with
 *       {@code Parallel} they are created and removed all at once;
 *   <li>failed or succeeded pods are deleted and recreated; ordinals start at {@code
 *       spec.ordinals.start};
 *   <li>{@code RollingUpdate} replaces pods whose revision is not the update revision from the
 *       highest ordinal down to {@code partition}, one at a time, waiting for each to be healthy;
 *       {@code OnDelete} leaves them until someone deletes them;
 *   <li>the status carries replicas, readyReplicas, currentReplicas, updatedReplicas,
 *       availableReplicas, currentRevision, updateRevision, collisionCount and observedGeneration,
 *       as {@code kubectl rollout status} reads them.
 * </ul>
 *
 * <p>Differences: kemu has no ControllerRevision or PersistentVolumeClaim objects. Revisions are
 * named {@code <set>-<hash>} from the template (see {@link PodTemplateHash}) and the template of
 * each revision is remembered in memory, so pods below a partition are recreated at the current
 * revision as upstream does, as long as this controller saw that revision; {@code
 * volumeClaimTemplates} become the pod volumes upstream adds ({@code <claim>-<set>-<ordinal>}), but
 * no claim is created.
 */
public final class StatefulSetController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(StatefulSetController.class);

  static final String POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name";
  static final String POD_INDEX_LABEL = "apps.kubernetes.io/pod-index";
  static final String REVISION_LABEL = "controller-revision-hash";

  private static final Pattern ORDINAL = Pattern.compile("(.*)-([0-9]+)$");

  private final ResourceStore store;
  private final Informer informer;
  private final WorkQueue queue;

  /** The templates of the revisions seen, by set uid and revision name. */
  private final Map<String, Map<String, PodTemplateSpec>> revisionTemplates = new HashMap<>();

  /** A StatefulSet controller for the store; {@link #start()} begins reconciling. */
  public StatefulSetController(ResourceStore store) {
    this.store = store;
    this.informer =
        new Informer(
            store, "statefulset-controller", List.of(StatefulSet.class, Pod.class), this::sync);
    this.queue = new WorkQueue(informer);
  }

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof StatefulSet set) {
        queue.add(ResourceKey.of(ResourceTypes.STATEFUL_SET, set));
      } else if (change.object() instanceof Pod pod) {
        enqueueOwners(pod);
        if (change.oldObject() instanceof Pod old) {
          enqueueOwners(old);
        }
      }
    }
    queue.process(this::syncStatefulSet);
  }

  private void enqueueOwners(Pod pod) {
    String namespace = pod.getMetadata().getNamespace();
    OwnerReference ref = OwnerReferences.controllerOf(pod);
    if (ref != null) {
      if ("StatefulSet".equals(ref.getKind())) {
        queue.add(new ResourceKey(ResourceTypes.STATEFUL_SET, namespace, ref.getName()));
      }
      return;
    }
    for (StatefulSet set : informer.lister(StatefulSet.class).list(namespace)) {
      if (isMemberOf(set, pod) && selects(set, pod)) {
        queue.add(ResourceKey.of(ResourceTypes.STATEFUL_SET, set));
      }
    }
  }

  private static boolean selects(StatefulSet set, Pod pod) {
    try {
      return LabelSelector.of(set.getSpec().getSelector()).matches(pod.getMetadata().getLabels());
    } catch (ApiException.BadRequest e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ sync

  private void syncStatefulSet(ResourceKey key) {
    StatefulSet cached =
        informer.lister(StatefulSet.class).get(key.namespace(), key.name()).orElse(null);
    if (cached == null) {
      revisionTemplates.keySet().retainAll(liveUids());
      return;
    }
    StatefulSet set = withDefaults(ResourceCodec.copy(cached));
    LabelSelector selector;
    try {
      selector = LabelSelector.of(set.getSpec().getSelector());
    } catch (ApiException.BadRequest e) {
      logger.warn("StatefulSet {} has an invalid selector: {}", key, e.getMessage());
      return;
    }
    List<Pod> pods =
        OwnerReferences.claim(
            store,
            set,
            ResourceTypes.STATEFUL_SET,
            Pod.class,
            informer.lister(Pod.class).list(key.namespace()),
            pod -> isMemberOf(set, pod) && selector.matches(pod.getMetadata().getLabels()));

    StatefulSetStatus old = set.getStatus() == null ? new StatefulSetStatus() : set.getStatus();
    int collisionCount = old.getCollisionCount() == null ? 0 : old.getCollisionCount();
    String updateRevision =
        set.getMetadata().getName()
            + "-"
            + PodTemplateHash.compute(set.getSpec().getTemplate(), collisionCount);
    Map<String, PodTemplateSpec> templates =
        revisionTemplates.computeIfAbsent(set.getMetadata().getUid(), uid -> new HashMap<>());
    templates.put(updateRevision, Pods.copy(set.getSpec().getTemplate()));
    String currentRevision =
        old.getCurrentRevision() == null || old.getCurrentRevision().isEmpty()
            ? updateRevision
            : old.getCurrentRevision();

    Map<String, Pod> current = new TreeMap<>();
    for (Pod pod : pods) {
      current.put(pod.getMetadata().getName(), pod);
    }
    Round round = new Round(set, current, currentRevision, updateRevision, templates);
    if (!OwnerReferences.isDeleting(set)) {
      round.run();
    }
    updateStatus(set, current, currentRevision, updateRevision, collisionCount);

    Set<String> live = new HashSet<>(List.of(currentRevision, updateRevision));
    for (Pod pod : current.values()) {
      live.add(revisionOf(pod));
    }
    templates.keySet().retainAll(live);
  }

  private Set<String> liveUids() {
    Set<String> uids = new HashSet<>();
    for (StatefulSet set : informer.lister(StatefulSet.class).list()) {
      uids.add(set.getMetadata().getUid());
    }
    return uids;
  }

  /** apps/v1 defaults of a StatefulSet, applied to a working copy. */
  static StatefulSet withDefaults(StatefulSet set) {
    StatefulSetSpec spec = set.getSpec() == null ? new StatefulSetSpec() : set.getSpec();
    set.setSpec(spec);
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    if (spec.getPodManagementPolicy() == null || spec.getPodManagementPolicy().isEmpty()) {
      spec.setPodManagementPolicy("OrderedReady");
    }
    StatefulSetUpdateStrategy strategy =
        spec.getUpdateStrategy() == null
            ? new StatefulSetUpdateStrategy()
            : spec.getUpdateStrategy();
    spec.setUpdateStrategy(strategy);
    if (strategy.getType() == null || strategy.getType().isEmpty()) {
      strategy.setType("RollingUpdate");
    }
    if (spec.getMinReadySeconds() == null) {
      spec.setMinReadySeconds(0);
    }
    if (spec.getTemplate() == null) {
      spec.setTemplate(new PodTemplateSpec());
    }
    return set;
  }

  /** One pass of {@code updateStatefulSet}: creates, deletes and updates pods. */
  private final class Round {
    private final StatefulSet set;
    private final Map<String, Pod> current;
    private final String currentRevision;
    private final String updateRevision;
    private final Map<String, PodTemplateSpec> templates;
    private final boolean monotonic;
    private final int start;
    private final int replicaCount;

    Round(
        StatefulSet set,
        Map<String, Pod> current,
        String currentRevision,
        String updateRevision,
        Map<String, PodTemplateSpec> templates) {
      this.set = set;
      this.current = current;
      this.currentRevision = currentRevision;
      this.updateRevision = updateRevision;
      this.templates = templates;
      this.monotonic = !"Parallel".equals(set.getSpec().getPodManagementPolicy());
      this.start = startOrdinal(set);
      this.replicaCount = Math.max(0, set.getSpec().getReplicas());
    }

    void run() {
      Pod[] replicas = new Pod[replicaCount];
      List<Pod> condemned = new ArrayList<>();
      for (Pod pod : current.values()) {
        int ordinal = ordinalOf(pod);
        if (ordinal >= start && ordinal < start + replicaCount) {
          replicas[ordinal - start] = pod;
        } else if (ordinal >= 0) {
          condemned.add(pod);
        }
      }
      condemned.sort((a, b) -> Integer.compare(ordinalOf(a), ordinalOf(b)));
      Pod firstUnhealthy = null;
      int firstUnhealthyOrdinal = Integer.MAX_VALUE;
      for (Pod pod : replicas) {
        if (pod != null && !isHealthy(pod) && ordinalOf(pod) < firstUnhealthyOrdinal) {
          firstUnhealthyOrdinal = ordinalOf(pod);
          firstUnhealthy = pod;
        }
      }
      for (Pod pod : condemned) {
        if (!isHealthy(pod) && ordinalOf(pod) < firstUnhealthyOrdinal) {
          firstUnhealthyOrdinal = ordinalOf(pod);
          firstUnhealthy = pod;
        }
      }

      // Replicas in ordinal order.
      for (int i = 0; i < replicaCount; i++) {
        int ordinal = start + i;
        Pod pod = replicas[i];
        if (pod != null && isFinished(pod) && !Pods.isTerminating(pod)) {
          logger.info(
              "StatefulSet {}/{} is recreating failed Pod {}",
              set.getMetadata().getNamespace(),
              set.getMetadata().getName(),
              pod.getMetadata().getName());
          delete(pod);
          pod = current.get(podName(set, ordinal));
          if (pod != null) {
            // Still terminating: recreate once it is gone.
            if (monotonic) {
              return;
            }
            continue;
          }
        }
        if (pod == null) {
          Optional<Pod> created = create(ordinal);
          if (created.isEmpty()) {
            return;
          }
          if (monotonic) {
            return;
          }
          continue;
        }
        if (Pods.isTerminating(pod)) {
          if (monotonic) {
            return;
          }
          continue;
        }
        if (!Pods.isRunningAndReady(pod) && monotonic) {
          return;
        }
        if (!Pods.isAvailable(pod, set.getSpec().getMinReadySeconds(), store.clock().instant())
            && monotonic) {
          queue.addAfter(
              ResourceKey.of(ResourceTypes.STATEFUL_SET, set),
              Duration.ofSeconds(set.getSpec().getMinReadySeconds()));
          return;
        }
        if (!identityMatches(pod, ordinal)) {
          updateIdentity(pod, ordinal);
        }
      }

      // Condemned pods from the highest ordinal down.
      for (int i = condemned.size() - 1; i >= 0; i--) {
        Pod pod = condemned.get(i);
        if (Pods.isTerminating(pod)) {
          if (monotonic) {
            return;
          }
          continue;
        }
        if (!Pods.isRunningAndReady(pod) && monotonic && pod != firstUnhealthy) {
          return;
        }
        logger.debug("Pod {} of StatefulSet is terminating for scale down", name(pod));
        delete(pod);
        if (monotonic) {
          return;
        }
      }

      if ("OnDelete".equals(set.getSpec().getUpdateStrategy().getType())) {
        return;
      }
      int updateMin = start + partition(set);
      for (int i = replicaCount - 1; i >= 0; i--) {
        Pod pod = current.get(podName(set, start + i));
        if (pod == null || start + i < updateMin) {
          break;
        }
        if (!updateRevision.equals(revisionOf(pod)) && !Pods.isTerminating(pod)) {
          logger.debug("Pod {} of StatefulSet is terminating for update", name(pod));
          delete(pod);
          return;
        }
        if (!isHealthy(pod)) {
          return;
        }
      }
    }

    private Optional<Pod> create(int ordinal) {
      String revision = revisionFor(ordinal);
      PodTemplateSpec template = templates.getOrDefault(revision, set.getSpec().getTemplate());
      Pod pod = newPod(set, template, ordinal, revision);
      try {
        Pod created = store.create(pod);
        current.put(name(created), created);
        return Optional.of(created);
      } catch (ApiException.AlreadyExists e) {
        // A pod of that name that is not ours (or not yet in the cache): wait for it.
        logger.warn(
            "StatefulSet {}/{}: pod {} already exists",
            set.getMetadata().getNamespace(),
            set.getMetadata().getName(),
            pod.getMetadata().getName());
        return Optional.empty();
      } catch (ApiException.Forbidden e) {
        // The namespace is being terminated.
        return Optional.empty();
      }
    }

    /** {@code newVersionedStatefulSetPod}: ordinals below the partition stay current. */
    private String revisionFor(int ordinal) {
      StatefulSetUpdateStrategy strategy = set.getSpec().getUpdateStrategy();
      if ("RollingUpdate".equals(strategy.getType())) {
        StatefulSetStatus status = set.getStatus();
        int currentReplicas =
            status == null || status.getCurrentReplicas() == null ? 0 : status.getCurrentReplicas();
        boolean belowCurrent =
            strategy.getRollingUpdate() == null
                ? ordinal < start + currentReplicas
                : ordinal < start + partition(set);
        if (belowCurrent && templates.containsKey(currentRevision)) {
          return currentRevision;
        }
      }
      return updateRevision;
    }

    private void delete(Pod pod) {
      ResourceKey key = store.keyOf(pod);
      try {
        store.delete(key, DeleteOptions.DEFAULT);
      } catch (ApiException.NotFound e) {
        // Gone already.
      }
      // A pod on a node stays, terminating, until its kubelet confirms.
      store
          .get(key)
          .ifPresentOrElse(
              marked -> current.put(name(pod), (Pod) marked), () -> current.remove(name(pod)));
    }

    private boolean identityMatches(Pod pod, int ordinal) {
      Map<String, String> labels = pod.getMetadata().getLabels();
      return labels != null
          && name(pod).equals(labels.get(POD_NAME_LABEL))
          && Integer.toString(ordinal).equals(labels.get(POD_INDEX_LABEL));
    }

    private void updateIdentity(Pod pod, int ordinal) {
      try {
        Pod updated =
            store.modify(
                Pod.class,
                store.keyOf(pod),
                live -> {
                  Map<String, String> labels =
                      live.getMetadata().getLabels() == null
                          ? new LinkedHashMap<>()
                          : new LinkedHashMap<>(live.getMetadata().getLabels());
                  labels.put(POD_NAME_LABEL, name(live));
                  labels.put(POD_INDEX_LABEL, Integer.toString(ordinal));
                  live.getMetadata().setLabels(labels);
                  return live;
                });
        current.put(name(updated), updated);
      } catch (ApiException.NotFound e) {
        current.remove(name(pod));
      }
    }
  }

  /** {@code newStatefulSetPod}: the pod of an ordinal, from a revision's template. */
  static Pod newPod(StatefulSet set, PodTemplateSpec template, int ordinal, String revision) {
    Pod pod =
        Pods.fromTemplate(
            template, set, OwnerReferences.newControllerRef(set, ResourceTypes.STATEFUL_SET));
    String name = podName(set, ordinal);
    pod.getMetadata().setName(name);
    pod.getMetadata().setNamespace(set.getMetadata().getNamespace());
    Map<String, String> labels = pod.getMetadata().getLabels();
    labels.put(POD_NAME_LABEL, name);
    labels.put(POD_INDEX_LABEL, Integer.toString(ordinal));
    labels.put(REVISION_LABEL, revision);
    pod.getSpec().setHostname(name);
    pod.getSpec().setSubdomain(set.getSpec().getServiceName());
    addClaimVolumes(set, pod, ordinal);
    return pod;
  }

  /** {@code updateStorage}: a volume per claim template, in place of a volume of that name. */
  private static void addClaimVolumes(StatefulSet set, Pod pod, int ordinal) {
    List<PersistentVolumeClaim> claims = Pods.listOf(set.getSpec().getVolumeClaimTemplates());
    if (claims.isEmpty()) {
      return;
    }
    Map<String, String> claimNames = new TreeMap<>();
    for (PersistentVolumeClaim claim : claims) {
      String claimName = claim.getMetadata() == null ? null : claim.getMetadata().getName();
      if (claimName != null) {
        claimNames.put(claimName, claimName + "-" + set.getMetadata().getName() + "-" + ordinal);
      }
    }
    List<Volume> volumes = new ArrayList<>();
    claimNames.forEach(
        (volume, claim) ->
            volumes.add(
                new VolumeBuilder()
                    .withName(volume)
                    .withNewPersistentVolumeClaim(claim, false)
                    .build()));
    for (Volume volume : Pods.listOf(pod.getSpec().getVolumes())) {
      if (!claimNames.containsKey(volume.getName())) {
        volumes.add(volume);
      }
    }
    pod.getSpec().setVolumes(volumes);
  }

  private void updateStatus(
      StatefulSet set,
      Map<String, Pod> pods,
      String currentRevision,
      String updateRevision,
      int collisionCount) {
    Instant now = store.clock().instant();
    int minReadySeconds = set.getSpec().getMinReadySeconds();
    int replicas = 0;
    int ready = 0;
    int available = 0;
    int currentReplicas = 0;
    int updatedReplicas = 0;
    for (Pod pod : pods.values()) {
      replicas++;
      if (Pods.isRunningAndReady(pod)) {
        ready++;
        if (Pods.isAvailable(pod, minReadySeconds, now)) {
          available++;
        }
      }
      if (!Pods.isTerminating(pod)) {
        if (currentRevision.equals(revisionOf(pod))) {
          currentReplicas++;
        }
        if (updateRevision.equals(revisionOf(pod))) {
          updatedReplicas++;
        }
      }
    }
    StatefulSetStatus old = set.getStatus() == null ? new StatefulSetStatus() : set.getStatus();
    StatefulSetStatus status =
        ResourceCodec.convert(ResourceCodec.tree(old), StatefulSetStatus.class);
    status.setObservedGeneration(set.getMetadata().getGeneration());
    status.setReplicas(replicas);
    status.setReadyReplicas(ready);
    status.setAvailableReplicas(available);
    status.setCurrentReplicas(currentReplicas);
    status.setUpdatedReplicas(updatedReplicas);
    status.setCurrentRevision(currentRevision);
    status.setUpdateRevision(updateRevision);
    status.setCollisionCount(collisionCount);
    int desired = set.getSpec().getReplicas();
    // completeRollingUpdate: once every pod is updated and ready, the update revision is current.
    if ("RollingUpdate".equals(set.getSpec().getUpdateStrategy().getType())
        && updatedReplicas == desired
        && ready == desired
        && replicas == desired) {
      status.setCurrentReplicas(updatedReplicas);
      status.setCurrentRevision(updateRevision);
    }
    if (ResourceCodec.tree(status).equals(ResourceCodec.tree(old))) {
      return;
    }
    String uid = set.getMetadata().getUid();
    try {
      store.modifyStatus(
          StatefulSet.class,
          ResourceKey.of(ResourceTypes.STATEFUL_SET, set),
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

  // ------------------------------------------------------------------ small accessors

  private static boolean isHealthy(Pod pod) {
    return Pods.isRunningAndReady(pod) && !Pods.isTerminating(pod);
  }

  private static boolean isFinished(Pod pod) {
    String phase = Pods.phase(pod);
    return "Failed".equals(phase) || "Succeeded".equals(phase);
  }

  static String podName(StatefulSet set, int ordinal) {
    return set.getMetadata().getName() + "-" + ordinal;
  }

  /** {@code getOrdinal}: the ordinal in the pod's name, or -1. */
  static int ordinalOf(Pod pod) {
    Matcher m = ORDINAL.matcher(name(pod));
    if (!m.matches()) {
      return -1;
    }
    try {
      return Integer.parseInt(m.group(2));
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** {@code isMemberOf}: the pod's name is {@code <set>-<ordinal>}. */
  static boolean isMemberOf(StatefulSet set, Pod pod) {
    Matcher m = ORDINAL.matcher(name(pod));
    return m.matches() && m.group(1).equals(set.getMetadata().getName());
  }

  private static int startOrdinal(StatefulSet set) {
    var ordinals = set.getSpec().getOrdinals();
    return ordinals == null || ordinals.getStart() == null ? 0 : ordinals.getStart();
  }

  private static int partition(StatefulSet set) {
    var rolling = set.getSpec().getUpdateStrategy().getRollingUpdate();
    return rolling == null || rolling.getPartition() == null ? 0 : rolling.getPartition();
  }

  private static String revisionOf(Pod pod) {
    Map<String, String> labels = pod.getMetadata().getLabels();
    return labels == null ? "" : Objects.requireNonNullElse(labels.get(REVISION_LABEL), "");
  }

  private static String name(Pod pod) {
    return pod.getMetadata().getName();
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
