package dev.kemu.api.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;

/**
 * Tracks how far a reader has applied the store and completes the futures waiting on it: the
 * read-your-writes seam of {@link StoreReader#whenApplied}. Futures complete outside the lock, in
 * resourceVersion order; once closed, every waiting and later future fails with a {@link
 * CancellationException} instead of waiting forever.
 */
public final class AppliedVersion {
  private final TreeMap<Long, List<CompletableFuture<Void>>> waiting = new TreeMap<>();
  private long applied = -1;
  private String closedReason;

  /** Records that everything up to {@code resourceVersion} is applied. */
  public void advance(long resourceVersion) {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (this) {
      if (resourceVersion <= applied || closedReason != null) {
        return;
      }
      applied = resourceVersion;
      var head = waiting.headMap(resourceVersion, true);
      for (Map.Entry<Long, List<CompletableFuture<Void>>> entry : head.entrySet()) {
        ready.addAll(entry.getValue());
      }
      head.clear();
    }
    ready.forEach(f -> f.complete(null));
  }

  /** Completes once {@code resourceVersion} is applied. */
  public synchronized CompletableFuture<Void> whenApplied(long resourceVersion) {
    if (resourceVersion <= applied) {
      return CompletableFuture.completedFuture(null);
    }
    if (closedReason != null) {
      return CompletableFuture.failedFuture(new CancellationException(closedReason));
    }
    CompletableFuture<Void> future = new CompletableFuture<>();
    waiting.computeIfAbsent(resourceVersion, v -> new ArrayList<>()).add(future);
    return future;
  }

  /**
   * Stops tracking: every future still waiting, and every later one for a version not yet applied,
   * fails with a {@link CancellationException} carrying the reason.
   */
  public void close(String reason) {
    List<CompletableFuture<Void>> pending = new ArrayList<>();
    synchronized (this) {
      if (closedReason != null) {
        return;
      }
      closedReason = reason;
      waiting.values().forEach(pending::addAll);
      waiting.clear();
    }
    pending.forEach(f -> f.completeExceptionally(new CancellationException(reason)));
  }

  /** The version applied so far. */
  public synchronized long current() {
    return applied;
  }
}
