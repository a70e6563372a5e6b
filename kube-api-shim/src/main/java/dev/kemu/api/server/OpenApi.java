package dev.kemu.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The OpenAPI documents of the apiserver: {@code /openapi/v2} and the per group-version {@code
 * /openapi/v3} documents with their root index ({@code apiserver/pkg/server/routes/openapi.go}).
 * The schemas are Kubernetes' published OpenAPI document, bundled at build time (never written
 * here); CRDs add the {@code openAPIV3Schema} of each served version. The v3 documents list, for
 * every kind kemu serves, the operations with the {@code fieldValidation} query parameter, which is
 * what tells kubectl to let the server validate fields.
 */
final class OpenApi {
  private static final String BUNDLED = "openapi/swagger-1.13.json.gz";
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final ResourceStore store;
  private final Discovery discovery;
  private volatile ObjectNode published;

  OpenApi(ResourceStore store, Discovery discovery) {
    this.store = store;
    this.discovery = discovery;
  }

  private ObjectNode published() {
    ObjectNode doc = published;
    if (doc == null) {
      synchronized (this) {
        if (published == null) {
          try (InputStream in = OpenApi.class.getResourceAsStream(BUNDLED)) {
            if (in == null) {
              throw new ApiException.InternalError(
                  "kemu was built without the Kubernetes OpenAPI document (" + BUNDLED + ")");
            }
            published = (ObjectNode) ResourceCodec.json().readTree(new GZIPInputStream(in));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        doc = published;
      }
    }
    return doc;
  }

  /** {@code GET /openapi/v2}: the published swagger document plus CRD definitions. */
  JsonNode v2() {
    ObjectNode doc = published().deepCopy();
    ObjectNode definitions = doc.with("definitions");
    for (CustomResourceDefinition crd : definitions()) {
      for (CustomResourceDefinitionVersion version : crd.getSpec().getVersions()) {
        crdSchema(crd, version).ifPresent(s -> definitions.set(crdDefinitionName(crd, version), s));
      }
    }
    return doc;
  }

  /** {@code GET /openapi/v3}: the index of group-version documents. */
  JsonNode v3Root() {
    ObjectNode root = NODES.objectNode();
    ObjectNode paths = root.putObject("paths");
    discovery
        .groups()
        .forEach(
            (group, versions) ->
                versions.forEach(
                    (version, types) -> {
                      String key =
                          group.isEmpty() ? "api/" + version : "apis/" + group + "/" + version;
                      paths
                          .putObject(key)
                          .put("serverRelativeURL", "/openapi/v3/" + key + "?hash=" + hash(types));
                    }));
    return root;
  }

  /** {@code GET /openapi/v3/api/v1} or {@code /openapi/v3/apis/<group>/<version>}. */
  Optional<JsonNode> v3(String group, String version) {
    List<ResourceType> types = discovery.groups().getOrDefault(group, Map.of()).get(version);
    if (types == null) {
      return Optional.empty();
    }
    ObjectNode doc = NODES.objectNode();
    doc.put("openapi", "3.0.0");
    ObjectNode info = doc.putObject("info");
    info.put("title", "Kubernetes");
    info.put("version", ApiServer.KUBERNETES_VERSION);
    ObjectNode paths = doc.putObject("paths");
    for (ResourceType type : types) {
      addPaths(paths, type);
    }
    ObjectNode schemas = doc.putObject("components").putObject("schemas");
    Iterator<Map.Entry<String, JsonNode>> definitions = published().path("definitions").fields();
    while (definitions.hasNext()) {
      var definition = definitions.next();
      schemas.set(definition.getKey(), toV3(definition.getValue().deepCopy()));
    }
    for (CustomResourceDefinition crd : definitions()) {
      if (!crd.getSpec().getGroup().equals(group)) {
        continue;
      }
      for (CustomResourceDefinitionVersion v : crd.getSpec().getVersions()) {
        if (v.getName().equals(version)) {
          crdSchema(crd, v).ifPresent(s -> schemas.set(crdDefinitionName(crd, v), s));
        }
      }
    }
    return Optional.of(doc);
  }

  /** Rewrites swagger 2 references to OpenAPI 3 component references. */
  private static JsonNode toV3(JsonNode node) {
    if (node.isObject()) {
      ObjectNode object = (ObjectNode) node;
      JsonNode ref = object.get("$ref");
      if (ref != null && ref.isTextual() && ref.asText().startsWith("#/definitions/")) {
        object.set(
            "$ref",
            TextNode.valueOf(
                "#/components/schemas/" + ref.asText().substring("#/definitions/".length())));
      }
      object.fields().forEachRemaining(e -> toV3(e.getValue()));
    } else if (node.isArray()) {
      node.forEach(OpenApi::toV3);
    }
    return node;
  }

  private void addPaths(ObjectNode paths, ResourceType type) {
    String prefix = type.group().isEmpty() ? "/api/v1" : "/apis/" + type.apiVersion();
    String collection =
        type.namespaced()
            ? prefix + "/namespaces/{namespace}/" + type.plural()
            : prefix + "/" + type.plural();
    ObjectNode gvk = NODES.objectNode();
    gvk.put("group", type.group());
    gvk.put("version", type.version());
    gvk.put("kind", type.kind());
    ObjectNode list = paths.putObject(collection);
    list.set("get", operation("list", gvk, type, false));
    list.set("post", operation("post", gvk, type, true));
    list.set("delete", operation("deletecollection", gvk, type, false));
    ObjectNode item = paths.putObject(collection + "/{name}");
    item.set("get", operation("get", gvk, type, false));
    item.set("put", operation("put", gvk, type, true));
    item.set("patch", operation("patch", gvk, type, true));
    item.set("delete", operation("delete", gvk, type, false));
    if (discovery.hasStatus(type)) {
      ObjectNode status = paths.putObject(collection + "/{name}/status");
      status.set("get", operation("get", gvk, type, false));
      status.set("put", operation("put", gvk, type, true));
      status.set("patch", operation("patch", gvk, type, true));
    }
  }

  private static ObjectNode operation(
      String action, ObjectNode gvk, ResourceType type, boolean validates) {
    ObjectNode op = NODES.objectNode();
    op.put("operationId", action + type.kind());
    op.put("x-kubernetes-action", action);
    op.set("x-kubernetes-group-version-kind", gvk);
    ArrayNode parameters = op.putArray("parameters");
    if (validates) {
      for (String name : List.of("dryRun", "fieldManager", "fieldValidation")) {
        ObjectNode p = parameters.addObject();
        p.put("name", name);
        p.put("in", "query");
        p.putObject("schema").put("type", "string").put("uniqueItems", true);
      }
    }
    ObjectNode ok = op.putObject("responses").putObject("200");
    ok.put("description", "OK");
    return op;
  }

  private List<CustomResourceDefinition> definitions() {
    return store.list(ResourceTypes.CUSTOM_RESOURCE_DEFINITION, ListOptions.all()).items().stream()
        .map(HasMetadata.class::cast)
        .map(CustomResourceDefinition.class::cast)
        .toList();
  }

  private static String crdDefinitionName(
      CustomResourceDefinition crd, CustomResourceDefinitionVersion version) {
    // The apiserver names CRD schemas by reversed group, version and kind (builder.go).
    List<String> parts = new java.util.ArrayList<>(List.of(crd.getSpec().getGroup().split("\\.")));
    java.util.Collections.reverse(parts);
    return String.join(".", parts)
        + "."
        + version.getName()
        + "."
        + crd.getSpec().getNames().getKind();
  }

  private static Optional<ObjectNode> crdSchema(
      CustomResourceDefinition crd, CustomResourceDefinitionVersion version) {
    if (version.getSchema() == null || version.getSchema().getOpenAPIV3Schema() == null) {
      return Optional.empty();
    }
    ObjectNode schema = (ObjectNode) ResourceCodec.tree(version.getSchema().getOpenAPIV3Schema());
    ArrayNode gvks = schema.putArray("x-kubernetes-group-version-kind");
    ObjectNode gvk = gvks.addObject();
    gvk.put("group", crd.getSpec().getGroup());
    gvk.put("version", version.getName());
    gvk.put("kind", crd.getSpec().getNames().getKind());
    return Optional.of(schema);
  }

  private String hash(List<ResourceType> types) {
    StringBuilder text = new StringBuilder(ApiServer.KUBERNETES_VERSION);
    for (ResourceType type : types) {
      text.append('|').append(type);
    }
    for (CustomResourceDefinition crd : definitions()) {
      text.append('|')
          .append(crd.getMetadata().getName())
          .append('@')
          .append(crd.getMetadata().getResourceVersion());
    }
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-512")
              .digest(text.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(digest, 0, 64);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
