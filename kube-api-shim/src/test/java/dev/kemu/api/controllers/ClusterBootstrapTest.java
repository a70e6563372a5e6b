package dev.kemu.api.controllers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeCondition;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import org.assertj.core.groups.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The objects a new cluster has. */
class ClusterBootstrapTest {
  private ResourceStore store;

  @BeforeEach
  void setUp() {
    store = new ResourceStore();
  }

  @AfterEach
  void tearDown() {
    store.close();
  }

  @Test
  void theSystemNamespacesExistAndAreActive() {
    ClusterBootstrap.apply(store, AddressPlan.defaults());

    for (String name : new String[] {"default", "kube-system", "kube-public", "kube-node-lease"}) {
      Namespace namespace = store.get(Namespace.class, "", name).orElseThrow();
      assertThat(namespace.getMetadata().getLabels())
          .containsEntry("kubernetes.io/metadata.name", name);
      assertThat(namespace.getStatus().getPhase()).isEqualTo("Active");
    }
  }

  @Test
  void theNodeIsReadyAtTheNodeAddress() {
    ClusterBootstrap.apply(store, AddressPlan.defaults().withNodeAddress("127.0.0.2"));

    Node node = store.get(Node.class, "", "kemu-node").orElseThrow();
    assertThat(node.getMetadata().getLabels())
        .containsEntry("kubernetes.io/hostname", "kemu-node")
        .containsEntry("kubernetes.io/os", "linux");
    assertThat(node.getSpec().getPodCIDR()).isEqualTo("127.244.0.0/16");
    assertThat(node.getStatus().getAddresses())
        .extracting(NodeAddress::getType, NodeAddress::getAddress)
        .containsExactly(
            Tuple.tuple("InternalIP", "127.0.0.2"), Tuple.tuple("Hostname", "kemu-node"));
    NodeCondition ready =
        node.getStatus().getConditions().stream()
            .filter(c -> c.getType().equals("Ready"))
            .findFirst()
            .orElseThrow();
    assertThat(ready.getStatus()).isEqualTo("True");
    assertThat(ready.getReason()).isEqualTo("KubeletReady");
    assertThat(node.getStatus().getNodeInfo().getKubeletVersion()).contains("kemu");
    assertThat(node.getStatus().getNodeInfo().getContainerRuntimeVersion()).startsWith("kemu://");
    assertThat(node.getStatus().getCapacity()).containsKeys("cpu", "memory", "pods");
  }

  @Test
  void theKubernetesServiceIsTheFirstAddressOfTheServiceCidr() {
    ClusterBootstrap.apply(store, AddressPlan.defaults());

    Service kubernetes = store.get(Service.class, "default", "kubernetes").orElseThrow();
    assertThat(kubernetes.getSpec().getClusterIP()).isEqualTo("127.96.0.1");
    assertThat(kubernetes.getSpec().getClusterIPs()).containsExactly("127.96.0.1");
    assertThat(kubernetes.getSpec().getType()).isEqualTo("ClusterIP");
    assertThat(kubernetes.getSpec().getSelector()).isNullOrEmpty();
    assertThat(kubernetes.getMetadata().getLabels())
        .containsEntry("component", "apiserver")
        .containsEntry("provider", "kubernetes");
    assertThat(kubernetes.getSpec().getPorts())
        .extracting(
            ServicePort::getName,
            ServicePort::getPort,
            ServicePort::getProtocol,
            p -> p.getTargetPort().getIntVal())
        .containsExactly(Tuple.tuple("https", 443, "TCP", 6443));
  }

  @Test
  void kubeDnsIsTheTenthAddressWithTheCoreDnsPorts() {
    ClusterBootstrap.apply(
        store, AddressPlan.defaults().withServiceCidr(Cidr.parse("10.96.0.0/12")));

    Service dns = store.get(Service.class, "kube-system", "kube-dns").orElseThrow();
    assertThat(dns.getSpec().getClusterIP()).isEqualTo("10.96.0.10");
    assertThat(dns.getSpec().getSelector())
        .containsExactlyEntriesOf(java.util.Map.of("k8s-app", "kube-dns"));
    assertThat(dns.getMetadata().getLabels())
        .containsEntry("k8s-app", "kube-dns")
        .containsEntry("kubernetes.io/name", "CoreDNS");
    assertThat(dns.getSpec().getPorts())
        .extracting(
            ServicePort::getName,
            ServicePort::getPort,
            ServicePort::getProtocol,
            p -> p.getTargetPort().getIntVal())
        .containsExactly(
            Tuple.tuple("dns", 53, "UDP", 53),
            Tuple.tuple("dns-tcp", 53, "TCP", 53),
            Tuple.tuple("metrics", 9153, "TCP", 9153));
    assertThat(
            store
                .get(Service.class, "default", "kubernetes")
                .orElseThrow()
                .getSpec()
                .getClusterIP())
        .isEqualTo("10.96.0.1");
  }

  @Test
  void applyingTwiceChangesNothing() {
    ClusterBootstrap.apply(store, AddressPlan.defaults());
    long version = store.resourceVersion();

    ClusterBootstrap.apply(store, AddressPlan.defaults());

    assertThat(store.resourceVersion()).isEqualTo(version);
  }
}
