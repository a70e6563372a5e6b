package dev.kemu.emulator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** How a pod's annotation and images choose what stands behind it (DESIGN "Workloads"). */
class PodBackendTest {

  private static Pod pod(String backend, String image) {
    PodBuilder builder =
        new PodBuilder()
            .withNewMetadata()
            .withName("p")
            .withNamespace("ns")
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("app")
            .withImage(image)
            .addNewPort()
            .withName("http")
            .withContainerPort(8080)
            .endPort()
            .addNewPort()
            .withName("metrics")
            .withContainerPort(9090)
            .endPort()
            .addNewPort()
            .withName("dns")
            .withContainerPort(53)
            .withProtocol("UDP")
            .endPort()
            .endContainer()
            .endSpec();
    if (backend != null) {
      builder.editMetadata().withAnnotations(Map.of(PodBackend.ANNOTATION, backend)).endMetadata();
    }
    return builder.build();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "one address forwards every TCP port | localhost:8000 | 8080->localhost:8000;9090->localhost:8000",
        "ports by name and number | http=localhost:1, 9090=127.0.0.1:2 | 8080->localhost:1;9090->127.0.0.1:2",
        "a number not declared still listens | 7000=localhost:7001 | 7000->localhost:7001",
        "IPv6 target in brackets | http=[::1]:8000 | 8080->[::1]:8000",
      })
  void forwards(String rule, String annotation, String expected) {
    PodBackend backend = PodBackend.of(pod(annotation, "some/app"));
    assertThat(backend).isInstanceOf(PodBackend.Forwarded.class);
    assertThat(
            String.join(
                ";",
                ((PodBackend.Forwarded) backend)
                    .forwards().stream().map(Object::toString).toList()))
        .isEqualTo(expected);
  }

  @Test
  void forwardsTcpOnlyAndSaysSo() {
    PodBackend.Forwarded backend =
        (PodBackend.Forwarded) PodBackend.of(pod("localhost:8000", "some/app"));
    assertThat(backend.ignored())
        .containsExactly("UDP port 53 (container app): kemu.dev/backend forwards TCP only");
  }

  @Test
  void withoutDeclaredPortsListensOnTheBackendsPort() {
    Pod pod = pod("localhost:8000", "some/app");
    pod.getSpec().getContainers().get(0).setPorts(null);
    PodBackend.Forwarded backend = (PodBackend.Forwarded) PodBackend.of(pod);
    assertThat(backend.forwards())
        .containsExactly(new PodBackend.PortForward(8000, "localhost", 8000));
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "no port | localhost | \"localhost\" is not host:port",
        "port out of range | localhost:70000 | \"localhost:70000\": port \"70000\" must be between 1 and 65535, inclusive",
        "unknown port name | admin=localhost:1 | port name \"admin\" matches no TCP containerPort of the pod",
        "port given twice | http=localhost:1,8080=localhost:2 | port 8080 is given twice",
        "entry without port | =localhost:1 | entry \"=localhost:1\" is not port=host:port",
      })
  void rejectsMalformedAnnotations(String rule, String annotation, String detail) {
    PodBackend backend = PodBackend.of(pod(annotation, "some/app"));
    assertThat(backend).isInstanceOf(PodBackend.Unbacked.class);
    PodBackend.Unbacked unbacked = (PodBackend.Unbacked) backend;
    assertThat(unbacked.reason()).isEqualTo("CreateContainerConfigError");
    assertThat(unbacked.message())
        .isEqualTo(
            "annotation kemu.dev/backend: invalid value \""
                + annotation
                + "\": "
                + detail
                + "; expected \"host:port\", \"bound\", or \"port=host:port,...\" with ports by"
                + " name or number");
  }

  @Test
  void boundAndEchoAndUnknown() {
    assertThat(PodBackend.of(pod("bound", "some/app"))).isInstanceOf(PodBackend.Bound.class);
    assertThat(PodBackend.of(pod(null, "kemu/echo:2"))).isInstanceOf(PodBackend.InJvm.class);
    PodBackend unknown = PodBackend.of(pod(null, "redis:7"));
    assertThat(unknown).isInstanceOf(PodBackend.Unbacked.class);
    assertThat(((PodBackend.Unbacked) unknown).reason()).isEqualTo("NoRuntime");
  }
}
