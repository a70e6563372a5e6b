package dev.kemu.api.store;

import static dev.kemu.api.store.Fixtures.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceType;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Kinds kemu does not model are stored and served back unchanged. */
class UnknownKindsTest {
  private static final String ROUTE =
      """
      apiVersion: gateway.networking.k8s.io/v1
      kind: HTTPRoute
      metadata:
        name: web
        labels: {app: web}
      spec:
        parentRefs: [{name: gw, sectionName: http}]
        hostnames: [shop.example.com]
        rules:
        - matches:
          - path: {type: PathPrefix, value: /api}
            headers: [{name: x-canary, value: "true"}]
          backendRefs:
          - {name: api, port: 8080, weight: 90}
          - {name: api-canary, port: 8080, weight: 10}
          filters:
          - type: RequestHeaderModifier
            requestHeaderModifier: {add: [{name: x-env, value: prod}]}
        extra: {nested: {list: [1, 2.5, null, false], empty: {}}}
      """;

  private final ResourceStore store = Fixtures.store(new TestClock(START));

  @AfterEach
  void close() {
    store.close();
  }

  private static GenericKubernetesResource route() throws Exception {
    return ResourceCodec.yaml().readValue(ROUTE, GenericKubernetesResource.class);
  }

  @Test
  @SuppressWarnings("unchecked")
  void storedAndReadBackUnchanged() throws Exception {
    GenericKubernetesResource route = route();
    GenericKubernetesResource created = store.create(route);
    assertThat(created.getMetadata().getNamespace())
        .as("custom kinds are namespaced by default")
        .isEqualTo("default");
    ResourceType type = store.typeOf(route);
    assertThat(type.plural()).isEqualTo("httproutes");
    assertThat(type.namespaced()).isTrue();
    HasMetadata read = store.get(new ResourceKey(type, "default", "web")).orElseThrow();
    assertThat(ResourceCodec.tree(read).get("spec"))
        .isEqualTo(ResourceCodec.tree(route).get("spec"));
    assertThat(read.getApiVersion()).isEqualTo("gateway.networking.k8s.io/v1");
    assertThat(read.getKind()).isEqualTo("HTTPRoute");
    assertThat(
            store.list(type, ListOptions.all().withLabels(LabelSelector.parse("app=web"))).items())
        .hasSize(1);

    GenericKubernetesResource update = (GenericKubernetesResource) read;
    ((Map<String, Object>) update.getAdditionalProperties().get("spec"))
        .put("hostnames", List.of("other.example.com"));
    GenericKubernetesResource updated = store.update(update);
    assertThat(updated.getMetadata().getGeneration()).isEqualTo(2L);
    assertThat(
            ResourceCodec.tree(store.get(new ResourceKey(type, "default", "web")).orElseThrow())
                .at("/spec/hostnames/0")
                .asText())
        .isEqualTo("other.example.com");
    store.delete(new ResourceKey(type, "default", "web"));
    assertThat(store.get(new ResourceKey(type, "default", "web"))).isEmpty();
  }

  @Test
  void clusterScopedWellKnownKinds() {
    GenericKubernetesResource gatewayClass = new GenericKubernetesResource();
    gatewayClass.setApiVersion("gateway.networking.k8s.io/v1");
    gatewayClass.setKind("GatewayClass");
    gatewayClass.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder()
            .withName("kemu")
            .withNamespace("ignored")
            .build());
    GenericKubernetesResource created = store.create(gatewayClass);
    assertThat(created.getMetadata().getNamespace()).isNull();
    assertThat(store.typeOf(gatewayClass).namespaced()).isFalse();
    assertThat(store.typeOf(gatewayClass).plural()).isEqualTo("gatewayclasses");
  }

  @Test
  void objectsWithoutApiVersionOrKindAreBadRequests() {
    GenericKubernetesResource nothing = new GenericKubernetesResource();
    nothing.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("x").build());
    assertThatThrownBy(() -> store.create(nothing))
        .isInstanceOf(ApiException.BadRequest.class)
        .hasMessage("Object 'apiVersion' is missing");
    nothing.setApiVersion("example.com/v1");
    assertThatThrownBy(() -> store.create(nothing)).hasMessage("Object 'Kind' is missing");
  }

  @Test
  void builtInKindsSentAsGenericResourcesAreTyped() throws Exception {
    GenericKubernetesResource cm =
        ResourceCodec.yaml()
            .readValue(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata: {k: v}\n",
                GenericKubernetesResource.class);
    store.create(cm);
    assertThat(
            store
                .get(io.fabric8.kubernetes.api.model.ConfigMap.class, "default", "c")
                .orElseThrow()
                .getData())
        .containsEntry("k", "v");
  }
}
