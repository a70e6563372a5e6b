package dev.kemu.api.informer;

import dev.kemu.api.store.EventType;
import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * One change an informer saw since its last sync: {@code oldObject} is null for ADDED, {@code
 * object} is the last state for DELETED. Mirrors kube-proxy's {@code <previous, current>} pairs.
 *
 * @param type ADDED, MODIFIED or DELETED
 * @param object the object after the change (its last state when deleted)
 * @param oldObject the object before the change, or null
 */
public record ObjectChange(EventType type, HasMetadata object, HasMetadata oldObject) {

  /** Whether the changed object is of the given kind. */
  public boolean is(Class<? extends HasMetadata> kind) {
    return kind.isInstance(object);
  }
}
