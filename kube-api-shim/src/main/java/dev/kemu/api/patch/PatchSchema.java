package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.patch.FieldShape.ListOf;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.patch.FieldShape.ListType;
import dev.kemu.api.patch.FieldShape.MapOf;
import dev.kemu.api.patch.FieldShape.Struct;
import io.fabric8.kubernetes.api.model.Duration;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * The schema of the built-in kinds as the patch engines see it: the structure comes from the
 * fabric8 model classes (the Go structs' JSON fields), the merge strategies from {@link
 * PatchStrategyTable}. Custom resources and unknown fields are {@link FieldShape#UNTYPED}. Plays
 * the part of the OpenAPI-derived schema the apiserver gives {@code strategicpatch} and {@code
 * structured-merge-diff}.
 */
public final class PatchSchema {
  /** Classes serialized as JSON scalars (strings or numbers). */
  private static final Set<Class<?>> SCALARS =
      Set.of(Quantity.class, IntOrString.class, MicroTime.class, Duration.class);

  /** Marks the metadata of a custom resource's root schema. */
  private static final String OBJECT_META = "x-kemu-object-meta";

  private final PatchStrategyTable table;
  private final Function<ResourceType, JsonNode> customSchemas;
  private final ObjectMapper mapper = ResourceCodec.json();
  private final Map<Class<?>, Map<String, FieldShape>> fields = new ConcurrentHashMap<>();

  /**
   * @param table the merge strategies of the built-in kinds
   * @param customSchemas the {@code openAPIV3Schema} of a custom resource type (from its
   *     CustomResourceDefinition), or null when it has none
   */
  public PatchSchema(PatchStrategyTable table, Function<ResourceType, JsonNode> customSchemas) {
    this.table = table;
    this.customSchemas = customSchemas;
  }

  public PatchSchema(PatchStrategyTable table) {
    this(table, type -> null);
  }

  /** The schema of the built-in kinds. */
  public static PatchSchema builtIn() {
    return new PatchSchema(PatchStrategyTable.builtIn());
  }

  /** This schema, reading custom resources' structure from their CRDs' schemas. */
  public PatchSchema withCustomSchemas(Function<ResourceType, JsonNode> schemas) {
    return new PatchSchema(table, schemas);
  }

  /** The shape of a whole object of the given type. */
  public FieldShape root(ResourceType type) {
    if (isCustom(type)) {
      // metadata is the built-in ObjectMeta whatever the CRD says, as on the apiserver.
      JsonNode schema = customSchemas.apply(type);
      ObjectNode root =
          schema != null && schema.isObject()
              ? ((ObjectNode) schema).deepCopy()
              : mapper.createObjectNode().put("type", "object");
      root.with("properties").putObject("metadata").put(OBJECT_META, true);
      return fromOpenApi(root);
    }
    return new Struct(type.javaType(), false, false);
  }

  /** The shape a structural schema node describes. */
  static FieldShape fromOpenApi(JsonNode schema) {
    if (schema == null || !schema.isObject()) {
      return FieldShape.UNTYPED;
    }
    if (schema.has(OBJECT_META)) {
      return new Struct(ObjectMeta.class, false, false);
    }
    String type = schema.path("type").asText("");
    if (type.equals("array")) {
      String listType = schema.path("x-kubernetes-list-type").asText("atomic");
      JsonNode items = schema.path("items");
      ListSemantics semantics =
          switch (listType) {
            case "map" -> {
              List<String> keys = new ArrayList<>();
              Map<String, String> defaults = new HashMap<>();
              schema.path("x-kubernetes-list-map-keys").forEach(k -> keys.add(k.asText()));
              for (String key : keys) {
                JsonNode value = items.path("properties").path(key).get("default");
                if (value != null && value.isValueNode()) {
                  defaults.put(key, value.asText());
                }
              }
              yield new ListSemantics(
                  false, false, null, ListType.MAP, List.copyOf(keys), Map.copyOf(defaults));
            }
            case "set" -> new ListSemantics(false, false, null, ListType.SET, List.of(), Map.of());
            default -> ListSemantics.ATOMIC;
          };
      return new ListOf(fromOpenApi(items), semantics);
    }
    if (type.equals("object") || schema.has("properties")) {
      if (!schema.has("properties") && schema.path("additionalProperties").isObject()) {
        return new MapOf(fromOpenApi(schema.get("additionalProperties")));
      }
      return new FieldShape.OpenApi(schema);
    }
    if (type.isEmpty() && !schema.has("x-kubernetes-int-or-string")) {
      return FieldShape.UNTYPED;
    }
    return FieldShape.SCALAR;
  }

  /** Whether the type is served generically (custom resources and unknown kinds). */
  public static boolean isCustom(ResourceType type) {
    return type.javaType() == null || GenericKubernetesResource.class.equals(type.javaType());
  }

  /** The shape of the field {@code name} of a struct or map shape. */
  public FieldShape child(FieldShape parent, String name) {
    if (parent instanceof Struct s) {
      return fieldsOf(s.type()).getOrDefault(name, FieldShape.UNTYPED);
    }
    if (parent instanceof MapOf m) {
      return m.value();
    }
    if (parent instanceof FieldShape.OpenApi o) {
      JsonNode property = o.schema().path("properties").get(name);
      if (property != null) {
        return fromOpenApi(property);
      }
      JsonNode additional = o.schema().get("additionalProperties");
      return additional != null && additional.isObject()
          ? fromOpenApi(additional)
          : FieldShape.UNTYPED;
    }
    return FieldShape.UNTYPED;
  }

  /** The shape of the items of a list shape. */
  public static FieldShape element(FieldShape list) {
    return list instanceof ListOf l ? l.element() : FieldShape.UNTYPED;
  }

  /** The list semantics of a list shape, atomic for anything else. */
  public static ListSemantics listSemantics(FieldShape list) {
    return list instanceof ListOf l ? l.semantics() : ListSemantics.ATOMIC;
  }

  private Map<String, FieldShape> fieldsOf(Class<?> type) {
    Map<String, FieldShape> known = fields.get(type);
    if (known != null) {
      return known;
    }
    BeanDescription description =
        mapper.getSerializationConfig().introspect(mapper.constructType(type));
    Map<String, FieldShape> result = new HashMap<>();
    for (BeanPropertyDefinition property : description.findProperties()) {
      String name = property.getName();
      JavaType javaType = property.getPrimaryType();
      if (javaType == null) {
        continue;
      }
      result.put(name, shapeOf(type, name, javaType));
    }
    Map<String, FieldShape> immutable = Map.copyOf(result);
    fields.put(type, immutable);
    return immutable;
  }

  private FieldShape shapeOf(Class<?> owner, String name, JavaType javaType) {
    if (javaType.isCollectionLikeType() || javaType.isArrayType()) {
      JavaType element = javaType.getContentType();
      return new ListOf(valueShape(element), table.list(owner, name));
    }
    if (javaType.isMapLikeType()) {
      return new MapOf(valueShape(javaType.getContentType()));
    }
    FieldShape shape = valueShape(javaType);
    if (shape instanceof Struct s && table.retainKeys(owner, name)) {
      return new Struct(s.type(), s.atomic(), true);
    }
    return shape;
  }

  private FieldShape valueShape(JavaType javaType) {
    Class<?> raw = javaType.getRawClass();
    if (javaType.isCollectionLikeType() || javaType.isArrayType()) {
      return new ListOf(valueShape(javaType.getContentType()), ListSemantics.ATOMIC);
    }
    if (javaType.isMapLikeType()) {
      return new MapOf(valueShape(javaType.getContentType()));
    }
    if (SCALARS.contains(raw) || raw.isPrimitive() || raw.isEnum()) {
      return FieldShape.SCALAR;
    }
    if (raw.getName().startsWith("io.fabric8.kubernetes.api.model")
        && !JsonNode.class.isAssignableFrom(raw)
        && !GenericKubernetesResource.class.equals(raw)) {
      return new Struct(raw, table.atomic(raw), false);
    }
    if (raw.getName().startsWith("java.lang.")) {
      return raw == Object.class ? FieldShape.UNTYPED : FieldShape.SCALAR;
    }
    return FieldShape.UNTYPED;
  }
}
