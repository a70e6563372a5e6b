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
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps {@code spec.replicas} Pods for each ReplicaSet. Mirrors {@code
 * pkg/controller/replicaset/replica_set.go}: pods are claimed through controller references
 * (adopting orphans that match the selector, releasing owned pods that no longer match), missing
 * pods are created from the template with {@code generateName: <rs>-}, excess pods are deleted in
 * upstream's rank order ({@code ActivePodsWithRanks}: unscheduled, then Pending/Unknown before
 * Running, not ready, lower {@code controller.kubernetes.io/pod-deletion-cost}, doubled up on a
 * node, ready for less time, more restarts, newer), and terminating or finished pods do not count.
 * A ReplicaSet being deleted only gets its status updated.
 *
 * <p>Differences from upstream: there are no creation "expectations" because this controller's
 * listers always hold its own previous writes before it syncs again; pods are created one after the
 * other rather than in slow-start batches (the first failure stops the batch as upstream's does);
 * ties in the time-based ranks are broken by name instead of uid so runs repeat; the status counts
 * the pods of this pass's result rather than of its start, so it converges in one pass fewer.
 */
public final class ReplicaSetController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(ReplicaSetController.class);

  /** {@code controller.kubernetes.io/pod-deletion-cost} (PodDeletionCost, GA in 1.22). */
  static final String POD_DELETION_COST = "controller.kubernetes.io/pod-deletion-cost";

  /** Upstream's {@code BurstReplicas}: the most pods created or deleted in one sync. */
  private static final int BURST_REPLICAS = 500;

  private final ResourceStore store;
  private final Informer informer;
  private final WorkQueue queue;

  /** A ReplicaSet controller for the store; {@link #start()} begins reconciling. */
  public ReplicaSetController(ResourceStore store) {
    this.store = store;
    this.informer =
        new Informer(
            store, "replicaset-controller", List.of(ReplicaSet.class, Pod.class), this::sync);
    this.queue = new WorkQueue(informer);
  }

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof ReplicaSet rs) {
        queue.add(ResourceKey.of(ResourceTypes.REPLICA_SET, rs));
      } else if (change.object() instanceof Pod pod) {
        enqueueOwners(pod);
        if (change.oldObject() instanceof Pod old) {
          enqueueOwners(old);
        }
      }
    }
    queue.process(this::syncReplicaSet);
  }

  /** Queues the pod's controller, or every ReplicaSet that could adopt it if it is an orphan. */
  private void enqueueOwners(Pod pod) {
    String namespace = pod.getMetadata().getNamespace();
    OwnerReference ref = OwnerReferences.controllerOf(pod);
    if (ref != null) {
      if ("ReplicaSet".equals(ref.getKind())) {
        queue.add(new ResourceKey(ResourceTypes.REPLICA_SET, namespace, ref.getName()));
      }
      return;
    }
    for (ReplicaSet rs : informer.lister(ReplicaSet.class).list(namespace)) {
      if (selector(rs).matches(pod.getMetadata().getLabels())) {
        queue.add(ResourceKey.of(ResourceTypes.REPLICA_SET, rs));
      }
    }
  }

  private static LabelSelector selector(ReplicaSet rs) {
    return rs.getSpec() == null
        ? LabelSelector.nothing()
        : LabelSelector.of(rs.getSpec().getSelector());
  }

  private void syncReplicaSet(ResourceKey key) {
    ReplicaSet rs = informer.lister(ReplicaSet.class).get(key.namespace(), key.name()).orElse(null);
    if (rs == null) {
      return;
    }
    LabelSelector selector;
    try {
      selector = selector(rs);
    } catch (ApiException.BadRequest e) {
      logger.warn("ReplicaSet {} has an invalid selector: {}", key, e.getMessage());
      return;
    }
    List<Pod> active = new ArrayList<>();
    for (Pod pod : informer.lister(Pod.class).list(key.namespace())) {
      if (Pods.isActive(pod)) {
        active.add(pod);
      }
    }
    List<Pod> pods =
        OwnerReferences.claim(
            store,
            rs,
            ResourceTypes.REPLICA_SET,
            Pod.class,
            active,
            pod -> selector.matches(pod.getMetadata().getLabels()));

    String failure = null;
    int desired = replicas(rs);
    if (!OwnerReferences.isDeleting(rs)) {
      try {
        pods = manageReplicas(rs, pods, desired);
      } catch (ApiException e) {
        failure = e.getMessage();
        logger.warn("ReplicaSet {}: {}", key, failure);
      }
    }
    updateStatus(rs, pods, failure);
  }

  /** Creates or deletes pods so that {@code desired} remain; returns the pods that remain. */
  private List<Pod> manageReplicas(ReplicaSet rs, List<Pod> pods, int desired) {
    int diff = pods.size() - desired;
    List<Pod> result = new ArrayList<>(pods);
    if (diff < 0) {
      int create = Math.min(-diff, BURST_REPLICAS);
      OwnerReference ref = OwnerReferences.newControllerRef(rs, ResourceTypes.REPLICA_SET);
      for (int i = 0; i < create; i++) {
        Pod pod = Pods.fromTemplate(rs.getSpec().getTemplate(), rs, ref);
        try {
          result.add(store.create(pod));
        } catch (ApiException.Forbidden e) {
          // The namespace is being terminated: every later create would fail the same way.
          logger.debug("ReplicaSet {}: {}", rs.getMetadata().getName(), e.getMessage());
          return result;
        }
      }
    } else if (diff > 0) {
      List<Pod> condemned =
          podsToDelete(
              pods, relatedPods(rs), Math.min(diff, BURST_REPLICAS), store.clock().instant());
      for (Pod pod : condemned) {
        try {
          store.delete(store.keyOf(pod), DeleteOptions.DEFAULT);
        } catch (ApiException.NotFound e) {
          // Already gone.
        }
        result.remove(pod);
      }
    }
    return result;
  }

  /**
   * The pods that share a controller with this ReplicaSet's siblings: those of every ReplicaSet
   * owned by the same controller (for a Deployment, all its ReplicaSets), as upstream's {@code
   * getIndirectlyRelatedPods}.
   */
  private List<Pod> relatedPods(ReplicaSet rs) {
    OwnerReference owner = OwnerReferences.controllerOf(rs);
    List<String> uids = new ArrayList<>();
    uids.add(rs.getMetadata().getUid());
    if (owner != null) {
      for (ReplicaSet sibling :
          informer.lister(ReplicaSet.class).list(rs.getMetadata().getNamespace())) {
        if (OwnerReferences.isControlledBy(sibling, owner.getUid())) {
          uids.add(sibling.getMetadata().getUid());
        }
      }
    }
    List<Pod> related = new ArrayList<>();
    for (Pod pod : informer.lister(Pod.class).list(rs.getMetadata().getNamespace())) {
      OwnerReference ref = OwnerReferences.controllerOf(pod);
      if (ref != null && uids.contains(ref.getUid())) {
        related.add(pod);
      }
    }
    return related;
  }

  /** {@code getPodsToDelete}: the first {@code count} pods in upstream's deletion rank. */
  static List<Pod> podsToDelete(List<Pod> pods, List<Pod> related, int count, Instant now) {
    Map<String, Integer> onNode = new HashMap<>();
    for (Pod pod : related) {
      if (Pods.isActive(pod)) {
        onNode.merge(nodeName(pod), 1, Integer::sum);
      }
    }
    List<Pod> ranked = new ArrayList<>(pods);
    ranked.sort(deletionOrder(onNode, now));
    return new ArrayList<>(ranked.subList(0, Math.min(count, ranked.size())));
  }

  /** {@code ActivePodsWithRanks.Less}, with LogarithmicScaleDown (GA in 1.31). */
  static Comparator<Pod> deletionOrder(Map<String, Integer> onNode, Instant now) {
    return (a, b) -> {
      // 1. Unassigned < assigned.
      boolean aAssigned = !nodeName(a).isEmpty();
      boolean bAssigned = !nodeName(b).isEmpty();
      if (!nodeName(a).equals(nodeName(b)) && aAssigned != bAssigned) {
        return aAssigned ? 1 : -1;
      }
      // 2. Pending < Unknown < Running.
      int phase = Integer.compare(phaseOrdinal(a), phaseOrdinal(b));
      if (phase != 0) {
        return phase;
      }
      // 3. Not ready < ready.
      if (Pods.isReady(a) != Pods.isReady(b)) {
        return Pods.isReady(a) ? 1 : -1;
      }
      // 4. Lower pod-deletion-cost < higher.
      int cost = Integer.compare(deletionCost(a), deletionCost(b));
      if (cost != 0) {
        return cost;
      }
      // 5. Doubled up (more related pods on its node) < not doubled up.
      int rank =
          Integer.compare(onNode.getOrDefault(nodeName(b), 0), onNode.getOrDefault(nodeName(a), 0));
      if (rank != 0) {
        return rank;
      }
      // 6. Ready for less time < more time (in logarithmic buckets).
      if (Pods.isReady(a) && Pods.isReady(b)) {
        int ready = newerFirst(Pods.readySince(a), Pods.readySince(b), now);
        if (ready != 0) {
          return ready;
        }
      }
      // 7. More restarts < fewer.
      int[] ra = Pods.maxRestarts(a);
      int[] rb = Pods.maxRestarts(b);
      if (ra[0] != rb[0]) {
        return ra[0] > rb[0] ? -1 : 1;
      }
      if (ra[1] != rb[1]) {
        return ra[1] > rb[1] ? -1 : 1;
      }
      // 8. Newer < older.
      int created = newerFirst(Pods.created(a), Pods.created(b), now);
      if (created != 0) {
        return created;
      }
      return a.getMetadata().getName().compareTo(b.getMetadata().getName());
    };
  }

  /**
   * Orders two times newest first: an absent time first, then by {@code logarithmicRankDiff} (times
   * whose ages are in the same power of two tie, and then the names decide).
   */
  private static int newerFirst(Instant a, Instant b, Instant now) {
    if (Objects.equals(a, b)) {
      return 0;
    }
    if (a == null) {
      return -1;
    }
    if (b == null) {
      return 1;
    }
    return Long.compare(logRank(a, now), logRank(b, now));
  }

  private static long logRank(Instant t, Instant now) {
    long nanos = Duration.between(t, now).toNanos();
    return nanos > 0 ? (long) (Math.log(nanos) / Math.log(2)) : -1;
  }

  private static int phaseOrdinal(Pod pod) {
    return switch (Pods.phase(pod)) {
      case "Pending" -> 0;
      case "Unknown" -> 1;
      case "Running" -> 2;
      default -> 0;
    };
  }

  private static int deletionCost(Pod pod) {
    Map<String, String> annotations = pod.getMetadata().getAnnotations();
    String cost = annotations == null ? null : annotations.get(POD_DELETION_COST);
    if (cost == null) {
      return 0;
    }
    try {
      return Integer.parseInt(cost.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String nodeName(Pod pod) {
    return pod.getSpec() == null || pod.getSpec().getNodeName() == null
        ? ""
        : pod.getSpec().getNodeName();
  }

  static int replicas(ReplicaSet rs) {
    Integer replicas = rs.getSpec() == null ? null : rs.getSpec().getReplicas();
    return replicas == null ? 1 : replicas;
  }

  /** {@code calculateStatus} and {@code updateReplicaSetStatus}. */
  private void updateStatus(ReplicaSet rs, List<Pod> pods, String failure) {
    Instant now = store.clock().instant();
    int minReadySeconds =
        rs.getSpec().getMinReadySeconds() == null ? 0 : rs.getSpec().getMinReadySeconds();
    LabelSelector templateLabels =
        LabelSelector.of(
            rs.getSpec().getTemplate() == null || rs.getSpec().getTemplate().getMetadata() == null
                ? Map.of()
                : rs.getSpec().getTemplate().getMetadata().getLabels());
    int fullyLabeled = 0;
    int ready = 0;
    int available = 0;
    for (Pod pod : pods) {
      if (templateLabels.matches(pod.getMetadata().getLabels())) {
        fullyLabeled++;
      }
      if (Pods.isReady(pod)) {
        ready++;
        if (Pods.isAvailable(pod, minReadySeconds, now)) {
          available++;
        }
      }
    }
    ReplicaSetStatus old = rs.getStatus() == null ? new ReplicaSetStatus() : rs.getStatus();
    ReplicaSetStatus status =
        ResourceCodec.convert(ResourceCodec.tree(old), ReplicaSetStatus.class);
    List<ReplicaSetCondition> conditions = new ArrayList<>(Pods.listOf(old.getConditions()));
    ReplicaSetCondition existing =
        conditions.stream()
            .filter(c -> "ReplicaFailure".equals(c.getType()))
            .findFirst()
            .orElse(null);
    if (failure != null && existing == null) {
      String reason = pods.size() < replicas(rs) ? "FailedCreate" : "FailedDelete";
      conditions.add(
          new ReplicaSetConditionBuilder()
              .withType("ReplicaFailure")
              .withStatus("True")
              .withLastTransitionTime(ResourceStore.timestamp(now))
              .withReason(reason)
              .withMessage(failure)
              .build());
    } else if (failure == null && existing != null) {
      conditions.remove(existing);
    }
    status.setConditions(conditions.isEmpty() ? null : conditions);
    status.setReplicas(pods.size());
    status.setFullyLabeledReplicas(fullyLabeled);
    status.setReadyReplicas(ready);
    status.setAvailableReplicas(available);
    status.setObservedGeneration(rs.getMetadata().getGeneration());

    if (!ResourceCodec.tree(status).equals(ResourceCodec.tree(old))) {
      writeStatus(rs, status);
    }
    // Pods that are ready but not yet available become available after minReadySeconds: check
    // again then, as upstream requeues after MinReadySeconds.
    if (minReadySeconds > 0 && ready == replicas(rs) && available != replicas(rs)) {
      queue.addAfter(
          ResourceKey.of(ResourceTypes.REPLICA_SET, rs), Duration.ofSeconds(minReadySeconds));
    }
  }

  private void writeStatus(ReplicaSet rs, ReplicaSetStatus status) {
    String uid = rs.getMetadata().getUid();
    try {
      store.modifyStatus(
          ReplicaSet.class,
          ResourceKey.of(ResourceTypes.REPLICA_SET, rs),
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
