package dev.kemu.proxy.service;

import static dev.kemu.proxy.service.ProxyFixture.Ep;
import static dev.kemu.proxy.service.ProxyFixture.service;
import static dev.kemu.proxy.service.ProxyFixture.slice;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.IpLiterals;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The pure Service + EndpointSlices → routes translation, with objects only. */
class ServiceRouteBuilderTest {
  private final ServiceRouteBuilder builder =
      new ServiceRouteBuilder("kemu-node", IpLiterals.parse("127.0.0.1"));

  static Stream<Arguments> categorization() {
    return Stream.of(
        Arguments.of(
            "topology.go: ready endpoints are used",
            List.of(Ep.ready("10.0.0.1"), Ep.notReady("10.0.0.2")),
            List.of("10.0.0.1"),
            true),
        Arguments.of(
            "topology.go: with no ready endpoint, fall back to serving-terminating ones",
            List.of(Ep.notReady("10.0.0.1"), Ep.servingTerminating("10.0.0.2")),
            List.of("10.0.0.2"),
            true),
        Arguments.of(
            "topology.go: ready endpoints win over serving-terminating ones",
            List.of(Ep.ready("10.0.0.1"), Ep.servingTerminating("10.0.0.2")),
            List.of("10.0.0.1"),
            true),
        Arguments.of(
            "topology.go: terminating but not serving is never used",
            List.of(new Ep("10.0.0.1", false, false, true, "kemu-node")),
            List.of(),
            false),
        Arguments.of(
            "endpointslicecache.go: unset conditions mean ready and serving",
            List.of(new Ep("10.0.0.1", true, true, false, null)),
            List.of("10.0.0.1"),
            true));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("categorization")
  void categorizesEndpointsAsKubeProxyDoes(
      String rule, List<Ep> endpoints, List<String> used, boolean hasAny) {
    var routes =
        builder.build(
            service("svc", "10.96.0.1", 80),
            List.of(slice("svc", 8080, endpoints.toArray(Ep[]::new))));
    var sets = ServiceRouteBuilder.categorize(routes.ports().get(0).endpoints());

    assertThat(sets.cluster())
        .extracting(e -> e.address().getHostAddress())
        .containsExactlyElementsOf(used);
    assertThat(sets.hasAny()).isEqualTo(hasAny);
  }

  @Test
  void unsetConditionsAreReadAsKubeProxyReadsThem() {
    var slice = slice("svc", 8080, Ep.ready("10.0.0.1"));
    slice.getEndpoints().get(0).setConditions(null);
    var endpoint =
        builder
            .build(service("svc", "10.96.0.1", 80), List.of(slice))
            .ports()
            .get(0)
            .endpoints()
            .get(0);

    assertThat(endpoint.ready()).isTrue();
    assertThat(endpoint.serving()).isTrue();
    assertThat(endpoint.terminating()).isFalse();
  }

  static Stream<Arguments> portals() {
    return Stream.of(
        Arguments.of(
            "ClusterIP: one portal per clusterIPs entry",
            service("s", "10.96.0.1", 80),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP")),
        Arguments.of(
            "NodePort: the ClusterIP and the nodePort on the node address",
            service(
                "s",
                "10.96.0.1",
                80,
                b ->
                    b.editSpec()
                        .withType("NodePort")
                        .editFirstPort()
                        .withNodePort(30007)
                        .endPort()
                        .endSpec()),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP", "NODE_PORT 127.0.0.1:30007/TCP")),
        Arguments.of(
            "ClusterIP: a nodePort on a ClusterIP Service is not a portal",
            service(
                "s",
                "10.96.0.1",
                80,
                b -> b.editSpec().editFirstPort().withNodePort(30007).endPort().endSpec()),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP")),
        Arguments.of(
            "LoadBalancer: status.loadBalancer.ingress IPs, hostnames skipped",
            withIngress(
                service("s", "10.96.0.1", 80, b -> b.editSpec().withType("LoadBalancer").endSpec()),
                "127.200.0.1",
                null),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP", "LOAD_BALANCER 127.200.0.1:80/TCP")),
        Arguments.of(
            "ClusterIP: status.loadBalancer.ingress of a non-LoadBalancer Service is ignored",
            withIngress(service("s", "10.96.0.1", 80), "127.200.0.1", null),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP")),
        Arguments.of(
            "externalIPs: one portal each",
            service("s", "10.96.0.1", 80, b -> b.editSpec().withExternalIPs("192.0.2.1").endSpec()),
            List.of("CLUSTER_IP 10.96.0.1:80/TCP", "EXTERNAL_IP 192.0.2.1:80/TCP")),
        Arguments.of(
            "ShouldSkipService: headless Services get nothing",
            service("s", "None", 80),
            List.of()),
        Arguments.of(
            "ShouldSkipService: ExternalName Services get nothing (DNS only)",
            service(
                "s",
                "10.96.0.1",
                80,
                b ->
                    b.editSpec()
                        .withType("ExternalName")
                        .withExternalName("example.com")
                        .endSpec()),
            List.of()),
        Arguments.of(
            "UDP ports are UDP portals",
            service(
                "s",
                "10.96.0.1",
                53,
                b -> b.editSpec().editFirstPort().withProtocol("UDP").endPort().endSpec()),
            List.of("CLUSTER_IP 10.96.0.1:53/UDP")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("portals")
  void derivesPortalsFromServiceAddresses(String rule, Service service, List<String> portals) {
    var routes = builder.build(service, List.of());

    assertThat(routes.ports().stream().flatMap(p -> p.portals().stream()))
        .extracting(p -> p.kind() + " " + p.key())
        .containsExactlyElementsOf(portals);
  }

  @Test
  void slicePortsMatchServicePortsByNameAndProtocol() {
    Service service =
        service(
            "multi",
            "10.96.0.1",
            80,
            b ->
                b.editSpec()
                    .addToPorts(
                        new ServicePortBuilder()
                            .withName("dns")
                            .withPort(53)
                            .withProtocol("UDP")
                            .build())
                    .endSpec());
    var routes =
        builder.build(
            service,
            List.of(
                slice("multi", "multi-a", "main", "TCP", 8080, Ep.ready("10.0.0.1")),
                slice("multi", "multi-b", "dns", "UDP", 5353, Ep.ready("10.0.0.2")),
                slice("multi", "multi-c", "dns", "TCP", 5354, Ep.ready("10.0.0.3"))));

    assertThat(routes.ports().get(0).endpoints())
        .extracting(EndpointInfo::socketAddress)
        .containsExactly(new InetSocketAddress("10.0.0.1", 8080));
    assertThat(routes.ports().get(1).endpoints())
        .extracting(EndpointInfo::socketAddress)
        .containsExactly(new InetSocketAddress("10.0.0.2", 5353));
  }

  @Test
  void anEndpointInTwoSlicesIsKeptOncePreferringTheLocalCopy() {
    var routes =
        builder.build(
            service("dup", "10.96.0.1", 80),
            List.of(
                slice(
                    "dup",
                    "dup-a",
                    "main",
                    "TCP",
                    8080,
                    new Ep("10.0.0.1", true, true, false, "other")),
                slice("dup", "dup-b", "main", "TCP", 8080, Ep.ready("10.0.0.1"))));

    assertThat(routes.ports().get(0).endpoints())
        .singleElement()
        .satisfies(e -> assertThat(e.local()).isTrue());
  }

  static Stream<Arguments> problems() {
    return Stream.of(
        Arguments.of(
            "SCTP is rejected with a clear message",
            service(
                "p",
                "10.96.0.1",
                80,
                b -> b.editSpec().editFirstPort().withProtocol("SCTP").endPort().endSpec()),
            "spec.ports[0].protocol: Unsupported value: \"SCTP\": kemu's userspace service proxy serves TCP and UDP only (Java has no portable SCTP sockets); this port gets no portal"),
        Arguments.of(
            "an invalid externalIP is named by its field",
            service("p", "10.96.0.1", 80, b -> b.editSpec().withExternalIPs("not-an-ip").endSpec()),
            "spec.externalIPs[0]: Invalid value: \"not-an-ip\": must be a valid IP address"),
        Arguments.of(
            "an invalid source range is named by its field and ignored",
            service(
                "p",
                "10.96.0.1",
                80,
                b -> b.editSpec().withLoadBalancerSourceRanges("10.0.0.0/33").endSpec()),
            "spec.loadBalancerSourceRanges[0]: Invalid value: \"10.0.0.0/33\": must be a valid CIDR (e.g. 10.0.0.0/8); the range is ignored"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("problems")
  void reportsWhatItCannotServe(String rule, Service service, String message) {
    assertThat(builder.build(service, List.of()).problems())
        .extracting(ServiceRoutes.Problem::message)
        .containsExactly(message);
  }

  @Test
  void clientIpAffinityDefaultsToThreeHours() {
    var route =
        builder
            .build(
                service(
                    "a",
                    "10.96.0.1",
                    80,
                    b -> b.editSpec().withSessionAffinity("ClientIP").endSpec()),
                List.of())
            .ports()
            .get(0);

    assertThat(route.affinitySeconds()).isEqualTo(10800);
  }

  private static Service withIngress(Service service, String ip, String hostname) {
    service.setStatus(
        new io.fabric8.kubernetes.api.model.ServiceStatusBuilder()
            .withNewLoadBalancer()
            .addNewIngress()
            .withIp(ip)
            .endIngress()
            .addNewIngress()
            .withHostname(hostname == null ? "lb.example.com" : hostname)
            .endIngress()
            .endLoadBalancer()
            .build());
    return service;
  }
}
