package dev.kemu.api.patch;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.patch.FieldShape.ListOf;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.patch.FieldShape.MapOf;
import dev.kemu.api.patch.FieldShape.Struct;
import io.fabric8.kubernetes.api.model.Duration;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.MicroTime;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

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

  private final PatchStrategyTable table;
  private final ObjectMapper mapper = ResourceCodec.json();
  private final Map<Class<?>, Map<String, FieldShape>> fields = new ConcurrentHashMap<>();

  public PatchSchema(PatchStrategyTable table) {
    this.table = table;
  }

  /** The schema of the built-in kinds. */
  public static PatchSchema builtIn() {
    return new PatchSchema(PatchStrategyTable.builtIn());
  }

  /** The shape of a whole object of the given type. */
  public FieldShape root(ResourceType type) {
    return isCustom(type) ? FieldShape.UNTYPED : new Struct(type.javaType(), false, false);
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
