package dev.kemu.emulator;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.emulator.junit.EnableKemu;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import org.junit.jupiter.api.Test;

/** The bundled example comes up whole: every Service allocated, every pod running. */
@EnableKemu(manifests = "../examples/shop")
class ShopExampleTest {

  @Test
  void everyServiceTypeIsAllocated(Cluster cluster) {
    Service web = cluster.get(Service.class, "shop", "web").orElseThrow();
    assertThat(web.getSpec().getType()).isEqualTo("LoadBalancer");
    assertThat(cluster.addressPlan().serviceCidr().contains(web.getSpec().getClusterIP())).isTrue();
    assertThat(web.getSpec().getPorts().get(0).getNodePort()).isBetween(30000, 32767);
    assertThat(web.getStatus().getLoadBalancer().getIngress().get(0).getIp())
        .satisfies(
            ip -> assertThat(cluster.addressPlan().loadBalancerPool().contains(ip)).isTrue());

    Service catalog = cluster.get(Service.class, "shop", "catalog").orElseThrow();
    assertThat(catalog.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30080);

    Service headless = cluster.get(Service.class, "shop", "cart-headless").orElseThrow();
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");

    Service payments = cluster.get(Service.class, "shop", "payments").orElseThrow();
    assertThat(payments.getSpec().getClusterIP()).isNull();
    assertThat(payments.getSpec().getExternalName()).isEqualTo("payments.example.com");
  }

  @Test
  void everyPodRunsAndEveryServiceHasItsEndpoints(Cluster cluster) {
    assertThat(cluster.list(Pod.class, "shop"))
        .hasSize(6)
        .allSatisfy(pod -> assertThat(pod.getStatus().getPhase()).isEqualTo("Running"));
    assertThat(WorkloadsTest.endpoints(cluster, "shop", "cart")).hasSize(3);
    assertThat(WorkloadsTest.endpoints(cluster, "shop", "cart-headless")).hasSize(3);
    assertThat(WorkloadsTest.endpoints(cluster, "shop", "catalog")).hasSize(1);
    assertThat(WorkloadsTest.endpoints(cluster, "shop", "web")).hasSize(2);
  }
}
