package dev.kemu.emulator.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The QoS class as {@code pkg/apis/core/helper/qos.GetPodQOS} computes it. */
class PodStatusBuilderTest {

  private static Map<String, Quantity> resources(String cpu, String memory) {
    Map<String, Quantity> map = new HashMap<>();
    if (cpu != null) {
      map.put("cpu", new Quantity(cpu));
    }
    if (memory != null) {
      map.put("memory", new Quantity(memory));
    }
    return map;
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "qos: no requests or limits is BestEffort | | | | | BestEffort",
        "qos: limits only (requests default to them) is Guaranteed | | | 1 | 1Gi | Guaranteed",
        "qos: requests equal limits is Guaranteed | 500m | 256Mi | 500m | 256Mi | Guaranteed",
        "qos: requests below limits is Burstable | 100m | 128Mi | 500m | 256Mi | Burstable",
        "qos: cpu limit only is Burstable | | | 1 | | Burstable",
        "qos: requests only is Burstable | 100m | | | | Burstable",
      })
  void computesTheQosClass(
      String rule,
      String requestCpu,
      String requestMemory,
      String limitCpu,
      String limitMemory,
      String expected) {
    Pod pod =
        new PodBuilder()
            .withNewSpec()
            .withContainers(
                new ContainerBuilder()
                    .withName("c")
                    .withNewResources()
                    .withRequests(resources(requestCpu, requestMemory))
                    .withLimits(resources(limitCpu, limitMemory))
                    .endResources()
                    .build())
            .endSpec()
            .build();
    assertThat(PodStatusBuilder.qosClass(pod)).isEqualTo(expected);
  }
}
