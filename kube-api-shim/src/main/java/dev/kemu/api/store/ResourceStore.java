package dev.kemu.api.store;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.EventHistory.Change;
import dev.kemu.api.validation.Names;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single source of truth: an in-memory Kubernetes object store with one global resourceVersion,
 * optimistic concurrency, label and field selectors, finalizers and graceful deletion, and watches
 * that resume from a resourceVersion within a bounded history. Mirrors the apiserver's generic
 * registry ({@code k8s.io/apiserver/pkg/registry/generic/registry/store.go}, {@code
 * registry/rest/create.go}, {@code update.go}, {@code delete.go}) over etcd and its watch cache
 * ({@code storage/cacher/watch_cache.go}), plus the namespace rules of the {@code
 * NamespaceLifecycle} admission plugin and the namespace registry.
 *
 * <p>Writes are serialized under one lock; each write that changes something gets the next
 * resourceVersion and becomes exactly one change in the history; a write that changes nothing
 * writes nothing. Objects are kept encoded, so every object a caller receives is its own copy:
 * readers cannot change the store or each other.
 */
public final class ResourceStore implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ResourceStore.class);
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

  /** The alphabet of generated name suffixes ({@code k8s.io/apimachinery/pkg/util/rand}). */
  private static final char[] NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

  /** {@code maxNameGenerationCreateAttempts} of the registry. */
  private static final int NAME_GENERATION_ATTEMPTS = 8;

  /** Namespaces the {@code NamespaceLifecycle} admission plugin never lets anyone delete. */
  private static final Set<String> IMMORTAL_NAMESPACES =
      Set.of("default", "kube-system", "kube-public");

  /** Kinds kemu does not model that are cluster-scoped (for objects of unknown kinds). */
  private static final Set<String> CLUSTER_SCOPED_KINDS =
      Set.of(
          "GatewayClass",
          "ClusterRole",
          "ClusterRoleBinding",
          "StorageClass",
          "PersistentVolume",
          "PriorityClass",
          "RuntimeClass",
          "CSIDriver",
          "CSINode",
          "VolumeAttachment",
          "ValidatingWebhookConfiguration",
          "MutatingWebhookConfiguration",
          "ValidatingAdmissionPolicy",
          "ValidatingAdmissionPolicyBinding",
          "APIService",
          "ComponentStatus",
          "CertificateSigningRequest",
          "FlowSchema",
          "PriorityLevelConfiguration",
          "IPAddress",
          "ServiceCIDR");

  private static final ResourceType DELETE_OPTIONS_KIND =
      new ResourceType(
          "meta.k8s.io",
          "v1",
          "DeleteOptions",
          "deleteoptions",
          false,
          false,
          GenericKubernetesResource.class);

  private final ResourceTypes types;
  private final Clock clock;
  private final Random random;
  private final Random uids;
  private final ReentrantLock writeLock = new ReentrantLock();
  private final AtomicLong resourceVersion = new AtomicLong();
  private final Map<ResourceType, ConcurrentSkipListMap<String, StoredObject>> objects =
      new ConcurrentHashMap<>();
  private final Map<ResourceType, WriteStrategy> strategies = new ConcurrentHashMap<>();
  private final EventHistory history;
  private final List<StoreWatch> watches = new CopyOnWriteArrayList<>();
  private final ExecutorService dispatch;

  /**
   * A store.
   *
   * @param types the kinds it serves
   * @param clock the clock for timestamps
   * @param historySize how many changes a watch can resume across
   * @param seed the seed of generated names and uids, for repeatable runs
   */
  public ResourceStore(ResourceTypes types, Clock clock, int historySize, long seed) {
    this.types = Objects.requireNonNull(types);
    this.clock = Objects.requireNonNull(clock);
    this.random = new Random(seed);
    this.uids = new Random(~seed);
    this.history = new EventHistory(historySize, 0);
    AtomicInteger threads = new AtomicInteger();
    this.dispatch =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "kemu-watch-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** A store with the system clock, a history of 10,000 changes and a fixed seed. */
  public ResourceStore() {
    this(new ResourceTypes(), Clock.systemUTC(), 10_000, 0);
  }

  /** The kinds this store serves. */
  public ResourceTypes types() {
    return types;
  }

  /** The store's clock. */
  public Clock clock() {
    return clock;
  }

  /** Installs the write strategy (defaulting, validation, allocation) of a kind. */
  public void register(ResourceType type, WriteStrategy strategy) {
    strategies.put(type, strategy);
  }

  /**
   * The write strategy of a kind (a no-op one if none is registered), so an admission step can wrap
   * the registry's strategy rather than replace it.
   */
  public WriteStrategy strategyOf(ResourceType type) {
    return strategy(type);
  }

  /** The current resourceVersion: that of the last write. */
  public long resourceVersion() {
    return resourceVersion.get();
  }

  /** The oldest resourceVersion a watch can still resume from. */
  public long oldestResumableVersion() {
    writeLock.lock();
    try {
      return history.oldestResumable();
    } finally {
      writeLock.unlock();
    }
  }

  // ---------------------------------------------------------------- reads

  /**
   * The type of an object. A kind kemu does not know is registered with one warning, as namespaced
   * unless it is a well-known cluster-scoped kind ({@code GatewayClass}, {@code ClusterRole}, ...)
   * or its name starts with {@code Cluster}: most custom kinds (HTTPRoute, Gateway, ...) are
   * namespaced, and guessing from the first object's {@code metadata.namespace} would make every
   * later object of the kind lose its namespace.
   */
  public ResourceType typeOf(HasMetadata object) {
    return types
        .of(object)
        .orElseGet(
            () -> {
              if (object.getApiVersion() == null || object.getApiVersion().isBlank()) {
                throw new ApiException.BadRequest("Object 'apiVersion' is missing");
              }
              if (object.getKind() == null || object.getKind().isBlank()) {
                throw new ApiException.BadRequest("Object 'Kind' is missing");
              }
              String kind = object.getKind();
              boolean clusterScoped =
                  CLUSTER_SCOPED_KINDS.contains(kind)
                      || (kind.startsWith("Cluster")
                          && kind.length() > 7
                          && Character.isUpperCase(kind.charAt(7)));
              return types.registerUnknown(
                  object.getApiVersion(), kind, null, !clusterScoped, false);
            });
  }

  /** The key of an object (namespace defaulted to {@code default} for namespaced kinds). */
  public ResourceKey keyOf(HasMetadata object) {
    ResourceType type = typeOf(object);
    ObjectMeta metadata = object.getMetadata() == null ? new ObjectMeta() : object.getMetadata();
    String namespace = type.namespaced() ? defaultNamespace(metadata.getNamespace()) : "";
    return new ResourceKey(type, namespace, Objects.requireNonNullElse(metadata.getName(), ""));
  }

  /** A copy of the object under a key. */
  public Optional<HasMetadata> get(ResourceKey key) {
    StoredObject stored = bucket(key.type()).get(key.namespacedName());
    return stored == null ? Optional.empty() : Optional.of(stored.copy());
  }

  /** A copy of the object of a built-in kind. */
  public <T extends HasMetadata> Optional<T> get(Class<T> kind, String namespace, String name) {
    ResourceType type = types.of(kind);
    return get(new ResourceKey(type, type.namespaced() ? namespace : "", name)).map(kind::cast);
  }

  /** Copies of the objects of a type that match the options, sorted by namespace and name. */
  public ResourceList<HasMetadata> list(ResourceType type, ListOptions options) {
    List<StoredObject> selected;
    long version;
    // The lock makes the selection and its resourceVersion consistent; decoding happens outside.
    writeLock.lock();
    try {
      version = resourceVersion.get();
      selected = select(type, options);
    } finally {
      writeLock.unlock();
    }
    List<HasMetadata> items = new ArrayList<>(selected.size());
    for (StoredObject stored : selected) {
      items.add(stored.copy());
    }
    return new ResourceList<>(items, version);
  }

  /** Copies of the objects of a built-in kind that match the options. */
  public <T extends HasMetadata> List<T> list(Class<T> kind, ListOptions options) {
    return list(types.of(kind), options).items().stream().map(kind::cast).toList();
  }

  /** The encoded objects of a type that match, for serving without decoding. */
  public List<byte[]> listEncoded(ResourceType type, ListOptions options) {
    List<StoredObject> selected;
    writeLock.lock();
    try {
      selected = select(type, options);
    } finally {
      writeLock.unlock();
    }
    List<byte[]> items = new ArrayList<>(selected.size());
    for (StoredObject stored : selected) {
      items.add(stored.json());
    }
    return items;
  }

  private List<StoredObject> select(ResourceType type, ListOptions options) {
    ConcurrentSkipListMap<String, StoredObject> bucket = bucket(type);
    var range =
        options.namespace().isEmpty() || !type.namespaced()
            ? bucket
            : bucket.subMap(options.namespace() + "/", options.namespace() + "0");
    List<StoredObject> selected = new ArrayList<>();
    for (StoredObject stored : range.values()) {
      if (matches(stored, type, options)) {
        selected.add(stored);
      }
    }
    return selected;
  }

  private static boolean matches(StoredObject stored, ResourceType type, ListOptions options) {
    if (type.namespaced()
        && !options.namespace().isEmpty()
        && !options.namespace().equals(stored.key().namespace())) {
      return false;
    }
    return options.labelSelector().matches(stored.labels())
        && options.fieldSelector().matches(stored.object());
  }

  // ---------------------------------------------------------------- create

  /** Creates an object. */
  public <T extends HasMetadata> T create(T object) {
    return create(object, WriteOptions.DEFAULT);
  }

  /**
   * Creates an object: fills uid, creationTimestamp, generation and resourceVersion, generates the
   * name from {@code generateName} (five characters of the upstream alphabet, retried on a
   * collision up to eight times), clears the status of kinds with a status subresource, and runs
   * the kind's strategy.
   *
   * @return the stored object (a copy)
   * @throws ApiException.NotFound if the namespace does not exist
   * @throws ApiException.Forbidden if the namespace is terminating
   * @throws ApiException.AlreadyExists if the name is taken
   * @throws ApiException.Invalid if the object fails validation
   */
  public <T extends HasMetadata> T create(T object, WriteOptions options) {
    ResourceType type = typeOf(object);
    HasMetadata work = working(type, object);
    writeLock.lock();
    Transaction tx = new Transaction(options.dryRun());
    try {
      ObjectMeta meta = work.getMetadata();
      if (type.namespaced()) {
        meta.setNamespace(defaultNamespace(meta.getNamespace()));
        checkNamespaceAdmits(type, meta);
      } else {
        meta.setNamespace(null);
      }
      boolean generated = isBlank(meta.getName()) && !isBlank(meta.getGenerateName());
      if (generated) {
        meta.setName(generateName(type, meta));
      }
      validateMetadata(type, meta);
      meta.setUid(nextUid());
      meta.setCreationTimestamp(timestamp(clock.instant()));
      meta.setDeletionTimestamp(null);
      meta.setDeletionGracePeriodSeconds(null);
      meta.setGeneration(1L);
      meta.setResourceVersion(null);
      if (type.hasStatus()) {
        work =
            withStatus(
                type,
                work,
                type.equals(ResourceTypes.NAMESPACE)
                    ? ResourceCodec.tree(Map.of("phase", "Active"))
                    : null);
      }
      strategy(type).beforeCreate(work, tx);
      ResourceKey key = ResourceKey.of(type, work);
      StoredObject existing = bucket(type).get(key.namespacedName());
      if (existing != null) {
        throw existing.object().getMetadata().getDeletionTimestamp() != null
            ? ApiException.AlreadyExists.beingDeleted(type, key.name())
            : new ApiException.AlreadyExists(type, key.name());
      }
      if (options.dryRun()) {
        return rolledBack(tx, object, work);
      }
      return committed(tx, object, key, work, null);
    } catch (RuntimeException e) {
      tx.rollback();
      throw e;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Creates the object, or replaces the stored one whatever its resourceVersion: what applying a
   * manifest means for kemu's sources (a PUT without precondition; fields the server allocated,
   * such as a Service's ClusterIP, are kept by the kind's strategy).
   *
   * @return the stored object
   */
  public <T extends HasMetadata> T apply(T object) {
    writeLock.lock();
    try {
      ResourceKey key = keyOf(object);
      if (!key.name().isEmpty() && bucket(key.type()).containsKey(key.namespacedName())) {
        HasMetadata work = working(key.type(), object);
        work.getMetadata().setResourceVersion(null);
        work.getMetadata().setUid(null);
        return cast(object, update(work));
      }
      return create(object);
    } finally {
      writeLock.unlock();
    }
  }

  // ---------------------------------------------------------------- update

  /** Updates an object (its status is kept for kinds with a status subresource). */
  public <T extends HasMetadata> T update(T object) {
    return update(object, WriteOptions.DEFAULT);
  }

  /**
   * Replaces an object, as a PUT: if the object carries a resourceVersion (other than empty or
   * {@code 0}) it must be the current one, and a uid it carries must be the object's; server-set
   * metadata (uid, creationTimestamp, deletionTimestamp, deletionGracePeriodSeconds, generation) is
   * kept; for kinds with a status subresource the status is kept; {@code generation} moves when
   * anything but metadata and status changes. An update that changes nothing writes nothing (no new
   * resourceVersion, no event). An object being deleted whose last finalizer is removed is deleted
   * ({@code ShouldDeleteDuringUpdate}): one DELETED event.
   *
   * @return the stored object, or the deleted object's last state if the update deleted it
   * @throws ApiException.NotFound if the object does not exist
   * @throws ApiException.Conflict on a stale resourceVersion or another uid
   */
  public <T extends HasMetadata> T update(T object, WriteOptions options) {
    return write(object, options, false);
  }

  /**
   * Replaces the status of an object, as a PUT to its {@code status} subresource: everything but
   * the status is kept from the stored object.
   *
   * @throws ApiException.NotFound if the object does not exist or its kind has no status
   */
  public <T extends HasMetadata> T updateStatus(T object, WriteOptions options) {
    return write(object, options, true);
  }

  /** Replaces the status of an object. */
  public <T extends HasMetadata> T updateStatus(T object) {
    return updateStatus(object, WriteOptions.DEFAULT);
  }

  /**
   * Reads, changes and writes an object under the store's lock, so the change cannot conflict. The
   * function gets a private copy and returns the object to write (or the copy unchanged, or null
   * for no change).
   *
   * @throws ApiException.NotFound if the object does not exist
   */
  public <T extends HasMetadata> T modify(Class<T> kind, ResourceKey key, UnaryOperator<T> change) {
    return modify(kind, key, change, false);
  }

  /** As {@link #modify}, for the status subresource. */
  public <T extends HasMetadata> T modifyStatus(
      Class<T> kind, ResourceKey key, UnaryOperator<T> change) {
    return modify(kind, key, change, true);
  }

  private <T extends HasMetadata> T modify(
      Class<T> kind, ResourceKey key, UnaryOperator<T> change, boolean status) {
    writeLock.lock();
    try {
      StoredObject stored = bucket(key.type()).get(key.namespacedName());
      if (stored == null) {
        throw new ApiException.NotFound(key.type(), key.name());
      }
      T current = kind.cast(stored.copy());
      T updated = change.apply(current);
      if (updated == null) {
        return kind.cast(stored.copy());
      }
      updated.getMetadata().setResourceVersion(Long.toString(stored.resourceVersion()));
      return write(updated, WriteOptions.DEFAULT, status);
    } finally {
      writeLock.unlock();
    }
  }

  private <T extends HasMetadata> T write(T object, WriteOptions options, boolean status) {
    ResourceType type = typeOf(object);
    HasMetadata work = working(type, object);
    if (type.namespaced()) {
      work.getMetadata().setNamespace(defaultNamespace(work.getMetadata().getNamespace()));
    } else {
      work.getMetadata().setNamespace(null);
    }
    ResourceKey key =
        new ResourceKey(
            type,
            type.namespaced() ? work.getMetadata().getNamespace() : "",
            Objects.requireNonNullElse(work.getMetadata().getName(), ""));
    writeLock.lock();
    Transaction tx = new Transaction(options.dryRun());
    try {
      if (status && !type.hasStatus()) {
        throw ApiException.NotFound.resourceNotFound();
      }
      StoredObject existing = bucket(type).get(key.namespacedName());
      if (existing == null) {
        throw new ApiException.NotFound(type, key.name());
      }
      ObjectMeta requested = work.getMetadata();
      String requestedVersion = requested.getResourceVersion();
      if (!isBlank(requestedVersion)
          && !requestedVersion.equals("0")
          && !requestedVersion.equals(Long.toString(existing.resourceVersion()))) {
        throw ApiException.Conflict.modified(type, key.name());
      }
      String existingUid = existing.object().getMetadata().getUid();
      if (!isBlank(requested.getUid()) && !requested.getUid().equals(existingUid)) {
        // The uid of the body is a precondition (defaultUpdatedObjectInfo.Preconditions).
        throw new ApiException.Conflict(
            type,
            key.name(),
            "Precondition failed: UID in precondition: "
                + requested.getUid()
                + ", UID in object meta: "
                + existingUid);
      }
      HasMetadata old = existing.copy();
      if (status) {
        work = withStatus(type, old, ResourceCodec.tree(work).get("status"));
        work.getMetadata().setResourceVersion(null);
      } else {
        work = mainUpdate(type, work, old);
        strategy(type).beforeUpdate(work, old, tx);
        // The strategy defaults the object (as the apiserver does on decode), so the spec is
        // compared only now: resubmitting a manifest without its defaults changes nothing.
        work.getMetadata().setGeneration(generation(work, old));
      }
      if (unchanged(work, existing)) {
        return rolledBack(tx, object, existing.copy());
      }
      if (shouldDeleteDuringUpdate(key, work, existing)) {
        if (options.dryRun()) {
          return rolledBack(tx, object, existing.copy());
        }
        StoredObject removed = remove(key, existing);
        tx.commit();
        return cast(object, removed.copy());
      }
      if (options.dryRun()) {
        tx.rollback();
        work.getMetadata().setResourceVersion(Long.toString(existing.resourceVersion()));
        return cast(object, work);
      }
      return committed(tx, object, key, work, existing);
    } catch (RuntimeException e) {
      tx.rollback();
      throw e;
    } finally {
      writeLock.unlock();
    }
  }

  /**
   * Ends a write that stores {@code work} in place of {@code previous}: the transaction commits.
   */
  private <T extends HasMetadata> T committed(
      Transaction tx, T requested, ResourceKey key, HasMetadata work, StoredObject previous) {
    StoredObject stored = commit(key, work, previous);
    tx.commit();
    return cast(requested, stored.copy());
  }

  /** Ends a write that stores nothing (a dry run, or no change): the transaction rolls back. */
  private static <T extends HasMetadata> T rolledBack(
      Transaction tx, T requested, HasMetadata result) {
    tx.rollback();
    return cast(requested, result);
  }

  /**
   * The main resource of a PUT: server-set metadata and the status are kept (rest.BeforeUpdate).
   */
  private HasMetadata mainUpdate(ResourceType type, HasMetadata work, HasMetadata old) {
    ObjectMeta meta = work.getMetadata();
    ObjectMeta oldMeta = old.getMetadata();
    meta.setUid(oldMeta.getUid());
    meta.setCreationTimestamp(oldMeta.getCreationTimestamp());
    meta.setDeletionTimestamp(oldMeta.getDeletionTimestamp());
    meta.setDeletionGracePeriodSeconds(oldMeta.getDeletionGracePeriodSeconds());
    meta.setGenerateName(
        meta.getGenerateName() == null ? oldMeta.getGenerateName() : meta.getGenerateName());
    meta.setResourceVersion(null);
    if (type.hasStatus()) {
      work = withStatus(type, work, ResourceCodec.tree(old).get("status"));
    }
    work.getMetadata().setGeneration(generation(work, old));
    return work;
  }

  /**
   * The generation of an updated object: one more than before if anything but metadata and status
   * changed.
   */
  private static long generation(HasMetadata work, HasMetadata old) {
    ObjectMeta oldMeta = old.getMetadata();
    long generation = oldMeta.getGeneration() == null ? 1 : oldMeta.getGeneration();
    if (!specOf(work).equals(specOf(old))) {
      generation++;
    }
    return generation;
  }

  /**
   * {@code ShouldDeleteDuringUpdate}: the new object has no finalizers and the stored one was
   * deleted with no grace period left. A terminating namespace still holding objects stays (the
   * namespace registry also waits for its {@code spec.finalizers}).
   */
  private boolean shouldDeleteDuringUpdate(
      ResourceKey key, HasMetadata work, StoredObject existing) {
    ObjectMeta oldMeta = existing.object().getMetadata();
    if (!isEmpty(work.getMetadata().getFinalizers()) || oldMeta.getDeletionTimestamp() == null) {
      return false;
    }
    Long grace = oldMeta.getDeletionGracePeriodSeconds();
    if (grace != null && grace != 0) {
      return false;
    }
    return !(key.type().equals(ResourceTypes.NAMESPACE) && hasContent(key.name()));
  }

  /** The object minus metadata and status: what moves {@code generation}. */
  private static JsonNode specOf(HasMetadata object) {
    ObjectNode tree = (ObjectNode) ResourceCodec.tree(object);
    tree.remove("metadata");
    tree.remove("status");
    tree.remove("apiVersion");
    tree.remove("kind");
    return tree;
  }

  /** Whether an object would store the same as the stored one (map order does not matter). */
  private static boolean unchanged(HasMetadata work, StoredObject existing) {
    ObjectNode next = (ObjectNode) ResourceCodec.tree(work);
    ObjectNode current = (ObjectNode) ResourceCodec.tree(existing.object());
    ((ObjectNode) next.path("metadata")).remove("resourceVersion");
    if (current.get("metadata") instanceof ObjectNode currentMeta) {
      currentMeta.remove("resourceVersion");
    }
    return next.equals(current);
  }

  private static HasMetadata withStatus(ResourceType type, HasMetadata object, JsonNode status) {
    ObjectNode tree = (ObjectNode) ResourceCodec.tree(object);
    if (status == null || status.isNull() || status.isMissingNode()) {
      tree.remove("status");
    } else {
      tree.set("status", status);
    }
    return ResourceCodec.convert(tree, type.javaType());
  }

  // ---------------------------------------------------------------- delete

  /** Deletes an object with default options. */
  public Optional<HasMetadata> delete(ResourceKey key) {
    return delete(key, DeleteOptions.DEFAULT);
  }

  /**
   * Deletes an object, as the registry's {@code Store.Delete} with {@code rest.BeforeDelete}:
   *
   * <ul>
   *   <li>An object with finalizers (after the {@code orphan}/{@code foregroundDeletion} finalizer
   *       of an {@code Orphan}/{@code Foreground} propagation policy is added) is marked with
   *       {@code deletionTimestamp} and {@code deletionGracePeriodSeconds: 0} and stays until an
   *       update removes its last finalizer.
   *   <li>A Pod is deleted gracefully: {@code deletionTimestamp} is now plus its grace period
   *       ({@code gracePeriodSeconds}, else {@code terminationGracePeriodSeconds}, else 30; 0 if it
   *       has no {@code spec.nodeName} or has finished) and it stays until deleted again with a
   *       shorter grace period, down to {@link DeleteOptions#NOW}.
   *   <li>A Namespace that still holds objects is marked Terminating ({@code deletionTimestamp},
   *       {@code status.phase: Terminating}); an empty one goes at once. {@code default}, {@code
   *       kube-system} and {@code kube-public} may not be deleted.
   *   <li>Anything else is removed at once.
   * </ul>
   *
   * Marking an object moves its {@code generation}.
   *
   * @return the object as it is after the call: marked for deletion, or as it was when removed
   * @throws ApiException.NotFound if the object does not exist
   * @throws ApiException.Conflict if a precondition fails
   * @throws ApiException.Invalid if the propagation policy is not one of the three
   * @throws ApiException.Forbidden for an immortal namespace
   */
  public Optional<HasMetadata> delete(ResourceKey key, DeleteOptions options) {
    String policy = options.propagationPolicy();
    if (policy != null
        && !policy.equals("Foreground")
        && !policy.equals("Background")
        && !policy.equals("Orphan")) {
      throw ApiException.Invalid.ofOptions(
          DELETE_OPTIONS_KIND.group(),
          DELETE_OPTIONS_KIND.kind(),
          List.of(
              FieldError.notSupported(
                  FieldPath.of("propagationPolicy"),
                  policy,
                  List.of("Foreground", "Background", "Orphan", "nil"))));
    }
    writeLock.lock();
    try {
      ResourceType type = key.type();
      StoredObject existing = bucket(type).get(key.namespacedName());
      if (existing == null) {
        throw new ApiException.NotFound(type, key.name());
      }
      checkPreconditions(key, existing, options);
      if (type.equals(ResourceTypes.NAMESPACE)) {
        if (IMMORTAL_NAMESPACES.contains(key.name())) {
          throw new ApiException.Forbidden(type, key.name(), "this namespace may not be deleted");
        }
        ObjectMeta meta = existing.object().getMetadata();
        if (hasContent(key.name())) {
          if (meta.getDeletionTimestamp() != null) {
            // Deletion under way: the namespace waits for its content.
            return Optional.of(existing.copy());
          }
          HasMetadata marked = existing.copy();
          marked.getMetadata().setDeletionTimestamp(timestamp(clock.instant()));
          marked.getMetadata().setFinalizers(gcFinalizers(marked.getMetadata(), policy));
          marked = terminating(marked);
          return Optional.of(options.dryRun() ? marked : commit(key, marked, existing).copy());
        }
      }
      return Optional.of(deleteObject(key, existing, options));
    } finally {
      writeLock.unlock();
    }
  }

  /** {@code Store.Delete} for one object, preconditions checked; under the write lock. */
  private HasMetadata deleteObject(ResourceKey key, StoredObject existing, DeleteOptions options) {
    ResourceType type = key.type();
    HasMetadata work = existing.copy();
    ObjectMeta meta = work.getMetadata();
    Long requestedGrace = options.gracePeriodSeconds();
    if (requestedGrace != null && requestedGrace < 0) {
      // Negative values are treated as one second on the delete path.
      requestedGrace = 1L;
    }
    boolean graceful = false;
    long grace = 0;
    if (type.equals(ResourceTypes.POD)) {
      if (meta.getDeletionTimestamp() != null) {
        Long current = meta.getDeletionGracePeriodSeconds();
        if (current != null && current != 0) {
          if (requestedGrace == null || requestedGrace >= current) {
            // A graceful deletion is pending: only a shorter grace period changes anything.
            return existing.copy();
          }
          Instant deadline =
              Instant.parse(meta.getDeletionTimestamp())
                  .minusSeconds(current)
                  .plusSeconds(requestedGrace);
          meta.setDeletionTimestamp(timestamp(deadline));
          meta.setDeletionGracePeriodSeconds(requestedGrace);
          graceful = true;
          grace = requestedGrace;
        }
      } else {
        grace = podGracePeriod((Pod) work, requestedGrace);
        meta.setDeletionTimestamp(timestamp(clock.instant().plusSeconds(grace)));
        meta.setDeletionGracePeriodSeconds(grace);
        bumpGeneration(meta);
        graceful = true;
      }
    }
    meta.setFinalizers(gcFinalizers(meta, options.propagationPolicy()));
    boolean pendingFinalizers = !isEmpty(meta.getFinalizers());
    if (!graceful && pendingFinalizers) {
      markAsDeleting(meta);
    }
    if (type.equals(ResourceTypes.NAMESPACE) && meta.getDeletionTimestamp() != null) {
      work = terminating(work);
    }
    boolean stays = pendingFinalizers || (graceful && grace > 0);
    if (options.dryRun()) {
      return work;
    }
    if (graceful || stays) {
      StoredObject updated = unchanged(work, existing) ? existing : commit(key, work, existing);
      if (stays) {
        return updated.copy();
      }
      existing = updated;
    }
    return remove(key, existing).copy();
  }

  private void checkPreconditions(ResourceKey key, StoredObject existing, DeleteOptions options) {
    ObjectMeta meta = existing.object().getMetadata();
    String uid = options.preconditionUid();
    String version = options.preconditionResourceVersion();
    String storedVersion = Long.toString(existing.resourceVersion());
    if (key.type().equals(ResourceTypes.NAMESPACE)) {
      // The namespace registry checks its own preconditions, with older messages.
      if (uid != null && !uid.equals(meta.getUid())) {
        throw new ApiException.Conflict(
            key.type(),
            key.name(),
            "Precondition failed: UID in precondition: "
                + uid
                + ", UID in object meta: "
                + meta.getUid());
      }
      if (version != null && !version.equals(storedVersion)) {
        throw new ApiException.Conflict(
            key.type(),
            key.name(),
            "Precondition failed: ResourceVersion in precondition: "
                + version
                + ", ResourceVersion in object meta: "
                + storedVersion);
      }
      return;
    }
    if (uid != null && !uid.equals(meta.getUid())) {
      throw ApiException.Conflict.deletePrecondition(
          key.type(),
          key.name(),
          "the UID in the precondition ("
              + uid
              + ") does not match the UID in record ("
              + meta.getUid()
              + "). The object might have been deleted and then recreated");
    }
    if (version != null && !version.equals(storedVersion)) {
      throw ApiException.Conflict.deletePrecondition(
          key.type(),
          key.name(),
          "the ResourceVersion in the precondition ("
              + version
              + ") does not match the ResourceVersion in record ("
              + storedVersion
              + "). The object might have been modified");
    }
  }

  /** The pod strategy's {@code CheckGracefulDelete}. */
  private static long podGracePeriod(Pod pod, Long requested) {
    long period;
    if (requested != null) {
      period = requested;
    } else {
      Long spec = pod.getSpec() == null ? null : pod.getSpec().getTerminationGracePeriodSeconds();
      // The API defaults terminationGracePeriodSeconds to 30.
      period = spec == null ? 30 : spec;
    }
    if (pod.getSpec() == null || isBlank(pod.getSpec().getNodeName())) {
      // A pod no node has picked up goes at once.
      period = 0;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      period = 0;
    }
    return period < 0 ? 1 : period;
  }

  /**
   * {@code deletionFinalizersForGarbageCollection}: the {@code orphan} and {@code
   * foregroundDeletion} finalizers as the propagation policy (or, without one, the finalizers
   * already there) asks.
   */
  private static List<String> gcFinalizers(ObjectMeta meta, String policy) {
    List<String> current = listOf(meta.getFinalizers());
    boolean orphan;
    boolean foreground;
    if (policy != null) {
      orphan = policy.equals("Orphan");
      foreground = policy.equals("Foreground");
    } else {
      String first =
          current.stream()
              .filter(f -> f.equals("orphan") || f.equals("foregroundDeletion"))
              .findFirst()
              .orElse("");
      orphan = first.equals("orphan");
      foreground = first.equals("foregroundDeletion");
    }
    List<String> updated = new ArrayList<>();
    for (String finalizer : current) {
      if (!finalizer.equals("orphan") && !finalizer.equals("foregroundDeletion")) {
        updated.add(finalizer);
      }
    }
    if (orphan) {
      updated.add("orphan");
    }
    if (foreground) {
      updated.add("foregroundDeletion");
    }
    if (new LinkedHashSet<>(updated).equals(new LinkedHashSet<>(current))) {
      return meta.getFinalizers();
    }
    return updated;
  }

  /** {@code markAsDeleting}: deletion timestamp now (unless earlier), grace period zero. */
  private void markAsDeleting(ObjectMeta meta) {
    Instant now = clock.instant();
    if (meta.getDeletionTimestamp() == null) {
      bumpGeneration(meta);
    }
    if (meta.getDeletionTimestamp() == null
        || Instant.parse(meta.getDeletionTimestamp()).isAfter(now)) {
      meta.setDeletionTimestamp(timestamp(now));
    }
    meta.setDeletionGracePeriodSeconds(0L);
  }

  /** A first deletion request makes controllers stop acting: the generation moves. */
  private static void bumpGeneration(ObjectMeta meta) {
    if (meta.getGeneration() != null && meta.getGeneration() > 0) {
      meta.setGeneration(meta.getGeneration() + 1);
    }
  }

  /** The namespace with {@code status.phase: Terminating}. */
  private static HasMetadata terminating(HasMetadata namespace) {
    ObjectNode tree = (ObjectNode) ResourceCodec.tree(namespace);
    JsonNode status = tree.get("status");
    ObjectNode updated =
        status instanceof ObjectNode object
            ? object.deepCopy()
            : ResourceCodec.json().createObjectNode();
    updated.put("phase", "Terminating");
    return withStatus(ResourceTypes.NAMESPACE, namespace, updated);
  }

  private boolean hasContent(String namespace) {
    for (var entry : objects.entrySet()) {
      if (entry.getKey().namespaced()
          && !entry.getValue().subMap(namespace + "/", namespace + "0").isEmpty()) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- commit

  /** Removes an object: one DELETED change carrying its last state at the new version. */
  private StoredObject remove(ResourceKey key, StoredObject existing) {
    long version = resourceVersion.incrementAndGet();
    HasMetadata last = existing.copy();
    last.getMetadata().setResourceVersion(Long.toString(version));
    StoredObject deleted = StoredObject.of(key, version, last);
    bucket(key.type()).remove(key.namespacedName());
    record(new Change(EventType.DELETED, version, deleted, existing));
    try {
      strategy(key.type()).afterDelete(existing.object());
    } catch (RuntimeException e) {
      logger.error("releasing what {} held failed", key, e);
    }
    return deleted;
  }

  private StoredObject commit(ResourceKey key, HasMetadata object, StoredObject previous) {
    long version = resourceVersion.incrementAndGet();
    object.getMetadata().setResourceVersion(Long.toString(version));
    StoredObject stored = StoredObject.of(key, version, object);
    bucket(key.type()).put(key.namespacedName(), stored);
    record(
        new Change(
            previous == null ? EventType.ADDED : EventType.MODIFIED, version, stored, previous));
    return stored;
  }

  private void record(Change change) {
    history.add(change);
    for (StoreWatch watch : watches) {
      watch.offer(change);
    }
  }

  /** The {@code NamespaceLifecycle} admission rules for new objects. */
  private void checkNamespaceAdmits(ResourceType type, ObjectMeta meta) {
    StoredObject namespace = bucket(ResourceTypes.NAMESPACE).get(meta.getNamespace());
    if (namespace == null) {
      throw new ApiException.NotFound(ResourceTypes.NAMESPACE, meta.getNamespace());
    }
    if (namespace.object().getMetadata().getDeletionTimestamp() != null) {
      throw new ApiException.Forbidden(
          type,
          Objects.requireNonNullElse(meta.getName(), ""),
          "unable to create new content in namespace "
              + meta.getNamespace()
              + " because it is being terminated");
    }
  }

  private void validateMetadata(ResourceType type, ObjectMeta meta) {
    List<FieldError> errors = new ArrayList<>();
    FieldPath name = FieldPath.of("metadata", "name");
    if (isBlank(meta.getName())) {
      errors.add(FieldError.required(name, "name or generateName is required"));
    } else {
      String problem = Names.check(type, meta.getName());
      if (problem != null) {
        errors.add(FieldError.invalid(name, meta.getName(), problem));
      }
    }
    if (!errors.isEmpty()) {
      throw new ApiException.Invalid(type, Objects.requireNonNullElse(meta.getName(), ""), errors);
    }
  }

  /**
   * {@code SimpleNameGenerator} with the registry's retry: the prefix cut to 58 characters, five
   * random characters, up to eight attempts; then the apiserver's generate-name conflict.
   */
  private String generateName(ResourceType type, ObjectMeta meta) {
    String base = meta.getGenerateName();
    if (base.length() > 58) {
      base = base.substring(0, 58);
    }
    String name = base;
    for (int attempt = 0; attempt < NAME_GENERATION_ATTEMPTS; attempt++) {
      StringBuilder candidate = new StringBuilder(base);
      for (int i = 0; i < 5; i++) {
        candidate.append(NAME_ALPHABET[random.nextInt(NAME_ALPHABET.length)]);
      }
      name = candidate.toString();
      String key = type.namespaced() ? meta.getNamespace() + "/" + name : name;
      if (!bucket(type).containsKey(key)) {
        return name;
      }
    }
    throw ApiException.AlreadyExists.generateNameConflict(type, name);
  }

  /** A version 4 uid from the store's seeded generator, so runs repeat. */
  private String nextUid() {
    long high = (uids.nextLong() & ~0xF000L) | 0x4000L;
    long low = (uids.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  // ---------------------------------------------------------------- watch

  /**
   * Starts a watch. With {@code initialEvents} (or a resourceVersion of {@code 0}, "any version",
   * as the watch cache serves it) the current state is delivered first as ADDED events; with
   * another resourceVersion, every change after it; with none, changes from now on. Both are taken
   * atomically with the registration, so no change is missed or seen twice. Label and field
   * selectors apply to both the old and new state of a change: an object that stops matching is
   * seen as DELETED, one that starts matching as ADDED ({@code cacheWatcher.convertToWatchEvent}).
   * After every write, of any kind, each watch gets a progress notification once the events before
   * it are delivered.
   *
   * @throws ApiException.Gone if the resourceVersion is older than the history kept
   */
  public Watch watch(WatchOptions options, WatchHandler handler) {
    writeLock.lock();
    try {
      long now = resourceVersion.get();
      Long from = options.resourceVersion();
      boolean initial = options.initialEvents() || (from != null && from == 0);
      StoreWatch watch = new StoreWatch(options, handler, initial || from == null ? now : from);
      if (initial) {
        Set<ResourceType> followed =
            options.types().isEmpty() ? Set.copyOf(objects.keySet()) : options.types();
        for (ResourceType type : followed) {
          for (StoredObject stored : select(type, options.selection())) {
            watch.enqueue(new WatchEvent(EventType.ADDED, stored.resourceVersion(), stored));
          }
        }
      } else if (from != null) {
        for (Change change : history.since(from)) {
          watch.offer(change);
        }
      }
      watch.progress(now);
      watches.add(watch);
      return watch;
    } finally {
      writeLock.unlock();
    }
  }

  private final class StoreWatch implements Watch {
    private final WatchOptions options;
    private final WatchHandler handler;
    private final long after;
    private final ConcurrentLinkedQueue<WatchEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong latest = new AtomicLong(-1);
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean closed;
    private long deliveredProgress = -1;

    StoreWatch(WatchOptions options, WatchHandler handler, long after) {
      this.options = options;
      this.handler = handler;
      this.after = after;
    }

    /** Called under the write lock, in resourceVersion order. */
    void offer(Change change) {
      ResourceType type = change.current().key().type();
      if (change.resourceVersion() > after
          && (options.types().isEmpty() || options.types().contains(type))) {
        ListOptions selection = options.selection();
        boolean now =
            change.type() != EventType.DELETED && matches(change.current(), type, selection);
        boolean before = change.previous() != null && matches(change.previous(), type, selection);
        EventType seen = seenAs(change.type(), before, now);
        if (seen != null) {
          // An object that stops matching is seen as deleted, in its last matching state.
          StoredObject object =
              seen == EventType.DELETED && change.type() != EventType.DELETED
                  ? StoredObject.of(
                      change.previous().key(), change.resourceVersion(), withVersion(change))
                  : change.current();
          enqueue(new WatchEvent(seen, change.resourceVersion(), object));
        }
      }
      progress(change.resourceVersion());
    }

    private static EventType seenAs(EventType type, boolean before, boolean now) {
      if (type == EventType.DELETED) {
        return before ? EventType.DELETED : null;
      }
      if (now) {
        return before ? EventType.MODIFIED : EventType.ADDED;
      }
      return before ? EventType.DELETED : null;
    }

    private HasMetadata withVersion(Change change) {
      HasMetadata copy = change.previous().copy();
      copy.getMetadata().setResourceVersion(Long.toString(change.resourceVersion()));
      return copy;
    }

    void enqueue(WatchEvent event) {
      if (closed) {
        return;
      }
      if (queued.incrementAndGet() > options.maxQueued()) {
        // As the watch cache terminates a watcher that does not keep up; the client watches again
        // from the last resourceVersion it saw.
        closed = true;
        watches.remove(this);
        queue.clear();
        ApiException reason =
            new ApiException.Gone(
                "watch closed: the watcher fell more than "
                    + options.maxQueued()
                    + " events behind (at resourceVersion "
                    + event.resourceVersion()
                    + ")");
        try {
          executor().execute(() -> handler.onClose(reason));
        } catch (RejectedExecutionException e) {
          logger.debug("watch closed after its executor stopped", e);
        }
        return;
      }
      queue.add(event);
    }

    void progress(long version) {
      latest.set(version);
      schedule();
    }

    private Executor executor() {
      return options.executor() == null ? dispatch : options.executor();
    }

    private void schedule() {
      if (!closed && scheduled.compareAndSet(false, true)) {
        try {
          executor().execute(this::drain);
        } catch (RejectedExecutionException e) {
          scheduled.set(false);
        }
      }
    }

    private void drain() {
      while (true) {
        long read = latest.get();
        long newestEvent = -1;
        WatchEvent event;
        while (!closed && (event = queue.poll()) != null) {
          queued.decrementAndGet();
          WatchEvent delivered = event;
          newestEvent = Math.max(newestEvent, delivered.resourceVersion());
          call(() -> handler.onEvent(delivered), "watch handler failed on {}", delivered);
        }
        // Events are queued in resourceVersion order before the version they cover is published,
        // so having delivered an event also covers everything up to it; never report less.
        long progress = Math.max(read, newestEvent);
        if (!closed && progress > deliveredProgress) {
          deliveredProgress = progress;
          call(() -> handler.onProgress(progress), "watch handler failed on progress {}", progress);
        }
        scheduled.set(false);
        if (closed || (queue.isEmpty() && latest.get() <= progress)) {
          return;
        }
        if (!scheduled.compareAndSet(false, true)) {
          return;
        }
      }
    }

    /**
     * Calls the handler: what it throws is logged and the watch goes on, except a {@code
     * VirtualMachineError}, which ends the drain.
     */
    private void call(Runnable delivery, String failure, Object subject) {
      try {
        delivery.run();
      } catch (VirtualMachineError e) {
        scheduled.set(false);
        throw e;
      } catch (Throwable e) {
        logger.error(failure, subject, e);
      }
    }

    @Override
    public void close() {
      closed = true;
      watches.remove(this);
      queue.clear();
    }

    @Override
    public boolean isClosed() {
      return closed;
    }
  }

  // ---------------------------------------------------------------- helpers

  private ConcurrentSkipListMap<String, StoredObject> bucket(ResourceType type) {
    return objects.computeIfAbsent(type, t -> new ConcurrentSkipListMap<>());
  }

  private WriteStrategy strategy(ResourceType type) {
    return strategies.getOrDefault(type, NO_STRATEGY);
  }

  private static final WriteStrategy NO_STRATEGY = new WriteStrategy() {};

  /** A private, typed copy of a caller's object to work on. */
  private static HasMetadata working(ResourceType type, HasMetadata object) {
    HasMetadata work;
    if (type.javaType().isInstance(object)) {
      work = ResourceCodec.copy(object);
    } else {
      work = ResourceCodec.convert(ResourceCodec.tree(object), type.javaType());
    }
    if (work.getMetadata() == null) {
      work.setMetadata(new ObjectMeta());
    }
    if (work.getApiVersion() == null || work instanceof GenericKubernetesResource) {
      work.setApiVersion(type.apiVersion());
    }
    if (work instanceof GenericKubernetesResource generic && generic.getKind() == null) {
      generic.setKind(type.kind());
    }
    return work;
  }

  @SuppressWarnings("unchecked")
  private static <T extends HasMetadata> T cast(T requested, HasMetadata stored) {
    if (requested.getClass().isInstance(stored)) {
      return (T) stored;
    }
    return (T) ResourceCodec.convert(ResourceCodec.tree(stored), requested.getClass());
  }

  private static String defaultNamespace(String namespace) {
    return isBlank(namespace) ? "default" : namespace;
  }

  /** Formats an instant as the API does (RFC 3339, whole seconds, UTC). */
  public static String timestamp(Instant instant) {
    return RFC3339.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  private static boolean isEmpty(List<?> list) {
    return list == null || list.isEmpty();
  }

  private static <T> List<T> listOf(List<T> list) {
    return list == null ? List.of() : list;
  }

  /** Stops delivering events; watches are closed. */
  @Override
  public void close() {
    for (StoreWatch watch : watches) {
      watch.close();
    }
    dispatch.shutdownNow();
  }
}
