package dev.kemu.api.store;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;

/**
 * The result of a list: fresh copies of the objects, sorted by namespace and name, and the store's
 * resourceVersion at the time of the list (from which a watch can continue).
 *
 * @param items the objects
 * @param resourceVersion the list's resourceVersion
 */
public record ResourceList<T extends HasMetadata>(List<T> items, long resourceVersion) {
  public ResourceList {
    items = List.copyOf(items);
  }
}
