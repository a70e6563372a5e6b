package dev.kemu.emulator.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.Cluster;
import dev.kemu.emulator.Emulator;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.parallel.ResourceLock;

/**
 * The README's example of real clients against kemu: the fabric8 client (the region below is the
 * README's snippet) and the kubectl commands the README shows, run against the shop example.
 */
@ResourceLock("kemu-default-address-plan")
class ApiClientsExampleTest {

  @Test
  void fabric8ClientExampleRuns() {
    // snippet fabric8 {
    try (Cluster cluster = Emulator.builder().manifests("../examples/shop").start();
        KubernetesClient client =
            new KubernetesClientBuilder()
                .withConfig(
                    new ConfigBuilder(Config.empty()).withMasterUrl(cluster.apiUrl()).build())
                .build()) {
      Service cart = client.services().inNamespace("shop").withName("cart").get();
      assertThat(cart.getSpec().getClusterIP()).isNotEmpty();

      client.apps().deployments().inNamespace("shop").withName("cart").scale(5);
      // The call returned once the cluster had applied it: the new pods already run.
      assertThat(client.pods().inNamespace("shop").withLabel("app", "cart").list().getItems())
          .hasSize(5)
          .allMatch(pod -> pod.getStatus().getPodIP() != null);
    }
    // }
  }

  @Test
  void kubectlExampleRuns(@TempDir Path dir) throws Exception {
    try (Cluster cluster = Emulator.builder().manifests("../examples/shop").start()) {
      Kubectl kubectl = new Kubectl(cluster, dir);
      assertThat(kubectl.run("get", "svc", "-n", "shop").ok().out())
          .containsPattern("cart\\s+ClusterIP\\s+\\S+\\s+<none>\\s+8080/TCP");
      assertThat(kubectl.run("scale", "deployment/cart", "-n", "shop", "--replicas=5").ok().out())
          .contains("deployment.apps/cart scaled");
      assertThat(kubectl.run("rollout", "status", "deployment/cart", "-n", "shop").ok().out())
          .contains("successfully rolled out");
      assertThat(
              kubectl
                  .run(
                      "get",
                      "endpointslices",
                      "-n",
                      "shop",
                      "-l",
                      "kubernetes.io/service-name=cart")
                  .ok()
                  .out())
          .containsPattern("cart-\\S+\\s+IPv4\\s+8080\\s+\\S+ \\+ 2 more\\.\\.\\.");
    }
  }
}
