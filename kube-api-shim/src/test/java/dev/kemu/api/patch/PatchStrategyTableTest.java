package dev.kemu.api.patch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.patch.FieldShape.ListSemantics;
import dev.kemu.api.patch.FieldShape.ListType;
import dev.kemu.api.patch.PatchStrategyTable.FieldKey;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link PatchStrategyTable} checked against the fabric8 model: every entry names a JSON field of
 * its class that is a list, the merge key and list-map keys are fields of the list's items, and
 * every retainKeys entry is a struct field.
 */
class PatchStrategyTableTest {
  private static final ObjectMapper MAPPER = ResourceCodec.json();
  private static final PatchStrategyTable TABLE = PatchStrategyTable.builtIn();

  static Stream<Map.Entry<FieldKey, ListSemantics>> lists() {
    return TABLE.lists().entrySet().stream();
  }

  private static Optional<JavaType> fieldType(Class<?> type, String field) {
    BeanDescription description =
        MAPPER.getSerializationConfig().introspect(MAPPER.constructType(type));
    return description.findProperties().stream()
        .filter(p -> p.getName().equals(field))
        .map(BeanPropertyDefinition::getPrimaryType)
        .findFirst();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lists")
  void listEntryIsAListFieldOfTheModelWithItsKeys(Map.Entry<FieldKey, ListSemantics> entry) {
    FieldKey key = entry.getKey();
    ListSemantics semantics = entry.getValue();
    Optional<JavaType> type = fieldType(key.type(), key.field());
    assertThat(type)
        .as("%s has a JSON field %s", key.type().getSimpleName(), key.field())
        .isPresent();
    assertThat(type.get().isCollectionLikeType()).as("%s is a list", key.field()).isTrue();
    Class<?> element = type.get().getContentType().getRawClass();
    if (semantics.mergeKey() != null) {
      assertThat(fieldType(element, semantics.mergeKey()))
          .as("merge key %s of %s", semantics.mergeKey(), element.getSimpleName())
          .isPresent();
    } else {
      assertThat(element).as("a list without merge key holds scalars").isEqualTo(String.class);
    }
    if (semantics.listType() == ListType.MAP) {
      semantics
          .keys()
          .forEach(k -> assertThat(fieldType(element, k)).as("list-map key %s", k).isPresent());
    }
  }

  @Test
  void retainKeysEntriesAreStructFields() {
    for (FieldKey key : TABLE.retainKeysFields()) {
      Optional<JavaType> type = fieldType(key.type(), key.field());
      assertThat(type).as("%s.%s", key.type().getSimpleName(), key.field()).isPresent();
      assertThat(type.get().getRawClass().getName()).startsWith("io.fabric8.kubernetes.api.model");
    }
  }

  /**
   * An excerpt of the published OpenAPI v2 document ({@code api/openapi-spec/swagger.json}) gives
   * the same entries as the built-in table.
   */
  @Test
  void theTableDerivedFromOpenApiMatchesTheBuiltInOne() {
    String excerpt =
        """
        {"definitions": {
          "io.k8s.api.core.v1.PodSpec": {"properties": {
            "containers": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.Container"},
              "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
              "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge"},
            "volumes": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.Volume"},
              "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map",
              "x-kubernetes-patch-merge-key": "name", "x-kubernetes-patch-strategy": "merge,retainKeys"},
            "tolerations": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.Toleration"},
              "x-kubernetes-list-type": "atomic"}}},
          "io.k8s.api.core.v1.Container": {"properties": {
            "ports": {"type": "array", "items": {"$ref": "#/definitions/io.k8s.api.core.v1.ContainerPort"},
              "x-kubernetes-list-map-keys": ["containerPort", "protocol"], "x-kubernetes-list-type": "map",
              "x-kubernetes-patch-merge-key": "containerPort", "x-kubernetes-patch-strategy": "merge"}}},
          "io.k8s.api.core.v1.ContainerPort": {"properties": {
            "containerPort": {"type": "integer"}, "protocol": {"type": "string", "default": "TCP"}}},
          "io.k8s.api.apps.v1.DeploymentSpec": {"properties": {
            "strategy": {"$ref": "#/definitions/io.k8s.api.apps.v1.DeploymentStrategy",
              "x-kubernetes-patch-strategy": "retainKeys"}}},
          "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta": {"properties": {
            "finalizers": {"type": "array", "items": {"type": "string"},
              "x-kubernetes-list-type": "set", "x-kubernetes-patch-strategy": "merge"}}},
          "io.k8s.apimachinery.pkg.apis.meta.v1.LabelSelector": {"x-kubernetes-map-type": "atomic"}
        }}
        """;
    PatchStrategyTable derived = PatchStrategyTable.fromOpenApi(PatchFixture.tree(excerpt));
    for (FieldKey key :
        java.util.List.of(
            new FieldKey(io.fabric8.kubernetes.api.model.PodSpec.class, "containers"),
            new FieldKey(io.fabric8.kubernetes.api.model.PodSpec.class, "volumes"),
            new FieldKey(io.fabric8.kubernetes.api.model.PodSpec.class, "tolerations"),
            new FieldKey(io.fabric8.kubernetes.api.model.Container.class, "ports"),
            new FieldKey(io.fabric8.kubernetes.api.model.ObjectMeta.class, "finalizers"))) {
      assertThat(derived.list(key.type(), key.field()))
          .as("%s.%s", key.type().getSimpleName(), key.field())
          .isEqualTo(TABLE.list(key.type(), key.field()));
    }
    assertThat(
            derived.retainKeys(
                io.fabric8.kubernetes.api.model.apps.DeploymentSpec.class, "strategy"))
        .isTrue();
    assertThat(derived.atomic(io.fabric8.kubernetes.api.model.LabelSelector.class)).isTrue();
  }

  @Test
  void theSchemaTakesTheTableForNestedFields() {
    PatchSchema schema = PatchSchema.builtIn();
    FieldShape pod = schema.root(dev.kemu.api.model.ResourceTypes.DEPLOYMENT);
    FieldShape containers =
        schema.child(
            schema.child(schema.child(schema.child(pod, "spec"), "template"), "spec"),
            "containers");
    assertThat(PatchSchema.listSemantics(containers).mergeKey()).isEqualTo("name");
    FieldShape ports = schema.child(PatchSchema.element(containers), "ports");
    assertThat(PatchSchema.listSemantics(ports).keys())
        .containsExactly("containerPort", "protocol");
    FieldShape args = schema.child(PatchSchema.element(containers), "args");
    assertThat(PatchSchema.listSemantics(args).listType()).isEqualTo(ListType.ATOMIC);
  }
}
