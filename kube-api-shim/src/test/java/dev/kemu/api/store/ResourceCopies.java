package dev.kemu.api.store;

import dev.kemu.api.model.ResourceCodec;
import io.fabric8.kubernetes.api.model.HasMetadata;

/** Deep copies for tests. */
final class ResourceCopies {
  private ResourceCopies() {}

  static <T extends HasMetadata> T copy(T object) {
    return ResourceCodec.copy(object);
  }
}
