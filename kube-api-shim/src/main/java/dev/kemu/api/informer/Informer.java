package dev.kemu.api.informer;

import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.EventType;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.Watch;
import dev.kemu.api.store.WatchEvent;
import dev.kemu.api.store.WatchHandler;
import dev.kemu.api.store.WatchOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows some kinds of the store with one watch, keeps a {@link Lister} per kind, and calls its
 * {@link SyncHandler} after each batch of changes, on its own thread. Mirrors a client-go shared
 * informer feeding a controller's work loop, with kube-proxy's coalescing: however many changes
 * arrive while a sync runs, the next sync sees them all at once.
 *
 * <p>The first sync sees the whole current state as ADDED changes; {@link #synced()} completes
 * after it. Every later progress notification from the store (one per batch of writes, whatever the
 * kind) advances {@link #appliedVersion()} once the handler has returned.
 */
public final class Informer implements StoreReader, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Informer.class);
  private static final Duration RETRY = Duration.ofSeconds(1);

  private final ResourceStore store;
  private final String name;
  private final Map<Class<? extends HasMetadata>, Lister<?>> listers = new LinkedHashMap<>();
  private final Set<ResourceType> types = new HashSet<>();
  private final SyncHandler handler;
  private final ScheduledExecutorService executor;
  private final AppliedVersion applied = new AppliedVersion();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private final List<ObjectChange> pending = new ArrayList<>();
  private Watch watch;
  private boolean retryScheduled;

  /**
   * An informer.
   *
   * @param store the store to follow
   * @param name the reader's name, also its thread's name
   * @param kinds the built-in kinds to follow
   * @param handler what to run after each batch
   */
  public Informer(
      ResourceStore store,
      String name,
      Collection<Class<? extends HasMetadata>> kinds,
      SyncHandler handler) {
    this.store = store;
    this.name = name;
    this.handler = handler;
    for (Class<? extends HasMetadata> kind : kinds) {
      listers.put(kind, new Lister<>(kind));
      types.add(store.types().of(kind));
    }
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread thread = new Thread(r, "kemu-" + name);
              thread.setDaemon(true);
              return thread;
            });
  }

  /** The lister of a kind this informer follows. */
  @SuppressWarnings("unchecked")
  public <T extends HasMetadata> Lister<T> lister(Class<T> kind) {
    Lister<?> lister = listers.get(kind);
    if (lister == null) {
      throw new IllegalArgumentException(name + " does not follow " + kind.getSimpleName());
    }
    return (Lister<T>) lister;
  }

  /** Starts following the store; the first sync runs on the informer's thread. */
  @Override
  public CompletableFuture<Void> start() {
    watch =
        store.watch(
            WatchOptions.informer(types, executor),
            new WatchHandler() {
              @Override
              public void onEvent(WatchEvent event) {
                record(event);
              }

              @Override
              public void onProgress(long resourceVersion) {
                flush(resourceVersion);
              }
            });
    return synced;
  }

  private void record(WatchEvent event) {
    HasMetadata object = event.object();
    Lister<?> lister = listers.get(object.getClass());
    if (lister == null) {
      return;
    }
    HasMetadata old =
        event.type() == EventType.DELETED ? lister.remove(object) : lister.put(object);
    EventType type =
        event.type() == EventType.DELETED
            ? EventType.DELETED
            : old == null ? EventType.ADDED : EventType.MODIFIED;
    pending.add(new ObjectChange(type, object, old));
  }

  private void flush(long resourceVersion) {
    runSync();
    applied.advance(resourceVersion);
    if (!synced.isDone()) {
      synced.complete(null);
    }
  }

  private void runSync() {
    List<ObjectChange> changes = List.copyOf(pending);
    pending.clear();
    try {
      handler.sync(changes);
    } catch (RuntimeException e) {
      logger.error("{}: sync failed, retrying in {}", name, RETRY, e);
      // Keep the batch so the retry sees it again.
      pending.addAll(0, changes);
      if (!retryScheduled) {
        retryScheduled = true;
        executor.schedule(
            () -> {
              retryScheduled = false;
              runSync();
            },
            RETRY.toMillis(),
            TimeUnit.MILLISECONDS);
      }
    }
  }

  /** Runs the handler again with no new changes, on the informer's thread (after a delay). */
  public void resync(Duration delay) {
    executor.schedule(this::runSync, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Runs a task on the informer's thread, where the listers and handler state live. */
  public void execute(Runnable task) {
    executor.execute(task);
  }

  /** Runs a task on the informer's thread after a delay. */
  public void schedule(Runnable task, Duration delay) {
    executor.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Completes after the first sync. */
  public CompletableFuture<Void> synced() {
    return synced;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return applied.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return applied.current();
  }

  @Override
  public void close() {
    if (watch != null) {
      watch.close();
    }
    executor.shutdownNow();
  }
}
