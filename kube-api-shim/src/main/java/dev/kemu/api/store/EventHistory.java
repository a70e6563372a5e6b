package dev.kemu.api.store;

import java.util.ArrayList;
import java.util.List;

/**
 * The bounded history of changes a watch can resume from, as the apiserver's watch cache ({@code
 * watch_cache.go}): a ring of the most recent changes; asking for changes after a version that has
 * fallen out of the ring is {@link ApiException.Gone} (410, "too old resource version").
 */
final class EventHistory {

  /** One committed change: the object after it and before it (null where there is none). */
  record Change(
      EventType type, long resourceVersion, StoredObject current, StoredObject previous) {}

  private final Change[] ring;
  private int next;
  private int size;
  private long firstKept;

  EventHistory(int capacity, long startVersion) {
    if (capacity < 1) {
      throw new IllegalArgumentException("history capacity must be positive: " + capacity);
    }
    this.ring = new Change[capacity];
    this.firstKept = startVersion + 1;
  }

  void add(Change change) {
    if (size == ring.length) {
      firstKept = ring[next].resourceVersion() + 1;
    } else {
      size++;
    }
    ring[next] = change;
    next = (next + 1) % ring.length;
  }

  /** The changes with a resourceVersion greater than {@code after}, oldest first. */
  List<Change> since(long after) {
    long oldestResumable = firstKept - 1;
    if (after < oldestResumable) {
      throw new ApiException.Gone(after, oldestResumable);
    }
    List<Change> changes = new ArrayList<>();
    int start = (next - size + ring.length) % ring.length;
    for (int i = 0; i < size; i++) {
      Change change = ring[(start + i) % ring.length];
      if (change.resourceVersion() > after) {
        changes.add(change);
      }
    }
    return changes;
  }

  /** The oldest resourceVersion a watch may resume from. */
  long oldestResumable() {
    return firstKept - 1;
  }
}
