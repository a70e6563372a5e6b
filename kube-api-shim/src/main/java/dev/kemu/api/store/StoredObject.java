package dev.kemu.api.store;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.Map;

/**
 * One object as the store holds it: encoded JSON, which is immutable, plus the store's private
 * decoded copy, which never leaves the store. Callers receive fresh decodes.
 */
record StoredObject(ResourceKey key, long resourceVersion, byte[] json, HasMetadata object) {

  static StoredObject of(ResourceKey key, long resourceVersion, HasMetadata object) {
    return new StoredObject(key, resourceVersion, ResourceCodec.encode(object), object);
  }

  /** A fresh copy nobody else holds. */
  HasMetadata copy() {
    return ResourceCodec.decode(json, key.type().javaType());
  }

  Map<String, String> labels() {
    Map<String, String> labels = object.getMetadata().getLabels();
    return labels == null ? Map.of() : labels;
  }
}
