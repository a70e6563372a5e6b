package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.store.ApiException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The keys a controller still has to reconcile, processed in sorted order on its informer's thread.
 * Mirrors client-go's rate-limited work queue as controllers use it: a key is queued once however
 * many events name it, a failed key comes back after an exponential back-off, and a key can be
 * queued after a delay ({@code AddAfter}) for checks that depend on time (minReadySeconds, progress
 * deadlines).
 *
 * <p>Not thread-safe: every method runs on the informer's thread.
 */
final class WorkQueue {
  private static final Logger logger = LoggerFactory.getLogger(WorkQueue.class);
  private static final Duration BASE_DELAY = Duration.ofMillis(500);
  private static final Duration MAX_DELAY = Duration.ofSeconds(30);

  private final Informer informer;
  private final TreeMap<String, ResourceKey> dirty = new TreeMap<>();
  private final Map<String, Integer> failures = new HashMap<>();
  private final Map<String, Long> waiting = new HashMap<>();
  private boolean syncScheduled;

  WorkQueue(Informer informer) {
    this.informer = informer;
  }

  /** Queues a key. */
  void add(ResourceKey key) {
    dirty.put(key.namespacedName(), key);
  }

  /**
   * Queues a key after a delay, and runs a sync then. A key already waiting to be queued no later
   * than that keeps its earlier time, as client-go's delaying queue does.
   */
  void addAfter(ResourceKey key, Duration delay) {
    Duration wait = delay.isNegative() ? Duration.ZERO : delay;
    long due = System.nanoTime() + wait.toNanos();
    Long waiting = this.waiting.get(key.namespacedName());
    if (waiting != null && waiting - due <= 0) {
      return;
    }
    this.waiting.put(key.namespacedName(), due);
    try {
      informer.schedule(
          () -> {
            if (Long.valueOf(due).equals(this.waiting.get(key.namespacedName()))) {
              this.waiting.remove(key.namespacedName());
              add(key);
              requestSync();
            }
          },
          wait);
    } catch (RejectedExecutionException e) {
      // The controller is closing.
    }
  }

  /**
   * Reconciles every queued key once, in order. A key whose reconcile throws is logged and queued
   * again after a back-off; keys queued while this runs wait for the next sync, when the informer's
   * listers hold what this pass wrote.
   */
  void process(Consumer<ResourceKey> reconcile) {
    List<ResourceKey> keys = new ArrayList<>(dirty.values());
    dirty.clear();
    for (ResourceKey key : keys) {
      try {
        reconcile.accept(key);
        failures.remove(key.namespacedName());
      } catch (RuntimeException e) {
        int attempts = failures.merge(key.namespacedName(), 1, Integer::sum);
        Duration delay = backoff(attempts);
        if (e instanceof ApiException.Forbidden) {
          // Typically a namespace being terminated: its content goes soon, this key with it.
          logger.debug("{}: syncing {}: {}", informer.name(), key, e.getMessage());
        } else {
          logger.warn(
              "{}: syncing {} failed (attempt {}), retrying in {} ms: {}",
              informer.name(),
              key,
              attempts,
              delay.toMillis(),
              e.toString());
        }
        logger.debug("{}: failure syncing {}", informer.name(), key, e);
        addAfter(key, delay);
      }
    }
    if (!dirty.isEmpty()) {
      requestSync();
    }
  }

  private void requestSync() {
    if (!syncScheduled) {
      try {
        informer.execute(
            () -> {
              syncScheduled = false;
              informer.resync(Duration.ZERO);
            });
        syncScheduled = true;
      } catch (RejectedExecutionException e) {
        // The controller is closing.
      }
    }
  }

  private static Duration backoff(int attempts) {
    long millis = BASE_DELAY.toMillis() << Math.min(attempts - 1, 16);
    return Duration.ofMillis(Math.min(millis, MAX_DELAY.toMillis()));
  }
}
