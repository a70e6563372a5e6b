package dev.kemu.api.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.DeleteOptions;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.RoutingContext;
import java.io.IOException;
import java.util.Locale;
import java.util.Set;

/**
 * Decodes request bodies as the apiserver's serializers do ({@code
 * apimachinery/pkg/runtime/serializer}): JSON or YAML by {@code Content-Type}, the {@code
 * apiVersion} and {@code kind} of the data checked against the endpoint's, every failure a 400 or
 * 415 {@code Status}. Protobuf is refused with 415, so clients fall back to JSON.
 */
final class Bodies {
  private static final Set<String> PROPAGATION = Set.of("Foreground", "Background", "Orphan");

  private Bodies() {}

  /** The media type of the body, without parameters, lower case; JSON when absent. */
  static String mediaType(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return "application/json";
    }
    int semi = contentType.indexOf(';');
    return (semi < 0 ? contentType : contentType.substring(0, semi))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  /** The body as a JSON tree (an object). */
  static JsonNode decodeTree(RoutingContext ctx) {
    String media = mediaType(ctx.request().getHeader("Content-Type"));
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    JsonNode tree;
    switch (media) {
      case "application/json" -> {
        try {
          tree = ResourceCodec.json().readTree(bytes);
        } catch (JsonProcessingException e) {
          throw new ApiException.BadRequest(
              "couldn't get version/kind; json parse error: " + e.getOriginalMessage());
        } catch (IOException e) {
          throw new ApiException.BadRequest("couldn't get version/kind; json parse error: " + e);
        }
      }
      case "application/yaml" -> {
        try {
          tree = ResourceCodec.yaml().readTree(bytes);
        } catch (JsonProcessingException e) {
          throw new ApiException.BadRequest(
              "error converting YAML to JSON: yaml: " + e.getOriginalMessage());
        } catch (IOException | RuntimeException e) {
          // SnakeYAML signals its own limits (nesting, aliases, size) with unchecked exceptions.
          throw new ApiException.BadRequest(
              "error converting YAML to JSON: yaml: " + e.getMessage());
        }
      }
      default ->
          throw new ApiException.UnsupportedMediaType(ctx.request().getHeader("Content-Type"));
    }
    if (tree == null || tree.isMissingNode() || tree.isNull()) {
      throw new ApiException.BadRequest("Object 'Kind' is missing in ''");
    }
    if (!tree.isObject()) {
      throw new ApiException.BadRequest(
          "couldn't get version/kind; json parse error: json: cannot unmarshal "
              + tree.getNodeType().name().toLowerCase(Locale.ROOT)
              + " into Go value of type struct { APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }");
    }
    return tree;
  }

  /**
   * The body as an object of the endpoint's type: a missing {@code apiVersion} or {@code kind}
   * takes the endpoint's, a different one is a bad request.
   */
  static HasMetadata decodeObject(RoutingContext ctx, ResourceType type) {
    ObjectNode tree = (ObjectNode) decodeTree(ctx);
    JsonNode apiVersion = tree.get("apiVersion");
    JsonNode kind = tree.get("kind");
    if (apiVersion == null || apiVersion.isNull() || apiVersion.asText().isEmpty()) {
      tree.put("apiVersion", type.apiVersion());
    } else if (!apiVersion.isTextual() || !apiVersion.asText().equals(type.apiVersion())) {
      throw new ApiException.BadRequest(
          "the API version in the data ("
              + apiVersion.asText()
              + ") does not match the expected API version ("
              + type.apiVersion()
              + ")");
    }
    if (kind == null || kind.isNull() || kind.asText().isEmpty()) {
      tree.put("kind", type.kind());
    } else if (!kind.isTextual() || !kind.asText().equals(type.kind())) {
      throw new ApiException.BadRequest(
          "the kind in the data ("
              + kind.asText()
              + ") does not match the expected kind ("
              + type.kind()
              + ")");
    }
    JsonNode metadata = tree.get("metadata");
    if (metadata != null && !metadata.isNull() && !metadata.isObject()) {
      throw cannotHandle(
          type, "json: cannot unmarshal into Go struct field .metadata of type v1.ObjectMeta");
    }
    HasMetadata object;
    try {
      object = ResourceCodec.json().treeToValue(tree, type.javaType());
    } catch (JsonProcessingException | IllegalArgumentException e) {
      String message =
          e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
      throw cannotHandle(type, message);
    }
    if (object == null) {
      throw new ApiException.BadRequest("Object 'Kind' is missing in ''");
    }
    if (object.getMetadata() == null) {
      object.setMetadata(new ObjectMeta());
    }
    return object;
  }

  private static ApiException cannotHandle(ResourceType type, String detail) {
    return new ApiException.BadRequest(
        type.kind()
            + " in version \""
            + type.version()
            + "\" cannot be handled as a "
            + type.kind()
            + ": "
            + detail);
  }

  /** The delete options of the body ({@code DeleteOptions}) and query. */
  static DeleteOptions deleteOptions(RoutingContext ctx, MultiMap params, boolean dryRun) {
    Long grace = null;
    String propagation = null;
    String uid = null;
    String resourceVersion = null;
    Buffer body = ctx.body() == null ? null : ctx.body().buffer();
    if (body != null && body.length() > 0) {
      JsonNode tree = decodeTree(ctx);
      JsonNode g = tree.get("gracePeriodSeconds");
      if (g != null && !g.isNull()) {
        if (!g.canConvertToLong()) {
          throw new ApiException.BadRequest(
              "DeleteOptions in version \"v1\" cannot be handled as a DeleteOptions:"
                  + " gracePeriodSeconds must be an integer");
        }
        grace = g.asLong();
      }
      JsonNode p = tree.get("propagationPolicy");
      if (p != null && !p.isNull()) {
        propagation = p.asText();
      }
      JsonNode orphan = tree.get("orphanDependents");
      if (propagation == null && orphan != null && orphan.isBoolean()) {
        propagation = orphan.asBoolean() ? "Orphan" : "Background";
      }
      JsonNode pre = tree.get("preconditions");
      if (pre != null && pre.isObject()) {
        uid = pre.hasNonNull("uid") ? pre.get("uid").asText() : null;
        resourceVersion =
            pre.hasNonNull("resourceVersion") ? pre.get("resourceVersion").asText() : null;
      }
      JsonNode dry = tree.get("dryRun");
      if (dry != null && dry.isArray()) {
        for (JsonNode value : dry) {
          if (!value.asText().equals("All")) {
            throw new ApiException.BadRequest(
                "Invalid dryRun value: " + dry + ", accepted values are: [All]");
          }
          dryRun = true;
        }
      }
    }
    if (params.get("gracePeriodSeconds") != null) {
      grace = ResourceHandler.parseLong(params.get("gracePeriodSeconds"), "gracePeriodSeconds", 0);
    }
    if (params.get("propagationPolicy") != null) {
      propagation = params.get("propagationPolicy");
    }
    if (propagation != null && !PROPAGATION.contains(propagation)) {
      throw new ApiException.BadRequest(
          "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \""
              + propagation
              + "\": supported values: \"Foreground\", \"Background\", \"Orphan\"");
    }
    if (grace != null && grace < 0) {
      grace = 1L;
    }
    return new DeleteOptions(grace, uid, resourceVersion, propagation, dryRun);
  }
}
