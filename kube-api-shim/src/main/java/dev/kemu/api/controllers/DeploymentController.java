package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.DeploymentCondition;
import io.fabric8.kubernetes.api.model.apps.DeploymentConditionBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentStrategy;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetCondition;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetSpec;
import io.fabric8.kubernetes.api.model.apps.RollingUpdateDeployment;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls Deployments out through ReplicaSets. Mirrors {@code pkg/controller/deployment} ({@code
 * deployment_controller.go}, {@code sync.go}, {@code rolling.go}, {@code recreate.go}, {@code
 * progress.go}, {@code util/deployment_util.go}):
 *
 * <ul>
 *   <li>the ReplicaSet of the current template is {@code <deployment>-<pod-template-hash>}, with
 *       the {@code pod-template-hash} label added to its selector and template, a controller
 *       reference to the Deployment, and the {@code deployment.kubernetes.io/revision}, {@code
 *       desired-replicas} and {@code max-replicas} annotations; a name taken by a foreign
 *       ReplicaSet bumps {@code status.collisionCount};
 *   <li>{@code RollingUpdate} scales the new ReplicaSet up within {@code maxSurge} and the old ones
 *       down within {@code maxUnavailable}, counting only available pods, so a rollout advances as
 *       pods become ready, as upstream's; {@code Recreate} scales the old ReplicaSets to zero,
 *       waits until none of their pods is left running, then scales the new one up;
 *   <li>a change of {@code spec.replicas} alone is a scaling event: the ReplicaSets are resized
 *       proportionally, without a rollout; a paused Deployment is only scaled;
 *   <li>old ReplicaSets beyond {@code revisionHistoryLimit} are deleted once scaled to zero;
 *   <li>the status (replicas, updated, ready, available, unavailable, observedGeneration) and the
 *       {@code Available} and {@code Progressing} conditions are those {@code kubectl rollout
 *       status} reads, including {@code ProgressDeadlineExceeded} after {@code
 *       progressDeadlineSeconds} without progress.
 * </ul>
 *
 * <p>Left out: the deprecated {@code rollbackTo} (kubectl rolls back on the client side), Events,
 * and the {@code terminatingReplicas} status field of the alpha
 * DeploymentReplicaSetTerminatingReplicas feature. The Deployment's own {@code
 * deployment.kubernetes.io/revision} annotation is written with a metadata update, because kemu's
 * status subresource keeps all metadata (upstream's status strategy keeps annotation changes).
 */
public final class DeploymentController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(DeploymentController.class);

  static final String REVISION = "deployment.kubernetes.io/revision";
  static final String REVISION_HISTORY = "deployment.kubernetes.io/revision-history";
  static final String DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas";
  static final String MAX_REPLICAS = "deployment.kubernetes.io/max-replicas";
  static final String POD_TEMPLATE_HASH = "pod-template-hash";

  /** Annotations never copied from a Deployment to its ReplicaSets ({@code annotationsToSkip}). */
  private static final Set<String> ANNOTATIONS_TO_SKIP =
      Set.of(
          "kubectl.kubernetes.io/last-applied-configuration",
          REVISION,
          REVISION_HISTORY,
          DESIRED_REPLICAS,
          MAX_REPLICAS,
          "deprecated.deployment.rollback.to");

  /** The longest {@code revision-history} annotation kept ({@code maxRevHistoryLengthInChars}). */
  private static final int MAX_REVISION_HISTORY_LENGTH = 2000;

  private static final IntOrString DEFAULT_SURGE = new IntOrString("25%");

  private final ResourceStore store;
  private final Informer informer;
  private final WorkQueue queue;

  /** A Deployment controller for the store; {@link #start()} begins reconciling. */
  public DeploymentController(ResourceStore store) {
    this.store = store;
    this.informer =
        new Informer(
            store,
            "deployment-controller",
            List.of(Deployment.class, ReplicaSet.class, Pod.class),
            this::sync);
    this.queue = new WorkQueue(informer);
  }

  // ------------------------------------------------------------------ event handlers

  private void sync(List<ObjectChange> changes) {
    for (ObjectChange change : changes) {
      if (change.object() instanceof Deployment d) {
        queue.add(ResourceKey.of(ResourceTypes.DEPLOYMENT, d));
      } else if (change.object() instanceof ReplicaSet rs) {
        enqueueOwner(rs);
        if (change.oldObject() instanceof ReplicaSet old) {
          enqueueOwner(old);
        }
      } else if (change.object() instanceof Pod pod && change.type() == EventType.DELETED) {
        // A Recreate rollout waits until the old pods are gone (upstream deletePod).
        enqueueRecreateOwner(pod);
      }
    }
    queue.process(this::syncDeployment);
  }

  private void enqueueOwner(ReplicaSet rs) {
    String namespace = rs.getMetadata().getNamespace();
    OwnerReference ref = OwnerReferences.controllerOf(rs);
    if (ref != null) {
      if ("Deployment".equals(ref.getKind())) {
        queue.add(new ResourceKey(ResourceTypes.DEPLOYMENT, namespace, ref.getName()));
      }
      return;
    }
    for (Deployment d : informer.lister(Deployment.class).list(namespace)) {
      if (selects(d, rs.getMetadata().getLabels())) {
        queue.add(ResourceKey.of(ResourceTypes.DEPLOYMENT, d));
      }
    }
  }

  private void enqueueRecreateOwner(Pod pod) {
    OwnerReference ref = OwnerReferences.controllerOf(pod);
    if (ref == null || !"ReplicaSet".equals(ref.getKind())) {
      return;
    }
    String namespace = pod.getMetadata().getNamespace();
    informer
        .lister(ReplicaSet.class)
        .get(namespace, ref.getName())
        .map(OwnerReferences::controllerOf)
        .filter(owner -> "Deployment".equals(owner.getKind()))
        .ifPresent(
            owner -> {
              Deployment d =
                  informer.lister(Deployment.class).get(namespace, owner.getName()).orElse(null);
              if (d != null && "Recreate".equals(strategyType(d))) {
                queue.add(ResourceKey.of(ResourceTypes.DEPLOYMENT, d));
              }
            });
  }

  private static boolean selects(Deployment d, Map<String, String> labels) {
    try {
      return d.getSpec() != null && LabelSelector.of(d.getSpec().getSelector()).matches(labels);
    } catch (ApiException.BadRequest e) {
      return false;
    }
  }

  // ------------------------------------------------------------------ syncDeployment

  private void syncDeployment(ResourceKey key) {
    Deployment cached =
        informer.lister(Deployment.class).get(key.namespace(), key.name()).orElse(null);
    if (cached == null) {
      return;
    }
    Deployment d = withDefaults(ResourceCodec.copy(cached));
    if (d.getStatus() == null) {
      d.setStatus(new DeploymentStatus());
    }
    io.fabric8.kubernetes.api.model.LabelSelector apiSelector = d.getSpec().getSelector();
    if (apiSelector == null
        || (Pods.listOf(apiSelector.getMatchExpressions()).isEmpty()
            && (apiSelector.getMatchLabels() == null || apiSelector.getMatchLabels().isEmpty()))) {
      logger.warn("Deployment {} is selecting all pods. A non-empty selector is required.", key);
      if (observedGeneration(d) < d.getMetadata().getGeneration()) {
        DeploymentStatus status = copy(d.getStatus());
        status.setObservedGeneration(d.getMetadata().getGeneration());
        writeStatus(d, status);
      }
      return;
    }
    LabelSelector selector;
    try {
      selector = LabelSelector.of(apiSelector);
    } catch (ApiException.BadRequest e) {
      logger.warn("Deployment {} has an invalid selector: {}", key, e.getMessage());
      return;
    }
    List<ReplicaSet> rsList = replicaSetsFor(d, selector);
    if (OwnerReferences.isDeleting(d)) {
      syncStatusOnly(d, rsList);
      return;
    }
    checkPausedConditions(d);
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      syncScale(d, rsList);
      return;
    }
    if (isScalingEvent(d, rsList)) {
      syncScale(d, rsList);
      return;
    }
    if ("Recreate".equals(strategyType(d))) {
      rolloutRecreate(d, rsList, podsByReplicaSet(d, selector, rsList));
    } else {
      rolloutRolling(d, rsList);
    }
  }

  /** {@code SetDefaults_Deployment} of apps/v1, applied to a working copy. */
  static Deployment withDefaults(Deployment d) {
    DeploymentSpec spec = d.getSpec() == null ? new DeploymentSpec() : d.getSpec();
    d.setSpec(spec);
    if (spec.getReplicas() == null) {
      spec.setReplicas(1);
    }
    DeploymentStrategy strategy =
        spec.getStrategy() == null ? new DeploymentStrategy() : spec.getStrategy();
    spec.setStrategy(strategy);
    if (strategy.getType() == null || strategy.getType().isEmpty()) {
      strategy.setType("RollingUpdate");
    }
    if ("RollingUpdate".equals(strategy.getType())) {
      RollingUpdateDeployment rolling =
          strategy.getRollingUpdate() == null
              ? new RollingUpdateDeployment()
              : strategy.getRollingUpdate();
      strategy.setRollingUpdate(rolling);
      if (rolling.getMaxUnavailable() == null) {
        rolling.setMaxUnavailable(new IntOrString("25%"));
      }
      if (rolling.getMaxSurge() == null) {
        rolling.setMaxSurge(new IntOrString("25%"));
      }
    }
    if (spec.getRevisionHistoryLimit() == null) {
      spec.setRevisionHistoryLimit(10);
    }
    if (spec.getProgressDeadlineSeconds() == null) {
      spec.setProgressDeadlineSeconds(600);
    }
    if (spec.getMinReadySeconds() == null) {
      spec.setMinReadySeconds(0);
    }
    if (spec.getTemplate() == null) {
      spec.setTemplate(new PodTemplateSpec());
    }
    return d;
  }

  /** {@code getReplicaSetsForDeployment}: claims the ReplicaSets of the namespace. */
  private List<ReplicaSet> replicaSetsFor(Deployment d, LabelSelector selector) {
    List<ReplicaSet> candidates =
        informer.lister(ReplicaSet.class).list(d.getMetadata().getNamespace());
    return new ArrayList<>(
        OwnerReferences.claim(
            store,
            d,
            ResourceTypes.DEPLOYMENT,
            ReplicaSet.class,
            candidates,
            rs -> selector.matches(rs.getMetadata().getLabels())));
  }

  /** {@code getPodMapForDeployment}: the deployment's pods, by the uid of their ReplicaSet. */
  private Map<String, List<Pod>> podsByReplicaSet(
      Deployment d, LabelSelector selector, List<ReplicaSet> rsList) {
    Map<String, List<Pod>> map = new LinkedHashMap<>();
    for (ReplicaSet rs : rsList) {
      map.put(rs.getMetadata().getUid(), new ArrayList<>());
    }
    for (Pod pod : informer.lister(Pod.class).list(d.getMetadata().getNamespace(), selector)) {
      OwnerReference ref = OwnerReferences.controllerOf(pod);
      if (ref != null && map.containsKey(ref.getUid())) {
        map.get(ref.getUid()).add(pod);
      }
    }
    return map;
  }

  // ------------------------------------------------------------------ sync.go

  private record Revisions(ReplicaSet newRs, List<ReplicaSet> oldRss) {
    List<ReplicaSet> all() {
      List<ReplicaSet> all = new ArrayList<>(oldRss);
      if (newRs != null) {
        all.add(newRs);
      }
      return all;
    }
  }

  private void syncStatusOnly(Deployment d, List<ReplicaSet> rsList) {
    Revisions revisions = allReplicaSetsAndSyncRevision(d, rsList, false);
    syncDeploymentStatus(revisions.all(), revisions.newRs(), d);
  }

  /** {@code sync}: reconciles a scaling event or a paused Deployment. */
  private void syncScale(Deployment d, List<ReplicaSet> rsList) {
    Revisions revisions = allReplicaSetsAndSyncRevision(d, rsList, false);
    List<ReplicaSet> oldRss = new ArrayList<>(revisions.oldRss());
    ReplicaSet newRs = scale(d, revisions.newRs(), oldRss);
    if (Boolean.TRUE.equals(d.getSpec().getPaused())) {
      cleanupDeployment(oldRss, d);
    }
    syncDeploymentStatus(new Revisions(newRs, oldRss).all(), newRs, d);
  }

  private void checkPausedConditions(Deployment d) {
    if (!hasProgressDeadline(d)) {
      return;
    }
    DeploymentCondition cond = condition(d.getStatus(), "Progressing");
    if (cond != null && TIMED_OUT.equals(cond.getReason())) {
      return;
    }
    boolean pausedCondExists = cond != null && "DeploymentPaused".equals(cond.getReason());
    boolean paused = Boolean.TRUE.equals(d.getSpec().getPaused());
    DeploymentStatus status = copy(d.getStatus());
    if (paused && !pausedCondExists) {
      setCondition(
          status,
          newCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused"));
    } else if (!paused && pausedCondExists) {
      setCondition(
          status,
          newCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed"));
    } else {
      return;
    }
    writeStatus(d, status);
  }

  private boolean isScalingEvent(Deployment d, List<ReplicaSet> rsList) {
    Revisions revisions = allReplicaSetsAndSyncRevision(d, rsList, false);
    for (ReplicaSet rs : filterActive(revisions.all())) {
      Integer desired = intAnnotation(rs, DESIRED_REPLICAS);
      if (desired != null && desired != replicas(d)) {
        return true;
      }
    }
    return false;
  }

  /**
   * {@code getAllReplicaSetsAndSyncRevision}: the new ReplicaSet (created if asked and missing) and
   * the old ones, with revisions synced.
   */
  private Revisions allReplicaSetsAndSyncRevision(
      Deployment d, List<ReplicaSet> rsList, boolean createIfNotExisted) {
    ReplicaSet existingNew = findNewReplicaSet(d, rsList);
    List<ReplicaSet> oldRss = new ArrayList<>();
    for (ReplicaSet rs : rsList) {
      if (existingNew == null || !uid(rs).equals(uid(existingNew))) {
        oldRss.add(rs);
      }
    }
    ReplicaSet newRs = newReplicaSet(d, existingNew, oldRss, createIfNotExisted);
    return new Revisions(newRs, oldRss);
  }

  /** {@code FindNewReplicaSet}: the oldest ReplicaSet whose template is the Deployment's. */
  static ReplicaSet findNewReplicaSet(Deployment d, List<ReplicaSet> rsList) {
    List<ReplicaSet> sorted = new ArrayList<>(rsList);
    sorted.sort(BY_CREATION);
    for (ReplicaSet rs : sorted) {
      if (equalIgnoreHash(rs.getSpec().getTemplate(), d.getSpec().getTemplate())) {
        return rs;
      }
    }
    return null;
  }

  /** {@code EqualIgnoreHash}: templates equal once the pod-template-hash label is removed. */
  static boolean equalIgnoreHash(PodTemplateSpec a, PodTemplateSpec b) {
    return canonicalWithoutHash(a).equals(canonicalWithoutHash(b));
  }

  private static String canonicalWithoutHash(PodTemplateSpec template) {
    PodTemplateSpec copy = Pods.copy(template);
    if (copy.getMetadata() != null && copy.getMetadata().getLabels() != null) {
      copy.getMetadata().getLabels().remove(POD_TEMPLATE_HASH);
    }
    return PodTemplateHash.canonical(ResourceCodec.tree(copy));
  }

  private ReplicaSet newReplicaSet(
      Deployment d, ReplicaSet existingNew, List<ReplicaSet> oldRss, boolean create) {
    long newRevision = maxRevision(oldRss) + 1;
    if (existingNew != null) {
      ReplicaSet rsCopy = ResourceCodec.copy(existingNew);
      boolean annotationsUpdated = setNewReplicaSetAnnotations(d, rsCopy, newRevision, true);
      boolean minReadySecondsNeedsUpdate =
          !Objects.equals(minReadySeconds(rsCopy), d.getSpec().getMinReadySeconds());
      if (annotationsUpdated || minReadySecondsNeedsUpdate) {
        Map<String, String> annotations = rsCopy.getMetadata().getAnnotations();
        return modifyReplicaSet(
            rsCopy,
            live -> {
              live.getMetadata().setAnnotations(annotations);
              live.getSpec().setMinReadySeconds(d.getSpec().getMinReadySeconds());
            });
      }
      DeploymentStatus status = copy(d.getStatus());
      String revision = annotation(rsCopy, REVISION);
      boolean needsUpdate = revision != null && setDeploymentRevision(d, revision);
      DeploymentCondition cond = condition(status, "Progressing");
      if (hasProgressDeadline(d) && cond == null) {
        setCondition(
            status,
            newCondition(
                "Progressing",
                "True",
                "FoundNewReplicaSet",
                "Found new replica set \"" + rsCopy.getMetadata().getName() + "\""));
        needsUpdate = true;
      }
      if (needsUpdate) {
        writeRevisionAndStatus(d, status);
      }
      return rsCopy;
    }
    if (!create) {
      return null;
    }

    PodTemplateSpec template = Pods.copy(d.getSpec().getTemplate());
    String hash = PodTemplateHash.compute(template, d.getStatus().getCollisionCount());
    if (template.getMetadata() == null) {
      template.setMetadata(new ObjectMeta());
    }
    Map<String, String> labels =
        new LinkedHashMap<>(
            template.getMetadata().getLabels() == null
                ? Map.of()
                : template.getMetadata().getLabels());
    labels.put(POD_TEMPLATE_HASH, hash);
    template.getMetadata().setLabels(labels);
    io.fabric8.kubernetes.api.model.LabelSelector selector =
        new LabelSelectorBuilder(d.getSpec().getSelector())
            .addToMatchLabels(POD_TEMPLATE_HASH, hash)
            .build();

    ReplicaSet rs = new ReplicaSet();
    rs.setApiVersion(ResourceTypes.REPLICA_SET.apiVersion());
    rs.setKind("ReplicaSet");
    ObjectMeta meta = new ObjectMeta();
    meta.setName(d.getMetadata().getName() + "-" + hash);
    meta.setNamespace(d.getMetadata().getNamespace());
    meta.setOwnerReferences(
        new ArrayList<>(List.of(OwnerReferences.newControllerRef(d, ResourceTypes.DEPLOYMENT))));
    meta.setLabels(new LinkedHashMap<>(labels));
    rs.setMetadata(meta);
    ReplicaSetSpec spec = new ReplicaSetSpec();
    spec.setReplicas(0);
    spec.setMinReadySeconds(d.getSpec().getMinReadySeconds());
    spec.setSelector(selector);
    spec.setTemplate(template);
    rs.setSpec(spec);
    List<ReplicaSet> all = new ArrayList<>(oldRss);
    all.add(rs);
    int newReplicasCount = newRsNewReplicas(d, all, rs);
    spec.setReplicas(newReplicasCount);
    setNewReplicaSetAnnotations(d, rs, newRevision, false);

    boolean alreadyExists = false;
    ReplicaSet created;
    try {
      created = store.create(rs);
    } catch (ApiException.AlreadyExists e) {
      // A slow cache or a fast resync: the ReplicaSet may be ours already. Otherwise it is a hash
      // collision, resolved by bumping collisionCount and hashing again on the next sync.
      ReplicaSet existing =
          store.get(ReplicaSet.class, meta.getNamespace(), meta.getName()).orElseThrow(() -> e);
      if (OwnerReferences.isControlledBy(existing, uid(d))
          && equalIgnoreHash(d.getSpec().getTemplate(), existing.getSpec().getTemplate())) {
        created = existing;
        alreadyExists = true;
      } else {
        DeploymentStatus status = copy(d.getStatus());
        int before = status.getCollisionCount() == null ? 0 : status.getCollisionCount();
        status.setCollisionCount(before + 1);
        writeStatus(d, status);
        logger.info(
            "Found a hash collision for deployment {} - bumping collisionCount ({}->{}) to resolve"
                + " it",
            d.getMetadata().getName(),
            before,
            before + 1);
        throw e;
      }
    } catch (ApiException.Forbidden e) {
      // The namespace is being terminated: every create fails, nothing to report.
      throw e;
    } catch (ApiException e) {
      String msg = "Failed to create new replica set \"" + meta.getName() + "\": " + e.getMessage();
      if (hasProgressDeadline(d)) {
        DeploymentStatus status = copy(d.getStatus());
        setCondition(status, newCondition("Progressing", "False", "ReplicaSetCreateError", msg));
        writeStatus(d, status);
      }
      throw e;
    }
    if (!alreadyExists) {
      logger.debug(
          "Scaled up replica set {} from 0 to {}",
          created.getMetadata().getName(),
          newReplicasCount);
    }
    DeploymentStatus status = copy(d.getStatus());
    boolean needsUpdate = setDeploymentRevision(d, Long.toString(newRevision));
    if (!alreadyExists && hasProgressDeadline(d)) {
      setCondition(
          status,
          newCondition(
              "Progressing",
              "True",
              "NewReplicaSetCreated",
              "Created new replica set \"" + created.getMetadata().getName() + "\""));
      needsUpdate = true;
    }
    if (needsUpdate) {
      writeRevisionAndStatus(d, status);
    }
    return created;
  }

  /** {@code SetNewReplicaSetAnnotations}; true if an annotation changed. */
  private boolean setNewReplicaSetAnnotations(
      Deployment d, ReplicaSet rs, long newRevision, boolean exists) {
    boolean changed = copyDeploymentAnnotations(d, rs);
    Map<String, String> annotations = annotations(rs);
    String oldRevision = annotations.get(REVISION);
    long oldRevisionInt;
    if (oldRevision == null || oldRevision.isEmpty()) {
      oldRevisionInt = 0;
    } else {
      try {
        oldRevisionInt = Long.parseLong(oldRevision);
      } catch (NumberFormatException e) {
        logger.info("Updating replica set revision OldRevision not int: {}", oldRevision);
        return false;
      }
    }
    if (oldRevisionInt < newRevision) {
      annotations.put(REVISION, Long.toString(newRevision));
      changed = true;
      // A ReplicaSet that had a revision and gets a newer one is a rollback to it: keep the old
      // revisions for history.
      if (oldRevision != null) {
        String history = annotations.getOrDefault(REVISION_HISTORY, "");
        if (history.isEmpty()) {
          annotations.put(REVISION_HISTORY, oldRevision);
        } else {
          List<String> old = new ArrayList<>(Arrays.asList(history.split(",")));
          int total = history.length() + oldRevision.length() + 1;
          while (total > MAX_REVISION_HISTORY_LENGTH && !old.isEmpty()) {
            total -= old.remove(0).length() + 1;
          }
          if (total <= MAX_REVISION_HISTORY_LENGTH) {
            old.add(oldRevision);
            annotations.put(REVISION_HISTORY, String.join(",", old));
          }
        }
      }
    }
    if (!exists && setReplicasAnnotations(rs, replicas(d), replicas(d) + maxSurge(d))) {
      changed = true;
    }
    return changed;
  }

  private static boolean copyDeploymentAnnotations(Deployment d, ReplicaSet rs) {
    boolean changed = false;
    Map<String, String> target = annotations(rs);
    Map<String, String> source = d.getMetadata().getAnnotations();
    if (source == null) {
      return false;
    }
    for (Map.Entry<String, String> entry : source.entrySet()) {
      if (ANNOTATIONS_TO_SKIP.contains(entry.getKey())
          || Objects.equals(target.get(entry.getKey()), entry.getValue())) {
        continue;
      }
      target.put(entry.getKey(), entry.getValue());
      changed = true;
    }
    return changed;
  }

  private static boolean setReplicasAnnotations(ReplicaSet rs, int desired, int max) {
    Map<String, String> annotations = annotations(rs);
    boolean changed = false;
    if (!Integer.toString(desired).equals(annotations.get(DESIRED_REPLICAS))) {
      annotations.put(DESIRED_REPLICAS, Integer.toString(desired));
      changed = true;
    }
    if (!Integer.toString(max).equals(annotations.get(MAX_REPLICAS))) {
      annotations.put(MAX_REPLICAS, Integer.toString(max));
      changed = true;
    }
    return changed;
  }

  private static boolean replicasAnnotationsNeedUpdate(ReplicaSet rs, int desired, int max) {
    Map<String, String> annotations = rs.getMetadata().getAnnotations();
    return annotations == null
        || !Integer.toString(desired).equals(annotations.get(DESIRED_REPLICAS))
        || !Integer.toString(max).equals(annotations.get(MAX_REPLICAS));
  }

  /** {@code SetDeploymentRevision} on the working copy; true if it changed. */
  private static boolean setDeploymentRevision(Deployment d, String revision) {
    Map<String, String> annotations = d.getMetadata().getAnnotations();
    if (annotations == null) {
      annotations = new LinkedHashMap<>();
      d.getMetadata().setAnnotations(annotations);
    }
    if (Objects.equals(annotations.get(REVISION), revision)) {
      return false;
    }
    annotations.put(REVISION, revision);
    return true;
  }

  /** {@code NewRSNewReplicas}: how many replicas the new ReplicaSet may have now. */
  private static int newRsNewReplicas(Deployment d, List<ReplicaSet> all, ReplicaSet newRs) {
    if ("Recreate".equals(strategyType(d))) {
      return replicas(d);
    }
    int surge =
        IntOrPercent.scaled(
            d.getSpec().getStrategy().getRollingUpdate().getMaxSurge(),
            DEFAULT_SURGE,
            replicas(d),
            true);
    int current = replicaCount(all);
    int maxTotal = replicas(d) + surge;
    if (current >= maxTotal) {
      return rsReplicas(newRs);
    }
    int scaleUp = Math.min(maxTotal - current, replicas(d) - rsReplicas(newRs));
    return rsReplicas(newRs) + scaleUp;
  }

  /** {@code scale}: proportional scaling of a Deployment's ReplicaSets; returns the new RS. */
  private ReplicaSet scale(Deployment d, ReplicaSet newRs, List<ReplicaSet> oldRss) {
    ReplicaSet activeOrLatest = findActiveOrLatest(newRs, oldRss);
    if (activeOrLatest != null) {
      if (rsReplicas(activeOrLatest) != replicas(d)) {
        ReplicaSet scaled = scaleReplicaSetAndRecordEvent(activeOrLatest, replicas(d), d).rs();
        return replace(newRs, oldRss, scaled);
      }
      return newRs;
    }
    if (isSaturated(d, newRs)) {
      for (ReplicaSet old : filterActive(oldRss)) {
        replace(newRs, oldRss, scaleReplicaSetAndRecordEvent(old, 0, d).rs());
      }
      return newRs;
    }
    if (!isRollingUpdate(d)) {
      return newRs;
    }
    List<ReplicaSet> all = new ArrayList<>(oldRss);
    if (newRs != null) {
      all.add(newRs);
    }
    List<ReplicaSet> active = filterActive(all);
    int allReplicas = replicaCount(active);
    int allowedSize = replicas(d) > 0 ? replicas(d) + maxSurge(d) : 0;
    int toAdd = allowedSize - allReplicas;
    String operation = "";
    if (toAdd > 0) {
      active.sort(BY_SIZE_NEWER);
      operation = "up";
    } else if (toAdd < 0) {
      active.sort(BY_SIZE_OLDER);
      operation = "down";
    }
    int added = 0;
    Map<String, Integer> nameToSize = new HashMap<>();
    for (ReplicaSet rs : active) {
      if (toAdd != 0) {
        int proportion = proportion(rs, d, toAdd, added);
        nameToSize.put(name(rs), rsReplicas(rs) + proportion);
        added += proportion;
      } else {
        nameToSize.put(name(rs), rsReplicas(rs));
      }
    }
    ReplicaSet result = newRs;
    for (int i = 0; i < active.size(); i++) {
      ReplicaSet rs = active.get(i);
      if (i == 0 && toAdd != 0) {
        int leftover = toAdd - added;
        nameToSize.put(name(rs), Math.max(0, nameToSize.get(name(rs)) + leftover));
      }
      ReplicaSet scaled = scaleReplicaSet(rs, nameToSize.get(name(rs)), d, operation).rs();
      result = replace(result, oldRss, scaled);
    }
    return result;
  }

  /** Puts an updated ReplicaSet in place of its old copy; returns the (possibly new) new RS. */
  private static ReplicaSet replace(ReplicaSet newRs, List<ReplicaSet> oldRss, ReplicaSet updated) {
    if (newRs != null && uid(newRs).equals(uid(updated))) {
      return updated;
    }
    for (int i = 0; i < oldRss.size(); i++) {
      if (uid(oldRss.get(i)).equals(uid(updated))) {
        oldRss.set(i, updated);
      }
    }
    return newRs;
  }

  /** {@code GetProportion}. */
  private static int proportion(ReplicaSet rs, Deployment d, int toAdd, int added) {
    if (rs == null || rsReplicas(rs) == 0 || toAdd == 0 || toAdd == added) {
      return 0;
    }
    int fraction = replicaSetFraction(rs, d);
    int allowed = toAdd - added;
    return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
  }

  /** {@code getReplicaSetFraction}. */
  private static int replicaSetFraction(ReplicaSet rs, Deployment d) {
    if (replicas(d) == 0) {
      return -rsReplicas(rs);
    }
    int deploymentMaxReplicas = replicas(d) + maxSurge(d);
    Integer before = intAnnotation(rs, MAX_REPLICAS);
    if (before == null || before == 0) {
      before = intOrZero(d.getStatus().getReplicas());
      if (before == 0) {
        return 0;
      }
    }
    double newSize = (double) rsReplicas(rs) * deploymentMaxReplicas / before;
    return (int) Math.round(newSize) - rsReplicas(rs);
  }

  private record Scaled(boolean scaled, ReplicaSet rs) {}

  private Scaled scaleReplicaSetAndRecordEvent(ReplicaSet rs, int newScale, Deployment d) {
    if (rsReplicas(rs) == newScale) {
      return new Scaled(false, rs);
    }
    return scaleReplicaSet(rs, newScale, d, rsReplicas(rs) < newScale ? "up" : "down");
  }

  /** {@code scaleReplicaSet}: writes the size and the replicas annotations. */
  private Scaled scaleReplicaSet(ReplicaSet rs, int newScale, Deployment d, String operation) {
    boolean sizeNeedsUpdate = rsReplicas(rs) != newScale;
    int desired = replicas(d);
    int max = replicas(d) + maxSurge(d);
    boolean annotationsNeedUpdate = replicasAnnotationsNeedUpdate(rs, desired, max);
    if (!sizeNeedsUpdate && !annotationsNeedUpdate) {
      return new Scaled(false, rs);
    }
    ReplicaSet updated =
        modifyReplicaSet(
            rs,
            live -> {
              live.getSpec().setReplicas(newScale);
              setReplicasAnnotations(live, desired, max);
            });
    if (sizeNeedsUpdate) {
      logger.debug(
          "Scaled {} replica set {} from {} to {}", operation, name(rs), rsReplicas(rs), newScale);
    }
    return new Scaled(sizeNeedsUpdate, updated);
  }

  private ReplicaSet modifyReplicaSet(
      ReplicaSet rs, java.util.function.Consumer<ReplicaSet> change) {
    String uid = uid(rs);
    return store.modify(
        ReplicaSet.class,
        ResourceKey.of(ResourceTypes.REPLICA_SET, rs),
        live -> {
          if (uid.equals(uid(live))) {
            change.accept(live);
          }
          return live;
        });
  }

  /** {@code cleanupDeployment}: deletes old ReplicaSets beyond revisionHistoryLimit. */
  private void cleanupDeployment(List<ReplicaSet> oldRss, Deployment d) {
    List<ReplicaSet> cleanable = new ArrayList<>();
    for (ReplicaSet rs : oldRss) {
      if (rs != null && !OwnerReferences.isDeleting(rs)) {
        cleanable.add(rs);
      }
    }
    int diff = cleanable.size() - d.getSpec().getRevisionHistoryLimit();
    if (diff <= 0) {
      return;
    }
    cleanable.sort(BY_REVISION);
    for (int i = 0; i < diff; i++) {
      ReplicaSet rs = cleanable.get(i);
      // Never delete a ReplicaSet that still has pods or whose last change is not yet observed.
      if (statusReplicas(rs) != 0
          || rsReplicas(rs) != 0
          || rs.getMetadata().getGeneration() > observedGeneration(rs)
          || OwnerReferences.isDeleting(rs)) {
        continue;
      }
      try {
        store.delete(ResourceKey.of(ResourceTypes.REPLICA_SET, rs), DeleteOptions.DEFAULT);
      } catch (ApiException.NotFound e) {
        // Already gone.
      }
    }
  }

  private void syncDeploymentStatus(List<ReplicaSet> all, ReplicaSet newRs, Deployment d) {
    DeploymentStatus status = calculateStatus(all, newRs, d);
    if (!sameStatus(d.getStatus(), status)) {
      writeStatus(d, status);
    }
  }

  /** {@code calculateStatus}. */
  private DeploymentStatus calculateStatus(List<ReplicaSet> all, ReplicaSet newRs, Deployment d) {
    int available = 0;
    int actual = 0;
    int ready = 0;
    for (ReplicaSet rs : all) {
      available += intOrZero(rs.getStatus() == null ? null : rs.getStatus().getAvailableReplicas());
      actual += statusReplicas(rs);
      ready += intOrZero(rs.getStatus() == null ? null : rs.getStatus().getReadyReplicas());
    }
    int total = replicaCount(all);
    int unavailable = Math.max(0, total - available);
    DeploymentStatus status = new DeploymentStatus();
    status.setObservedGeneration(d.getMetadata().getGeneration());
    status.setReplicas(actual);
    status.setUpdatedReplicas(newRs == null ? 0 : statusReplicas(newRs));
    status.setReadyReplicas(ready);
    status.setAvailableReplicas(available);
    status.setUnavailableReplicas(unavailable);
    status.setCollisionCount(d.getStatus().getCollisionCount());
    List<DeploymentCondition> conditions = new ArrayList<>();
    for (DeploymentCondition c : Pods.listOf(d.getStatus().getConditions())) {
      conditions.add(copy(c));
    }
    status.setConditions(conditions);
    if (available >= replicas(d) - maxUnavailable(d)) {
      setCondition(
          status,
          newCondition(
              "Available",
              "True",
              "MinimumReplicasAvailable",
              "Deployment has minimum availability."));
    } else {
      setCondition(
          status,
          newCondition(
              "Available",
              "False",
              "MinimumReplicasUnavailable",
              "Deployment does not have minimum availability."));
    }
    return status;
  }

  // ------------------------------------------------------------------ rolling.go

  private void rolloutRolling(Deployment d, List<ReplicaSet> rsList) {
    Revisions revisions = allReplicaSetsAndSyncRevision(d, rsList, true);
    ReplicaSet newRs = revisions.newRs();
    List<ReplicaSet> oldRss = new ArrayList<>(revisions.oldRss());
    List<ReplicaSet> all = new Revisions(newRs, oldRss).all();

    Scaled up = reconcileNewReplicaSet(all, newRs, d);
    if (up.scaled()) {
      syncRolloutStatus(new Revisions(up.rs(), oldRss).all(), up.rs(), d);
      return;
    }
    if (reconcileOldReplicaSets(all, filterActive(oldRss), newRs, d)) {
      syncRolloutStatus(new Revisions(newRs, oldRss).all(), newRs, d);
      return;
    }
    if (deploymentComplete(d, d.getStatus())) {
      cleanupDeployment(oldRss, d);
    }
    syncRolloutStatus(all, newRs, d);
  }

  private Scaled reconcileNewReplicaSet(List<ReplicaSet> all, ReplicaSet newRs, Deployment d) {
    if (rsReplicas(newRs) == replicas(d)) {
      return new Scaled(false, newRs);
    }
    if (rsReplicas(newRs) > replicas(d)) {
      return scaleReplicaSetAndRecordEvent(newRs, replicas(d), d);
    }
    return scaleReplicaSetAndRecordEvent(newRs, newRsNewReplicas(d, all, newRs), d);
  }

  private boolean reconcileOldReplicaSets(
      List<ReplicaSet> all, List<ReplicaSet> oldRss, ReplicaSet newRs, Deployment d) {
    if (replicaCount(oldRss) == 0) {
      return false;
    }
    int allPods = replicaCount(all);
    int maxUnavailable = maxUnavailable(d);
    // Old pods can go only as far as they do not take availability below the minimum, counting
    // the new ReplicaSet's unavailable pods (so that they do not let old pods go early).
    int minAvailable = replicas(d) - maxUnavailable;
    int newRsUnavailable =
        rsReplicas(newRs)
            - intOrZero(
                newRs.getStatus() == null ? null : newRs.getStatus().getAvailableReplicas());
    int maxScaledDown = allPods - minAvailable - newRsUnavailable;
    if (maxScaledDown <= 0) {
      return false;
    }
    // Unhealthy replicas go first: deleting them does not reduce availability (upstream #16737).
    List<ReplicaSet> olds = new ArrayList<>(oldRss);
    int cleaned = cleanupUnhealthyReplicas(olds, d, maxScaledDown);
    List<ReplicaSet> updatedAll = new ArrayList<>(olds);
    updatedAll.add(newRs);
    int scaledDown = scaleDownOldReplicaSetsForRollingUpdate(updatedAll, olds, d);
    return cleaned + scaledDown > 0;
  }

  private int cleanupUnhealthyReplicas(List<ReplicaSet> oldRss, Deployment d, int maxCleanup) {
    oldRss.sort(BY_CREATION);
    int total = 0;
    for (int i = 0; i < oldRss.size(); i++) {
      if (total >= maxCleanup) {
        break;
      }
      ReplicaSet target = oldRss.get(i);
      int available =
          intOrZero(target.getStatus() == null ? null : target.getStatus().getAvailableReplicas());
      if (rsReplicas(target) == 0 || rsReplicas(target) == available) {
        continue;
      }
      int scaledDown = Math.min(maxCleanup - total, rsReplicas(target) - available);
      int newCount = rsReplicas(target) - scaledDown;
      if (newCount > rsReplicas(target)) {
        throw new IllegalStateException(
            "when cleaning up unhealthy replicas, got invalid request to scale down "
                + target.getMetadata().getNamespace()
                + "/"
                + name(target)
                + " "
                + rsReplicas(target)
                + " -> "
                + newCount);
      }
      oldRss.set(i, scaleReplicaSetAndRecordEvent(target, newCount, d).rs());
      total += scaledDown;
    }
    return total;
  }

  private int scaleDownOldReplicaSetsForRollingUpdate(
      List<ReplicaSet> all, List<ReplicaSet> oldRss, Deployment d) {
    int minAvailable = replicas(d) - maxUnavailable(d);
    int availablePods = 0;
    for (ReplicaSet rs : all) {
      availablePods +=
          intOrZero(rs.getStatus() == null ? null : rs.getStatus().getAvailableReplicas());
    }
    if (availablePods <= minAvailable) {
      return 0;
    }
    oldRss.sort(BY_CREATION);
    int total = 0;
    int toScaleDown = availablePods - minAvailable;
    for (ReplicaSet target : oldRss) {
      if (total >= toScaleDown) {
        break;
      }
      if (rsReplicas(target) == 0) {
        continue;
      }
      int scaleDown = Math.min(rsReplicas(target), toScaleDown - total);
      scaleReplicaSetAndRecordEvent(target, rsReplicas(target) - scaleDown, d);
      total += scaleDown;
    }
    return total;
  }

  // ------------------------------------------------------------------ recreate.go

  private void rolloutRecreate(
      Deployment d, List<ReplicaSet> rsList, Map<String, List<Pod>> podMap) {
    Revisions revisions = allReplicaSetsAndSyncRevision(d, rsList, false);
    ReplicaSet newRs = revisions.newRs();
    List<ReplicaSet> oldRss = new ArrayList<>(revisions.oldRss());
    boolean scaledDown = false;
    for (ReplicaSet rs : filterActive(oldRss)) {
      Scaled scaled = scaleReplicaSetAndRecordEvent(rs, 0, d);
      replace(newRs, oldRss, scaled.rs());
      scaledDown |= scaled.scaled();
    }
    if (scaledDown) {
      syncRolloutStatus(new Revisions(newRs, oldRss).all(), newRs, d);
      return;
    }
    if (oldPodsRunning(newRs, oldRss, podMap)) {
      syncRolloutStatus(new Revisions(newRs, oldRss).all(), newRs, d);
      return;
    }
    if (newRs == null) {
      revisions = allReplicaSetsAndSyncRevision(d, rsList, true);
      newRs = revisions.newRs();
      oldRss = new ArrayList<>(revisions.oldRss());
    }
    newRs = scaleReplicaSetAndRecordEvent(newRs, replicas(d), d).rs();
    if (deploymentComplete(d, d.getStatus())) {
      cleanupDeployment(oldRss, d);
    }
    syncRolloutStatus(new Revisions(newRs, oldRss).all(), newRs, d);
  }

  private static boolean oldPodsRunning(
      ReplicaSet newRs, List<ReplicaSet> oldRss, Map<String, List<Pod>> podMap) {
    int oldPods = 0;
    for (ReplicaSet rs : oldRss) {
      oldPods += statusReplicas(rs);
    }
    if (oldPods > 0) {
      return true;
    }
    for (Map.Entry<String, List<Pod>> entry : podMap.entrySet()) {
      if (newRs != null && uid(newRs).equals(entry.getKey())) {
        continue;
      }
      for (Pod pod : entry.getValue()) {
        String phase = Pods.phase(pod);
        if (!"Failed".equals(phase) && !"Succeeded".equals(phase)) {
          return true;
        }
      }
    }
    return false;
  }

  // ------------------------------------------------------------------ progress.go

  static final String TIMED_OUT = "ProgressDeadlineExceeded";
  static final String NEW_RS_AVAILABLE = "NewReplicaSetAvailable";

  /** {@code syncRolloutStatus}: status plus the Progressing condition. */
  private void syncRolloutStatus(List<ReplicaSet> all, ReplicaSet newRs, Deployment d) {
    DeploymentStatus status = calculateStatus(all, newRs, d);
    if (!hasProgressDeadline(d)) {
      removeCondition(status, "Progressing");
    }
    DeploymentCondition current = condition(d.getStatus(), "Progressing");
    boolean complete =
        Objects.equals(status.getReplicas(), status.getUpdatedReplicas())
            && current != null
            && NEW_RS_AVAILABLE.equals(current.getReason());
    if (hasProgressDeadline(d) && !complete) {
      String rsName = newRs == null ? null : "ReplicaSet \"" + name(newRs) + "\"";
      String subject = rsName != null ? rsName : "Deployment \"" + d.getMetadata().getName() + "\"";
      if (deploymentComplete(d, status)) {
        setCondition(
            status,
            newCondition(
                "Progressing",
                "True",
                NEW_RS_AVAILABLE,
                subject + " has successfully progressed."));
      } else if (deploymentProgressing(d, status)) {
        DeploymentCondition condition =
            newCondition("Progressing", "True", "ReplicaSetUpdated", subject + " is progressing.");
        // Progress moves lastUpdateTime even when the reason stays the same.
        if (current != null) {
          if ("True".equals(current.getStatus())) {
            condition.setLastTransitionTime(current.getLastTransitionTime());
          }
          removeCondition(status, "Progressing");
        }
        setCondition(status, condition);
      } else if (deploymentTimedOut(d, status)) {
        setCondition(
            status,
            newCondition(
                "Progressing", "False", TIMED_OUT, subject + " has timed out progressing."));
      }
    }
    DeploymentCondition failure = replicaFailure(all, newRs);
    if (failure != null) {
      setCondition(status, failure);
    } else {
      removeCondition(status, "ReplicaFailure");
    }
    if (sameStatus(d.getStatus(), status)) {
      requeueStuckDeployment(d, status);
      return;
    }
    writeStatus(d, status);
  }

  private static DeploymentCondition replicaFailure(List<ReplicaSet> all, ReplicaSet newRs) {
    List<ReplicaSet> ordered = new ArrayList<>();
    if (newRs != null) {
      ordered.add(newRs);
    }
    for (ReplicaSet rs : all) {
      if (newRs == null || !uid(rs).equals(uid(newRs))) {
        ordered.add(rs);
      }
    }
    for (ReplicaSet rs : ordered) {
      if (rs.getStatus() == null) {
        continue;
      }
      for (ReplicaSetCondition c : Pods.listOf(rs.getStatus().getConditions())) {
        if ("ReplicaFailure".equals(c.getType())) {
          return new DeploymentConditionBuilder()
              .withType(c.getType())
              .withStatus(c.getStatus())
              .withLastTransitionTime(c.getLastTransitionTime())
              .withLastUpdateTime(c.getLastTransitionTime())
              .withReason(c.getReason())
              .withMessage(c.getMessage())
              .build();
        }
      }
    }
    return null;
  }

  /** {@code requeueStuckDeployment}: check again when the progress deadline would pass. */
  private void requeueStuckDeployment(Deployment d, DeploymentStatus newStatus) {
    DeploymentCondition current = condition(d.getStatus(), "Progressing");
    if (!hasProgressDeadline(d) || current == null) {
      return;
    }
    if (deploymentComplete(d, newStatus) || TIMED_OUT.equals(current.getReason())) {
      return;
    }
    Instant lastUpdate = Pods.parseTime(current.getLastUpdateTime());
    if (lastUpdate == null) {
      return;
    }
    Duration after =
        Duration.between(
            store.clock().instant(),
            lastUpdate.plusSeconds(d.getSpec().getProgressDeadlineSeconds()));
    ResourceKey key = ResourceKey.of(ResourceTypes.DEPLOYMENT, d);
    // A second more avoids waking up just before the deadline.
    queue.addAfter(
        key,
        after.compareTo(Duration.ofSeconds(1)) < 0 ? Duration.ofSeconds(1) : after.plusSeconds(1));
  }

  /** {@code DeploymentComplete}. */
  private static boolean deploymentComplete(Deployment d, DeploymentStatus status) {
    int replicas = replicas(d);
    return intOrZero(status.getUpdatedReplicas()) == replicas
        && intOrZero(status.getReplicas()) == replicas
        && intOrZero(status.getAvailableReplicas()) == replicas
        && observedGeneration(status) >= d.getMetadata().getGeneration();
  }

  /** {@code DeploymentProgressing}: any sign of progress against the current status. */
  private static boolean deploymentProgressing(Deployment d, DeploymentStatus newStatus) {
    DeploymentStatus old = d.getStatus();
    int oldOld = intOrZero(old.getReplicas()) - intOrZero(old.getUpdatedReplicas());
    int newOld = intOrZero(newStatus.getReplicas()) - intOrZero(newStatus.getUpdatedReplicas());
    return intOrZero(newStatus.getUpdatedReplicas()) > intOrZero(old.getUpdatedReplicas())
        || newOld < oldOld
        || intOrZero(newStatus.getReadyReplicas()) > intOrZero(old.getReadyReplicas())
        || intOrZero(newStatus.getAvailableReplicas()) > intOrZero(old.getAvailableReplicas());
  }

  /** {@code DeploymentTimedOut}. */
  private boolean deploymentTimedOut(Deployment d, DeploymentStatus newStatus) {
    if (!hasProgressDeadline(d)) {
      return false;
    }
    DeploymentCondition condition = condition(newStatus, "Progressing");
    if (condition == null || NEW_RS_AVAILABLE.equals(condition.getReason())) {
      return false;
    }
    if (TIMED_OUT.equals(condition.getReason())) {
      return true;
    }
    Instant from = Pods.parseTime(condition.getLastUpdateTime());
    return from != null
        && from.plusSeconds(d.getSpec().getProgressDeadlineSeconds())
            .isBefore(store.clock().instant());
  }

  private static boolean hasProgressDeadline(Deployment d) {
    Integer deadline = d.getSpec().getProgressDeadlineSeconds();
    return deadline != null && deadline != Integer.MAX_VALUE;
  }

  // ------------------------------------------------------------------ conditions and status

  private DeploymentCondition newCondition(
      String type, String status, String reason, String message) {
    String now = ResourceStore.timestamp(store.clock().instant());
    return new DeploymentConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withLastUpdateTime(now)
        .withLastTransitionTime(now)
        .withReason(reason)
        .withMessage(message)
        .build();
  }

  static DeploymentCondition condition(DeploymentStatus status, String type) {
    if (status == null) {
      return null;
    }
    for (DeploymentCondition c : Pods.listOf(status.getConditions())) {
      if (type.equals(c.getType())) {
        return c;
      }
    }
    return null;
  }

  /**
   * {@code SetDeploymentCondition}: nothing changes if status and reason are the same; the
   * transition time is kept while the status is.
   */
  private static void setCondition(DeploymentStatus status, DeploymentCondition condition) {
    DeploymentCondition current = condition(status, condition.getType());
    if (current != null
        && Objects.equals(current.getStatus(), condition.getStatus())
        && Objects.equals(current.getReason(), condition.getReason())) {
      return;
    }
    if (current != null && Objects.equals(current.getStatus(), condition.getStatus())) {
      condition.setLastTransitionTime(current.getLastTransitionTime());
    }
    removeCondition(status, condition.getType());
    List<DeploymentCondition> conditions = new ArrayList<>(Pods.listOf(status.getConditions()));
    conditions.add(condition);
    status.setConditions(conditions);
  }

  private static void removeCondition(DeploymentStatus status, String type) {
    List<DeploymentCondition> kept = new ArrayList<>();
    for (DeploymentCondition c : Pods.listOf(status.getConditions())) {
      if (!type.equals(c.getType())) {
        kept.add(c);
      }
    }
    status.setConditions(kept);
  }

  private static boolean sameStatus(DeploymentStatus a, DeploymentStatus b) {
    return PodTemplateHash.canonical(ResourceCodec.tree(a))
        .equals(PodTemplateHash.canonical(ResourceCodec.tree(b)));
  }

  private void writeStatus(Deployment d, DeploymentStatus status) {
    String uid = uid(d);
    store.modifyStatus(
        Deployment.class,
        ResourceKey.of(ResourceTypes.DEPLOYMENT, d),
        live -> {
          if (uid.equals(uid(live))) {
            live.setStatus(status);
          }
          return live;
        });
    d.setStatus(status);
  }

  /** Writes the Deployment's revision annotation (a metadata update) and then its status. */
  private void writeRevisionAndStatus(Deployment d, DeploymentStatus status) {
    String uid = uid(d);
    String revision = annotation(d, REVISION);
    store.modify(
        Deployment.class,
        ResourceKey.of(ResourceTypes.DEPLOYMENT, d),
        live -> {
          if (uid.equals(uid(live)) && !Objects.equals(annotation(live, REVISION), revision)) {
            Map<String, String> annotations =
                live.getMetadata().getAnnotations() == null
                    ? new LinkedHashMap<>()
                    : new LinkedHashMap<>(live.getMetadata().getAnnotations());
            annotations.put(REVISION, revision);
            live.getMetadata().setAnnotations(annotations);
          }
          return live;
        });
    if (!sameStatus(d.getStatus(), status)) {
      writeStatus(d, status);
    }
  }

  // ------------------------------------------------------------------ small accessors

  private static final Comparator<ReplicaSet> BY_CREATION =
      Comparator.comparing(
              (ReplicaSet rs) -> Objects.requireNonNullElse(Pods.created(rs), Instant.MIN))
          .thenComparing(DeploymentController::name);

  /** {@code ReplicaSetsBySizeOlder}: larger first, then older first. */
  private static final Comparator<ReplicaSet> BY_SIZE_OLDER =
      Comparator.comparing((ReplicaSet rs) -> -rsReplicas(rs)).thenComparing(BY_CREATION);

  /** {@code ReplicaSetsBySizeNewer}: larger first, then newer first. */
  private static final Comparator<ReplicaSet> BY_SIZE_NEWER =
      Comparator.comparing((ReplicaSet rs) -> -rsReplicas(rs))
          .thenComparing(BY_CREATION.reversed());

  /** {@code ReplicaSetsByRevision}: lower revision first, then older first. */
  private static final Comparator<ReplicaSet> BY_REVISION =
      (a, b) -> {
        Long ra = revisionOf(a);
        Long rb = revisionOf(b);
        if (ra == null || rb == null || ra.equals(rb)) {
          return BY_CREATION.compare(a, b);
        }
        return Long.compare(ra, rb);
      };

  private static Long revisionOf(ReplicaSet rs) {
    String revision = annotation(rs, REVISION);
    if (revision == null) {
      return 0L;
    }
    try {
      return Long.parseLong(revision);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** {@code MaxRevision}. */
  private static long maxRevision(List<ReplicaSet> rss) {
    long max = 0;
    for (ReplicaSet rs : rss) {
      Long revision = revisionOf(rs);
      if (revision != null && revision > max) {
        max = revision;
      }
    }
    return max;
  }

  /** {@code FindActiveOrLatest}. */
  private static ReplicaSet findActiveOrLatest(ReplicaSet newRs, List<ReplicaSet> oldRss) {
    if (newRs == null && oldRss.isEmpty()) {
      return null;
    }
    List<ReplicaSet> newestFirst = new ArrayList<>(oldRss);
    newestFirst.sort(BY_CREATION.reversed());
    List<ReplicaSet> all = new ArrayList<>(newestFirst);
    if (newRs != null) {
      all.add(newRs);
    }
    List<ReplicaSet> active = filterActive(all);
    if (active.isEmpty()) {
      return newRs != null ? newRs : newestFirst.get(0);
    }
    return active.size() == 1 ? active.get(0) : null;
  }

  /** {@code IsSaturated}. */
  private static boolean isSaturated(Deployment d, ReplicaSet rs) {
    if (rs == null) {
      return false;
    }
    Integer desired = intAnnotation(rs, DESIRED_REPLICAS);
    return desired != null
        && rsReplicas(rs) == replicas(d)
        && desired == replicas(d)
        && intOrZero(rs.getStatus() == null ? null : rs.getStatus().getAvailableReplicas())
            == replicas(d);
  }

  private static List<ReplicaSet> filterActive(List<ReplicaSet> rss) {
    List<ReplicaSet> active = new ArrayList<>();
    for (ReplicaSet rs : rss) {
      if (rs != null && rsReplicas(rs) > 0) {
        active.add(rs);
      }
    }
    return active;
  }

  private static String strategyType(Deployment d) {
    DeploymentStrategy strategy = d.getSpec() == null ? null : d.getSpec().getStrategy();
    return strategy == null || strategy.getType() == null || strategy.getType().isEmpty()
        ? "RollingUpdate"
        : strategy.getType();
  }

  private static boolean isRollingUpdate(Deployment d) {
    return "RollingUpdate".equals(strategyType(d));
  }

  /** {@code MaxSurge}. */
  static int maxSurge(Deployment d) {
    return isRollingUpdate(d) ? fenceposts(d)[0] : 0;
  }

  /** {@code MaxUnavailable}. */
  static int maxUnavailable(Deployment d) {
    if (!isRollingUpdate(d) || replicas(d) == 0) {
      return 0;
    }
    return Math.min(fenceposts(d)[1], replicas(d));
  }

  /** {@code ResolveFenceposts}: surge rounds up, unavailable down, and they are never both 0. */
  private static int[] fenceposts(Deployment d) {
    RollingUpdateDeployment rolling = d.getSpec().getStrategy().getRollingUpdate();
    IntOrString zero = new IntOrString(0);
    int surge =
        IntOrPercent.scaled(
            rolling == null ? null : rolling.getMaxSurge(), zero, replicas(d), true);
    int unavailable =
        IntOrPercent.scaled(
            rolling == null ? null : rolling.getMaxUnavailable(), zero, replicas(d), false);
    if (surge == 0 && unavailable == 0) {
      unavailable = 1;
    }
    return new int[] {surge, unavailable};
  }

  static int replicas(Deployment d) {
    Integer replicas = d.getSpec().getReplicas();
    return replicas == null ? 1 : replicas;
  }

  private static int rsReplicas(ReplicaSet rs) {
    return rs == null ? 0 : ReplicaSetController.replicas(rs);
  }

  private static int replicaCount(List<ReplicaSet> rss) {
    int total = 0;
    for (ReplicaSet rs : rss) {
      total += rsReplicas(rs);
    }
    return total;
  }

  private static int statusReplicas(ReplicaSet rs) {
    return intOrZero(rs.getStatus() == null ? null : rs.getStatus().getReplicas());
  }

  private static long observedGeneration(ReplicaSet rs) {
    Long observed = rs.getStatus() == null ? null : rs.getStatus().getObservedGeneration();
    return observed == null ? 0 : observed;
  }

  private static long observedGeneration(Deployment d) {
    return observedGeneration(d.getStatus());
  }

  private static long observedGeneration(DeploymentStatus status) {
    return status == null || status.getObservedGeneration() == null
        ? 0
        : status.getObservedGeneration();
  }

  private static Integer minReadySeconds(ReplicaSet rs) {
    Integer value = rs.getSpec().getMinReadySeconds();
    return value == null ? 0 : value;
  }

  private static int intOrZero(Integer value) {
    return value == null ? 0 : value;
  }

  private static Map<String, String> annotations(ReplicaSet rs) {
    if (rs.getMetadata().getAnnotations() == null) {
      rs.getMetadata().setAnnotations(new LinkedHashMap<>());
    }
    return rs.getMetadata().getAnnotations();
  }

  private static String annotation(io.fabric8.kubernetes.api.model.HasMetadata object, String key) {
    Map<String, String> annotations = object.getMetadata().getAnnotations();
    return annotations == null ? null : annotations.get(key);
  }

  private static Integer intAnnotation(ReplicaSet rs, String key) {
    String value = annotation(rs, key);
    if (value == null) {
      return null;
    }
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static String uid(io.fabric8.kubernetes.api.model.HasMetadata object) {
    return Objects.requireNonNullElse(object.getMetadata().getUid(), "");
  }

  private static String name(ReplicaSet rs) {
    return rs.getMetadata().getName();
  }

  private static DeploymentStatus copy(DeploymentStatus status) {
    return status == null
        ? new DeploymentStatus()
        : ResourceCodec.convert(ResourceCodec.tree(status), DeploymentStatus.class);
  }

  private static DeploymentCondition copy(DeploymentCondition condition) {
    return ResourceCodec.convert(ResourceCodec.tree(condition), DeploymentCondition.class);
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
