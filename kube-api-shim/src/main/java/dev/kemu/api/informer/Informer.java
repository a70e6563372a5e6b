package dev.kemu.api.informer;

import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
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
import java.util.concurrent.RejectedExecutionException;
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
 * <p>The first sync sees the whole current state as ADDED changes; {@link #start()} completes after
 * it. Every later progress notification from the store (one per batch of writes, whatever the kind)
 * runs a sync, and {@link #appliedVersion()} advances once the handler has returned. A sync that
 * throws is retried (with the same changes, plus any that arrived since) after a delay that doubles
 * up to a minute; the applied version does not move until a sync succeeds, so {@link #whenApplied}
 * never completes for changes the handler failed to apply. Closing the informer fails every future
 * still waiting.
 */
public final class Informer implements StoreReader, AutoCloseable {
  private static final Logger logger = LoggerFactory.getLogger(Informer.class);
  private static final Duration DEFAULT_RETRY = Duration.ofSeconds(1);
  private static final Duration MAX_RETRY = Duration.ofMinutes(1);

  private final ResourceStore store;
  private final String name;
  private final Map<Class<? extends HasMetadata>, Lister<?>> listers = new LinkedHashMap<>();
  private final Set<ResourceType> types = new HashSet<>();
  private final SyncHandler handler;
  private final Duration firstRetry;
  private final ScheduledExecutorService executor;
  private final AppliedVersion applied = new AppliedVersion();
  private final CompletableFuture<Void> synced = new CompletableFuture<>();
  private final List<ObjectChange> pending = new ArrayList<>();
  private volatile Watch watch;
  private volatile boolean closed;
  // Informer-thread state.
  private long seenVersion = -1;
  private boolean failing;
  private Duration retry;

  /**
   * An informer that retries a failed sync after one second.
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
    this(store, name, kinds, handler, DEFAULT_RETRY);
  }

  /**
   * An informer.
   *
   * @param store the store to follow
   * @param name the reader's name, also its thread's name
   * @param kinds the built-in kinds to follow
   * @param handler what to run after each batch
   * @param retry the delay before retrying a failed sync (doubled after each failure)
   */
  public Informer(
      ResourceStore store,
      String name,
      Collection<Class<? extends HasMetadata>> kinds,
      SyncHandler handler,
      Duration retry) {
    this.store = store;
    this.name = name;
    this.handler = handler;
    this.firstRetry = retry;
    this.retry = retry;
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

  /**
   * Starts following the store; the first sync runs on the informer's thread. Calling it again
   * returns the same future.
   */
  @Override
  public synchronized CompletableFuture<Void> start() {
    if (closed) {
      throw new IllegalStateException(name + " is closed");
    }
    if (watch == null) {
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
                  seenVersion = Math.max(seenVersion, resourceVersion);
                  if (!failing) {
                    sync();
                  }
                }

                @Override
                public void onClose(ApiException reason) {
                  logger.error("{}: the store closed its watch: {}", name, reason.getMessage());
                }
              });
    }
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

  /** Runs the handler on the pending changes; on the informer thread. */
  private void sync() {
    if (closed) {
      return;
    }
    List<ObjectChange> changes = List.copyOf(pending);
    pending.clear();
    long covered = seenVersion;
    try {
      handler.sync(changes);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // Keep the batch so the retry sees it again, before anything that arrives meanwhile.
      pending.addAll(0, changes);
      failing = true;
      logger.error("{}: sync failed, retrying in {}", name, retry, e);
      Duration delay = retry;
      retry = retry.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : retry.multipliedBy(2);
      try {
        executor.schedule(this::retrySync, delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException closing) {
        logger.debug("{}: closed before the retry", name);
      }
      return;
    }
    failing = false;
    retry = firstRetry;
    if (covered >= 0) {
      applied.advance(covered);
      synced.complete(null);
    }
  }

  private void retrySync() {
    if (failing) {
      sync();
    }
  }

  /**
   * Runs the handler again with no new changes (or the changes of a failed sync), on the informer's
   * thread, after a delay.
   */
  public void resync(Duration delay) {
    executor.schedule(
        () -> {
          if (!failing && seenVersion >= 0) {
            sync();
          }
        },
        delay.toMillis(),
        TimeUnit.MILLISECONDS);
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

  /** Stops the watch and the thread; futures still waiting fail with a CancellationException. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      if (watch != null) {
        watch.close();
      }
    }
    executor.shutdownNow();
    applied.close(name + " was closed");
    synced.completeExceptionally(
        new java.util.concurrent.CancellationException(name + " was closed"));
  }
}
