package dev.kemu.api.store;

import io.fabric8.kubernetes.api.model.HasMetadata;

/**
 * The per-kind part of the write path, run under the store's write lock: defaulting, validation and
 * allocation, as an apiserver {@code RESTCreateStrategy}/{@code RESTUpdateStrategy} with its
 * admission. A strategy throws {@link ApiException.Invalid} to reject a write and registers the
 * undo of every allocation on the {@link Transaction}.
 */
public interface WriteStrategy {

  /** Defaults, validates and allocates for a new object; may change {@code object}. */
  default void beforeCreate(HasMetadata object, Transaction tx) {}

  /**
   * Defaults, validates and allocates for an update; may change {@code object}, must not change
   * {@code old}.
   */
  default void beforeUpdate(HasMetadata object, HasMetadata old, Transaction tx) {}

  /** Releases what the object held once it is gone from the store. */
  default void afterDelete(HasMetadata old) {}
}
