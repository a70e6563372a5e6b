package dev.kemu.api.informer;

import dev.kemu.api.store.LabelSelector;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The local cache of one kind that an {@link Informer} keeps, sorted by namespace and name so that
 * readers iterate deterministically. Mirrors a client-go Lister. The objects are the informer's own
 * copies: read them, never change them.
 */
public final class Lister<T extends HasMetadata> {
  private final Class<T> kind;
  private final ConcurrentSkipListMap<String, T> objects = new ConcurrentSkipListMap<>();

  Lister(Class<T> kind) {
    this.kind = kind;
  }

  /** The kind this lister holds. */
  public Class<T> kind() {
    return kind;
  }

  /** The object with this namespace (empty for cluster-scoped) and name. */
  public Optional<T> get(String namespace, String name) {
    return Optional.ofNullable(objects.get(key(namespace, name)));
  }

  /** Every object, sorted by namespace and name. */
  public List<T> list() {
    return new ArrayList<>(objects.values());
  }

  /**
   * The objects of one namespace; an empty or null namespace means every namespace ({@code
   * metav1.NamespaceAll}), which is also how to list a cluster-scoped kind.
   */
  public List<T> list(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      return list();
    }
    return new ArrayList<>(objects.subMap(namespace + "/", namespace + "0").values());
  }

  /** The objects of one namespace (empty for all) whose labels match. */
  public List<T> list(String namespace, LabelSelector selector) {
    List<T> matching = new ArrayList<>();
    for (T object : list(namespace)) {
      if (selector.matches(object.getMetadata().getLabels())) {
        matching.add(object);
      }
    }
    return matching;
  }

  /** How many objects the lister holds. */
  public int size() {
    return objects.size();
  }

  T put(HasMetadata object) {
    return objects.put(key(object), kind.cast(object));
  }

  T remove(HasMetadata object) {
    return objects.remove(key(object));
  }

  static String key(HasMetadata object) {
    String namespace = object.getMetadata().getNamespace();
    return key(namespace, object.getMetadata().getName());
  }

  static String key(String namespace, String name) {
    return namespace == null || namespace.isEmpty() ? name : namespace + "/" + name;
  }
}
