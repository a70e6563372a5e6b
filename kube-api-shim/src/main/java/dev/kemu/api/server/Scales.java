package dev.kemu.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.WriteOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code scale} subresource of Deployments, ReplicaSets and StatefulSets as {@code
 * autoscaling/v1 Scale} ({@code pkg/registry/apps/deployment/storage/storage.go}, {@code
 * scaleFromDeployment}): {@code spec.replicas}, {@code status.replicas} and the selector in its
 * string form.
 */
final class Scales {
  private Scales() {}

  static ObjectNode scaleOf(ResourceType type, HasMetadata object) {
    JsonNode tree = ResourceCodec.tree(object);
    ObjectNode scale = ResourceCodec.json().createObjectNode();
    scale.put("kind", "Scale");
    scale.put("apiVersion", "autoscaling/v1");
    ObjectNode meta = scale.putObject("metadata");
    JsonNode m = tree.path("metadata");
    for (String field :
        List.of("name", "namespace", "uid", "resourceVersion", "creationTimestamp")) {
      if (m.hasNonNull(field)) {
        meta.set(field, m.get(field));
      }
    }
    scale.putObject("spec").put("replicas", tree.path("spec").path("replicas").asInt(1));
    ObjectNode status = scale.putObject("status");
    status.put("replicas", tree.path("status").path("replicas").asInt(0));
    String selector = selector(tree.path("spec").path("selector"));
    if (!selector.isEmpty()) {
      status.put("selector", selector);
    }
    return scale;
  }

  /** {@code metav1.FormatLabelSelector}. */
  static String selector(JsonNode selector) {
    List<String> parts = new ArrayList<>();
    Map<String, String> labels = new TreeMap<>();
    selector
        .path("matchLabels")
        .fields()
        .forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
    labels.forEach((k, v) -> parts.add(k + "=" + v));
    for (JsonNode expression : selector.path("matchExpressions")) {
      String key = expression.path("key").asText();
      List<String> values = new ArrayList<>();
      expression.path("values").forEach(v -> values.add(v.asText()));
      values.sort(null);
      switch (expression.path("operator").asText()) {
        case "In" -> parts.add(key + " in (" + String.join(",", values) + ")");
        case "NotIn" -> parts.add(key + " notin (" + String.join(",", values) + ")");
        case "Exists" -> parts.add(key);
        case "DoesNotExist" -> parts.add("!" + key);
        default -> {}
      }
    }
    return String.join(",", parts);
  }

  /** Writes {@code spec.replicas} from a Scale; its resourceVersion, if any, must be current. */
  static HasMetadata applyScale(
      ResourceStore store, ResourceHandler.Target target, JsonNode scale, WriteOptions write) {
    HasMetadata current =
        store
            .get(target.key())
            .orElseThrow(() -> new ApiException.NotFound(target.type(), target.name()));
    JsonNode replicas = scale.path("spec").path("replicas");
    if (!replicas.isMissingNode() && !replicas.canConvertToInt()) {
      throw new ApiException.BadRequest(
          "Scale in version \"v1\" cannot be handled as a Scale: spec.replicas must be an integer");
    }
    if (replicas.asInt(0) < 0) {
      throw new ApiException.Invalid(
          target.type(),
          target.name(),
          List.of(
              dev.kemu.api.model.FieldError.invalid(
                  dev.kemu.api.model.FieldPath.of("spec").child("replicas"),
                  replicas.asInt(),
                  "must be greater than or equal to 0")));
    }
    String rv = scale.path("metadata").path("resourceVersion").asText("");
    if (!rv.isEmpty() && !rv.equals(current.getMetadata().getResourceVersion())) {
      throw ApiException.Conflict.modified(target.type(), target.name());
    }
    ObjectNode tree = (ObjectNode) ResourceCodec.tree(current);
    tree.with("spec").put("replicas", replicas.asInt(0));
    HasMetadata updated = ResourceCodec.convert(tree, target.type().javaType());
    return store.update(updated, write);
  }
}
