package dev.kemu.api.controllers;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Controller references and the claim protocol of workload controllers. Mirrors {@code
 * metav1.NewControllerRef}/{@code GetControllerOf} and {@code BaseControllerRefManager.ClaimObject}
 * ({@code pkg/controller/controller_ref_manager.go}): a controller keeps what it owns and still
 * selects, releases what it owns but no longer selects, and adopts orphans it selects, unless it is
 * itself being deleted.
 */
final class OwnerReferences {
  private OwnerReferences() {}

  /** The reference with {@code controller: true}, or null. */
  static OwnerReference controllerOf(HasMetadata object) {
    List<OwnerReference> refs = object.getMetadata().getOwnerReferences();
    if (refs == null) {
      return null;
    }
    for (OwnerReference ref : refs) {
      if (Boolean.TRUE.equals(ref.getController())) {
        return ref;
      }
    }
    return null;
  }

  /** Whether the object's controller is the object with this uid. */
  static boolean isControlledBy(HasMetadata object, String uid) {
    OwnerReference ref = controllerOf(object);
    return ref != null && Objects.equals(ref.getUid(), uid);
  }

  /** {@code metav1.NewControllerRef}: controller and blockOwnerDeletion set. */
  static OwnerReference newControllerRef(HasMetadata owner, ResourceType type) {
    return new OwnerReferenceBuilder()
        .withApiVersion(type.apiVersion())
        .withKind(type.kind())
        .withName(owner.getMetadata().getName())
        .withUid(owner.getMetadata().getUid())
        .withController(true)
        .withBlockOwnerDeletion(true)
        .build();
  }

  /** Whether the object has been marked for deletion. */
  static boolean isDeleting(HasMetadata object) {
    return object.getMetadata().getDeletionTimestamp() != null;
  }

  /**
   * Claims objects for a controller: returns those it controls and selects (after adopting and
   * releasing as needed). Writes go through {@code store.modify}, so a concurrent claim by another
   * controller cannot be overwritten.
   *
   * @param store the store
   * @param owner the controller object
   * @param ownerType its type
   * @param kind the kind of the candidates
   * @param candidates the candidates, in the order to return them
   * @param selects whether the controller's selector matches a candidate
   */
  static <T extends HasMetadata> List<T> claim(
      ResourceStore store,
      HasMetadata owner,
      ResourceType ownerType,
      Class<T> kind,
      List<T> candidates,
      Predicate<T> selects) {
    String uid = owner.getMetadata().getUid();
    List<T> claimed = new ArrayList<>();
    Boolean canAdopt = null;
    for (T candidate : candidates) {
      OwnerReference ref = controllerOf(candidate);
      if (ref != null) {
        if (!Objects.equals(ref.getUid(), uid)) {
          continue;
        }
        if (selects.test(candidate)) {
          claimed.add(candidate);
        } else if (!isDeleting(owner)) {
          release(store, kind, candidate, uid);
        }
        continue;
      }
      if (isDeleting(owner) || !selects.test(candidate) || isDeleting(candidate)) {
        continue;
      }
      if (!Objects.equals(
          owner.getMetadata().getNamespace(), candidate.getMetadata().getNamespace())) {
        continue;
      }
      if (canAdopt == null) {
        // Adoption rechecks the owner against the store, not the cache (upstream #42639): an
        // owner being deleted must not adopt what the garbage collector just orphaned.
        canAdopt = canAdopt(store, owner, ownerType);
      }
      if (canAdopt) {
        adopt(store, owner, ownerType, kind, candidate).ifPresent(claimed::add);
      }
    }
    return claimed;
  }

  private static boolean canAdopt(ResourceStore store, HasMetadata owner, ResourceType type) {
    Optional<HasMetadata> fresh = store.get(ResourceKey.of(type, owner));
    return fresh.isPresent()
        && Objects.equals(fresh.get().getMetadata().getUid(), owner.getMetadata().getUid())
        && !isDeleting(fresh.get());
  }

  private static <T extends HasMetadata> Optional<T> adopt(
      ResourceStore store, HasMetadata owner, ResourceType ownerType, Class<T> kind, T object) {
    try {
      T adopted =
          store.modify(
              kind,
              store.keyOf(object),
              live -> {
                if (controllerOf(live) != null || isDeleting(live)) {
                  return live;
                }
                List<OwnerReference> refs = new ArrayList<>();
                if (live.getMetadata().getOwnerReferences() != null) {
                  refs.addAll(live.getMetadata().getOwnerReferences());
                }
                refs.add(newControllerRef(owner, ownerType));
                live.getMetadata().setOwnerReferences(refs);
                return live;
              });
      return isControlledBy(adopted, owner.getMetadata().getUid())
          ? Optional.of(adopted)
          : Optional.empty();
    } catch (ApiException.NotFound e) {
      return Optional.empty();
    }
  }

  private static <T extends HasMetadata> void release(
      ResourceStore store, Class<T> kind, T object, String uid) {
    try {
      store.modify(
          kind,
          store.keyOf(object),
          live -> {
            removeReferencesTo(live, List.of(uid));
            return live;
          });
    } catch (ApiException.NotFound e) {
      // Gone already: nothing to release.
    }
  }

  /** Removes the references to the given owner uids; true if any was removed. */
  static boolean removeReferencesTo(HasMetadata object, List<String> uids) {
    List<OwnerReference> refs = object.getMetadata().getOwnerReferences();
    if (refs == null || refs.isEmpty()) {
      return false;
    }
    List<OwnerReference> kept = new ArrayList<>();
    for (OwnerReference ref : refs) {
      if (!uids.contains(ref.getUid())) {
        kept.add(ref);
      }
    }
    if (kept.size() == refs.size()) {
      return false;
    }
    object.getMetadata().setOwnerReferences(kept.isEmpty() ? null : kept);
    return true;
  }
}
