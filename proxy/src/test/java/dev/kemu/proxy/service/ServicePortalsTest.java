package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.greeting;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static dev.kemu.proxy.service.ServiceProxyTcpTest.assertRefusedAtOnce;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import io.fabric8.kubernetes.api.model.LoadBalancerIngressBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Clock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every kind of Service address is a portal: NodePorts on the node address, LoadBalancer ingress
 * IPs, externalIPs; what gets no portal (ExternalName, headless, SCTP) and what happens when a bind
 * fails. Addresses: node 127.98.2.1, ClusterIPs 127.97.2.x, LoadBalancer IPs 127.200.2.x,
 * externalIPs 127.99.2.x, backends 127.246.2.x.
 */
class ServicePortalsTest {
  private static final String NODE = "127.98.2.1";
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
  void nodePortIsReachableOnTheNodeAddress() throws IOException {
    var backend = fixture.backends.tcp("127.246.2.1", "np");
    fixture.apply(
        service(
            "np",
            "127.97.2.1",
            80,
            b ->
                b.editSpec()
                    .withType("NodePort")
                    .editFirstPort()
                    .withNodePort(30080)
                    .endPort()
                    .endSpec()));
    fixture.apply(slice("np", backend.port(), Ep.ready("127.246.2.1")));

    assertThat(greeting(NODE, 30080)).isEqualTo("np");
    assertThat(greeting("127.97.2.1", 80)).isEqualTo("np");
    assertThat(fixture.proxy.portals())
        .filteredOn(p -> p.servicePort().equals("default/np:main"))
        .extracting(PortalStatus::kind, PortalStatus::address, PortalStatus::state)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                PortalKind.CLUSTER_IP, "127.97.2.1:80/TCP", PortalStatus.State.LISTENING),
            org.assertj.core.groups.Tuple.tuple(
                PortalKind.NODE_PORT, NODE + ":30080/TCP", PortalStatus.State.LISTENING));
  }

  @Test
  void loadBalancerIpFromStatusIsReachable() throws IOException {
    var backend = fixture.backends.tcp("127.246.2.2", "lb");
    fixture.apply(
        service(
            "lb",
            "127.97.2.2",
            8080,
            b ->
                b.editSpec()
                    .withType("LoadBalancer")
                    .editFirstPort()
                    .withNodePort(30081)
                    .endPort()
                    .endSpec()));
    fixture.apply(slice("lb", backend.port(), Ep.ready("127.246.2.2")));
    // Until the LoadBalancer controller writes status.loadBalancer.ingress, only the ClusterIP
    // and the NodePort answer.
    assertRefusedAtOnce("127.200.2.2", 8080);

    Service stored = fixture.store.get(Service.class, "default", "lb").orElseThrow();
    stored.setStatus(new io.fabric8.kubernetes.api.model.ServiceStatus());
    stored
        .getStatus()
        .setLoadBalancer(
            new io.fabric8.kubernetes.api.model.LoadBalancerStatusBuilder()
                .withIngress(
                    new LoadBalancerIngressBuilder()
                        .withIp("127.200.2.2")
                        .withIpMode("VIP")
                        .build())
                .build());
    fixture.store.updateStatus(stored);
    fixture.settle();

    assertThat(greeting("127.200.2.2", 8080)).isEqualTo("lb");
    assertThat(greeting(NODE, 30081)).isEqualTo("lb");
    assertThat(
            fixture
                .store
                .get(Service.class, "default", "lb")
                .orElseThrow()
                .getStatus()
                .getLoadBalancer()
                .getIngress())
        .extracting(i -> i.getIp())
        .containsExactly("127.200.2.2");
  }

  @Test
  void externalIpsArePortals() throws IOException {
    var backend = fixture.backends.tcp("127.246.2.3", "ext");
    fixture.apply(
        service(
            "ext",
            "127.97.2.3",
            80,
            b -> b.editSpec().withExternalIPs("127.99.2.3", "127.99.2.4").endSpec()));
    fixture.apply(slice("ext", backend.port(), Ep.ready("127.246.2.3")));

    assertThat(greeting("127.99.2.3", 80)).isEqualTo("ext");
    assertThat(greeting("127.99.2.4", 80)).isEqualTo("ext");
  }

  @Test
  void externalNameAndHeadlessServicesGetNoPortal() {
    fixture.apply(
        new io.fabric8.kubernetes.api.model.ServiceBuilder()
            .withNewMetadata()
            .withName("cname")
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withType("ExternalName")
            .withExternalName("example.com")
            .withPorts(new ServicePortBuilder().withPort(80).build())
            .endSpec()
            .build());
    fixture.apply(service("headless", "None", 80));

    assertThat(fixture.proxy.portals())
        .extracting(PortalStatus::servicePort)
        .noneMatch(p -> p.startsWith("default/cname") || p.startsWith("default/headless"));
  }

  @Test
  void sctpPortGetsNoPortalAndSaysWhy() throws IOException {
    var backend = fixture.backends.tcp("127.246.2.5", "mixed");
    fixture.apply(
        service(
            "mixed",
            "127.97.2.5",
            80,
            b ->
                b.editSpec()
                    .addToPorts(
                        new ServicePortBuilder()
                            .withName("signalling")
                            .withPort(3868)
                            .withProtocol("SCTP")
                            .build())
                    .endSpec()));
    fixture.apply(slice("mixed", backend.port(), Ep.ready("127.246.2.5")));

    assertThat(greeting("127.97.2.5", 80)).isEqualTo("mixed");
    assertThat(fixture.proxy.portals())
        .filteredOn(p -> p.servicePort().equals("default/mixed:signalling"))
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.state()).isEqualTo(PortalStatus.State.UNSUPPORTED);
              assertThat(p.detail())
                  .startsWith("spec.ports[1].protocol: Unsupported value: \"SCTP\":")
                  .contains("TCP and UDP only");
            });
  }

  @Test
  void aPortalThatCannotBindSaysSoAndTheRestKeepsWorking() throws IOException {
    var backend = fixture.backends.tcp("127.246.2.6", "busy");
    try (ServerSocket squatter = new ServerSocket()) {
      squatter.bind(new InetSocketAddress("127.99.2.6", 80));
      fixture.apply(
          service(
              "busy", "127.97.2.6", 80, b -> b.editSpec().withExternalIPs("127.99.2.6").endSpec()));
      fixture.apply(slice("busy", backend.port(), Ep.ready("127.246.2.6")));

      assertThat(greeting("127.97.2.6", 80)).isEqualTo("busy");
      assertThat(fixture.proxy.portals())
          .filteredOn(p -> p.address().equals("127.99.2.6:80/TCP"))
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.state()).isEqualTo(PortalStatus.State.BIND_FAILED);
                assertThat(p.detail())
                    .isEqualTo(
                        "cannot listen on 127.99.2.6:80/TCP (externalIP): address already in use:"
                            + " another process listens there; stop it or choose another address"
                            + " or port. Everything else keeps working.");
              });
      assertThat(fixture.proxy.scrape()).contains("kemu_proxy_portal_bind_failures 1.0");
    }
    // The next sync tries again and succeeds once the address is free.
    fixture.apply(
        service(
            "busy",
            "127.97.2.6",
            80,
            b ->
                b.editSpec()
                    .withExternalIPs("127.99.2.6")
                    .endSpec()
                    .editMetadata()
                    .addToAnnotations("retry", "1")
                    .endMetadata()));
    assertThat(greeting("127.99.2.6", 80)).isEqualTo("busy");
  }

  @Test
  void privilegedPortMessageGivesTheFix() {
    String message =
        BindFailure.describe(
            new PortalKey(
                L4Protocol.TCP, dev.kemu.api.registry.IpLiterals.parse("127.200.2.80"), 80),
            PortalKind.LOAD_BALANCER,
            new java.net.SocketException("bind(..) failed: Permission denied"));

    assertThat(message)
        .startsWith("cannot listen on 127.200.2.80:80/TCP (LoadBalancer): permission denied:")
        .contains("sysctl net.ipv4.ip_unprivileged_port_start=0")
        .contains("root")
        .contains("Docker placement")
        .endsWith("Everything else keeps working.");
  }

  @Test
  void twoServicesClaimingOneAddressConflictAndTheFirstKeepsIt() throws IOException {
    var a = fixture.backends.tcp("127.246.2.7", "first");
    var b = fixture.backends.tcp("127.246.2.8", "second");
    fixture.apply(
        service(
            "a-first",
            "127.97.2.7",
            80,
            s -> s.editSpec().withExternalIPs("127.99.2.7").endSpec()));
    fixture.apply(slice("a-first", a.port(), Ep.ready("127.246.2.7")));
    fixture.apply(
        service(
            "b-second",
            "127.97.2.8",
            80,
            s -> s.editSpec().withExternalIPs("127.99.2.7").endSpec()));
    fixture.apply(slice("b-second", b.port(), Ep.ready("127.246.2.8")));

    assertThat(greeting("127.99.2.7", 80)).isEqualTo("first");
    assertThat(greeting("127.97.2.8", 80)).isEqualTo("second");
    assertThat(fixture.proxy.portals())
        .filteredOn(p -> p.state() == PortalStatus.State.CONFLICT)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.servicePort()).isEqualTo("default/b-second:main");
              assertThat(p.detail())
                  .isEqualTo("127.99.2.7:80/TCP is already served by default/a-first:main");
            });
  }

  @Test
  void namedTargetPortsUseEachSlicesPort() throws IOException {
    // Two slices of one Service: the same named port resolves to a different number in each.
    var x = fixture.backends.tcp("127.246.2.9", "x");
    var y = fixture.backends.tcp("127.246.2.10", "y");
    fixture.apply(service("named", "127.97.2.9", 80));
    fixture.apply(slice("named", "named-aaaaa", "main", "TCP", x.port(), Ep.ready("127.246.2.9")));
    fixture.apply(slice("named", "named-bbbbb", "main", "TCP", y.port(), Ep.ready("127.246.2.10")));

    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 4; i++) {
      seen.add(greeting("127.97.2.9", 80));
    }
    assertThat(seen).containsExactlyInAnyOrder("x", "y");
  }
}
