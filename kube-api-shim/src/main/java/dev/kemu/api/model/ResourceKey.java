package dev.kemu.api.model;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Objects;

/**
 * Identifies one object in the store: its type, namespace (empty for cluster-scoped kinds) and
 * name. Prints the Kubernetes way, {@code ns/name} or {@code name}.
 *
 * @param type the resource type
 * @param namespace the namespace, empty for cluster-scoped objects
 * @param name the object name
 */
public record ResourceKey(ResourceType type, String namespace, String name) {

  public ResourceKey {
    Objects.requireNonNull(type, "type");
    namespace = namespace == null ? "" : namespace;
    Objects.requireNonNull(name, "name");
  }

  /** The key of an object whose type is already known. */
  public static ResourceKey of(ResourceType type, HasMetadata object) {
    var metadata = object.getMetadata();
    return new ResourceKey(
        type, type.namespaced() ? metadata.getNamespace() : "", metadata.getName());
  }

  /** {@code ns/name} for namespaced objects, {@code name} otherwise. */
  public String namespacedName() {
    return namespace.isEmpty() ? name : namespace + "/" + name;
  }

  @Override
  public String toString() {
    return type.kind() + " " + namespacedName();
  }
}
