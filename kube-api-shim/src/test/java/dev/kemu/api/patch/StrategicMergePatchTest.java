package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.json;
import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Strategic merge patch, case by case after {@code
 * k8s.io/apimachinery/pkg/util/strategicpatch/patch_test.go} (the case names quote its {@code
 * Description}s), applied to real built-in kinds whose merge keys come from {@code
 * k8s.io/api/core/v1/types.go}.
 */
class StrategicMergePatchTest {
  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());

  private static final String POD =
      """
      apiVersion: v1
      kind: Pod
      metadata: {name: p, namespace: default, labels: {app: web, tier: front}}
      spec:
        containers:
        - {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: X, value: "1"}]}
        - {name: b, image: b:1}
        tolerations: [{key: k1, operator: Exists}]
      """;

  static Stream<Arguments> cases() {
    return Stream.of(
        arguments(
            "add field to map (mergeMap: not in original, take the patch value)",
            POD,
            "{metadata: {labels: {env: prod}}}",
            "{metadata: {labels: {app: web, tier: front, env: prod}}}"),
        arguments(
            "delete one item from map (null deletes the key)",
            POD,
            "{metadata: {labels: {tier: null}}}",
            "{metadata: {labels: {app: web}}}"),
        arguments(
            "merge list of maps by merge key: containers by name",
            POD,
            "{spec: {containers: [{name: b, image: b:2}]}}",
            """
            {spec: {containers: [
              {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: X, value: "1"}]},
              {name: b, image: b:2}]}}
            """),
        arguments(
            "add item to merging list: a new item goes first (mergeSortedSlice; the kubectl patch"
                + " task page shows patch-demo-ctr-2 before patch-demo-ctr)",
            POD,
            "{spec: {containers: [{name: c, image: c:1}]}}",
            """
            {spec: {containers: [
              {name: c, image: c:1},
              {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: X, value: "1"}]},
              {name: b, image: b:1}]}}
            """),
        arguments(
            "nested merge lists: ports by containerPort, env by name (new env var first)",
            POD,
            """
            {spec: {containers: [{name: a, ports: [{containerPort: 443, name: https}],
              env: [{name: Y, value: "2"}]}]}}
            """,
            """
            {spec: {containers: [
              {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 443, name: https}],
               env: [{name: Y, value: "2"}, {name: X, value: "1"}]},
              {name: b, image: b:1}]}}
            """),
        arguments(
            "delete item from a merging list with $patch: delete",
            POD,
            "{spec: {containers: [{name: a, $patch: delete}]}}",
            "{spec: {containers: [{name: b, image: b:1}]}}"),
        arguments(
            "replace a merging list with $patch: replace",
            POD,
            "{spec: {containers: [{name: z, image: z:1}, {$patch: replace}]}}",
            "{spec: {containers: [{name: z, image: z:1}]}}"),
        arguments(
            "replace a map with $patch: replace",
            POD,
            "{metadata: {labels: {$patch: replace, only: one}}}",
            "{metadata: {labels: {only: one}}}"),
        arguments(
            "delete a map with $patch: delete",
            POD,
            "{metadata: {labels: {$patch: delete}}}",
            "{metadata: {labels: {}}}"),
        arguments(
            "list without patch strategy is replaced (tolerations have no merge key)",
            POD,
            "{spec: {tolerations: [{key: k2, operator: Exists}]}}",
            "{spec: {tolerations: [{key: k2, operator: Exists}]}}"),
        arguments(
            "merge a primitive list: finalizers union without duplicates",
            "{apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [a, b]}}",
            "{metadata: {finalizers: [b, c]}}",
            "{metadata: {finalizers: [a, b, c]}}"),
        arguments(
            "$deleteFromPrimitiveList removes values from a primitive list",
            "{apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [a, b, c]}}",
            "{metadata: {$deleteFromPrimitiveList/finalizers: [b]}}",
            "{metadata: {finalizers: [a, c]}}"),
        arguments(
            "$setElementOrder reorders the merged list (server-only items keep their place)",
            POD,
            "{spec: {$setElementOrder/containers: [{name: b}, {name: a}], containers: [{name: a, image: a:2}]}}",
            """
            {spec: {containers: [
              {name: b, image: b:1},
              {name: a, image: a:2, ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: X, value: "1"}]}]}}
            """),
        arguments(
            "$setElementOrder with a $patch: delete item (kubectl apply dropping a container)",
            POD,
            "{spec: {$setElementOrder/containers: [{name: a}], containers: [{name: b, $patch: delete}]}}",
            """
            {spec: {containers: [
              {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 443}], env: [{name: X, value: "1"}]}]}}
            """),
        arguments(
            "$setElementOrder of a nested list inside a merged item (kubectl apply adding a port)",
            POD,
            """
            {spec: {$setElementOrder/containers: [{name: a}, {name: b}],
              containers: [{name: a, $setElementOrder/ports: [{containerPort: 80}, {containerPort: 8080}, {containerPort: 443}],
                ports: [{containerPort: 8080}]}]}}
            """,
            """
            {spec: {containers: [
              {name: a, image: a:1, ports: [{containerPort: 80}, {containerPort: 8080}, {containerPort: 443}], env: [{name: X, value: "1"}]},
              {name: b, image: b:1}]}}
            """),
        arguments(
            "$setElementOrder of a primitive list",
            "{apiVersion: v1, kind: Pod, metadata: {name: p, finalizers: [a, b]}}",
            "{metadata: {$setElementOrder/finalizers: [b, a, c], finalizers: [c]}}",
            "{metadata: {finalizers: [b, a, c]}}"),
        arguments(
            "$retainKeys clears the fields it does not list (Deployment strategy to Recreate)",
            """
            {apiVersion: apps/v1, kind: Deployment, metadata: {name: d},
             spec: {strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}}}}
            """,
            "{spec: {strategy: {$retainKeys: [type], type: Recreate, rollingUpdate: null}}}",
            "{spec: {strategy: {type: Recreate}}}"),
        arguments(
            "$retainKeys on volumes (patchStrategy merge,retainKeys): emptyDir to hostPath",
            """
            {apiVersion: v1, kind: Pod, metadata: {name: p},
             spec: {volumes: [{name: v, emptyDir: {}}, {name: w, emptyDir: {}}]}}
            """,
            "{spec: {volumes: [{name: v, $retainKeys: [hostPath, name], hostPath: {path: /tmp}}]}}",
            "{spec: {volumes: [{name: v, hostPath: {path: /tmp}}, {name: w, emptyDir: {}}]}}"),
        arguments(
            "Service ports merge by port (patchMergeKey port)",
            """
            {apiVersion: v1, kind: Service, metadata: {name: s},
             spec: {ports: [{port: 80, targetPort: 8080}, {port: 443, targetPort: 8443}]}}
            """,
            "{spec: {ports: [{port: 80, targetPort: 9090}]}}",
            "{spec: {ports: [{port: 80, targetPort: 9090}, {port: 443, targetPort: 8443}]}}"),
        arguments(
            "type change replaces the value (mergeMap: originalType != patchType)",
            POD,
            "{metadata: {labels: [x]}}",
            "{metadata: {labels: [x]}}"),
        arguments(
            "nulls of a new map are dropped (IgnoreUnmatchedNulls)",
            POD,
            "{metadata: {annotations: {a: b, c: null}}}",
            "{metadata: {annotations: {a: b}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void patches(String name, String original, String patch, String expectedSubset) {
    ResourceType type = typeOf(original);
    PatchResult result =
        engine.patch(
            type,
            json(original),
            json(patch),
            PatchEngine.STRATEGIC_MERGE_PATCH,
            PatchOptions.none());
    assertContains(read(result.json()), tree(expectedSubset));
  }

  /** Fields of {@code expected} must equal the result's (lists exactly, maps recursively). */
  static void assertContains(
      com.fasterxml.jackson.databind.JsonNode actual,
      com.fasterxml.jackson.databind.JsonNode expected) {
    if (expected.isObject() && actual != null && actual.isObject() && !expected.isEmpty()) {
      expected.fields().forEachRemaining(e -> assertContains(actual.get(e.getKey()), e.getValue()));
      return;
    }
    assertThat(actual).as("expected %s", expected).isEqualTo(expected);
  }

  static ResourceType typeOf(String object) {
    String kind = tree(object).path("kind").asText();
    return switch (kind) {
      case "Deployment" -> ResourceTypes.DEPLOYMENT;
      case "Service" -> ResourceTypes.SERVICE;
      default -> ResourceTypes.POD;
    };
  }

  static Stream<Arguments> errors() {
    return Stream.of(
        arguments(
            "$retainKeys must list every field of the patch (ErrBadPatchFormatForRetainKeys)",
            "{spec: {strategy: {$retainKeys: [type], type: Recreate, rollingUpdate: {maxSurge: 2}}}}",
            400,
            "invalid patch format of retainKeys"),
        arguments(
            "item of a merging list without its merge key (ErrNoMergeKey)",
            "{spec: {template: {spec: {containers: [{image: x}]}}}}",
            500,
            "map: map[image:x] does not contain declared merge key: name"),
        arguments(
            "$patch: merge in a list is not supported",
            "{spec: {template: {spec: {containers: [{$patch: merge}]}}}}",
            500,
            "merging lists cannot yet be specified in the patch"),
        arguments(
            "unknown $patch directive in a map (ErrBadPatchType)",
            "{spec: {strategy: {$patch: explode}}}",
            500,
            "unknown patch type: explode in map: map[$patch:explode]"),
        arguments(
            "$setElementOrder must be a list",
            "{spec: {template: {spec: {$setElementOrder/containers: x}}}}",
            400,
            "invalid patch format of setElementOrder list"),
        arguments(
            "a patch that is not a JSON object",
            "[1, 2]",
            400,
            "json: cannot unmarshal array into Go value of type map[string]interface {}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("errors")
  void rejects(String name, String patch, int code, String message) {
    String deployment =
        """
        {apiVersion: apps/v1, kind: Deployment, metadata: {name: d},
         spec: {strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1}},
                template: {spec: {containers: [{name: a, image: a}]}}}}
        """;
    assertThatThrownBy(
            () ->
                engine.patch(
                    ResourceTypes.DEPLOYMENT,
                    json(deployment),
                    json(patch),
                    PatchEngine.STRATEGIC_MERGE_PATCH,
                    PatchOptions.none()))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  @Test
  void customResourcesRefuseStrategicMergePatchWith415() {
    ResourceType crd =
        new ResourceType(
            "example.com", "v1", "Widget", "widgets", true, false, GenericKubernetesResource.class);
    assertThatThrownBy(
            () ->
                engine.patch(
                    crd,
                    json("{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}}"),
                    json("{spec: {a: 1}}"),
                    PatchEngine.STRATEGIC_MERGE_PATCH,
                    PatchOptions.none()))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(415);
              assertThat(e.reason()).isEqualTo("UnsupportedMediaType");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "the body of the request was in an unknown format - accepted media types"
                          + " include: application/json-patch+json, application/merge-patch+json,"
                          + " application/apply-patch+yaml");
            });
  }

  /**
   * The body {@code kubectl apply} (client-side) sends to update a Deployment whose manifest
   * changed image and dropped a label: a three-way strategic merge patch carrying the new {@code
   * last-applied-configuration}, {@code $setElementOrder} for the merging lists it touches and
   * nulls for what the manifest removed (built as {@code strategicpatch.CreateThreeWayMergePatch}
   * does in kubectl's {@code apply/patcher.go}).
   */
  @Test
  void kubectlClientSideApplyBody() {
    String live =
        """
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: default
          labels: {app: web, old: x}
          annotations:
            kubectl.kubernetes.io/last-applied-configuration: '{"old":"config"}'
            deployment.kubernetes.io/revision: "1"
        spec:
          replicas: 3
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - {name: web, image: nginx:1.25, ports: [{containerPort: 80, protocol: TCP}]}
              - {name: sidecar, image: envoy:1}
        """;
    String body =
        """
        {"metadata":{"annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{\\"new\\":\\"config\\"}\\n"},"labels":{"old":null}},
         "spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"sidecar"}],
         "containers":[{"image":"nginx:1.27","name":"web"}]}}}}
        """;
    PatchResult result =
        engine.patch(
            ResourceTypes.DEPLOYMENT,
            json(live),
            PatchFixture.bytes(body),
            PatchEngine.STRATEGIC_MERGE_PATCH,
            PatchOptions.none());
    assertContains(
        read(result.json()),
        tree(
            """
            metadata:
              labels: {app: web}
              annotations:
                kubectl.kubernetes.io/last-applied-configuration: "{\\"new\\":\\"config\\"}\\n"
                deployment.kubernetes.io/revision: "1"
            spec:
              replicas: 3
              template:
                spec:
                  containers:
                  - {name: web, image: nginx:1.27, ports: [{containerPort: 80, protocol: TCP}]}
                  - {name: sidecar, image: envoy:1}
            """));
    assertThat(read(result.json()).toString()).doesNotContain("$setElementOrder");
  }

  /** {@code kubectl patch deployment web -p '{"spec":{"replicas":5}}'} (type strategic). */
  @Test
  void kubectlPatchStrategicBody() {
    PatchResult result =
        engine.patch(
            ResourceTypes.DEPLOYMENT,
            json(
                "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 1}}"),
            PatchFixture.bytes("{\"spec\":{\"replicas\":5}}"),
            "application/strategic-merge-patch+json",
            PatchOptions.none());
    assertThat(read(result.json()).at("/spec/replicas").asInt()).isEqualTo(5);
  }
}
