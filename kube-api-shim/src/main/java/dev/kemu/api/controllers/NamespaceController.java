package dev.kemu.api.controllers;

import dev.kemu.api.informer.Informer;
import dev.kemu.api.informer.ObjectChange;
import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceCondition;
import io.fabric8.kubernetes.api.model.NamespaceConditionBuilder;
import io.fabric8.kubernetes.api.model.NamespaceStatus;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empties namespaces that are being deleted, then lets them go. Mirrors {@code
 * pkg/controller/namespace} ({@code deletion/namespaced_resources_deleter.go}, {@code
 * deletion/status_condition_utils.go}): every namespaced object of every kind the store serves is
 * deleted (background propagation; pods on a node terminate gracefully), the namespace's status
 * conditions report what remains ({@code NamespaceContentRemaining}: {@code Some resources are
 * remaining: pods. has 2 resource instances}; {@code NamespaceFinalizersRemaining}), and once the
 * namespace is empty it is deleted again, which removes it (the store keeps a terminating namespace
 * while it has content).
 *
 * <p>The {@code kubernetes} entry of {@code spec.finalizers}, if any, is removed once the namespace
 * is empty, as upstream's finalize call does.
 */
public final class NamespaceController implements StoreReader {
  private static final Logger logger = LoggerFactory.getLogger(NamespaceController.class);

  /** The condition types the namespace deleter maintains, in upstream's order. */
  private static final List<String> CONDITION_TYPES =
      List.of(
          "NamespaceDeletionDiscoveryFailure",
          "NamespaceDeletionGroupVersionParsingFailure",
          "NamespaceDeletionContentFailure",
          "NamespaceContentRemaining",
          "NamespaceFinalizersRemaining");

  private static final Map<String, String[]> OK =
      Map.of(
          "NamespaceDeletionDiscoveryFailure",
          new String[] {"ResourcesDiscovered", "All resources successfully discovered"},
          "NamespaceDeletionGroupVersionParsingFailure",
          new String[] {"ParsedGroupVersions", "All legacy kube types successfully parsed"},
          "NamespaceDeletionContentFailure",
          new String[] {
            "ContentDeleted", "All content successfully deleted, may be waiting on finalization"
          },
          "NamespaceContentRemaining",
          new String[] {"ContentRemoved", "All content successfully removed"},
          "NamespaceFinalizersRemaining",
          new String[] {"ContentHasNoFinalizers", "All content-preserving finalizers finished"});

  private final ResourceStore store;
  private final Informer informer;

  /** A namespace controller for the store; {@link #start()} begins reconciling. */
  public NamespaceController(ResourceStore store) {
    this.store = store;
    // Every store write reaches this sync (progress), so the content of a terminating namespace
    // is looked at again whenever anything changes; only namespaces need a lister.
    this.informer =
        new Informer(store, "namespace-controller", List.of(Namespace.class), this::sync);
  }

  private void sync(List<ObjectChange> changes) {
    for (Namespace namespace : informer.lister(Namespace.class).list()) {
      if (namespace.getMetadata().getDeletionTimestamp() != null) {
        try {
          deleteContent(namespace);
        } catch (RuntimeException e) {
          logger.warn(
              "deleting the content of namespace {} failed: {}",
              namespace.getMetadata().getName(),
              e.toString());
        }
      }
    }
  }

  private void deleteContent(Namespace namespace) {
    String name = namespace.getMetadata().getName();
    List<ResourceType> types = new ArrayList<>();
    for (ResourceType type : store.types().all()) {
      if (type.namespaced()) {
        types.add(type);
      }
    }
    types.sort(Comparator.comparing(ResourceType::group).thenComparing(ResourceType::plural));

    List<String> errors = new ArrayList<>();
    Map<String, Integer> remainingByResource = new TreeMap<>();
    Map<String, Integer> remainingByFinalizer = new TreeMap<>();
    for (ResourceType type : types) {
      for (HasMetadata object : store.list(type, ListOptions.inNamespace(name)).items()) {
        if (object.getMetadata().getDeletionTimestamp() != null) {
          continue;
        }
        try {
          store.delete(
              new ResourceKey(type, name, object.getMetadata().getName()),
              new DeleteOptions(null, null, null, "Background", false));
        } catch (ApiException.NotFound e) {
          // Gone already.
        } catch (ApiException e) {
          errors.add(type.qualifiedResource() + ": " + e.getMessage());
        }
      }
      List<HasMetadata> remaining = store.list(type, ListOptions.inNamespace(name)).items();
      if (!remaining.isEmpty()) {
        remainingByResource.put(
            type.plural() + "." + type.group() + " has " + remaining.size() + " resource instances",
            remaining.size());
        for (HasMetadata object : remaining) {
          for (String finalizer : Pods.listOf(object.getMetadata().getFinalizers())) {
            remainingByFinalizer.merge(finalizer, 1, Integer::sum);
          }
        }
      }
    }
    updateConditions(namespace, errors, remainingByResource, remainingByFinalizer);
    if (remainingByResource.isEmpty()) {
      finalizeNamespace(namespace);
    }
  }

  private void updateConditions(
      Namespace namespace,
      List<String> errors,
      Map<String, Integer> remainingByResource,
      Map<String, Integer> remainingByFinalizer) {
    String now = ResourceStore.timestamp(store.clock().instant());
    Map<String, NamespaceCondition> failing = new TreeMap<>();
    if (!errors.isEmpty()) {
      List<String> sorted = new ArrayList<>(errors);
      sorted.sort(null);
      failing.put(
          "NamespaceDeletionContentFailure",
          condition(
              "NamespaceDeletionContentFailure",
              "True",
              "ContentDeletionFailed",
              "Failed to delete all resource types, "
                  + errors.size()
                  + " remaining: "
                  + String.join(", ", sorted),
              now));
    }
    if (!remainingByResource.isEmpty()) {
      failing.put(
          "NamespaceContentRemaining",
          condition(
              "NamespaceContentRemaining",
              "True",
              "SomeResourcesRemain",
              "Some resources are remaining: " + String.join(", ", remainingByResource.keySet()),
              now));
    }
    if (!remainingByFinalizer.isEmpty()) {
      List<String> parts = new ArrayList<>();
      remainingByFinalizer.forEach((f, n) -> parts.add(f + " in " + n + " resource instances"));
      failing.put(
          "NamespaceFinalizersRemaining",
          condition(
              "NamespaceFinalizersRemaining",
              "True",
              "SomeFinalizersRemain",
              "Some content in the namespace has finalizers remaining: " + String.join(", ", parts),
              now));
    }
    NamespaceStatus status =
        namespace.getStatus() == null
            ? new NamespaceStatus()
            : ResourceCodec.convert(
                ResourceCodec.tree(namespace.getStatus()), NamespaceStatus.class);
    List<NamespaceCondition> conditions = new ArrayList<>(Pods.listOf(status.getConditions()));
    boolean changed = false;
    for (String type : CONDITION_TYPES) {
      NamespaceCondition wanted = failing.get(type);
      if (wanted == null) {
        wanted = condition(type, "False", OK.get(type)[0], OK.get(type)[1], now);
      }
      NamespaceCondition existing =
          conditions.stream().filter(c -> type.equals(c.getType())).findFirst().orElse(null);
      if (existing == null) {
        conditions.add(wanted);
        changed = true;
      } else if (!Objects.equals(existing.getStatus(), wanted.getStatus())
          || !Objects.equals(existing.getReason(), wanted.getReason())
          || !Objects.equals(existing.getMessage(), wanted.getMessage())) {
        if (!Objects.equals(existing.getStatus(), wanted.getStatus())) {
          existing.setLastTransitionTime(now);
        }
        existing.setStatus(wanted.getStatus());
        existing.setReason(wanted.getReason());
        existing.setMessage(wanted.getMessage());
        changed = true;
      }
    }
    if (!changed) {
      return;
    }
    status.setConditions(conditions);
    String uid = namespace.getMetadata().getUid();
    try {
      store.modifyStatus(
          Namespace.class,
          ResourceKey.of(ResourceTypes.NAMESPACE, namespace),
          live -> {
            if (Objects.equals(uid, live.getMetadata().getUid())) {
              NamespaceStatus liveStatus =
                  live.getStatus() == null ? new NamespaceStatus() : live.getStatus();
              liveStatus.setConditions(conditions);
              live.setStatus(liveStatus);
            }
            return live;
          });
    } catch (ApiException.NotFound e) {
      // Gone already.
    }
  }

  private static NamespaceCondition condition(
      String type, String status, String reason, String message, String now) {
    return new NamespaceConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withReason(reason)
        .withMessage(message)
        .withLastTransitionTime(now)
        .build();
  }

  /** Removes the {@code kubernetes} finalizer, then deletes the now empty namespace. */
  private void finalizeNamespace(Namespace namespace) {
    ResourceKey key = ResourceKey.of(ResourceTypes.NAMESPACE, namespace);
    String uid = namespace.getMetadata().getUid();
    try {
      if (namespace.getSpec() != null
          && Pods.listOf(namespace.getSpec().getFinalizers()).contains("kubernetes")) {
        store.modify(
            Namespace.class,
            key,
            live -> {
              if (Objects.equals(uid, live.getMetadata().getUid()) && live.getSpec() != null) {
                List<String> kept = new ArrayList<>(Pods.listOf(live.getSpec().getFinalizers()));
                kept.remove("kubernetes");
                live.getSpec().setFinalizers(kept.isEmpty() ? null : kept);
              }
              return live;
            });
      }
      store.delete(key, new DeleteOptions(null, uid, null, null, false));
    } catch (ApiException.NotFound | ApiException.Conflict e) {
      // Gone already, or a namesake.
    }
  }

  @Override
  public String name() {
    return informer.name();
  }

  @Override
  public CompletableFuture<Void> start() {
    return informer.start();
  }

  @Override
  public CompletableFuture<Void> whenApplied(long resourceVersion) {
    return informer.whenApplied(resourceVersion);
  }

  @Override
  public long appliedVersion() {
    return informer.appliedVersion();
  }

  @Override
  public void close() {
    informer.close();
  }
}
