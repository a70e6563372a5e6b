package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.patch.FieldShape.ListType;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EphemeralContainer;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LocalObjectReference;
import io.fabric8.kubernetes.api.model.NamespaceStatus;
import io.fabric8.kubernetes.api.model.NodeSelector;
import io.fabric8.kubernetes.api.model.NodeSpec;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.api.model.apps.DaemonSetStatus;
import io.fabric8.kubernetes.api.model.apps.DeploymentSpec;
import io.fabric8.kubernetes.api.model.apps.DeploymentStatus;
import io.fabric8.kubernetes.api.model.apps.ReplicaSetStatus;
import io.fabric8.kubernetes.api.model.apps.StatefulSetStatus;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The patch strategies of the built-in kinds kemu serves that are not "replace the list": every
 * field of these kinds whose Go type carries a {@code patchStrategy}/{@code patchMergeKey} tag or a
 * {@code +listType=map|set} marker, as the published OpenAPI schema exposes them ({@code
 * x-kubernetes-patch-strategy}, {@code x-kubernetes-patch-merge-key}, {@code
 * x-kubernetes-list-type}, {@code x-kubernetes-list-map-keys}). Every other list is atomic and
 * every other struct granular, which is what the schema says for fields without tags.
 *
 * <p>The fabric8 model classes do not carry these tags and no registry ships the OpenAPI document,
 * so this table mirrors the tags of {@code k8s.io/api/core/v1/types.go}, {@code
 * k8s.io/api/apps/v1/types.go} and {@code k8s.io/apimachinery/pkg/apis/meta/v1/types.go} (v1.34).
 * {@code PatchStrategyTableTest} checks each entry against the fabric8 model: the class has the
 * JSON field and it is a list.
 */
public final class PatchStrategyTable {

  /** One field of one struct. */
  public record FieldKey(Class<?> type, String field) {}

  private final Map<FieldKey, ListSemantics> lists;
  private final Set<FieldKey> retainKeysStructs;
  private final Set<Class<?>> atomicStructs;

  private PatchStrategyTable(
      Map<FieldKey, ListSemantics> lists,
      Set<FieldKey> retainKeysStructs,
      Set<Class<?>> atomicStructs) {
    this.lists = lists;
    this.retainKeysStructs = retainKeysStructs;
    this.atomicStructs = atomicStructs;
  }

  /** The table of the Kubernetes v1.34 built-in types. */
  public static PatchStrategyTable builtIn() {
    ListSemantics byName = ListSemantics.map("name");
    ListSemantics conditions = ListSemantics.map("type");
    // Container ports: patchMergeKey containerPort, listMapKey containerPort+protocol.
    ListSemantics containerPorts =
        ListSemantics.map("containerPort", "containerPort", "protocol")
            .withKeyDefault("protocol", "TCP");
    Map<FieldKey, ListSemantics> lists =
        Map.ofEntries(
            // core/v1 PodSpec
            Map.entry(key(PodSpec.class, "volumes"), byName.withRetainKeys()),
            Map.entry(key(PodSpec.class, "initContainers"), byName),
            Map.entry(key(PodSpec.class, "containers"), byName),
            Map.entry(key(PodSpec.class, "ephemeralContainers"), byName),
            Map.entry(key(PodSpec.class, "imagePullSecrets"), byName),
            Map.entry(key(PodSpec.class, "hostAliases"), ListSemantics.map("ip")),
            Map.entry(
                key(PodSpec.class, "topologySpreadConstraints"),
                ListSemantics.map("topologyKey", "topologyKey", "whenUnsatisfiable")),
            Map.entry(key(PodSpec.class, "resourceClaims"), byName.withRetainKeys()),
            Map.entry(key(PodSpec.class, "schedulingGates"), byName),
            // core/v1 Container and EphemeralContainerCommon
            Map.entry(key(Container.class, "ports"), containerPorts),
            Map.entry(key(Container.class, "env"), byName),
            Map.entry(key(Container.class, "volumeMounts"), ListSemantics.map("mountPath")),
            Map.entry(key(Container.class, "volumeDevices"), ListSemantics.map("devicePath")),
            Map.entry(key(EphemeralContainer.class, "ports"), containerPorts),
            Map.entry(key(EphemeralContainer.class, "env"), byName),
            Map.entry(
                key(EphemeralContainer.class, "volumeMounts"), ListSemantics.map("mountPath")),
            Map.entry(
                key(EphemeralContainer.class, "volumeDevices"), ListSemantics.map("devicePath")),
            // core/v1 PodStatus
            Map.entry(key(PodStatus.class, "conditions"), conditions),
            Map.entry(key(PodStatus.class, "podIPs"), ListSemantics.map("ip")),
            Map.entry(key(PodStatus.class, "hostIPs"), ListSemantics.map("ip")),
            Map.entry(key(PodStatus.class, "resourceClaimStatuses"), byName.withRetainKeys()),
            // core/v1 ServiceSpec: patchMergeKey port, listMapKey port+protocol.
            Map.entry(
                key(ServiceSpec.class, "ports"),
                ListSemantics.map("port", "port", "protocol").withKeyDefault("protocol", "TCP")),
            Map.entry(key(ServiceStatus.class, "conditions"), conditions),
            // core/v1 Node and Namespace
            Map.entry(key(NodeSpec.class, "podCIDRs"), ListSemantics.set()),
            Map.entry(key(NodeStatus.class, "conditions"), conditions),
            // addresses: patchMergeKey type, but +listType=atomic (types are not unique).
            Map.entry(key(NodeStatus.class, "addresses"), conditions.atomicForApply()),
            Map.entry(key(NamespaceStatus.class, "conditions"), conditions),
            // meta/v1 ObjectMeta
            Map.entry(key(ObjectMeta.class, "finalizers"), ListSemantics.set()),
            Map.entry(key(ObjectMeta.class, "ownerReferences"), ListSemantics.map("uid")),
            // apps/v1 status conditions
            Map.entry(key(DeploymentStatus.class, "conditions"), conditions),
            Map.entry(key(ReplicaSetStatus.class, "conditions"), conditions),
            Map.entry(key(StatefulSetStatus.class, "conditions"), conditions),
            Map.entry(key(DaemonSetStatus.class, "conditions"), conditions));
    // DeploymentSpec.Strategy: patchStrategy:"retainKeys".
    Set<FieldKey> retainKeys = Set.of(key(DeploymentSpec.class, "strategy"));
    // +structType=atomic on these types.
    Set<Class<?>> atomic =
        Set.of(
            LabelSelector.class,
            LocalObjectReference.class,
            ObjectReference.class,
            NodeSelector.class);
    return new PatchStrategyTable(lists, retainKeys, atomic);
  }

  /**
   * The table derived from a published Kubernetes OpenAPI document (v2 {@code definitions} or v3
   * {@code components.schemas}), for when one is bundled: list fields with {@code
   * x-kubernetes-patch-strategy} / {@code x-kubernetes-list-type}, struct fields whose patch
   * strategy has {@code retainKeys}, and definitions with {@code x-kubernetes-map-type: atomic}.
   * Definitions are matched to fabric8 classes by name ({@code io.k8s.api.apps.v1.DeploymentSpec}
   * to {@code io.fabric8.kubernetes.api.model.apps.DeploymentSpec}); those without a class are
   * skipped.
   */
  public static PatchStrategyTable fromOpenApi(JsonNode document) {
    JsonNode definitions = document.path("definitions");
    String refPrefix = "#/definitions/";
    if (definitions.isMissingNode()) {
      definitions = document.path("components").path("schemas");
      refPrefix = "#/components/schemas/";
    }
    Map<FieldKey, ListSemantics> lists = new HashMap<>();
    Set<FieldKey> retainKeys = new HashSet<>();
    Set<Class<?>> atomic = new HashSet<>();
    Iterator<Map.Entry<String, JsonNode>> it = definitions.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> definition = it.next();
      Optional<Class<?>> type = modelClass(definition.getKey());
      if (type.isEmpty()) {
        continue;
      }
      JsonNode schema = definition.getValue();
      if ("atomic".equals(schema.path("x-kubernetes-map-type").asText())) {
        atomic.add(type.get());
      }
      Iterator<Map.Entry<String, JsonNode>> properties = schema.path("properties").fields();
      while (properties.hasNext()) {
        Map.Entry<String, JsonNode> property = properties.next();
        JsonNode field = property.getValue();
        String strategy = field.path("x-kubernetes-patch-strategy").asText("");
        List<String> strategies = List.of(strategy.split(","));
        FieldKey key = new FieldKey(type.get(), property.getKey());
        if (!"array".equals(field.path("type").asText())) {
          if (strategies.contains("retainKeys")) {
            retainKeys.add(key);
          }
          continue;
        }
        String listType = field.path("x-kubernetes-list-type").asText("");
        String mergeKey = field.path("x-kubernetes-patch-merge-key").asText(null);
        boolean merge = strategies.contains("merge");
        if (!merge && !listType.equals("map") && !listType.equals("set")) {
          continue;
        }
        ListType semantics =
            switch (listType) {
              case "map" -> ListType.MAP;
              case "set" -> ListType.SET;
              case "atomic" -> ListType.ATOMIC;
              // Without a list type, upstream's schema conversion takes a merge key as a map.
              default -> mergeKey != null ? ListType.MAP : merge ? ListType.SET : ListType.ATOMIC;
            };
        List<String> keys = new ArrayList<>();
        field.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
        if (keys.isEmpty() && semantics == ListType.MAP && mergeKey != null) {
          keys.add(mergeKey);
        }
        Map<String, String> defaults = new HashMap<>();
        JsonNode items = resolve(definitions, refPrefix, field.path("items"));
        for (String k : keys) {
          JsonNode defaultValue = items.path("properties").path(k).get("default");
          if (defaultValue != null && defaultValue.isValueNode()) {
            defaults.put(k, defaultValue.asText());
          }
        }
        lists.put(
            key,
            new ListSemantics(
                merge,
                strategies.contains("retainKeys"),
                mergeKey,
                semantics,
                List.copyOf(keys),
                Map.copyOf(defaults)));
      }
    }
    return new PatchStrategyTable(Map.copyOf(lists), Set.copyOf(retainKeys), Set.copyOf(atomic));
  }

  private static JsonNode resolve(JsonNode definitions, String prefix, JsonNode schema) {
    JsonNode ref = schema.get("$ref");
    if (ref == null && schema.path("allOf").size() == 1) {
      ref = schema.path("allOf").get(0).get("$ref");
    }
    if (ref != null && ref.asText().startsWith(prefix)) {
      return definitions.path(ref.asText().substring(prefix.length()));
    }
    return schema;
  }

  /** The fabric8 class of an OpenAPI definition name, if the model has one. */
  static Optional<Class<?>> modelClass(String definition) {
    String[] parts = definition.split("\\.");
    if (parts.length < 3) {
      return Optional.empty();
    }
    String simple = parts[parts.length - 1];
    String version = parts[parts.length - 2];
    String group = parts[parts.length - 3];
    List<String> candidates = new ArrayList<>();
    if (definition.startsWith("io.k8s.api.core.")
        || definition.startsWith("io.k8s.apimachinery.")) {
      candidates.add("io.fabric8.kubernetes.api.model." + simple);
    } else if (definition.startsWith("io.k8s.api.")) {
      candidates.add("io.fabric8.kubernetes.api.model." + group + "." + version + "." + simple);
      candidates.add("io.fabric8.kubernetes.api.model." + group + "." + simple);
    }
    for (String candidate : candidates) {
      try {
        return Optional.of(
            Class.forName(candidate, false, PatchStrategyTable.class.getClassLoader()));
      } catch (ClassNotFoundException e) {
        // try the next package layout
      }
    }
    return Optional.empty();
  }

  private static FieldKey key(Class<?> type, String field) {
    return new FieldKey(type, field);
  }

  /** The list semantics of a field, atomic when the table has none. */
  public ListSemantics list(Class<?> type, String field) {
    return lists.getOrDefault(key(type, field), ListSemantics.ATOMIC);
  }

  /** Whether the struct-valued field carries {@code patchStrategy:"retainKeys"}. */
  public boolean retainKeys(Class<?> type, String field) {
    return retainKeysStructs.contains(key(type, field));
  }

  /** Whether the struct type is {@code +structType=atomic}. */
  public boolean atomic(Class<?> type) {
    return atomicStructs.contains(type);
  }

  /** Every list entry, for the checks against the model. */
  public Map<FieldKey, ListSemantics> lists() {
    return lists;
  }

  /** Every retainKeys struct field, for the checks against the model. */
  public Set<FieldKey> retainKeysFields() {
    return retainKeysStructs;
  }
}
