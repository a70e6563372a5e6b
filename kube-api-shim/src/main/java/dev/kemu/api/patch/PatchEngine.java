package dev.kemu.api.patch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.flipkart.zjsonpatch.InvalidJsonPatchException;
import com.flipkart.zjsonpatch.JsonPatch;
import com.flipkart.zjsonpatch.JsonPatchApplicationException;
import dev.kemu.api.model.FieldError;
import dev.kemu.api.model.FieldPath;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.store.ApiException;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The PATCH verb of the apiserver ({@code k8s.io/apiserver/pkg/endpoints/handlers/patch.go}): JSON
 * patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch for built-in kinds and
 * server-side apply, each answering bad patches with the apiserver's errors. A pure function of the
 * current object and the request: the REST layer reads and stores the object, validates the result
 * and calls {@link ManagedFields#recordUpdate} for non-apply writes. Thread-safe: one engine serves
 * all requests.
 */
public final class PatchEngine {
  public static final String JSON_PATCH = "application/json-patch+json";
  public static final String MERGE_PATCH = "application/merge-patch+json";
  public static final String STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json";
  public static final String APPLY_PATCH_YAML = "application/apply-patch+yaml";

  /** The patch types of a built-in kind, in the order the apiserver lists them. */
  public static final List<String> BUILT_IN_PATCH_TYPES =
      List.of(JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH, APPLY_PATCH_YAML);

  /** Custom resources take no strategic merge patch (the CRD handler's supported types). */
  public static final List<String> CUSTOM_PATCH_TYPES =
      List.of(JSON_PATCH, MERGE_PATCH, APPLY_PATCH_YAML);

  private static final ResourceType PATCH_OPTIONS =
      new ResourceType("meta.k8s.io", "v1", "PatchOptions", "patchoptions", false, false, null);

  private final PatchSchema schema;
  private final StrategicMerge strategicMerge;
  private final ManagedFields managedFields;
  private final ServerSideApply serverSideApply;

  public PatchEngine(PatchSchema schema, Clock clock) {
    this.schema = schema;
    this.strategicMerge = new StrategicMerge(schema);
    this.managedFields = new ManagedFields(schema, clock);
    this.serverSideApply = new ServerSideApply(schema, managedFields);
  }

  /** An engine for the built-in kinds. */
  public static PatchEngine builtIn(Clock clock) {
    return new PatchEngine(PatchSchema.builtIn(), clock);
  }

  /** The managed-fields recorder of this engine, for creates, updates and non-apply patches. */
  public ManagedFields managedFields() {
    return managedFields;
  }

  /** The patch content types the type accepts. */
  public List<String> patchTypes(ResourceType type) {
    return PatchSchema.isCustom(type) ? CUSTOM_PATCH_TYPES : BUILT_IN_PATCH_TYPES;
  }

  /**
   * Patches an object.
   *
   * @param type the resource type
   * @param currentJson the current object; null only for an apply that creates the object
   * @param patchBody the request body
   * @param contentType the request's Content-Type (parameters such as {@code charset} ignored)
   * @param options fieldManager, force and subresource
   * @throws ApiException with the apiserver's code, reason and message
   */
  public PatchResult patch(
      ResourceType type,
      byte[] currentJson,
      byte[] patchBody,
      String contentType,
      PatchOptions options) {
    String mediaType = mediaType(contentType);
    if (!patchTypes(type).contains(mediaType)) {
      throw new ApiException.UnsupportedMediaType(patchTypes(type));
    }
    boolean apply = mediaType.equals(APPLY_PATCH_YAML);
    validateOptions(apply, options);
    if (apply) {
      return apply(type, currentJson, patchBody, options);
    }
    if (currentJson == null) {
      throw new IllegalArgumentException("only an apply patch may create an object");
    }
    ObjectNode current = readObject(currentJson);
    JsonNode patched =
        switch (mediaType) {
          case JSON_PATCH -> jsonPatch(current, patchBody);
          case MERGE_PATCH -> mergePatch(current, patchBody);
          default -> strategicMergePatch(type, current, patchBody);
        };
    if (!patched.isObject()) {
      throw new ApiException.BadRequest(
          "json: cannot unmarshal "
              + goKind(patched)
              + " into Go value of type map[string]interface {}");
    }
    return new PatchResult(ResourceCodec.encode(patched), ManagedFields.entries(patched), false);
  }

  private PatchResult apply(
      ResourceType type, byte[] currentJson, byte[] patchBody, PatchOptions options) {
    JsonNode config;
    try {
      config = ResourceCodec.yaml().readTree(patchBody);
    } catch (IOException e) {
      throw new ApiException.BadRequest("error decoding YAML: " + firstLine(e.getMessage()));
    }
    if (config == null || !config.isObject()) {
      throw new ApiException.BadRequest(
          "error decoding YAML: error unmarshaling JSON: while decoding JSON: json: cannot"
              + " unmarshal "
              + (config == null ? "null" : goKind(config))
              + " into Go value of type map[string]interface {}");
    }
    ObjectNode live = currentJson == null ? null : readObject(currentJson);
    ObjectNode result =
        serverSideApply.apply(
            type,
            live,
            (ObjectNode) config,
            options.fieldManager(),
            Boolean.TRUE.equals(options.force()),
            options.subresource());
    return new PatchResult(
        ResourceCodec.encode(result), ManagedFields.entries(result), live == null);
  }

  /** {@code ValidatePatchOptions} of {@code apimachinery/pkg/apis/meta/v1/validation}. */
  private static void validateOptions(boolean apply, PatchOptions options) {
    List<FieldError> errors = new ArrayList<>();
    if (!apply && options.force() != null) {
      errors.add(
          FieldError.forbidden(FieldPath.of("force"), "may not be specified for non-apply patch"));
    }
    if (apply && (options.fieldManager() == null || options.fieldManager().isEmpty())) {
      errors.add(FieldError.required(FieldPath.of("fieldManager"), "is required for apply patch"));
    }
    if (options.fieldManager() != null && options.fieldManager().length() > 128) {
      errors.add(FieldError.tooLong(FieldPath.of("fieldManager"), 128));
    }
    if (!errors.isEmpty()) {
      throw new ApiException.Invalid(PATCH_OPTIONS, "", errors);
    }
  }

  private static JsonNode jsonPatch(ObjectNode current, byte[] patchBody) {
    JsonNode patch;
    try {
      patch = ResourceCodec.json().readTree(patchBody);
    } catch (IOException e) {
      throw new ApiException.BadRequest(firstLine(e.getMessage()));
    }
    if (patch == null || !patch.isArray()) {
      throw new ApiException.BadRequest(
          "json: cannot unmarshal "
              + (patch == null ? "null" : goKind(patch))
              + " into Go value of type jsonpatch.Patch");
    }
    for (JsonNode op : patch) {
      if (!op.isObject()) {
        throw new ApiException.BadRequest(
            "json: cannot unmarshal " + goKind(op) + " into Go value of type jsonpatch.Operation");
      }
    }
    // One operation at a time, so that a failure names its operation as evanphx/json-patch does.
    JsonNode document = current;
    for (JsonNode operation : patch) {
      ArrayNode single = ResourceCodec.json().createArrayNode().add(operation);
      try {
        JsonPatch.validate(single);
      } catch (InvalidJsonPatchException | IllegalArgumentException e) {
        throw new ApiException.Unprocessable(evanphxMessage(operation));
      }
      try {
        document = JsonPatch.apply(single, document);
      } catch (JsonPatchApplicationException e) {
        throw new ApiException.Unprocessable(evanphxMessage(operation));
      } catch (RuntimeException e) {
        throw new ApiException.Unprocessable(firstLine(String.valueOf(e.getMessage())));
      }
    }
    return document;
  }

  /**
   * The wording of {@code gopkg.in/evanphx/json-patch.v4} (the library the apiserver uses) for an
   * operation that does not apply.
   */
  private static String evanphxMessage(JsonNode operation) {
    String op = operation.path("op").asText();
    String path = operation.path("path").asText();
    String from = operation.path("from").asText();
    return switch (op) {
      case "test" -> "testing value " + path + " failed: test failed";
      case "replace" ->
          "replace operation does not apply: doc is missing key: " + path + ": missing value";
      case "remove" ->
          "remove operation does not apply: doc is missing path: \"" + path + "\": missing value";
      case "add" ->
          "add operation does not apply: doc is missing path: \"" + path + "\": missing value";
      case "move" -> "move operation does not apply: doc is missing from path: " + from;
      case "copy" -> "copy operation does not apply: doc is missing from path: " + from;
      default -> "Unexpected kind: " + op;
    };
  }

  /** RFC 7386 merge patch, as {@code jsonpatch.MergePatch} applies it. */
  private static JsonNode mergePatch(ObjectNode current, byte[] patchBody) {
    JsonNode patch;
    try {
      patch = ResourceCodec.json().readTree(patchBody);
    } catch (IOException e) {
      throw new ApiException.BadRequest("Invalid JSON Patch");
    }
    if (patch == null) {
      throw new ApiException.BadRequest("Invalid JSON Patch");
    }
    return mergeValue(current, patch);
  }

  static JsonNode mergeValue(JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode result =
        target != null && target.isObject()
            ? ((ObjectNode) target).deepCopy()
            : ResourceCodec.json().createObjectNode();
    Iterator<Map.Entry<String, JsonNode>> fields = patch.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      if (field.getValue().isNull()) {
        result.remove(field.getKey());
      } else {
        result.set(field.getKey(), mergeValue(result.get(field.getKey()), field.getValue()));
      }
    }
    return result;
  }

  private JsonNode strategicMergePatch(ResourceType type, ObjectNode current, byte[] patchBody) {
    JsonNode patch;
    try {
      patch = ResourceCodec.json().readTree(patchBody);
    } catch (IOException e) {
      throw new ApiException.BadRequest(firstLine(e.getMessage()));
    }
    if (patch == null || !patch.isObject()) {
      throw new ApiException.BadRequest(
          "json: cannot unmarshal "
              + (patch == null ? "null" : goKind(patch))
              + " into Go value of type map[string]interface {}");
    }
    return strategicMerge.apply(current, (ObjectNode) patch, schema.root(type));
  }

  static ObjectNode readObject(byte[] json) {
    try {
      JsonNode node = ResourceCodec.json().readTree(json);
      if (node instanceof ObjectNode object) {
        return object;
      }
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("stored object is not JSON: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IllegalArgumentException(e);
    }
    throw new IllegalArgumentException("stored object is not a JSON object");
  }

  private static String mediaType(String contentType) {
    if (contentType == null) {
      return "";
    }
    int semicolon = contentType.indexOf(';');
    return (semicolon < 0 ? contentType : contentType.substring(0, semicolon))
        .trim()
        .toLowerCase(Locale.ROOT);
  }

  private static String goKind(JsonNode node) {
    return switch (node.getNodeType()) {
      case OBJECT -> "object";
      case ARRAY -> "array";
      case STRING -> "string";
      case NUMBER -> "number";
      case BOOLEAN -> "bool";
      default -> "null";
    };
  }

  private static String firstLine(String message) {
    if (message == null) {
      return "";
    }
    int newline = message.indexOf('\n');
    return newline < 0 ? message : message.substring(0, newline);
  }
}
