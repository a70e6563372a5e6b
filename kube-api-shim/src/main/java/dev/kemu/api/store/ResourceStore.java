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
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * registry ({@code k8s.io/apiserver/pkg/registry/generic/registry/store.go}) over etcd and its
 * watch cache.
 *
 * <p>Writes are serialized under one lock; each write gets the next resourceVersion and becomes
 * exactly one change in the history. Objects are kept encoded, so every object a caller receives is
 * its own copy: readers cannot change the store or each other.
 */
public final class ResourceStore implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ResourceStore.class);
  private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

  /** The alphabet of generated name suffixes ({@code k8s.io/apimachinery/pkg/util/rand}). */
  private static final char[] NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789".toCharArray();

  private final ResourceTypes types;
  private final Clock clock;
  private final Random random;
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
   * @param seed the seed of generated names, for repeatable runs
   */
  public ResourceStore(ResourceTypes types, Clock clock, int historySize, long seed) {
    this.types = Objects.requireNonNull(types);
    this.clock = Objects.requireNonNull(clock);
    this.random = new Random(seed);
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

  /** The type of an object; a kind kemu does not know is registered (with one warning). */
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
              boolean namespaced =
                  object.getMetadata() != null && object.getMetadata().getNamespace() != null;
              return types.registerUnknown(
                  object.getApiVersion(), object.getKind(), null, namespaced, false);
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
    List<HasMetadata> items = new ArrayList<>();
    long version;
    // The lock makes the list and its resourceVersion consistent.
    writeLock.lock();
    try {
      version = resourceVersion.get();
      for (StoredObject stored : select(type, options)) {
        items.add(stored.copy());
      }
    } finally {
      writeLock.unlock();
    }
    return new ResourceList<>(items, version);
  }

  /** Copies of the objects of a built-in kind that match the options. */
  public <T extends HasMetadata> List<T> list(Class<T> kind, ListOptions options) {
    return list(types.of(kind), options).items().stream().map(kind::cast).toList();
  }

  /** The encoded objects of a type that match, for serving without decoding. */
  public List<byte[]> listEncoded(ResourceType type, ListOptions options) {
    List<byte[]> items = new ArrayList<>();
    for (StoredObject stored : select(type, options)) {
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

  // ---------------------------------------------------------------- writes

  /** Creates an object. */
  public <T extends HasMetadata> T create(T object) {
    return create(object, WriteOptions.DEFAULT);
  }

  /**
   * Creates an object: fills uid, creationTimestamp, generation and resourceVersion, generates the
   * name from {@code generateName}, and runs the kind's strategy.
   *
   * @return the stored object (a copy)
   * @throws ApiException.AlreadyExists if the name is taken
   * @throws ApiException.Invalid if the object fails validation
   */
  public <T extends HasMetadata> T create(T object, WriteOptions options) {
    ResourceType type = typeOf(object);
    HasMetadata work = working(type, object);
    ObjectMeta meta = work.getMetadata();
    writeLock.lock();
    Transaction tx = new Transaction(options.dryRun());
    try {
      if (type.namespaced()) {
        meta.setNamespace(defaultNamespace(meta.getNamespace()));
        checkNamespaceAdmits(type, meta);
      } else {
        meta.setNamespace(null);
      }
      if (isBlank(meta.getName()) && !isBlank(meta.getGenerateName())) {
        meta.setName(generateName(type, meta));
      }
      validateMetadata(type, meta);
      ResourceKey key = ResourceKey.of(type, work);
      if (bucket(type).containsKey(key.namespacedName())) {
        throw new ApiException.AlreadyExists(type, meta.getName());
      }
      meta.setUid(UUID.randomUUID().toString());
      meta.setCreationTimestamp(timestamp(clock.instant()));
      meta.setDeletionTimestamp(null);
      meta.setDeletionGracePeriodSeconds(null);
      meta.setGeneration(1L);
      meta.setResourceVersion(null);
      if (type.hasStatus()) {
        work = withStatus(type, work, null);
      }
      strategy(type).beforeCreate(work, tx);
      if (options.dryRun()) {
        tx.rollback();
        return cast(object, work);
      }
      StoredObject stored = commit(key, work, null);
      tx.commit();
      return cast(object, stored.copy());
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
        return cast(object, update(work));
      }
      return create(object);
    } finally {
      writeLock.unlock();
    }
  }

  /** Updates an object (its status is kept for kinds with a status subresource). */
  public <T extends HasMetadata> T update(T object) {
    return update(object, WriteOptions.DEFAULT);
  }

  /**
   * Replaces an object, as a PUT: if the object carries a resourceVersion it must be the current
   * one; server-set metadata is kept; for kinds with a status subresource the status is kept;
   * {@code generation} moves when anything but metadata and status changes. An update that changes
   * nothing writes nothing. An object being deleted whose last finalizer is removed is deleted.
   *
   * @throws ApiException.NotFound if the object does not exist
   * @throws ApiException.Conflict on a stale resourceVersion
   */
  public <T extends HasMetadata> T update(T object, WriteOptions options) {
    return write(object, options, false);
  }

  /**
   * Replaces the status of an object, as a PUT to its {@code status} subresource: everything but
   * the status is kept from the stored object.
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
   * function gets a private copy and returns the object to write (or the copy unchanged).
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
      T updated = change.apply(kind.cast(stored.copy()));
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
    }
    ResourceKey key = ResourceKey.of(type, work);
    writeLock.lock();
    Transaction tx = new Transaction(options.dryRun());
    try {
      StoredObject existing = bucket(type).get(key.namespacedName());
      if (existing == null) {
        throw new ApiException.NotFound(type, key.name());
      }
      String requested = work.getMetadata().getResourceVersion();
      if (!isBlank(requested) && !requested.equals(Long.toString(existing.resourceVersion()))) {
        throw ApiException.Conflict.modified(type, key.name());
      }
      HasMetadata old = existing.copy();
      work = status ? statusUpdate(type, work, old) : mainUpdate(type, work, old);
      if (!status) {
        strategy(type).beforeUpdate(work, old, tx);
        // The strategy defaults the object (as the apiserver does on decode), so the spec is
        // compared only now: resubmitting a manifest without its defaults changes nothing.
        work.getMetadata().setGeneration(generation(work, old));
      }
      work.getMetadata().setResourceVersion(null);
      old.getMetadata().setResourceVersion(null);
      if (Arrays.equals(ResourceCodec.encode(work), ResourceCodec.encode(old))) {
        tx.rollback();
        return cast(object, existing.copy());
      }
      if (options.dryRun()) {
        tx.rollback();
        return cast(object, work);
      }
      StoredObject stored = commit(key, work, existing);
      tx.commit();
      ObjectMeta meta = work.getMetadata();
      if (meta.getDeletionTimestamp() != null
          && isEmpty(meta.getFinalizers())
          && !awaitsGracefulTermination(type, work)) {
        remove(key, stored);
      }
      return cast(object, stored.copy());
    } catch (RuntimeException e) {
      tx.rollback();
      throw e;
    } finally {
      writeLock.unlock();
    }
  }

  private HasMetadata mainUpdate(ResourceType type, HasMetadata work, HasMetadata old) {
    ObjectMeta meta = work.getMetadata();
    ObjectMeta oldMeta = old.getMetadata();
    meta.setUid(oldMeta.getUid());
    meta.setCreationTimestamp(oldMeta.getCreationTimestamp());
    meta.setDeletionTimestamp(oldMeta.getDeletionTimestamp());
    meta.setDeletionGracePeriodSeconds(oldMeta.getDeletionGracePeriodSeconds());
    meta.setGenerateName(
        meta.getGenerateName() == null ? oldMeta.getGenerateName() : meta.getGenerateName());
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

  private HasMetadata statusUpdate(ResourceType type, HasMetadata work, HasMetadata old) {
    if (!type.hasStatus()) {
      throw new ApiException.NotFound(type, work.getMetadata().getName() + "/status");
    }
    return withStatus(type, old, ResourceCodec.tree(work).get("status"));
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

  private static HasMetadata withStatus(ResourceType type, HasMetadata object, JsonNode status) {
    ObjectNode tree = (ObjectNode) ResourceCodec.tree(object);
    if (status == null || status.isNull()) {
      tree.remove("status");
    } else {
      tree.set("status", status);
    }
    return ResourceCodec.convert(tree, type.javaType());
  }

  /** Deletes an object with default options. */
  public Optional<HasMetadata> delete(ResourceKey key) {
    return delete(key, DeleteOptions.DEFAULT);
  }

  /**
   * Deletes an object. An object with finalizers, a Pod with a grace period and a Namespace are
   * first marked with {@code deletionTimestamp} (and stay until their finalizers are removed, the
   * kubelet confirms with a zero grace period, or the namespace is empty); anything else is removed
   * at once.
   *
   * @return the object as it is after the call: marked for deletion, or as it was when removed
   * @throws ApiException.NotFound if the object does not exist
   * @throws ApiException.Conflict if a precondition fails
   */
  public Optional<HasMetadata> delete(ResourceKey key, DeleteOptions options) {
    writeLock.lock();
    try {
      StoredObject existing = bucket(key.type()).get(key.namespacedName());
      if (existing == null) {
        throw new ApiException.NotFound(key.type(), key.name());
      }
      ObjectMeta meta = existing.object().getMetadata();
      if (options.preconditionUid() != null && !options.preconditionUid().equals(meta.getUid())) {
        throw new ApiException.Conflict(
            key.type(),
            key.name(),
            "Precondition failed: UID in precondition: "
                + options.preconditionUid()
                + ", UID in object meta: "
                + meta.getUid());
      }
      if (options.preconditionResourceVersion() != null
          && !options
              .preconditionResourceVersion()
              .equals(Long.toString(existing.resourceVersion()))) {
        throw new ApiException.Conflict(
            key.type(),
            key.name(),
            "Precondition failed: ResourceVersion in precondition: "
                + options.preconditionResourceVersion()
                + ", ResourceVersion in object meta: "
                + existing.resourceVersion());
      }
      String policy = options.propagationPolicy();
      if (policy != null && !policy.equals("Background")) {
        if (!policy.equals("Foreground") && !policy.equals("Orphan")) {
          throw new ApiException.BadRequest(
              "DeleteOptions.PropagationPolicy: Unsupported value: \""
                  + policy
                  + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
        }
      }
      if (options.dryRun()) {
        return Optional.of(existing.copy());
      }
      long grace = gracePeriod(key.type(), existing.object(), options);
      boolean terminating = meta.getDeletionTimestamp() != null;
      boolean finalizers = !isEmpty(meta.getFinalizers());
      boolean namespaceWithContent =
          key.type().equals(ResourceTypes.NAMESPACE) && hasContent(key.name());
      boolean alreadyMarkedNamespace = key.type().equals(ResourceTypes.NAMESPACE) && terminating;
      if ((grace > 0 || finalizers || namespaceWithContent || policyFinalizer(policy) != null)
          && !(alreadyMarkedNamespace && !namespaceWithContent && !finalizers)) {
        HasMetadata marked = existing.copy();
        ObjectMeta markedMeta = marked.getMetadata();
        if (!terminating) {
          markedMeta.setDeletionTimestamp(
              timestamp(clock.instant().plusSeconds(Math.max(grace, 0))));
          markedMeta.setDeletionGracePeriodSeconds(grace);
          String finalizer = policyFinalizer(policy);
          if (finalizer != null) {
            List<String> list = new ArrayList<>(listOf(markedMeta.getFinalizers()));
            if (!list.contains(finalizer)) {
              list.add(finalizer);
            }
            markedMeta.setFinalizers(list);
          }
          if (key.type().equals(ResourceTypes.NAMESPACE)) {
            marked =
                withStatus(key.type(), marked, ResourceCodec.tree(Map.of("phase", "Terminating")));
          }
        } else if (grace < Objects.requireNonNullElse(meta.getDeletionGracePeriodSeconds(), 0L)) {
          // A shorter grace period shortens a deletion under way, as for kubectl --grace-period.
          markedMeta.setDeletionTimestamp(timestamp(clock.instant().plusSeconds(grace)));
          markedMeta.setDeletionGracePeriodSeconds(grace);
        } else {
          return Optional.of(existing.copy());
        }
        StoredObject stored = commit(key, marked, existing);
        return Optional.of(stored.copy());
      }
      remove(key, existing);
      return Optional.of(existing.copy());
    } finally {
      writeLock.unlock();
    }
  }

  private static String policyFinalizer(String policy) {
    if ("Foreground".equals(policy)) {
      return "foregroundDeletion";
    }
    if ("Orphan".equals(policy)) {
      return "orphan";
    }
    return null;
  }

  private long gracePeriod(ResourceType type, HasMetadata object, DeleteOptions options) {
    if (!type.equals(ResourceTypes.POD)) {
      return 0;
    }
    Pod pod = (Pod) object;
    // A pod no node has picked up, or one that has finished, goes at once (pod strategy
    // CheckGracefulDelete).
    if (pod.getSpec() == null || isBlank(pod.getSpec().getNodeName())) {
      return 0;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
      return 0;
    }
    if (options.gracePeriodSeconds() != null) {
      return Math.max(0, options.gracePeriodSeconds());
    }
    Long spec = pod.getSpec().getTerminationGracePeriodSeconds();
    return spec == null ? 30 : spec;
  }

  private boolean awaitsGracefulTermination(ResourceType type, HasMetadata object) {
    Long grace = object.getMetadata().getDeletionGracePeriodSeconds();
    return type.equals(ResourceTypes.POD) && grace != null && grace > 0;
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

  private void remove(ResourceKey key, StoredObject existing) {
    long version = resourceVersion.incrementAndGet();
    HasMetadata last = existing.copy();
    last.getMetadata().setResourceVersion(Long.toString(version));
    StoredObject deleted = StoredObject.of(key, version, last);
    bucket(key.type()).remove(key.namespacedName());
    record(new Change(EventType.DELETED, version, deleted, existing));
    strategy(key.type()).afterDelete(existing.object());
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

  private String generateName(ResourceType type, ObjectMeta meta) {
    String base = meta.getGenerateName();
    if (base.length() > 58) {
      base = base.substring(0, 58);
    }
    for (int attempt = 0; attempt < 8; attempt++) {
      StringBuilder name = new StringBuilder(base);
      for (int i = 0; i < 5; i++) {
        name.append(NAME_ALPHABET[random.nextInt(NAME_ALPHABET.length)]);
      }
      String key = type.namespaced() ? meta.getNamespace() + "/" + name : name.toString();
      if (!bucket(type).containsKey(key)) {
        return name.toString();
      }
    }
    throw new ApiException.AlreadyExists(type, base);
  }

  // ---------------------------------------------------------------- watch

  /**
   * Starts a watch. With {@code initialEvents} the current state is delivered first as ADDED
   * events; with a resourceVersion, every change after it. Both are taken atomically with the
   * registration, so no change is missed or seen twice. Label and field selectors apply to both the
   * old and new state of a change: an object that stops matching is seen as DELETED, one that
   * starts matching as ADDED (as the watch cache does).
   *
   * @throws ApiException.Gone if the resourceVersion is older than the history kept
   */
  public Watch watch(WatchOptions options, WatchHandler handler) {
    StoreWatch watch = new StoreWatch(options, handler);
    writeLock.lock();
    try {
      long now = resourceVersion.get();
      if (options.initialEvents()) {
        for (ResourceType type : options.types().isEmpty() ? objects.keySet() : options.types()) {
          for (StoredObject stored : select(type, options.selection())) {
            watch.enqueue(new WatchEvent(EventType.ADDED, stored.resourceVersion(), stored));
          }
        }
      } else if (options.resourceVersion() != null) {
        for (Change change : history.since(options.resourceVersion())) {
          watch.offer(change);
        }
      }
      watch.progress(now);
      watches.add(watch);
    } finally {
      writeLock.unlock();
    }
    return watch;
  }

  private final class StoreWatch implements Watch {
    private final WatchOptions options;
    private final WatchHandler handler;
    private final ConcurrentLinkedQueue<WatchEvent> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicLong latest = new AtomicLong(-1);
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private volatile boolean closed;
    private long deliveredProgress = -1;

    StoreWatch(WatchOptions options, WatchHandler handler) {
      this.options = options;
      this.handler = handler;
    }

    /** Called under the write lock, in resourceVersion order. */
    void offer(Change change) {
      ResourceType type = change.current().key().type();
      if (options.types().isEmpty() || options.types().contains(type)) {
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
        closed = true;
        watches.remove(this);
        queue.clear();
        executor()
            .execute(
                () ->
                    handler.onClose(
                        new ApiException.Gone(event.resourceVersion(), event.resourceVersion())));
        return;
      }
      queue.add(event);
    }

    void progress(long version) {
      latest.set(version);
      schedule();
    }

    private java.util.concurrent.Executor executor() {
      return options.executor() == null ? dispatch : options.executor();
    }

    private void schedule() {
      if (!closed && scheduled.compareAndSet(false, true)) {
        try {
          executor().execute(this::drain);
        } catch (java.util.concurrent.RejectedExecutionException e) {
          scheduled.set(false);
        }
      }
    }

    private void drain() {
      while (true) {
        long progress = latest.get();
        WatchEvent event;
        while (!closed && (event = queue.poll()) != null) {
          queued.decrementAndGet();
          try {
            handler.onEvent(event);
          } catch (RuntimeException e) {
            logger.error("watch handler failed on {}", event, e);
          }
        }
        if (!closed && progress > deliveredProgress) {
          deliveredProgress = progress;
          try {
            handler.onProgress(progress);
          } catch (RuntimeException e) {
            logger.error("watch handler failed on progress {}", progress, e);
          }
        }
        scheduled.set(false);
        if (closed || (queue.isEmpty() && latest.get() == progress)) {
          return;
        }
        if (!scheduled.compareAndSet(false, true)) {
          return;
        }
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

  /** Formats an instant as the API does (RFC 3339, whole seconds). */
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
