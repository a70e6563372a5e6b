package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.bytes;
import static dev.kemu.api.patch.PatchFixture.json;
import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import io.fabric8.kubernetes.api.model.StatusCause;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Server-side apply after {@code sigs.k8s.io/structured-merge-diff/v4/merge} (its {@code
 * conflict_test.go}, {@code multiple_appliers_test.go}, {@code set_test.go} and {@code
 * obsolete_versions_test.go}) and the apiserver's {@code test/integration/apiserver/apply} tests:
 * managedFields in FieldsV1, conflicts naming the managers, {@code force}, removal of fields an
 * applier stops applying, and the create-by-apply case.
 */
class ServerSideApplyTest {
  private final PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());

  private static final String DEPLOYMENT =
      """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: default, labels: {app: web}}
      spec:
        replicas: %d
        selector: {matchLabels: {app: web}}
        template:
          metadata: {labels: {app: web}}
          spec:
            containers:
            - {name: web, image: nginx, ports: [{containerPort: 80}]}
      """;

  private static String deployment(int replicas) {
    return DEPLOYMENT.formatted(replicas);
  }

  private PatchResult apply(
      ResourceType type, byte[] live, String config, String manager, boolean force) {
    return engine.patch(
        type,
        live,
        bytes(config),
        PatchEngine.APPLY_PATCH_YAML,
        PatchOptions.apply(manager, force));
  }

  private static JsonNode managed(PatchResult result) {
    return read(result.json()).at("/metadata/managedFields");
  }

  /** The object a non-apply writer created (POST), recorded as {@code operation: Update}. */
  private byte[] createdBy(ResourceType type, String manager, String object) {
    return engine.managedFields().recordUpdate(type, null, json(object), manager, null);
  }

  @Test
  void createByApplyRecordsTheAppliedFieldsAsUpstreamEncodesThem() {
    PatchResult result = apply(ResourceTypes.DEPLOYMENT, null, deployment(2), "kubectl", false);

    assertThat(result.created()).isTrue();
    assertThat(read(result.json()).at("/spec/replicas").asInt()).isEqualTo(2);
    assertThat(managed(result))
        .isEqualTo(
            tree(
                """
                - manager: kubectl
                  operation: Apply
                  apiVersion: apps/v1
                  time: "2026-01-02T03:04:05Z"
                  fieldsType: FieldsV1
                  fieldsV1:
                    f:metadata:
                      f:labels:
                        f:app: {}
                    f:spec:
                      f:replicas: {}
                      f:selector: {}
                      f:template:
                        f:metadata:
                          f:labels:
                            f:app: {}
                        f:spec:
                          f:containers:
                            k:{"name":"web"}:
                              .: {}
                              f:image: {}
                              f:name: {}
                              f:ports:
                                k:{"containerPort":80,"protocol":"TCP"}:
                                  .: {}
                                  f:containerPort: {}
                """));
    assertThat(result.managedFields())
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.getManager()).isEqualTo("kubectl");
              assertThat(e.getOperation()).isEqualTo("Apply");
            });
  }

  @Test
  void applyConflictsWithAnUpdateManagerNamingFieldAndManager() {
    byte[] live = createdBy(ResourceTypes.DEPLOYMENT, "kubectl-client-side-apply", deployment(1));

    assertThatThrownBy(() -> apply(ResourceTypes.DEPLOYMENT, live, deployment(3), "ci", false))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(409);
              assertThat(e.reason()).isEqualTo("Conflict");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\""
                          + " using apps/v1: .spec.replicas");
              StatusCause cause = e.causes().get(0);
              assertThat(cause.getReason()).isEqualTo("FieldManagerConflict");
              assertThat(cause.getField()).isEqualTo(".spec.replicas");
              assertThat(cause.getMessage())
                  .isEqualTo("conflict with \"kubectl-client-side-apply\" using apps/v1");
            });
  }

  @Test
  void forceTakesOwnershipFromTheOtherManager() {
    byte[] live = createdBy(ResourceTypes.DEPLOYMENT, "kubectl-client-side-apply", deployment(1));

    PatchResult result = apply(ResourceTypes.DEPLOYMENT, live, deployment(3), "ci", true);

    assertThat(read(result.json()).at("/spec/replicas").asInt()).isEqualTo(3);
    JsonNode entries = managed(result);
    assertThat(entries.get(0).path("manager").asText()).isEqualTo("ci");
    assertThat(entries.get(0).at("/fieldsV1/f:spec/f:replicas").isObject()).isTrue();
    assertThat(entries.get(1).path("manager").asText()).isEqualTo("kubectl-client-side-apply");
    assertThat(entries.get(1).path("operation").asText()).isEqualTo("Update");
    assertThat(entries.get(1).at("/fieldsV1/f:spec").has("f:replicas")).isFalse();
    assertThat(entries.get(1).at("/fieldsV1/f:spec").has("f:selector")).isTrue();
  }

  @Test
  void applyingTheSameValueSharesOwnershipWithoutConflict() {
    byte[] live = createdBy(ResourceTypes.DEPLOYMENT, "kubectl-client-side-apply", deployment(1));

    PatchResult result = apply(ResourceTypes.DEPLOYMENT, live, deployment(1), "ci", false);

    JsonNode entries = managed(result);
    assertThat(entries).hasSize(2);
    entries.forEach(e -> assertThat(e.at("/fieldsV1/f:spec/f:replicas").isObject()).isTrue());
  }

  @Test
  void conflictsWithSeveralManagersAreListedByManager() {
    byte[] first = apply(ResourceTypes.DEPLOYMENT, null, deployment(1), "alpha", false).json();
    byte[] live =
        apply(
                ResourceTypes.DEPLOYMENT,
                first,
                "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {minReadySeconds: 5, paused: false}}",
                "beta",
                false)
            .json();
    String config =
        "{apiVersion: apps/v1, kind: Deployment, metadata: {name: web, labels: {app: api}},"
            + " spec: {replicas: 4, minReadySeconds: 9, paused: true}}";

    assertThatThrownBy(() -> apply(ResourceTypes.DEPLOYMENT, live, config, "gamma", false))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.getMessage())
                  .isEqualTo(
                      """
                      Apply failed with 4 conflicts: conflicts with "alpha":
                      - .metadata.labels.app
                      - .spec.replicas
                      conflicts with "beta":
                      - .spec.minReadySeconds
                      - .spec.paused""");
              assertThat(e.causes()).hasSize(4);
            });
  }

  @Test
  void fieldsAnApplierStopsApplyingAreRemoved() {
    String withTwoLabels =
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {a: '1', b: '2'}}, data: {x: y}}";
    String withOneLabel =
        "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, labels: {a: '1'}}}";
    byte[] live = apply(ResourceTypes.CONFIG_MAP, null, withTwoLabels, "m", false).json();

    PatchResult result = apply(ResourceTypes.CONFIG_MAP, live, withOneLabel, "m", false);

    JsonNode object = read(result.json());
    assertThat(object.at("/metadata/labels")).isEqualTo(tree("{a: '1'}"));
    assertThat(object.has("data")).isFalse();
    assertThat(managed(result).get(0).get("fieldsV1"))
        .isEqualTo(tree("{f:metadata: {f:labels: {f:a: {}}}}"));
  }

  @Test
  void removedFieldsStayWhenAnotherManagerOwnsThem() {
    String both = "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {x: y, z: w}}";
    byte[] live = apply(ResourceTypes.CONFIG_MAP, null, both, "first", false).json();
    live =
        apply(
                ResourceTypes.CONFIG_MAP,
                live,
                "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {x: y}}",
                "second",
                false)
            .json();

    PatchResult result =
        apply(
            ResourceTypes.CONFIG_MAP,
            live,
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {}}",
            "first",
            false);

    assertThat(read(result.json()).at("/data")).isEqualTo(tree("{x: y}"));
  }

  @Test
  void associativeListItemsAreOwnedPerKeyByEachApplier() {
    String svc =
        "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {ports: [{port: %d, targetPort: %d}]}}";
    byte[] live = apply(ResourceTypes.SERVICE, null, svc.formatted(80, 8080), "one", false).json();

    PatchResult result = apply(ResourceTypes.SERVICE, live, svc.formatted(443, 8443), "two", false);

    assertThat(read(result.json()).at("/spec/ports"))
        .isEqualTo(tree("[{port: 80, targetPort: 8080}, {port: 443, targetPort: 8443}]"));
    JsonNode two = managed(result).get(1);
    assertThat(two.path("manager").asText()).isEqualTo("two");
    assertThat(two.at("/fieldsV1/f:spec/f:ports"))
        .isEqualTo(
            tree(
                "{'k:{\"port\":443,\"protocol\":\"TCP\"}': {.: {}, f:port: {}, f:targetPort: {}}}"));
  }

  @Test
  void setItemsAreOwnedByValue() {
    PatchResult result =
        apply(
            ResourceTypes.CONFIG_MAP,
            null,
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, finalizers: [a/b]}}",
            "m",
            false);
    assertThat(managed(result).get(0).get("fieldsV1"))
        .isEqualTo(tree("{f:metadata: {f:finalizers: {'v:\"a/b\"': {}}}}"));
  }

  @Test
  void statusIsNotAppliedOnTheMainResource() {
    PatchResult result =
        apply(
            ResourceTypes.SERVICE,
            null,
            "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {type: ClusterIP}, status: {loadBalancer: {ingress: [{ip: 1.2.3.4}]}}}",
            "m",
            false);
    assertThat(read(result.json()).has("status")).isFalse();
    assertThat(managed(result).get(0).get("fieldsV1")).isEqualTo(tree("{f:spec: {f:type: {}}}"));
  }

  /**
   * {@code kubectl apply --server-side} after client-side {@code kubectl apply}: fields whose live
   * value still matches the last-applied-configuration move to {@code kubectl} without a conflict
   * and the annotation follows the applied configuration ({@code lastappliedmanager.go}).
   */
  @Test
  void kubectlServerSideApplyTakesOverClientSideApply() {
    String lastApplied = ResourceCodec.json().valueToTree(tree(deployment(1))).toString();
    JsonNode object = tree(deployment(1));
    ((com.fasterxml.jackson.databind.node.ObjectNode) object.get("metadata"))
        .putObject("annotations")
        .put(ServerSideApply.LAST_APPLIED, lastApplied);
    byte[] live =
        engine
            .managedFields()
            .recordUpdate(
                ResourceTypes.DEPLOYMENT,
                null,
                ResourceCodec.encode(object),
                "kubectl-client-side-apply",
                null);

    PatchResult result = apply(ResourceTypes.DEPLOYMENT, live, deployment(3), "kubectl", false);

    JsonNode patched = read(result.json());
    assertThat(patched.at("/spec/replicas").asInt()).isEqualTo(3);
    JsonNode annotation =
        tree(patched.at("/metadata/annotations").get(ServerSideApply.LAST_APPLIED).asText());
    assertThat(annotation.at("/spec/replicas").asInt()).isEqualTo(3);
  }

  @Test
  void aManagerStillConflictsWhenTheLiveValueDriftedFromLastApplied() {
    String lastApplied = ResourceCodec.json().valueToTree(tree(deployment(1))).toString();
    JsonNode object = tree(deployment(2));
    ((com.fasterxml.jackson.databind.node.ObjectNode) object.get("metadata"))
        .putObject("annotations")
        .put(ServerSideApply.LAST_APPLIED, lastApplied);
    byte[] live =
        engine
            .managedFields()
            .recordUpdate(
                ResourceTypes.DEPLOYMENT, null, ResourceCodec.encode(object), "kubectl-edit", null);

    assertThatThrownBy(() -> apply(ResourceTypes.DEPLOYMENT, live, deployment(3), "kubectl", false))
        .isInstanceOfSatisfying(
            ApiException.class, e -> assertThat(e.getMessage()).contains(".spec.replicas"));
  }

  static Stream<Arguments> badApplies() {
    return Stream.of(
        Arguments.arguments(
            "fieldManager is required (ValidatePatchOptions)",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}",
            "",
            422,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required"
                + " for apply patch"),
        Arguments.arguments(
            "the apply patch must be of the resource's version (structuredMergeManager.Apply)",
            "{apiVersion: v2, kind: ConfigMap, metadata: {name: c}}",
            "m",
            400,
            "Incorrect version specified in apply patch. Specified patch version: v2, expected: v1"),
        Arguments.arguments(
            "the apply patch must be of the resource's kind (no typed conversion for another)",
            "{apiVersion: v1, kind: Secret, metadata: {name: c}}",
            "m",
            500,
            "failed to create typed patch object (/v1, Kind=Secret): no corresponding type for /v1,"
                + " Kind=Secret"),
        Arguments.arguments(
            "metadata.managedFields must be nil in an apply patch",
            "{apiVersion: v1, kind: ConfigMap, metadata: {name: c, managedFields: []}}",
            "m",
            400,
            "metadata.managedFields must be nil"),
        Arguments.arguments(
            "an associative list item without its key is refused",
            "{apiVersion: v1, kind: Service, metadata: {name: c}, spec: {ports: [{name: x}]}}",
            "m",
            500,
            ".spec.ports: element 0: associative list with keys has an element that omits key"
                + " field \"port\" (and doesn't have default value)"),
        Arguments.arguments(
            "duplicate keys in an applied associative list are refused",
            "{apiVersion: v1, kind: Service, metadata: {name: c}, spec: {ports: [{port: 80}, {port: 80}]}}",
            "m",
            500,
            ".spec.ports: duplicate entries for key [port=80,protocol=\"TCP\"]"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badApplies")
  void rejects(String name, String config, String manager, int code, String message) {
    ResourceType type =
        config.contains("Service") ? ResourceTypes.SERVICE : ResourceTypes.CONFIG_MAP;
    assertThatThrownBy(() -> apply(type, null, config, manager, false))
        .isInstanceOfSatisfying(
            ApiException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).isEqualTo(message);
            });
  }

  @Test
  void forceOnANonApplyPatchIsForbidden() {
    assertThatThrownBy(
            () ->
                engine.patch(
                    ResourceTypes.CONFIG_MAP,
                    json("{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}"),
                    bytes("{}"),
                    PatchEngine.MERGE_PATCH,
                    new PatchOptions("m", true, null)))
        .isInstanceOfSatisfying(
            ApiException.class,
            e ->
                assertThat(e.getMessage())
                    .isEqualTo(
                        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not be"
                            + " specified for non-apply patch"));
  }

  /** An object without managedFields: upstream credits all its fields to before-first-apply. */
  @Test
  void anObjectWithoutManagedFieldsConflictsWithBeforeFirstApply() {
    assertThatThrownBy(
            () -> apply(ResourceTypes.DEPLOYMENT, json(deployment(1)), deployment(4), "ci", false))
        .hasMessage(
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using apps/v1:"
                + " .spec.replicas");
    PatchResult forced =
        apply(ResourceTypes.DEPLOYMENT, json(deployment(1)), deployment(4), "ci", true);
    assertThat(managed(forced).findValuesAsText("manager"))
        .containsExactly("ci", "before-first-apply");
  }

  /** A create by a non-apply writer (POST) records an Update entry with every field it set. */
  @Test
  void aCreateRecordsAnUpdateEntry() {
    byte[] created =
        createdBy(
            ResourceTypes.SERVICE,
            "kubectl-create",
            "{apiVersion: v1, kind: Service, metadata: {name: s, labels: {app: s}},"
                + " spec: {ports: [{port: 80, protocol: TCP}], selector: {app: s}},"
                + " status: {loadBalancer: {}}}");
    assertThat(read(created).at("/metadata/managedFields"))
        .isEqualTo(
            tree(
                """
                - manager: kubectl-create
                  operation: Update
                  apiVersion: v1
                  time: "2026-01-02T03:04:05Z"
                  fieldsType: FieldsV1
                  fieldsV1:
                    f:metadata:
                      f:labels:
                        f:app: {}
                    f:spec:
                      f:ports:
                        k:{"port":80,"protocol":"TCP"}:
                          .: {}
                          f:port: {}
                          f:protocol: {}
                      f:selector:
                        f:app: {}
                """));
  }

  @Test
  void anUpdateTakesFieldsAwayFromAnApplier() {
    byte[] live = apply(ResourceTypes.DEPLOYMENT, null, deployment(2), "kubectl", false).json();
    JsonNode edited = read(live).deepCopy();
    ((com.fasterxml.jackson.databind.node.ObjectNode) edited.get("spec")).put("replicas", 7);

    byte[] updated =
        engine
            .managedFields()
            .recordUpdate(
                ResourceTypes.DEPLOYMENT, live, ResourceCodec.encode(edited), "kubectl-edit", null);

    JsonNode entries = read(updated).at("/metadata/managedFields");
    assertThat(entries).hasSize(2);
    assertThat(entries.get(0).at("/fieldsV1/f:spec").has("f:replicas")).isFalse();
    assertThat(entries.get(1).path("manager").asText()).isEqualTo("kubectl-edit");
    assertThat(entries.get(1).path("operation").asText()).isEqualTo("Update");
    assertThat(entries.get(1).get("fieldsV1")).isEqualTo(tree("{f:spec: {f:replicas: {}}}"));
    // and the applier now conflicts when it applies its old value
    assertThatThrownBy(
            () -> apply(ResourceTypes.DEPLOYMENT, updated, deployment(2), "kubectl", false))
        .hasMessage(
            "Apply failed with 1 conflict: conflict with \"kubectl-edit\" using apps/v1:"
                + " .spec.replicas");
  }
}
