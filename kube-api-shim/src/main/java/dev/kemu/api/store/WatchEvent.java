package dev.kemu.api.store;

import dev.kemu.api.model.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One change delivered to a watch: ADDED, MODIFIED, DELETED (or BOOKMARK with only a
 * resourceVersion). Each watcher receives its own event; {@link #object()} decodes the object on
 * first use and returns the same copy afterwards, so a watcher may keep it but must treat it as
 * read-only if it hands it on.
 */
public final class WatchEvent {
  private final EventType type;
  private final long resourceVersion;
  private final StoredObject stored;
  private HasMetadata object;

  WatchEvent(EventType type, long resourceVersion, StoredObject stored) {
    this.type = type;
    this.resourceVersion = resourceVersion;
    this.stored = stored;
  }

  /** The event type. */
  public EventType type() {
    return type;
  }

  /** The resourceVersion of the change (for DELETED, the version of the deletion). */
  public long resourceVersion() {
    return resourceVersion;
  }

  /** The key of the object, or null for a bookmark. */
  public ResourceKey key() {
    return stored == null ? null : stored.key();
  }

  /** The object after the change (before it, for DELETED), or null for a bookmark. */
  public synchronized HasMetadata object() {
    if (object == null && stored != null) {
      object = stored.copy();
      object.getMetadata().setResourceVersion(Long.toString(resourceVersion));
    }
    return object;
  }

  /** The object's encoded JSON as stored (its resourceVersion is that of the stored object). */
  public byte[] json() {
    return stored == null ? null : stored.json();
  }

  @Override
  public String toString() {
    return type + " " + (stored == null ? "" : stored.key() + " ") + "rv=" + resourceVersion;
  }
}
