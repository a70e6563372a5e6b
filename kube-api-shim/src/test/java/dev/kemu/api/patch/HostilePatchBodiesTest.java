package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.bytes;
import static dev.kemu.api.patch.PatchFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and hostile patch bodies never escape as anything but an {@link ApiException} (or a
 * patched object): bad JSON, wrong shapes, directives in odd places, deep nesting, for every patch
 * type.
 */
class HostilePatchBodiesTest {
  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());

  private static final String DEPLOYMENT =
      """
      {apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {a: b}},
       spec: {replicas: 1, template: {spec: {containers: [{name: c, image: i}]}}}}
      """;

  static Stream<Arguments> bodies() {
    List<String> bodies =
        new ArrayList<>(
            List.of(
                "",
                "null",
                "1",
                "\"x\"",
                "[",
                "{",
                "[1,2]",
                "{\"a\":}",
                "[{\"op\":\"nope\",\"path\":\"/a\"}]",
                "[{\"op\":\"add\"}]",
                "[{\"op\":\"add\",\"path\":\"a\",\"value\":1}]",
                "[{\"op\":\"replace\",\"path\":\"\",\"value\":1}]",
                "[{\"op\":\"move\",\"from\":\"/nope\",\"path\":\"/x\"}]",
                "[null]",
                "{\"$patch\":\"replace\"}",
                "{\"$patch\":1}",
                "{\"spec\":{\"$patch\":\"delete\"}}",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[1,2]}}}}",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[[1]]}}}}",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\"},\"x\"]}}}}",
                "{\"spec\":{\"template\":{\"spec\":{\"containers\":{\"name\":\"c\"}}}}}",
                "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":\"x\"}}",
                "{\"metadata\":{\"$setElementOrder/finalizers\":[{\"a\":1}]}}",
                "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"z\"}],"
                    + "\"containers\":[{\"name\":\"c\"},{\"name\":\"d\"}]}}}}",
                "{\"spec\":{\"$retainKeys\":\"x\"}}",
                "{\"metadata\":{\"managedFields\":[{\"fieldsV1\":{\"bad\":{}}}]}}",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: [",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [{image: x}]}}}",
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {template: {spec: {containers: [x]}}}",
                "a: &a [*a]"));
    bodies.add("[".repeat(5000) + "]".repeat(5000));
    bodies.add("{\"a\":".repeat(900) + "1" + "}".repeat(900));
    bodies.add("{\"spec\":" + "{\"a\":".repeat(900) + "null" + "}".repeat(900) + "}");
    List<Arguments> cases = new ArrayList<>();
    for (String type : PatchEngine.BUILT_IN_PATCH_TYPES) {
      for (String body : bodies) {
        String label = body.length() > 60 ? body.substring(0, 60) + "..." : body;
        cases.add(arguments(type + " " + label, type, body));
      }
    }
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("bodies")
  void answersWithAnApiErrorOrAnObject(String name, String type, String body) {
    try {
      PatchResult result =
          engine.patch(
              ResourceTypes.DEPLOYMENT,
              json(DEPLOYMENT),
              bytes(body),
              type,
              type.equals(PatchEngine.APPLY_PATCH_YAML)
                  ? PatchOptions.apply("m", false)
                  : PatchOptions.none());
      assertThat(PatchFixture.read(result.json()).isObject()).isTrue();
    } catch (ApiException e) {
      assertThat(e.code()).isBetween(400, 500);
      assertThat(e.getMessage()).isNotBlank();
    }
  }
}
