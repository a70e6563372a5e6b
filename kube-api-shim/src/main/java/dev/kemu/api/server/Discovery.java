package dev.kemu.api.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionNames;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The discovery documents of the apiserver: {@code /api}, {@code /apis}, the per-version {@code
 * APIResourceList}s and the aggregated {@code apidiscovery.k8s.io/v2} {@code
 * APIGroupDiscoveryList}. Mirrors {@code staging/src/k8s.io/apiserver/pkg/endpoints/discovery}: the
 * resources, their verbs, short names and categories are those a real cluster publishes ({@code
 * kubectl api-resources -o wide}); kinds registered by a CustomResourceDefinition take the names
 * the definition declares.
 */
final class Discovery {
  static final String AGGREGATED_CONTENT_TYPE =
      "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

  /** Verbs of a resource kemu serves fully. */
  static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /** Short names and categories of the built-in resources, as the apiserver registers them. */
  private record Names(List<String> shortNames, List<String> categories) {}

  private static final Map<String, Names> BUILT_IN_NAMES =
      Map.ofEntries(
          Map.entry("namespaces", new Names(List.of("ns"), List.of())),
          Map.entry("nodes", new Names(List.of("no"), List.of())),
          Map.entry("services", new Names(List.of("svc"), List.of("all"))),
          Map.entry("endpoints", new Names(List.of("ep"), List.of())),
          Map.entry("pods", new Names(List.of("po"), List.of("all"))),
          Map.entry("secrets", new Names(List.of(), List.of())),
          Map.entry("configmaps", new Names(List.of("cm"), List.of())),
          Map.entry("events", new Names(List.of("ev"), List.of())),
          Map.entry("deployments", new Names(List.of("deploy"), List.of("all"))),
          Map.entry("replicasets", new Names(List.of("rs"), List.of("all"))),
          Map.entry("statefulsets", new Names(List.of("sts"), List.of("all"))),
          Map.entry("daemonsets", new Names(List.of("ds"), List.of("all"))),
          Map.entry("endpointslices", new Names(List.of(), List.of())),
          Map.entry("ingresses", new Names(List.of("ing"), List.of())),
          Map.entry("ingressclasses", new Names(List.of(), List.of())),
          Map.entry("networkpolicies", new Names(List.of("netpol"), List.of())),
          Map.entry(
              "customresourcedefinitions",
              new Names(List.of("crd", "crds"), List.of("api-extensions"))));

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private final ResourceStore store;

  Discovery(ResourceStore store) {
    this.store = store;
  }

  /** Every served type, grouped by group then version, core group first. */
  Map<String, Map<String, List<ResourceType>>> groups() {
    Map<String, Map<String, List<ResourceType>>> groups =
        new TreeMap<>(Comparator.comparing((String g) -> !g.isEmpty()).thenComparing(g -> g));
    for (ResourceType type : store.types().all()) {
      if (type.plural().isEmpty() || !served(type)) {
        continue;
      }
      groups
          .computeIfAbsent(type.group(), g -> new TreeMap<>(Comparator.reverseOrder()))
          .computeIfAbsent(type.version(), v -> new ArrayList<>())
          .add(type);
    }
    for (var versions : groups.values()) {
      for (var types : versions.values()) {
        types.sort(Comparator.comparing(ResourceType::plural));
      }
    }
    return groups;
  }

  /**
   * Whether a type is served: every kind the store knows, including kinds a manifest brought in
   * without a CustomResourceDefinition (kemu stores those rather than rejecting them, so they are
   * served too, under the guessed resource name).
   */
  boolean served(ResourceType type) {
    return true;
  }

  /** The type a URL names: group, version and resource (plural). */
  Optional<ResourceType> find(String group, String version, String plural) {
    for (ResourceType type : store.types().all()) {
      if (type.group().equals(group)
          && type.version().equals(version)
          && type.plural().equals(plural)
          && served(type)) {
        return Optional.of(type);
      }
    }
    return Optional.empty();
  }

  /** Whether a group and version are served. */
  boolean hasVersion(String group, String version) {
    var versions = groups().get(group);
    return versions != null && versions.containsKey(version);
  }

  Optional<CustomResourceDefinition> definition(ResourceType type) {
    if (type.group().isEmpty() || ResourceTypes.BUILT_IN.contains(type)) {
      return Optional.empty();
    }
    return store
        .get(
            new ResourceKey(
                ResourceTypes.CUSTOM_RESOURCE_DEFINITION, "", type.plural() + "." + type.group()))
        .map(CustomResourceDefinition.class::cast);
  }

  /** The {@code openAPIV3Schema} a CRD declares for the type's version, or null. */
  com.fasterxml.jackson.databind.JsonNode openApiV3Schema(ResourceType type) {
    return definition(type)
        .flatMap(
            crd ->
                crd.getSpec().getVersions().stream()
                    .filter(v -> v.getName().equals(type.version()))
                    .findFirst())
        .filter(v -> v.getSchema() != null && v.getSchema().getOpenAPIV3Schema() != null)
        .map(v -> dev.kemu.api.model.ResourceCodec.tree(v.getSchema().getOpenAPIV3Schema()))
        .orElse(null);
  }

  String singular(ResourceType type) {
    return definition(type)
        .map(crd -> crd.getSpec().getNames().getSingular())
        .filter(s -> s != null && !s.isEmpty())
        .orElse(type.kind().toLowerCase(Locale.ROOT));
  }

  List<String> shortNames(ResourceType type) {
    Names names = BUILT_IN_NAMES.get(type.plural());
    if (names != null && ResourceTypes.BUILT_IN.contains(type)) {
      return names.shortNames();
    }
    return definition(type)
        .map(crd -> crd.getSpec().getNames())
        .map(CustomResourceDefinitionNames::getShortNames)
        .orElse(List.of());
  }

  List<String> categories(ResourceType type) {
    Names names = BUILT_IN_NAMES.get(type.plural());
    if (names != null && ResourceTypes.BUILT_IN.contains(type)) {
      return names.categories();
    }
    return definition(type)
        .map(crd -> crd.getSpec().getNames())
        .map(CustomResourceDefinitionNames::getCategories)
        .orElse(List.of());
  }

  /** Whether the kind has a {@code status} subresource. */
  boolean hasStatus(ResourceType type) {
    if (ResourceTypes.BUILT_IN.contains(type)) {
      return type.hasStatus();
    }
    return definition(type)
        .flatMap(
            crd ->
                crd.getSpec().getVersions().stream()
                    .filter(v -> v.getName().equals(type.version()))
                    .findFirst())
        .map(v -> v.getSubresources() != null && v.getSubresources().getStatus() != null)
        .orElse(false);
  }

  /** Whether the kind has a {@code scale} subresource (autoscaling/v1 Scale). */
  static boolean hasScale(ResourceType type) {
    return type.equals(ResourceTypes.DEPLOYMENT)
        || type.equals(ResourceTypes.REPLICA_SET)
        || type.equals(ResourceTypes.STATEFUL_SET);
  }

  // ---------------------------------------------------------------- documents

  /** {@code GET /api}: APIVersions. */
  JsonNode apiVersions(String serverAddress) {
    ObjectNode root = NODES.objectNode();
    root.put("kind", "APIVersions");
    root.putArray("versions").add("v1");
    ObjectNode cidr = root.putArray("serverAddressByClientCIDRs").addObject();
    cidr.put("clientCIDR", "0.0.0.0/0");
    cidr.put("serverAddress", serverAddress);
    return root;
  }

  /** {@code GET /apis}: APIGroupList. */
  JsonNode apiGroupList() {
    ObjectNode root = NODES.objectNode();
    root.put("kind", "APIGroupList");
    root.put("apiVersion", "v1");
    ArrayNode groups = root.putArray("groups");
    groups()
        .forEach(
            (group, versions) -> {
              if (!group.isEmpty()) {
                groups.add(apiGroup(group, versions.keySet()));
              }
            });
    return root;
  }

  /** {@code GET /apis/<group>}: APIGroup. */
  Optional<JsonNode> apiGroup(String group) {
    var versions = groups().get(group);
    if (versions == null || group.isEmpty()) {
      return Optional.empty();
    }
    ObjectNode node = apiGroup(group, versions.keySet());
    node.put("kind", "APIGroup");
    node.put("apiVersion", "v1");
    return Optional.of(node);
  }

  private static ObjectNode apiGroup(String group, Iterable<String> versions) {
    ObjectNode node = NODES.objectNode();
    node.put("name", group);
    ArrayNode list = node.putArray("versions");
    String preferred = null;
    for (String version : versions) {
      if (preferred == null) {
        preferred = version;
      }
      ObjectNode v = list.addObject();
      v.put("groupVersion", group + "/" + version);
      v.put("version", version);
    }
    ObjectNode p = node.putObject("preferredVersion");
    p.put("groupVersion", group + "/" + preferred);
    p.put("version", preferred);
    return node;
  }

  /** {@code GET /api/v1} or {@code /apis/<group>/<version>}: APIResourceList. */
  JsonNode apiResourceList(String group, String version) {
    ObjectNode root = NODES.objectNode();
    root.put("kind", "APIResourceList");
    root.put("apiVersion", "v1");
    root.put("groupVersion", group.isEmpty() ? version : group + "/" + version);
    ArrayNode resources = root.putArray("resources");
    for (ResourceType type :
        groups().getOrDefault(group, Map.of()).getOrDefault(version, List.of())) {
      ObjectNode r = resources.addObject();
      r.put("name", type.plural());
      r.put("singularName", singular(type));
      r.put("namespaced", type.namespaced());
      r.put("kind", type.kind());
      strings(r.putArray("verbs"), VERBS);
      List<String> shortNames = shortNames(type);
      if (!shortNames.isEmpty()) {
        strings(r.putArray("shortNames"), shortNames);
      }
      List<String> categories = categories(type);
      if (!categories.isEmpty()) {
        strings(r.putArray("categories"), categories);
      }
      if (hasStatus(type)) {
        ObjectNode s = resources.addObject();
        s.put("name", type.plural() + "/status");
        s.put("singularName", "");
        s.put("namespaced", type.namespaced());
        s.put("kind", type.kind());
        strings(s.putArray("verbs"), List.of("get", "patch", "update"));
      }
      if (hasScale(type)) {
        ObjectNode s = resources.addObject();
        s.put("name", type.plural() + "/scale");
        s.put("singularName", "");
        s.put("namespaced", type.namespaced());
        s.put("group", "autoscaling");
        s.put("version", "v1");
        s.put("kind", "Scale");
        strings(s.putArray("verbs"), List.of("get", "patch", "update"));
      }
    }
    return root;
  }

  /**
   * The aggregated discovery document ({@code apidiscovery.k8s.io/v2 APIGroupDiscoveryList}) of the
   * core group ({@code /api}) or of the named groups ({@code /apis}).
   */
  JsonNode aggregated(boolean core) {
    ObjectNode root = NODES.objectNode();
    root.put("kind", "APIGroupDiscoveryList");
    root.put("apiVersion", "apidiscovery.k8s.io/v2");
    root.putObject("metadata");
    ArrayNode items = root.putArray("items");
    groups()
        .forEach(
            (group, versions) -> {
              if (group.isEmpty() != core) {
                return;
              }
              ObjectNode item = items.addObject();
              ObjectNode meta = item.putObject("metadata");
              if (!group.isEmpty()) {
                meta.put("name", group);
              }
              meta.putNull("creationTimestamp");
              ArrayNode versionList = item.putArray("versions");
              versions.forEach(
                  (version, types) -> {
                    ObjectNode v = versionList.addObject();
                    v.put("version", version);
                    ArrayNode resources = v.putArray("resources");
                    for (ResourceType type : types) {
                      ObjectNode r = resources.addObject();
                      r.put("resource", type.plural());
                      ObjectNode kind = r.putObject("responseKind");
                      kind.put("group", type.group());
                      kind.put("version", type.version());
                      kind.put("kind", type.kind());
                      r.put("scope", type.namespaced() ? "Namespaced" : "Cluster");
                      r.put("singularResource", singular(type));
                      strings(r.putArray("verbs"), VERBS);
                      List<String> shortNames = shortNames(type);
                      if (!shortNames.isEmpty()) {
                        strings(r.putArray("shortNames"), shortNames);
                      }
                      List<String> categories = categories(type);
                      if (!categories.isEmpty()) {
                        strings(r.putArray("categories"), categories);
                      }
                      ArrayNode subresources = NODES.arrayNode();
                      if (hasScale(type)) {
                        ObjectNode s = subresources.addObject();
                        s.put("subresource", "scale");
                        ObjectNode k = s.putObject("responseKind");
                        k.put("group", "autoscaling");
                        k.put("version", "v1");
                        k.put("kind", "Scale");
                        strings(s.putArray("verbs"), List.of("get", "patch", "update"));
                      }
                      if (hasStatus(type)) {
                        ObjectNode s = subresources.addObject();
                        s.put("subresource", "status");
                        ObjectNode k = s.putObject("responseKind");
                        k.put("group", type.group());
                        k.put("version", type.version());
                        k.put("kind", type.kind());
                        strings(s.putArray("verbs"), List.of("get", "patch", "update"));
                      }
                      if (!subresources.isEmpty()) {
                        r.set("subresources", subresources);
                      }
                    }
                    v.put("freshness", "Current");
                  });
            });
    return root;
  }

  private static void strings(ArrayNode array, List<String> values) {
    values.forEach(array::add);
  }
}
