package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.junit.EnableKemu;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import org.junit.jupiter.api.Test;

// snippet junit {
@EnableKemu(manifests = "../examples/shop")
class CheckoutExampleTest {

  @Test
  void cartHasThreeReadyEndpoints(Cluster cluster) {
    var slices =
        cluster.list(EndpointSlice.class, "shop").stream()
            .filter(
                s -> "cart".equals(s.getMetadata().getLabels().get("kubernetes.io/service-name")))
            .toList();
    assertThat(slices)
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.getEndpoints())
                    .hasSize(3)
                    .allMatch(e -> e.getConditions().getReady()));
  }
}
// }
