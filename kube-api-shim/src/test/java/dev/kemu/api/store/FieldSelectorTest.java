package dev.kemu.api.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceType;
import dev.kemu.api.model.ResourceTypes;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Field selectors as {@code fields.ParseSelector}, the field label conversions of {@code
 * pkg/apis/core/v1/conversion.go} and each kind's {@code ToSelectableFields}.
 */
class FieldSelectorTest {
  private static final HasMetadata POD =
      new PodBuilder()
          .withNewMetadata()
          .withName("web-1")
          .withNamespace("shop")
          .endMetadata()
          .withNewSpec()
          .withNodeName("kemu-node")
          .withRestartPolicy("Always")
          .endSpec()
          .withNewStatus()
          .withPhase("Running")
          .addNewPodIP("127.244.0.5")
          .addNewPodIP("fd00::5")
          .endStatus()
          .build();

  static Stream<Arguments> pods() {
    return Stream.of(
        Arguments.of("metadata.name", "metadata.name=web-1", true),
        Arguments.of("metadata.namespace", "metadata.namespace=shop", true),
        Arguments.of("== is equality", "metadata.name==web-1", true),
        Arguments.of("!= is inequality", "metadata.name!=web-1", false),
        Arguments.of("spec.nodeName", "spec.nodeName=kemu-node", true),
        Arguments.of("spec.host is the old name of spec.nodeName", "spec.host=kemu-node", true),
        Arguments.of("status.phase", "status.phase=Running,spec.restartPolicy=Always", true),
        Arguments.of("an unset spec.hostNetwork is false", "spec.hostNetwork=false", true),
        Arguments.of("status.podIP is the first pod IP", "status.podIP=127.244.0.5", true),
        Arguments.of("status.podIPs", "status.podIPs=127.244.0.5\\,fd00::5", true),
        Arguments.of("an unset field is the empty string", "spec.schedulerName=", true),
        Arguments.of("!= an unset field", "status.nominatedNodeName!=x", true),
        Arguments.of("terms are ANDed", "status.phase=Running,metadata.name=other", false),
        Arguments.of("empty terms are skipped", "metadata.name=web-1,,", true));
  }

  @ParameterizedTest(name = "Pod {0}: {1}")
  @MethodSource("pods")
  void podFields(String rule, String selector, boolean matches) {
    assertThat(FieldSelector.parse(selector, ResourceTypes.POD).matches(POD)).isEqualTo(matches);
  }

  static Stream<Arguments> otherKinds() {
    return Stream.of(
        Arguments.of(
            "Node spec.unschedulable defaults to false",
            ResourceTypes.NODE,
            new NodeBuilder().withNewMetadata().withName("n").endMetadata().build(),
            "spec.unschedulable=false",
            true),
        Arguments.of(
            "Namespace status.phase",
            ResourceTypes.NAMESPACE,
            new NamespaceBuilder()
                .withNewMetadata()
                .withName("ns")
                .endMetadata()
                .withNewStatus()
                .withPhase("Active")
                .endStatus()
                .build(),
            "status.phase=Active",
            true),
        Arguments.of(
            "Secret type defaults to Opaque",
            ResourceTypes.SECRET,
            new SecretBuilder().withNewMetadata().withName("s").endMetadata().build(),
            "type=Opaque",
            true),
        Arguments.of(
            "Service spec.type defaults to ClusterIP",
            ResourceTypes.SERVICE,
            new ServiceBuilder()
                .withNewMetadata()
                .withName("s")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("127.96.0.7")
                .endSpec()
                .build(),
            "spec.type=ClusterIP,spec.clusterIP=127.96.0.7",
            true),
        Arguments.of(
            "Event source falls back to reportingComponent",
            ResourceTypes.EVENT,
            new EventBuilder()
                .withNewMetadata()
                .withName("e")
                .endMetadata()
                .withReportingComponent("kubelet")
                .withNewInvolvedObject()
                .withKind("Pod")
                .withName("p")
                .endInvolvedObject()
                .withType("Warning")
                .build(),
            "source=kubelet,involvedObject.kind=Pod,involvedObject.name=p,type=Warning",
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("otherKinds")
  void selectableFieldsOfOtherKinds(
      String rule, ResourceType type, HasMetadata object, String selector, boolean matches) {
    assertThat(FieldSelector.parse(selector, type).matches(object)).isEqualTo(matches);
  }

  static Stream<Arguments> errors() {
    return Stream.of(
        Arguments.of(
            "an unsupported Pod field",
            ResourceTypes.POD,
            "spec.containers=x",
            "field label not supported: spec.containers"),
        Arguments.of(
            "no whitespace trimming",
            ResourceTypes.POD,
            "metadata.name = x",
            "field label not supported: metadata.name "),
        Arguments.of(
            "Node has no metadata.namespace",
            ResourceTypes.NODE,
            "metadata.namespace=x",
            "field label not supported: metadata.namespace"),
        Arguments.of(
            "kinds without a conversion accept only metadata",
            ResourceTypes.CONFIG_MAP,
            "data.x=y",
            "\"data.x\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""),
        Arguments.of(
            "apps/v1 kinds too",
            ResourceTypes.REPLICA_SET,
            "status.replicas=1",
            "\"status.replicas\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""),
        Arguments.of(
            "a term without an operator",
            ResourceTypes.POD,
            "metadata.name",
            "invalid selector: 'metadata.name'; can't understand 'metadata.name'"),
        Arguments.of(
            "an unescaped = in a value",
            ResourceTypes.POD,
            "metadata.name=a=b",
            "invalid field selector: unescaped character in value: 61"),
        Arguments.of(
            "an unknown escape",
            ResourceTypes.POD,
            "metadata.name=a\\b",
            "invalid field selector: invalid escape sequence: \\b"),
        Arguments.of(
            "a trailing backslash",
            ResourceTypes.POD,
            "metadata.name=a\\",
            "invalid field selector: invalid escape sequence: \\"));
  }

  @ParameterizedTest(name = "rejects {0}")
  @MethodSource("errors")
  void rejectsWithUpstreamMessages(
      String rule, ResourceType type, String selector, String message) {
    assertThatThrownBy(() -> FieldSelector.parse(selector, type))
        .isInstanceOf(ApiException.BadRequest.class)
        .hasMessage(message);
  }

  @Test
  void customResourcesAnswerAsTheCrdHandler() {
    ResourceType route =
        new ResourceType(
            "gateway.networking.k8s.io",
            "v1",
            "HTTPRoute",
            "httproutes",
            true,
            false,
            GenericKubernetesResource.class);
    assertThat(FieldSelector.parse("metadata.name=r", route).requirements()).hasSize(1);
    assertThatThrownBy(() -> FieldSelector.parse("spec.hostnames=x", route))
        .hasMessage("field label not supported: spec.hostnames");
  }

  @Test
  void escapedValuesRoundTrip() {
    FieldSelector selector = FieldSelector.parse("metadata.name=a\\,b\\=c\\\\d", ResourceTypes.POD);
    assertThat(selector.requirements().get(0).value()).isEqualTo("a,b=c\\d");
    assertThat(selector.toString()).isEqualTo("metadata.name=a\\,b\\=c\\\\d");
    assertThat(FieldSelector.parse("", ResourceTypes.POD).isEverything()).isTrue();
  }
}
