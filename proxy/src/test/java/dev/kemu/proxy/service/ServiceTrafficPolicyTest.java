package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.greeting;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.registry.AddressPlan;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Clock;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Traffic policies on kemu's one node, source ranges, and the source address endpoints see (DESIGN
 * "Identity"). Addresses: node 127.98.3.1, ClusterIPs 127.97.3.x, LoadBalancer IPs 127.200.3.x,
 * backends 127.246.3.x, pod clients 127.244.3.x.
 */
class ServiceTrafficPolicyTest {
  private static final String NODE = "127.98.3.1";
  private static ProxyFixture fixture;

  @BeforeAll
  static void start() {
    fixture = new ProxyFixture(AddressPlan.defaults().withNodeAddress(NODE), Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    fixture.close();
  }

  @Test
  void podTrafficToAClusterIpKeepsThePodIpAndOtherTrafficComesFromTheNode() throws IOException {
    var backend = fixture.backends.tcp("127.246.3.1", "who");
    fixture.apply(service("who", "127.97.3.1", 80));
    fixture.apply(slice("who", backend.port(), Ep.ready("127.246.3.1")));

    assertThat(greetingFrom("127.244.3.7", "127.97.3.1", 80)).isEqualTo("who");
    assertThat(greeting("127.97.3.1", 80)).isEqualTo("who");

    assertThat(backend.sources()).containsExactly("127.244.3.7", NODE);
  }

  @Test
  void hairpinTrafficIsMasqueradedToTheNodeAddress() throws IOException {
    // The pod 127.244.3.8 reaches its own Service and lands on itself.
    var backend = fixture.backends.tcp("127.244.3.8", "self");
    fixture.apply(service("self", "127.97.3.2", 80));
    fixture.apply(slice("self", backend.port(), Ep.ready("127.244.3.8")));

    assertThat(greetingFrom("127.244.3.8", "127.97.3.2", 80)).isEqualTo("self");

    assertThat(backend.sources()).containsExactly(NODE);
  }

  @Test
  void nodePortTrafficIsMasqueradedUnderClusterPolicyAndKeepsPodIpsUnderLocal() throws IOException {
    var backend = fixture.backends.tcp("127.246.3.3", "np");
    fixture.apply(
        service(
            "np",
            "127.97.3.3",
            80,
            b ->
                b.editSpec()
                    .withType("NodePort")
                    .editFirstPort()
                    .withNodePort(30300)
                    .endPort()
                    .endSpec()));
    fixture.apply(slice("np", backend.port(), Ep.ready("127.246.3.3")));
    assertThat(greetingFrom("127.244.3.9", NODE, 30300)).isEqualTo("np");

    fixture.apply(
        service(
            "np",
            "127.97.3.3",
            80,
            b ->
                b.editSpec()
                    .withType("NodePort")
                    .withExternalTrafficPolicy("Local")
                    .editFirstPort()
                    .withNodePort(30300)
                    .endPort()
                    .endSpec()));
    assertThat(greetingFrom("127.244.3.9", NODE, 30300)).isEqualTo("np");

    assertThat(backend.sources()).containsExactly(NODE, "127.244.3.9");
  }

  @Test
  void internalTrafficPolicyLocalUsesOnlyEndpointsOnKemusNodeAndDropsWithoutOne()
      throws IOException {
    var group = fixture.backends.tcpGroup("itp", "127.246.3.4", "127.246.3.5");
    int port = group.get(0).port();
    fixture.apply(
        service(
            "itp",
            "127.97.3.4",
            80,
            b -> b.editSpec().withInternalTrafficPolicy("Local").endSpec()));
    fixture.apply(
        slice(
            "itp",
            port,
            new Ep("127.246.3.4", true, true, false, null),
            new Ep("127.246.3.5", true, true, false, "kemu-node")));

    for (int i = 0; i < 4; i++) {
      assertThat(greeting("127.97.3.4", 80)).isEqualTo("itp-2");
    }

    // Only a hand-written endpoint without kemu's nodeName is left: "has no local endpoints",
    // which kube-proxy drops. The connection gets no answer.
    fixture.apply(slice("itp", port, new Ep("127.246.3.4", true, true, false, null)));
    assertDropped("127.97.3.4", 80, null);
    assertThat(fixture.proxy.scrape())
        .containsPattern(
            "kemu_service_dropped_total\\{protocol=\"TCP\",service_port=\"default/itp:main\"} 1\\.0");
  }

  @Test
  void externalTrafficPolicyLocalShortCircuitsClientsOnTheNodeToClusterEndpoints()
      throws IOException {
    var backend = fixture.backends.tcp("127.246.3.6", "etp");
    fixture.apply(
        service(
            "etp",
            "127.97.3.6",
            80,
            b ->
                b.editSpec()
                    .withType("NodePort")
                    .withExternalTrafficPolicy("Local")
                    .editFirstPort()
                    .withNodePort(30301)
                    .endPort()
                    .endSpec()));
    // The only endpoint is not on kemu's node.
    fixture.apply(
        slice("etp", backend.port(), new Ep("127.246.3.6", true, true, false, "elsewhere")));

    assertThat(greeting(NODE, 30301)).isEqualTo("etp");
    assertThat(greetingFrom("127.244.3.10", NODE, 30301)).isEqualTo("etp");
  }

  @Test
  void loadBalancerSourceRangesDropOtherSources() throws IOException {
    var backend = fixture.backends.tcp("127.246.3.7", "ranges");
    fixture.apply(
        service(
            "ranges",
            "127.97.3.7",
            80,
            b ->
                b.editSpec()
                    .withType("LoadBalancer")
                    .withLoadBalancerSourceRanges("127.0.3.0/24")
                    .endSpec()));
    var stored =
        fixture
            .store
            .get(io.fabric8.kubernetes.api.model.Service.class, "default", "ranges")
            .orElseThrow();
    stored.setStatus(
        new io.fabric8.kubernetes.api.model.ServiceStatusBuilder()
            .withNewLoadBalancer()
            .addNewIngress()
            .withIp("127.200.3.7")
            .endIngress()
            .endLoadBalancer()
            .build());
    fixture.store.updateStatus(stored);
    fixture.apply(slice("ranges", backend.port(), Ep.ready("127.246.3.7")));

    assertThat(greetingFrom("127.0.3.9", "127.200.3.7", 80)).isEqualTo("ranges");
    assertDropped("127.200.3.7", 80, "127.0.4.9");
    // The ClusterIP is not subject to source ranges.
    assertThat(greetingFrom("127.0.4.9", "127.97.3.7", 80)).isEqualTo("ranges");
  }

  private static String greetingFrom(String source, String ip, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(source, 0));
      socket.connect(new InetSocketAddress(ip, port), 2000);
      socket.setSoTimeout(5000);
      return ProxyFixture.readLine(socket);
    }
  }

  /** The connection is accepted (a userspace proxy cannot ignore a SYN) but never answered. */
  private static void assertDropped(String ip, int port, String source) throws IOException {
    try (Socket socket = new Socket()) {
      if (source != null) {
        socket.bind(new InetSocketAddress(source, 0));
      }
      socket.connect(new InetSocketAddress(ip, port), 2000);
      socket.setSoTimeout(300);
      socket.getOutputStream().write("anyone?".getBytes());
      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
    }
    Awaitility.await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(fixture.proxy.scrape())
                    .containsPattern("kemu_service_dropped_total\\{[^}]*} [1-9]"));
  }
}
