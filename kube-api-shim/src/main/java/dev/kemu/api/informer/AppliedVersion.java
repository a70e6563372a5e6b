package dev.kemu.api.informer;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/** Tracks how far a reader has applied the store and completes the futures waiting on it. */
public final class AppliedVersion {
  private final TreeMap<Long, List<CompletableFuture<Void>>> waiting = new TreeMap<>();
  private long applied = -1;

  /** Records that everything up to {@code resourceVersion} is applied. */
  public void advance(long resourceVersion) {
    List<CompletableFuture<Void>> ready = new ArrayList<>();
    synchronized (this) {
      if (resourceVersion <= applied) {
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
    CompletableFuture<Void> future = new CompletableFuture<>();
    waiting.computeIfAbsent(resourceVersion, v -> new ArrayList<>()).add(future);
    return future;
  }

  /** The version applied so far. */
  public synchronized long current() {
    return applied;
  }
}
