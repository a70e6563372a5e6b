package dev.kemu.api.manifests;

import dev.kemu.api.manifests.ApplyReport.Action;
import dev.kemu.api.manifests.ApplyReport.AppliedObject;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionSpec;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the manifest files under some paths to the store, and with {@code watch} keeps the store
 * in step with them: an edited file is applied again, objects it no longer defines are deleted, a
 * deleted file's objects are deleted and a new file is applied. This is {@code kubectl apply
 * --prune -f dir/ -R} run on every change, with the change detection of Traefik's file provider
 * ({@code pkg/provider/file}): a recursive directory watch, bursts debounced.
 *
 * <p>Like {@code kubectl apply}, objects go in an order where any file order works (Namespaces,
 * then CustomResourceDefinitions, then the other kinds in {@link ResourceTypes#BUILT_IN} order,
 * unknown kinds last), an object without a namespace goes to {@code default}, and an object the
 * store rejects is reported with its file, document and the apiserver's message while everything
 * else still applies.
 *
 * <p>Pruning only ever deletes what this source applied: it keeps, per file, the keys it wrote, so
 * objects created through the API or {@code Cluster.apply} are never touched (kubectl keeps the
 * same record in its {@code last-applied-configuration} annotation). An object defined in two files
 * takes the version of the last one applied, with a warning naming both files.
 *
 * <p>Files are {@code .yaml}, {@code .yml} and {@code .json} files found recursively under the
 * directories (hidden files and directories, and editor backups such as {@code x.yaml~}, are
 * skipped), and files given by name whatever their extension, as kubectl does.
 */
public final class ManifestDirectorySource implements AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(ManifestDirectorySource.class);

  /** How long a burst of file events may pause before it is applied. */
  public static final Duration DEFAULT_DEBOUNCE = Duration.ofMillis(100);

  private final ResourceStore store;
  private final List<Path> paths;
  private final boolean watch;
  private final Consumer<ApplyReport> listener;
  private final Duration debounce;
  private final ManifestLoader loader;
  private final ReentrantLock lock = new ReentrantLock();
  private final Map<Path, FileState> files = new LinkedHashMap<>();
  private volatile FileWatchRunner runner;
  private boolean started;
  private volatile boolean closed;

  /** What this source knows of one file. */
  private static final class FileState {
    final Path file;
    byte[] digest;

    /** The objects the file defines, by key. */
    Map<ResourceKey, ManifestDocument> contents = new LinkedHashMap<>();

    /**
     * The keys this source wrote from the file and the file still defines: what prune may delete.
     */
    final Set<ResourceKey> applied = new LinkedHashSet<>();

    /** The documents the store rejected, tried again when a Namespace or CRD appears. */
    final List<ManifestDocument> rejected = new ArrayList<>();

    FileState(Path file) {
      this.file = file;
    }
  }

  /** A file read again: its digest and what it holds (null when it cannot be read). */
  private record Loaded(byte[] digest, ManifestFile manifest) {}

  /** A document to apply, with the state of its file. */
  private record Pending(FileState state, ManifestDocument document, ResourceKey key) {}

  /** What one apply has done so far. */
  private static final class Batch {
    /** The files read in this apply. */
    final Set<Path> files;

    final List<AppliedObject> objects = new ArrayList<>();
    final List<ManifestProblem> problems;

    /** The file each object was last written from in this apply. */
    final Map<ResourceKey, Path> writtenBy = new HashMap<>();

    Batch(Set<Path> files, List<ManifestProblem> problems) {
      this.files = files;
      this.problems = new ArrayList<>(problems);
    }
  }

  /**
   * A source.
   *
   * @param store the store to write to
   * @param paths directories (read recursively) and files
   * @param watch whether to apply changes to the files as they happen
   */
  public ManifestDirectorySource(ResourceStore store, List<Path> paths, boolean watch) {
    this(store, paths, watch, report -> {}, DEFAULT_DEBOUNCE);
  }

  /**
   * A source that also hands every report (the first apply and each reload) to a listener.
   *
   * @param listener called with each report, on the thread that applied it
   */
  public ManifestDirectorySource(
      ResourceStore store, List<Path> paths, boolean watch, Consumer<ApplyReport> listener) {
    this(store, paths, watch, listener, DEFAULT_DEBOUNCE);
  }

  /**
   * A source with a debounce interval of its own.
   *
   * @param debounce how long a burst of file events may pause before it is applied
   */
  public ManifestDirectorySource(
      ResourceStore store,
      List<Path> paths,
      boolean watch,
      Consumer<ApplyReport> listener,
      Duration debounce) {
    this.store = Objects.requireNonNull(store);
    this.paths = paths.stream().map(Path::normalize).toList();
    this.watch = watch;
    this.listener = Objects.requireNonNull(listener);
    this.debounce = Objects.requireNonNull(debounce);
    this.loader = new ManifestLoader(store.types());
  }

  /**
   * Applies every file, then (with {@code watch}) starts watching for changes. Directories are
   * watched before they are read, so no change made meanwhile is lost.
   *
   * @return what was applied and what was wrong
   */
  public ApplyReport start() {
    lock.lock();
    try {
      if (started) {
        throw new IllegalStateException("manifest source already started");
      }
      started = true;
      if (watch) {
        startWatching();
      }
      return rescan("applied manifests from " + paths);
    } finally {
      lock.unlock();
    }
  }

  /**
   * Reads every file again and applies what changed, as after a lost file event. Also for callers
   * that do not watch and want to pick up changes now.
   */
  public ApplyReport rescan() {
    lock.lock();
    try {
      return rescan("re-read manifests from " + paths);
    } finally {
      lock.unlock();
    }
  }

  private ApplyReport rescan(String what) {
    List<ManifestProblem> problems = new ArrayList<>();
    Set<Path> found = discover(problems);
    Map<Path, Loaded> changed = new LinkedHashMap<>();
    for (Path file : found) {
      Loaded loaded = read(file, problems);
      if (loaded != null && isChanged(file, loaded)) {
        changed.put(file, loaded);
      }
    }
    Set<Path> deleted = new LinkedHashSet<>(files.keySet());
    deleted.removeAll(found);
    return apply(what, changed, deleted, problems, true);
  }

  // ---------------------------------------------------------------- files

  /** Every manifest file under the paths, in kubectl's order (lexical, directory by directory). */
  private Set<Path> discover(List<ManifestProblem> problems) {
    Set<Path> found = new LinkedHashSet<>();
    for (Path path : paths) {
      if (Files.isDirectory(path)) {
        walk(path, found, problems);
      } else if (Files.exists(path)) {
        found.add(path);
      } else {
        problems.add(ManifestProblem.ofFile(path, "the path \"" + path + "\" does not exist"));
      }
    }
    return found;
  }

  private static void walk(Path directory, Set<Path> found, List<ManifestProblem> problems) {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory)) {
      stream.forEach(children::add);
    } catch (IOException e) {
      problems.add(ManifestProblem.ofFile(directory, "cannot read the directory: " + e));
      return;
    }
    children.sort(Comparator.comparing(p -> p.getFileName().toString()));
    for (Path child : children) {
      if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        if (!FileWatchRunner.isHidden(child)) {
          walk(child, found, problems);
        }
      } else if (isManifest(child) && Files.isRegularFile(child)) {
        found.add(child);
      }
    }
  }

  /**
   * Whether a file found in a directory is a manifest: {@code .yaml}, {@code .yml} or {@code
   * .json}, and not hidden nor an editor's lock, swap or backup file ({@code .#x}, {@code #x#},
   * {@code x~}, {@code .x.swp}).
   */
  static boolean isManifest(Path file) {
    Path fileName = file.getFileName();
    if (fileName == null) {
      return false;
    }
    String name = fileName.toString();
    if (name.startsWith(".") || name.startsWith("#") || name.endsWith("~")) {
      return false;
    }
    String lower = name.toLowerCase(Locale.ROOT);
    return lower.endsWith(".yaml") || lower.endsWith(".yml") || lower.endsWith(".json");
  }

  private Loaded read(Path file, List<ManifestProblem> problems) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      // Gone since it was listed, or unreadable: a later event or rescan will tell.
      problems.add(ManifestProblem.ofFile(file, "cannot read the file: " + e));
      return null;
    }
    return new Loaded(digest(bytes), loader.parse(file, new String(bytes, StandardCharsets.UTF_8)));
  }

  private boolean isChanged(Path file, Loaded loaded) {
    FileState state = files.get(file);
    return state == null || !Arrays.equals(state.digest, loaded.digest());
  }

  private static byte[] digest(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  // ---------------------------------------------------------------- watching

  private void startWatching() {
    try {
      FileWatchRunner watcher =
          new FileWatchRunner(
              paths.isEmpty()
                  ? java.nio.file.FileSystems.getDefault()
                  : paths.get(0).getFileSystem(),
              "kemu-manifests-watch",
              debounce,
              this::onChange);
      for (Path path : paths) {
        try {
          if (Files.isDirectory(path)) {
            watcher.watchTree(path);
          } else {
            Path parent = path.toAbsolutePath().getParent();
            if (parent != null && Files.isDirectory(parent)) {
              watcher.watchDirectory(path.getParent() == null ? Path.of("") : path.getParent());
            }
          }
        } catch (IOException | RuntimeException e) {
          logger.warn("cannot watch {} for changes: {}; it is applied once", path, e.toString());
        }
      }
      watcher.start();
      runner = watcher;
    } catch (IOException | RuntimeException e) {
      logger.warn(
          "cannot watch {} for changes: {}; manifests are applied once", paths, e.toString());
    }
  }

  /** A burst of changes seen by the watch, on the watch thread. */
  private void onChange(Set<Path> changed, boolean overflow) {
    lock.lock();
    try {
      if (closed) {
        return;
      }
      if (overflow) {
        rescan("re-read manifests after lost file events");
        return;
      }
      List<ManifestProblem> problems = new ArrayList<>();
      Set<Path> affected = affected(changed, problems);
      Map<Path, Loaded> loaded = new LinkedHashMap<>();
      Set<Path> deleted = new LinkedHashSet<>();
      for (Path file : affected) {
        if (Files.isRegularFile(file)) {
          Loaded content = read(file, problems);
          if (content != null && isChanged(file, content)) {
            loaded.put(file, content);
          }
        } else if (files.containsKey(file)) {
          deleted.add(file);
        }
      }
      if (loaded.isEmpty() && deleted.isEmpty() && problems.isEmpty()) {
        return;
      }
      apply("reloaded " + describe(loaded.keySet(), deleted), loaded, deleted, problems, false);
    } finally {
      lock.unlock();
    }
  }

  /** The manifest files a burst of changed paths may have changed, created or deleted. */
  private Set<Path> affected(Set<Path> changed, List<ManifestProblem> problems) {
    Set<Path> affected = new LinkedHashSet<>();
    for (Path path : changed) {
      for (Path tracked : files.keySet()) {
        if (tracked.startsWith(path)) {
          affected.add(tracked);
        }
      }
      Path fileName = path.getFileName();
      if (paths.contains(path)) {
        affected.add(path);
      } else if (!isUnderDirectoryRoot(path)) {
        continue;
      }
      if (fileName != null && fileName.toString().startsWith(".")) {
        // A hidden entry: an editor's temporary file, or the "..data" link a mounted ConfigMap
        // swaps to replace every file at once. Look at the directory's files again.
        Path parent = path.getParent();
        if (parent != null && Files.isDirectory(parent)) {
          Set<Path> siblings = new LinkedHashSet<>();
          try (DirectoryStream<Path> stream = Files.newDirectoryStream(parent)) {
            stream.forEach(
                p -> {
                  if (isManifest(p) && Files.isRegularFile(p)) {
                    siblings.add(p);
                  }
                });
          } catch (IOException e) {
            logger.debug("cannot list {}", parent, e);
          }
          affected.addAll(siblings);
        }
      } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
        walk(path, affected, problems);
      } else if (isManifest(path)) {
        affected.add(path);
      }
    }
    return affected;
  }

  private boolean isUnderDirectoryRoot(Path path) {
    for (Path root : paths) {
      if (path.startsWith(root) && !path.equals(root) && Files.isDirectory(root)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Set<Path> changed, Set<Path> deleted) {
    List<String> parts = new ArrayList<>();
    changed.forEach(p -> parts.add(p.toString()));
    deleted.forEach(p -> parts.add(p + " (deleted)"));
    return String.join(", ", parts);
  }

  // ---------------------------------------------------------------- applying

  /**
   * Applies changed files and prunes what changed and deleted files no longer define. Runs under
   * the lock.
   */
  private ApplyReport apply(
      String what,
      Map<Path, Loaded> changed,
      Set<Path> deleted,
      List<ManifestProblem> readProblems,
      boolean initial) {
    Batch batch = new Batch(changed.keySet(), readProblems);
    List<ManifestProblem> problems = batch.problems;
    // Kinds defined by CRDs in these files are known before any key is worked out, so that their
    // scope (namespaced or not) is the declared one.
    for (Loaded loaded : changed.values()) {
      for (ManifestDocument document : loaded.manifest().documents()) {
        if (document.object() instanceof CustomResourceDefinition crd) {
          registerKinds(crd);
        }
      }
    }
    List<ManifestDocument> documents =
        changed.values().stream().flatMap(l -> l.manifest().documents().stream()).toList();

    Map<ResourceKey, ManifestDocument> removed = new LinkedHashMap<>();
    Map<ResourceKey, FileState> removedFrom = new HashMap<>();
    List<Pending> pending = new ArrayList<>();
    for (var entry : changed.entrySet()) {
      Path file = entry.getKey();
      ManifestFile manifest = entry.getValue().manifest();
      problems.addAll(manifest.problems());
      FileState state = files.computeIfAbsent(file, FileState::new);
      state.digest = entry.getValue().digest();
      Map<ResourceKey, ManifestDocument> contents = new LinkedHashMap<>();
      for (ManifestDocument document : manifest.documents()) {
        ResourceKey key = keyOf(document, documents, problems);
        if (key == null) {
          continue;
        }
        if (!key.name().isEmpty()) {
          ManifestDocument twin = contents.put(key, document);
          if (twin != null) {
            logger.warn(
                "{} is defined twice in {} (documents {} and {}): the last one wins",
                key,
                file,
                twin.index(),
                document.index());
          }
        }
        pending.add(new Pending(state, document, key));
      }
      // As kubectl apply --prune, which prunes nothing after an error: a document that cannot be
      // read may still define what seems to be gone (a typo saved mid-edit must not delete it).
      if (manifest.problems().isEmpty()) {
        for (ResourceKey key : state.applied) {
          if (!contents.containsKey(key)) {
            removed.put(key, state.contents.get(key));
            removedFrom.put(key, state);
          }
        }
        state.applied.retainAll(contents.keySet());
      } else if (!contents.keySet().containsAll(state.applied)) {
        logger.info("{} has problems: the objects it no longer seems to define are kept", file);
      }
      state.contents = contents;
      state.rejected.clear();
    }
    for (Path file : deleted) {
      FileState state = files.remove(file);
      if (state != null) {
        for (ResourceKey key : state.applied) {
          removed.put(key, state.contents.get(key));
          removedFrom.put(key, state);
        }
      }
    }

    applyAll(pending, batch);
    prune(removed, removedFrom, batch);
    if (batch.objects.stream()
        .anyMatch(
            o ->
                o.action() == Action.CREATED
                    && (o.key().type().equals(ResourceTypes.NAMESPACE)
                        || o.key().type().equals(ResourceTypes.CUSTOM_RESOURCE_DEFINITION)))) {
      retryRejected(batch);
    }

    ApplyReport report = new ApplyReport(batch.objects, batch.problems);
    publish(what, report, initial);
    return report;
  }

  /**
   * The key of a document, registering its kind first if the store does not know it: from a CRD in
   * the store, or else as namespaced if any object of that kind in the batch has a namespace. Null
   * (with a problem) for an object that cannot be applied by name.
   */
  private ResourceKey keyOf(
      ManifestDocument document, List<ManifestDocument> documents, List<ManifestProblem> problems) {
    HasMetadata object = document.object();
    ObjectMeta meta = object.getMetadata();
    if (meta != null && isBlank(meta.getName()) && !isBlank(meta.getGenerateName())) {
      // kubectl apply refuses generateName: each apply would create another object.
      problems.add(
          document.problem(
              "metadata.generateName",
              "from " + meta.getGenerateName() + ": cannot use generate name with apply"));
      return null;
    }
    ResourceTypes types = store.types();
    if (types.of(object).isEmpty()) {
      registerFromStoredDefinitions(object);
    }
    if (types.of(object).isEmpty()) {
      boolean namespaced =
          documents.stream()
              .map(ManifestDocument::object)
              .anyMatch(
                  o ->
                      Objects.equals(o.getApiVersion(), object.getApiVersion())
                          && Objects.equals(o.getKind(), object.getKind())
                          && o.getMetadata() != null
                          && !isBlank(o.getMetadata().getNamespace()));
      types.registerUnknown(object.getApiVersion(), object.getKind(), null, namespaced, false);
    }
    try {
      return store.keyOf(object);
    } catch (ApiException e) {
      problems.add(document.problem(null, e.getMessage()));
      return null;
    }
  }

  private void registerFromStoredDefinitions(HasMetadata object) {
    try {
      for (CustomResourceDefinition crd :
          store.list(CustomResourceDefinition.class, ListOptions.all())) {
        if (crd.getSpec() != null
            && crd.getSpec().getNames() != null
            && Objects.equals(crd.getSpec().getNames().getKind(), object.getKind())) {
          registerKinds(crd);
        }
      }
    } catch (RuntimeException e) {
      logger.debug("cannot list CustomResourceDefinitions", e);
    }
  }

  /**
   * Makes the kinds a CRD defines known to the store with the declared plural and scope, as the
   * apiserver starts serving a custom resource once its definition is established.
   */
  private void registerKinds(CustomResourceDefinition crd) {
    CustomResourceDefinitionSpec spec = crd.getSpec();
    if (spec == null || spec.getNames() == null || isBlank(spec.getNames().getKind())) {
      return;
    }
    boolean namespaced = "Namespaced".equals(spec.getScope());
    for (CustomResourceDefinitionVersion version :
        Optional.ofNullable(spec.getVersions()).orElse(List.of())) {
      if (!Boolean.FALSE.equals(version.getServed()) && !isBlank(version.getName())) {
        store
            .types()
            .registerUnknown(
                spec.getGroup() + "/" + version.getName(),
                spec.getNames().getKind(),
                spec.getNames().getPlural(),
                namespaced,
                true);
      }
    }
  }

  /** Applies documents, Namespaces first, then CRDs, then the rest in {@code BUILT_IN} order. */
  private void applyAll(List<Pending> pending, Batch batch) {
    List<Pending> ordered = new ArrayList<>(pending);
    ordered.sort(Comparator.comparingInt(p -> rank(p.key().type())));
    for (Pending p : ordered) {
      applyOne(p, batch);
    }
  }

  private void applyOne(Pending pending, Batch batch) {
    ManifestDocument document = pending.document();
    ResourceKey key = pending.key();
    FileState state = pending.state();
    if (!key.name().isEmpty()) {
      warnIfDefinedElsewhere(key, state, batch);
    }
    try {
      Optional<HasMetadata> before = key.name().isEmpty() ? Optional.empty() : store.get(key);
      HasMetadata after = store.apply(document.object());
      Action action;
      if (before.isEmpty()) {
        action = Action.CREATED;
      } else if (Objects.equals(
          before.get().getMetadata().getResourceVersion(),
          after.getMetadata().getResourceVersion())) {
        action = Action.UNCHANGED;
      } else {
        action = Action.UPDATED;
      }
      ResourceKey stored = store.keyOf(after);
      state.applied.add(stored);
      batch.writtenBy.put(stored, state.file);
      batch.objects.add(new AppliedObject(stored, state.file, document.index(), action));
      if (after instanceof CustomResourceDefinition crd) {
        registerKinds(crd);
      }
    } catch (ApiException e) {
      batch.problems.add(document.problem(fieldOf(e), e.getMessage()));
      state.rejected.add(document);
    } catch (RuntimeException e) {
      logger.warn("applying {} from {} failed", key, document, e);
      batch.problems.add(document.problem(null, "Internal error occurred: " + e));
      state.rejected.add(document);
    }
  }

  /**
   * Warns when another file also defines an object: the last one applied wins. Files of the same
   * apply are named when the second one is written; other files when this one is.
   */
  private void warnIfDefinedElsewhere(ResourceKey key, FileState state, Batch batch) {
    Path other = batch.writtenBy.get(key);
    if (other == null) {
      for (FileState candidate : files.values()) {
        if (candidate != state
            && !batch.files.contains(candidate.file)
            && candidate.contents.containsKey(key)) {
          other = candidate.file;
          break;
        }
      }
    }
    if (other != null && !other.equals(state.file)) {
      logger.warn(
          "{} is defined in {} and {}: the last one applied, {}, wins",
          key,
          other,
          state.file,
          state.file);
    }
  }

  /**
   * Deletes the objects changed or deleted files no longer define, unless another file still does,
   * whose version is then applied again. Deletes in reverse apply order (Namespaces last).
   */
  private void prune(
      Map<ResourceKey, ManifestDocument> removed,
      Map<ResourceKey, FileState> removedFrom,
      Batch batch) {
    List<ResourceKey> toDelete = new ArrayList<>();
    for (ResourceKey key : removed.keySet()) {
      FileState owner = null;
      for (FileState state : files.values()) {
        if (state.contents.containsKey(key)) {
          owner = state;
          break;
        }
      }
      if (owner == null) {
        toDelete.add(key);
      } else if (!batch.writtenBy.containsKey(key)) {
        applyOne(new Pending(owner, owner.contents.get(key), key), batch);
      }
    }
    toDelete.sort(Comparator.comparingInt((ResourceKey k) -> rank(k.type())).reversed());
    for (ResourceKey key : toDelete) {
      ManifestDocument document = removed.get(key);
      FileState from = removedFrom.get(key);
      try {
        store.delete(key);
        batch.objects.add(
            new AppliedObject(
                key, from.file, document == null ? 0 : document.index(), Action.DELETED));
      } catch (ApiException.NotFound e) {
        // Already gone (deleted through the API): nothing to prune.
      } catch (ApiException e) {
        batch.problems.add(
            new ManifestProblem(
                from.file,
                document == null ? 0 : document.index(),
                document == null ? -1 : document.line(),
                null,
                "pruning " + key + ": " + e.getMessage()));
      }
    }
  }

  /**
   * Applies again the documents of other files that the store rejected, now that a Namespace or a
   * CRD they may have needed exists: with a watch, files can arrive in any order.
   */
  private void retryRejected(Batch batch) {
    List<Pending> retry = new ArrayList<>();
    for (FileState state : files.values()) {
      if (batch.files.contains(state.file) || state.rejected.isEmpty()) {
        continue;
      }
      for (ManifestDocument document : state.rejected) {
        try {
          retry.add(new Pending(state, document, store.keyOf(document.object())));
        } catch (ApiException e) {
          // Its problem was reported when it was first applied.
        }
      }
      state.rejected.clear();
    }
    applyAll(retry, batch);
  }

  private void publish(String what, ApplyReport report, boolean initial) {
    for (ManifestProblem problem : report.problems()) {
      logger.warn("{}", problem);
    }
    for (AppliedObject object : report.objects()) {
      logger.debug("{}", object);
    }
    if (initial || !report.isEmpty()) {
      logger.info("{}: {}", what, report.summary());
    }
    try {
      listener.accept(report);
    } catch (RuntimeException e) {
      logger.warn("manifest report listener failed", e);
    }
  }

  /** The order kinds are applied in: Namespaces, CRDs, built-in kinds, then unknown kinds. */
  private static int rank(ResourceType type) {
    int index = ResourceTypes.BUILT_IN.indexOf(type);
    return index >= 0 ? index : ResourceTypes.BUILT_IN.size();
  }

  private static String fieldOf(ApiException e) {
    if (e instanceof ApiException.Invalid invalid && !invalid.errors().isEmpty()) {
      return invalid.errors().get(0).field().toString();
    }
    return null;
  }

  private static boolean isBlank(String s) {
    return s == null || s.isBlank();
  }

  /** Whether changes to the files are being watched. */
  boolean isWatching() {
    FileWatchRunner watcher = runner;
    return watcher != null && watcher.isRunning();
  }

  /** Stops watching; objects applied stay in the store. */
  @Override
  public void close() {
    closed = true;
    FileWatchRunner watcher = runner;
    if (watcher != null) {
      // Not under the lock: the watch thread may be waiting for it to finish a reload.
      watcher.close();
    }
  }
}
