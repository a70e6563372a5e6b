package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.fixtures.Manifests;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The embedding API example of the README, run as written (ReadmeTest checks it is the same). It
 * uses the default address plan, so it holds the lock every such test takes.
 */
@ResourceLock(EmbeddingExampleTest.DEFAULT_ADDRESSES)
class EmbeddingExampleTest {
  /** Held by tests that run a cluster on the default address plan. */
  static final String DEFAULT_ADDRESSES = "kemu-default-address-plan";

  @Test
  void embeddingExampleRuns() {
    // snippet embedding {
    try (Cluster cluster = Emulator.builder().manifests("../examples/shop").start()) {
      Service cart = cluster.get(Service.class, "shop", "cart").orElseThrow();
      InetSocketAddress address = cluster.serviceAddress("shop", "cart", "http");
      List<Pod> pods = cluster.list(Pod.class, "shop");

      assertThat(address.getHostString()).isEqualTo(cart.getSpec().getClusterIP());
      assertThat(pods).allMatch(pod -> pod.getStatus().getPodIP() != null);

      // Writes return once every component has applied them: no polling needed.
      cluster.apply(Manifests.echoDeployment("shop", "cart", 1));
      assertThat(cluster.list(Pod.class, "shop")).hasSize(4);
    }
    // }
  }
}
