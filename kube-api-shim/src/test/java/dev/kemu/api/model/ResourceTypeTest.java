package dev.kemu.api.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.GenericKubernetesResourceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Resource types: plurals, qualified names, registration of unknown kinds. */
class ResourceTypeTest {

  @ParameterizedTest(name = "plural of {0} is {1}")
  @CsvSource({
    "Service,services",
    "Ingress,ingresses",
    "NetworkPolicy,networkpolicies",
    "Endpoints,endpoints",
    "HTTPRoute,httproutes",
    "Gateway,gateways",
    "GatewayClass,gatewayclasses",
    "ReferenceGrant,referencegrants",
    "Mesh,meshes",
    "Box,boxes"
  })
  void guessesPluralsAsCrdsDeclareThem(String kind, String plural) {
    assertThat(ResourceType.guessPlural(kind)).isEqualTo(plural);
  }

  @Test
  void qualifiedResourceAndApiVersion() {
    assertThat(ResourceTypes.DEPLOYMENT.qualifiedResource()).isEqualTo("deployments.apps");
    assertThat(ResourceTypes.SERVICE.qualifiedResource()).isEqualTo("services");
    assertThat(ResourceTypes.ENDPOINT_SLICE.apiVersion()).isEqualTo("discovery.k8s.io/v1");
    assertThat(ResourceTypes.POD.apiVersion()).isEqualTo("v1");
  }

  @Test
  void unknownKindsRegisterOnce() {
    ResourceTypes types = new ResourceTypes();
    ResourceType first =
        types.registerUnknown("gateway.networking.k8s.io/v1", "HTTPRoute", null, true, false);
    ResourceType second =
        types.registerUnknown("gateway.networking.k8s.io/v1", "HTTPRoute", "x", false, false);
    assertThat(second).isSameAs(first);
    assertThat(first.group()).isEqualTo("gateway.networking.k8s.io");
    assertThat(first.plural()).isEqualTo("httproutes");
    var route =
        new GenericKubernetesResourceBuilder()
            .withApiVersion("gateway.networking.k8s.io/v1")
            .withKind("HTTPRoute")
            .build();
    assertThat(types.of(route)).contains(first);
    assertThat(types.of(new Service())).contains(ResourceTypes.SERVICE);
    assertThatThrownBy(() -> types.of(io.fabric8.kubernetes.api.model.PersistentVolume.class))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
