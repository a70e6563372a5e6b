package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes objects whose owners are gone and carries out cascading deletion. Mirrors {@code
 * pkg/controller/garbagecollector} ({@code garbagecollector.go}, {@code graph_builder.go}):
 *
 * <ul>
 *   <li>an object whose owner references all point to owners that no longer exist (looked up by
 *       kind, namespace and name in the store, and compared by uid) is deleted, with the
 *       propagation its own finalizers ask for (background by default); references to missing
 *       owners are removed from an object that still has a live owner;
 *   <li>an owner deleted with {@code propagationPolicy: Orphan} carries the {@code orphan}
 *       finalizer: its dependents lose their reference to it, then the finalizer is removed;
 *   <li>an owner deleted with {@code Foreground} carries {@code foregroundDeletion}: its dependents
 *       are deleted in the foreground too, and the finalizer is removed once no dependent with
 *       {@code blockOwnerDeletion} is left.
 * </ul>
 *
 * <p>The dependency graph covers the built-in kinds (every kind of {@link ResourceTypes#BUILT_IN}
 * but Event); an owner of a kind kemu only stores (a custom resource) is looked up in the store
 * like any other, and an owner of a kind the store does not know is never taken as absent, as
 * upstream waits for discovery. Dependents that are custom resources are not collected. Cycle
 * detection of foreground deletion (upstream's unblocking of owner references) is left out.
 *
 * <p>Every decision reads the store, not the cache, as upstream verifies absence with a live
 * lookup; a cascade therefore completes within one sync, so {@code whenApplied} of a delete returns
 * when everything that can go at once is gone.
 */
public final class GarbageCollector implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(GarbageCollector.class);

  static final String ORPHAN = "orphan";
  static final String FOREGROUND = "foregroundDeletion";

  /** A bound on the work of one sync, so that a bug cannot spin the informer thread forever. */
  private static final int MAX_STEPS_PER_SYNC = 1_000_000;

  private final ResourceStore store;
  private final Informer informer;

  /** The graph: owner uid to the keys of its dependents. */
  private final Map<String, Set<GraphNode>> dependents = new HashMap<>();

  /** Every object followed, by uid. */
  private final Map<String, GraphNode> byUid = new HashMap<>();

  /** The owner uids each object references. */
  private final Map<GraphNode, List<String>> ownersOf = new HashMap<>();

  private final Deque<GraphNode> queue = new ArrayDeque<>();
  private final Set<GraphNode> queued = new HashSet<>();
  private final Set<String> unknownKinds = new HashSet<>();

  /** One object of the graph. */
  private record GraphNode(ResourceKey key, String uid) {}

  private static final Comparator<GraphNode> ORDER =
      Comparator.comparing((GraphNode n) -> n.key().type().kind())
          .thenComparing(n -> n.key().namespace())
          .thenComparing(n -> n.key().name())
          .thenComparing(GraphNode::uid);

  /** A garbage collector for the store; {@link #start()} begins collecting. */
  public GarbageCollector(ResourceStore store) {
    this.store = store;
    List<Class<? extends HasMetadata>> kinds = new ArrayList<>();
    for (ResourceType type : ResourceTypes.BUILT_IN) {
      if (!type.equals(ResourceTypes.EVENT) && type.javaType() != GenericKubernetesResource.class) {
        kinds.add(type.javaType());
      }
    }
    this.informer = new Informer(store, "garbage-collector-controller", kinds, this::sync);
  }

  // ------------------------------------------------------------------ graph builder

  private void sync(List<ObjectChange> changes) {
    TreeSet<GraphNode> touched = new TreeSet<>(ORDER);
    for (ObjectChange change : changes) {
      HasMetadata object = change.object();
      GraphNode node = nodeOf(object);
      if (change.oldObject() != null) {
        GraphNode old = nodeOf(change.oldObject());
        unlink(old);
      }
      if (change.type() == EventType.DELETED) {
        unlink(node);
        byUid.remove(node.uid());
        // Its dependents may now be dangling; owners waiting for it may be done.
        touched.addAll(dependentsOf(node.uid()));
        touched.addAll(ownerNodes(object));
        continue;
      }
      byUid.put(node.uid(), node);
      link(node, object);
      boolean hasOwners = !Pods.listOf(object.getMetadata().getOwnerReferences()).isEmpty();
      if (hasOwners || hasGcFinalizer(object)) {
        touched.add(node);
      }
      if (change.oldObject() != null) {
        // Lost an owner reference: that owner may be done waiting for its dependents.
        touched.addAll(ownerNodes(change.oldObject()));
      }
      if (change.type() == EventType.ADDED) {
        // Objects that referenced this uid before it was seen.
        touched.addAll(dependentsOf(node.uid()));
      }
    }
    touched.forEach(this::enqueue);
    process();
  }

  private GraphNode nodeOf(HasMetadata object) {
    return new GraphNode(
        store.keyOf(object), Objects.requireNonNullElse(object.getMetadata().getUid(), ""));
  }

  private void link(GraphNode node, HasMetadata object) {
    List<String> owners = new ArrayList<>();
    for (OwnerReference ref : Pods.listOf(object.getMetadata().getOwnerReferences())) {
      if (ref.getUid() != null) {
        owners.add(ref.getUid());
        dependents.computeIfAbsent(ref.getUid(), uid -> new HashSet<>()).add(node);
      }
    }
    ownersOf.put(node, owners);
  }

  private void unlink(GraphNode node) {
    List<String> owners = ownersOf.remove(node);
    if (owners == null) {
      return;
    }
    for (String owner : owners) {
      Set<GraphNode> set = dependents.get(owner);
      if (set != null) {
        set.remove(node);
        if (set.isEmpty()) {
          dependents.remove(owner);
        }
      }
    }
  }

  private List<GraphNode> dependentsOf(String uid) {
    List<GraphNode> list = new ArrayList<>(dependents.getOrDefault(uid, Set.of()));
    list.sort(ORDER);
    return list;
  }

  private List<GraphNode> ownerNodes(HasMetadata object) {
    List<GraphNode> owners = new ArrayList<>();
    for (OwnerReference ref : Pods.listOf(object.getMetadata().getOwnerReferences())) {
      GraphNode owner = byUid.get(ref.getUid());
      if (owner != null) {
        owners.add(owner);
      }
    }
    return owners;
  }

  private static boolean hasGcFinalizer(HasMetadata object) {
    List<String> finalizers = Pods.listOf(object.getMetadata().getFinalizers());
    return object.getMetadata().getDeletionTimestamp() != null
        && (finalizers.contains(ORPHAN) || finalizers.contains(FOREGROUND));
  }

  private void enqueue(GraphNode node) {
    if (queued.add(node)) {
      queue.add(node);
    }
  }

  // ------------------------------------------------------------------ attemptToDelete

  private void process() {
    int steps = 0;
    while (!queue.isEmpty()) {
      if (++steps > MAX_STEPS_PER_SYNC) {
        logger.error("garbage collection did not settle in {} steps; resuming later", steps);
        informer.resync(java.time.Duration.ofSeconds(1));
        return;
      }
      GraphNode node = queue.poll();
      queued.remove(node);
      try {
        attemptToDelete(node);
      } catch (ApiException.NotFound | ApiException.Conflict e) {
        // Changed under us: look again.
        enqueue(node);
      } catch (RuntimeException e) {
        logger.warn("garbage collection of {} failed: {}", node.key(), e.toString());
        informer.resync(java.time.Duration.ofSeconds(1));
        queued.add(node);
        queue.add(node);
        return;
      }
    }
  }

  private void attemptToDelete(GraphNode node) {
    Optional<HasMetadata> found = store.get(node.key());
    if (found.isEmpty() || !node.uid().equals(found.get().getMetadata().getUid())) {
      // Gone (or replaced by a namesake): its dependents may dangle, its owners may be done.
      dependentsOf(node.uid()).forEach(this::enqueue);
      found.ifPresent(latest -> enqueue(nodeOf(latest)));
      return;
    }
    HasMetadata latest = found.get();
    List<String> finalizers = Pods.listOf(latest.getMetadata().getFinalizers());
    if (latest.getMetadata().getDeletionTimestamp() != null) {
      if (finalizers.contains(ORPHAN)) {
        orphanDependents(node, latest);
        return;
      }
      if (finalizers.contains(FOREGROUND)) {
        processDeletingDependents(node, latest);
      }
      // Being deleted otherwise: nothing to collect.
      return;
    }
    List<OwnerReference> refs = Pods.listOf(latest.getMetadata().getOwnerReferences());
    if (refs.isEmpty()) {
      return;
    }
    List<OwnerReference> solid = new ArrayList<>();
    List<OwnerReference> dangling = new ArrayList<>();
    List<OwnerReference> waiting = new ArrayList<>();
    for (OwnerReference ref : refs) {
      switch (classify(latest, node.key(), ref)) {
        case SOLID -> solid.add(ref);
        case DANGLING -> dangling.add(ref);
        case WAITING -> waiting.add(ref);
      }
    }
    if (!solid.isEmpty()) {
      if (dangling.isEmpty() && waiting.isEmpty()) {
        return;
      }
      List<String> remove = new ArrayList<>();
      dangling.forEach(ref -> remove.add(ref.getUid()));
      waiting.forEach(ref -> remove.add(ref.getUid()));
      store.modify(
          latest.getClass(),
          node.key(),
          live -> {
            if (node.uid().equals(live.getMetadata().getUid())) {
              OwnerReferences.removeReferencesTo(live, remove);
            }
            return live;
          });
      ownerNodes(latest).forEach(this::enqueue);
      return;
    }
    String policy;
    if (!waiting.isEmpty()) {
      // An owner is waiting for its dependents: delete this one in the foreground as well.
      policy = "Foreground";
    } else if (finalizers.contains(ORPHAN)) {
      policy = "Orphan";
    } else if (finalizers.contains(FOREGROUND)) {
      policy = "Foreground";
    } else {
      policy = "Background";
    }
    logger.debug("deleting {} (owners gone or waiting), propagation {}", node.key(), policy);
    store.delete(node.key(), new DeleteOptions(null, node.uid(), null, policy, false));
    // Look again: it is gone (its dependents may dangle) or marked (its finalizers are ours).
    enqueue(node);
    ownerNodes(latest).forEach(this::enqueue);
  }

  private enum Owner {
    SOLID,
    DANGLING,
    WAITING
  }

  /** {@code classifyReferences}: whether an owner exists, is gone, or waits for dependents. */
  private Owner classify(HasMetadata dependent, ResourceKey dependentKey, OwnerReference ref) {
    Optional<ResourceType> type = store.types().find(ref.getApiVersion(), ref.getKind());
    if (type.isEmpty()) {
      if (unknownKinds.add(ref.getApiVersion() + "/" + ref.getKind())) {
        logger.warn(
            "{} has an owner of unknown kind {}, {}: it is kept until that kind is known",
            dependentKey,
            ref.getApiVersion(),
            ref.getKind());
      }
      return Owner.SOLID;
    }
    if (type.get().namespaced() && dependentKey.namespace().isEmpty()) {
      // A cluster-scoped object cannot be owned by a namespaced one: the reference is invalid.
      return Owner.DANGLING;
    }
    String namespace = type.get().namespaced() ? dependentKey.namespace() : "";
    Optional<HasMetadata> owner =
        store.get(
            new ResourceKey(type.get(), namespace, Objects.requireNonNullElse(ref.getName(), "")));
    if (owner.isEmpty() || !Objects.equals(owner.get().getMetadata().getUid(), ref.getUid())) {
      return Owner.DANGLING;
    }
    if (owner.get().getMetadata().getDeletionTimestamp() != null
        && Pods.listOf(owner.get().getMetadata().getFinalizers()).contains(FOREGROUND)) {
      return Owner.WAITING;
    }
    return Owner.SOLID;
  }

  /** {@code orphanDependents}: removes the references to the owner, then its finalizer. */
  private void orphanDependents(GraphNode owner, HasMetadata latest) {
    for (GraphNode dependent : dependentsOf(owner.uid())) {
      Optional<HasMetadata> live = store.get(dependent.key());
      if (live.isEmpty() || !dependent.uid().equals(live.get().getMetadata().getUid())) {
        continue;
      }
      store.modify(
          live.get().getClass(),
          dependent.key(),
          object -> {
            if (dependent.uid().equals(object.getMetadata().getUid())) {
              OwnerReferences.removeReferencesTo(object, List.of(owner.uid()));
            }
            return object;
          });
    }
    removeFinalizer(owner, latest, ORPHAN);
  }

  /** {@code processDeletingDependentsItem}: deletes dependents, then lets the owner go. */
  private void processDeletingDependents(GraphNode owner, HasMetadata latest) {
    boolean blocked = false;
    for (GraphNode dependent : dependentsOf(owner.uid())) {
      Optional<HasMetadata> live = store.get(dependent.key());
      if (live.isEmpty() || !dependent.uid().equals(live.get().getMetadata().getUid())) {
        continue;
      }
      OwnerReference ref = referenceTo(live.get(), owner.uid());
      if (ref == null) {
        continue;
      }
      if (Boolean.TRUE.equals(ref.getBlockOwnerDeletion())) {
        blocked = true;
      }
      if (live.get().getMetadata().getDeletionTimestamp() == null || hasGcFinalizer(live.get())) {
        enqueue(dependent);
      }
    }
    if (!blocked) {
      removeFinalizer(owner, latest, FOREGROUND);
    }
  }

  private static OwnerReference referenceTo(HasMetadata object, String uid) {
    for (OwnerReference ref : Pods.listOf(object.getMetadata().getOwnerReferences())) {
      if (uid.equals(ref.getUid())) {
        return ref;
      }
    }
    return null;
  }

  private void removeFinalizer(GraphNode node, HasMetadata latest, String finalizer) {
    store.modify(
        latest.getClass(),
        node.key(),
        live -> {
          if (node.uid().equals(live.getMetadata().getUid())) {
            List<String> kept = new ArrayList<>(Pods.listOf(live.getMetadata().getFinalizers()));
            kept.remove(finalizer);
            live.getMetadata().setFinalizers(kept.isEmpty() ? null : kept);
          }
          return live;
        });
    // Removing the last finalizer removes the object: look at it (and its dependents) again.
    enqueue(node);
    ownerNodes(latest).forEach(this::enqueue);
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
