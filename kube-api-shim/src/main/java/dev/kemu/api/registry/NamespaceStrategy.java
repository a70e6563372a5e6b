package dev.kemu.api.registry;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.Transaction;
import dev.kemu.api.store.WriteStrategy;
import dev.kemu.api.validation.MetaValidation;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceSpec;
import io.fabric8.kubernetes.api.model.NamespaceStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The write path of Namespaces, as {@code pkg/registry/core/namespace/strategy.go} and {@code
 * SetDefaults_Namespace}: every namespace carries the label {@code kubernetes.io/metadata.name}
 * with its name, starts {@code Active} with the {@code kubernetes} finalizer in {@code
 * spec.finalizers}, and keeps its finalizers and status across updates (they have their own
 * subresources).
 */
final class NamespaceStrategy implements WriteStrategy {
  /** {@code v1.LabelMetadataName}. */
  static final String NAME_LABEL = "kubernetes.io/metadata.name";

  @Override
  public void beforeCreate(HasMetadata object, Transaction tx) {
    Namespace namespace = (Namespace) object;
    nameLabel(namespace);
    namespace.setStatus(new NamespaceStatus(null, "Active"));
    if (namespace.getSpec() == null) {
      namespace.setSpec(new NamespaceSpec());
    }
    List<String> finalizers =
        namespace.getSpec().getFinalizers() == null
            ? new ArrayList<>()
            : new ArrayList<>(namespace.getSpec().getFinalizers());
    if (!finalizers.contains("kubernetes")) {
      finalizers.add("kubernetes");
    }
    namespace.getSpec().setFinalizers(finalizers);
    Registry.reject(
        ResourceTypes.NAMESPACE, namespace, MetaValidation.objectMeta(namespace.getMetadata()));
  }

  @Override
  public void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {
    Namespace namespace = (Namespace) object;
    Namespace previous = (Namespace) old;
    nameLabel(namespace);
    namespace.setSpec(previous.getSpec());
    namespace.setStatus(previous.getStatus());
    Registry.reject(
        ResourceTypes.NAMESPACE, namespace, MetaValidation.objectMeta(namespace.getMetadata()));
  }

  private static void nameLabel(Namespace namespace) {
    String name = namespace.getMetadata().getName();
    if (name == null || name.isEmpty()) {
      return;
    }
    Map<String, String> labels =
        namespace.getMetadata().getLabels() == null
            ? new LinkedHashMap<>()
            : new LinkedHashMap<>(namespace.getMetadata().getLabels());
    labels.put(NAME_LABEL, name);
    namespace.getMetadata().setLabels(labels);
  }
}
