package dev.kemu.api.patch;

import static dev.kemu.api.patch.PatchFixture.bytes;
import static dev.kemu.api.patch.PatchFixture.read;
import static dev.kemu.api.patch.PatchFixture.tree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import org.junit.jupiter.api.Test;

/**
 * Server-side apply of custom resources: list semantics come from the CRD's structural schema
 * ({@code x-kubernetes-list-type: map} with {@code x-kubernetes-list-map-keys}, as Gateway API's
 * {@code spec.listeners}), metadata is the built-in ObjectMeta, and without a schema lists are
 * atomic, as the apiserver treats a CRD with {@code x-kubernetes-preserve-unknown-fields}.
 */
class CustomResourceApplyTest {
  private static final ResourceType GATEWAY =
      new ResourceType(
          "gateway.networking.k8s.io",
          "v1",
          "Gateway",
          "gateways",
          true,
          false,
          GenericKubernetesResource.class);

  private static final JsonNode SCHEMA =
      tree(
          """
          type: object
          properties:
            spec:
              type: object
              properties:
                gatewayClassName: {type: string}
                listeners:
                  type: array
                  x-kubernetes-list-type: map
                  x-kubernetes-list-map-keys: [name]
                  items:
                    type: object
                    properties:
                      name: {type: string}
                      port: {type: integer}
                      protocol: {type: string}
          """);

  private static String listener(String name, int port) {
    return "{apiVersion: gateway.networking.k8s.io/v1, kind: Gateway, metadata: {name: g,"
        + " finalizers: [x/"
        + name
        + "]}, spec: {gatewayClassName: kemu, listeners: [{name: "
        + name
        + ", port: "
        + port
        + ", protocol: HTTP}]}}";
  }

  private static byte[] apply(PatchEngine engine, byte[] live, String config, String manager) {
    return engine
        .patch(
            GATEWAY,
            live,
            bytes(config),
            PatchEngine.APPLY_PATCH_YAML,
            PatchOptions.apply(manager, false))
        .json();
  }

  @Test
  void listenersMergeByNameWithTheCrdSchema() {
    PatchEngine engine =
        new PatchEngine(
            PatchSchema.builtIn().withCustomSchemas(t -> t.equals(GATEWAY) ? SCHEMA : null),
            PatchFixture.clock());
    byte[] live = apply(engine, null, listener("http", 80), "a");
    live = apply(engine, live, listener("https", 443), "b");

    JsonNode object = read(live);
    assertThat(object.at("/spec/listeners").findValuesAsText("name"))
        .containsExactly("http", "https");
    assertThat(object.at("/metadata/finalizers")).isEqualTo(tree("[x/http, x/https]"));
    assertThat(object.at("/metadata/managedFields/1/fieldsV1"))
        .isEqualTo(
            tree(
                """
                f:metadata: {f:finalizers: {'v:"x/https"': {}}}
                f:spec:
                  f:gatewayClassName: {}
                  f:listeners:
                    k:{"name":"https"}: {.: {}, f:name: {}, f:port: {}, f:protocol: {}}
                """));
  }

  @Test
  void withoutASchemaListsAreAtomic() {
    PatchEngine engine = PatchEngine.builtIn(PatchFixture.clock());
    byte[] live = apply(engine, null, listener("http", 80), "a");
    byte[] current = live;
    assertThatThrownBy(() -> apply(engine, current, listener("https", 443), "b"))
        .hasMessage("Apply failed with 1 conflict: conflict with \"a\": .spec.listeners");
  }
}
