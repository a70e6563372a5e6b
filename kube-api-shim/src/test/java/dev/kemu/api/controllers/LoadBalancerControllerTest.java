package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ClusterObjects.NAMESPACE;
import static dev.kemu.api.controllers.ClusterObjects.port;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.IpLiterals;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LoadBalancerControllerTest {
  private static final AddressPlan PLAN = AddressPlan.defaults();

  @RegisterExtension final ClusterObjects objects = new ClusterObjects();
  private final ResourceStore store = objects.store();
  private LoadBalancerController controller;

  @BeforeEach
  void start() {
    controller = objects.start(new LoadBalancerController(store, PLAN));
  }

  /** A LoadBalancer Service, further edited. */
  private Service loadBalancer(String name, UnaryOperator<Service> edit, ServicePort... ports) {
    return objects.service(
        name,
        name,
        s -> {
          s.getSpec().setType("LoadBalancer");
          return edit.apply(s);
        },
        ports.length == 0 ? new ServicePort[] {port("http", 80, 8080)} : ports);
  }

  private Service loadBalancer(String name) {
    return loadBalancer(name, s -> s);
  }

  private static UnaryOperator<Service> annotate(String key, String value) {
    return s -> {
      s.getMetadata().getAnnotations().put(key, value);
      return s;
    };
  }

  /** The addresses in the status of a Service, or an empty list while it is pending. */
  private List<String> ingress(String name) {
    Service service = store.get(Service.class, NAMESPACE, name).orElseThrow();
    if (service.getStatus() == null || service.getStatus().getLoadBalancer() == null) {
      return List.of();
    }
    return service.getStatus().getLoadBalancer().getIngress().stream()
        .map(LoadBalancerIngress::getIp)
        .toList();
  }

  record RequestCase(String rule, UnaryOperator<Service> edit, List<String> expected) {
    @Override
    public String toString() {
      return rule;
    }
  }

  static Stream<Arguments> requestCases() {
    return Stream.of(
            new RequestCase(
                "no request: the lowest usable address of the pool (AllocateFromPool)",
                s -> s,
                List.of("127.200.0.1")),
            new RequestCase(
                "spec.loadBalancerIP inside the pool is honoured",
                s -> {
                  s.getSpec().setLoadBalancerIP("127.200.3.4");
                  return s;
                },
                List.of("127.200.3.4")),
            new RequestCase(
                "metallb.io/loadBalancerIPs inside the pool is honoured",
                annotate("metallb.io/loadBalancerIPs", "127.200.3.5"),
                List.of("127.200.3.5")),
            new RequestCase(
                "deprecated metallb.universe.tf/loadBalancerIPs is still read",
                annotate("metallb.universe.tf/loadBalancerIPs", "127.200.3.6"),
                List.of("127.200.3.6")),
            new RequestCase(
                "spec.loadBalancerIP outside the pool stays pending (is not allowed in config)",
                s -> {
                  s.getSpec().setLoadBalancerIP("10.0.0.7");
                  return s;
                },
                List.of()),
            new RequestCase(
                "metallb.io/loadBalancerIPs outside the pool stays pending",
                annotate("metallb.io/loadBalancerIPs", "192.0.2.1"),
                List.of()),
            new RequestCase(
                "annotation and spec.loadBalancerIP together stay pending (can not have both)",
                s -> {
                  s.getSpec().setLoadBalancerIP("127.200.3.4");
                  s.getMetadata().getAnnotations().put("metallb.io/loadBalancerIPs", "127.200.3.4");
                  return s;
                },
                List.of()),
            new RequestCase(
                "unparsable metallb.io/loadBalancerIPs stays pending",
                annotate("metallb.io/loadBalancerIPs", "127.200.3.x"),
                List.of()),
            new RequestCase(
                "the pool's network address is never given out",
                s -> {
                  s.getSpec().setLoadBalancerIP("127.200.0.0");
                  return s;
                },
                List.of()),
            new RequestCase(
                "loadBalancerClass kemu.dev/loadbalancer is kemu's",
                s -> {
                  s.getSpec().setLoadBalancerClass("kemu.dev/loadbalancer");
                  return s;
                },
                List.of("127.200.0.1")),
            new RequestCase(
                "another loadBalancerClass is left pending for its implementation",
                s -> {
                  s.getSpec().setLoadBalancerClass("example.com/cloud-lb");
                  return s;
                },
                List.of()))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("requestCases")
  void addressRequests(RequestCase c) {
    loadBalancer("web", c.edit());
    objects.await(controller);

    assertThat(ingress("web")).isEqualTo(c.expected());
  }

  @Test
  void statusCarriesTheAddressWithIpModeVip() {
    loadBalancer("web");
    objects.await(controller);

    Service service = store.get(Service.class, NAMESPACE, "web").orElseThrow();
    LoadBalancerIngress ingress = service.getStatus().getLoadBalancer().getIngress().get(0);
    assertThat(ingress.getIp()).isEqualTo("127.200.0.1");
    assertThat(ingress.getIpMode()).isEqualTo("VIP");
    assertThat(ingress.getHostname()).isNull();
  }

  @Test
  void clusterIpServicesGetNothing() {
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    assertThat(ingress("web")).isEmpty();
  }

  @Test
  void firstSyncAllocatesInNamespaceNameOrderWhateverTheWriteOrder() throws Exception {
    controller.close();
    loadBalancer("charlie");
    loadBalancer("alpha");
    loadBalancer("bravo");

    controller = objects.start(new LoadBalancerController(store, PLAN));
    objects.await(controller);

    assertThat(List.of(ingress("alpha"), ingress("bravo"), ingress("charlie")))
        .containsExactly(List.of("127.200.0.1"), List.of("127.200.0.2"), List.of("127.200.0.3"));
  }

  @Test
  void afterTheFirstSyncAllocationFollowsEventOrder() {
    loadBalancer("zulu");
    objects.await(controller);
    loadBalancer("alpha");
    objects.await(controller);

    assertThat(ingress("zulu")).containsExactly("127.200.0.1");
    assertThat(ingress("alpha")).containsExactly("127.200.0.2");
  }

  @Test
  void addressesSurviveResyncsAndRestarts() throws Exception {
    loadBalancer("mike");
    loadBalancer("november");
    objects.await(controller);
    assertThat(ingress("mike")).containsExactly("127.200.0.1");
    assertThat(ingress("november")).containsExactly("127.200.0.2");

    // A spec change is a resync of that Service: the address stays.
    objects.edit(
        Service.class, "november", s -> s.getSpec().getPorts().add(port("https", 443, 8443)));
    objects.await(controller);
    assertThat(ingress("november")).containsExactly("127.200.0.2");

    // A restart with a new Service that sorts first: the existing addresses are taken back first.
    controller.close();
    loadBalancer("alpha");
    controller = objects.start(new LoadBalancerController(store, PLAN));
    objects.await(controller);

    assertThat(ingress("mike")).containsExactly("127.200.0.1");
    assertThat(ingress("november")).containsExactly("127.200.0.2");
    assertThat(ingress("alpha")).containsExactly("127.200.0.3");
  }

  @Test
  void takenAddressStaysPendingUntilReleased() {
    loadBalancer("first");
    objects.await(controller);
    loadBalancer(
        "second",
        s -> {
          s.getSpec().setLoadBalancerIP("127.200.0.1");
          return s;
        });
    objects.await(controller);
    assertThat(ingress("second")).isEmpty();

    objects.deleteService("first");
    objects.await(controller);

    assertThat(ingress("second")).containsExactly("127.200.0.1");
  }

  @Test
  void deletionReleasesTheAddressForTheNextService() {
    loadBalancer("first");
    loadBalancer("second");
    objects.await(controller);

    objects.deleteService("first");
    objects.await(controller);
    loadBalancer("third");
    objects.await(controller);

    assertThat(ingress("third")).containsExactly("127.200.0.1");
    assertThat(ingress("second")).containsExactly("127.200.0.2");
  }

  @Test
  void typeChangeAwayFromLoadBalancerReleasesAndClearsTheStatus() {
    loadBalancer("web");
    objects.await(controller);
    assertThat(ingress("web")).containsExactly("127.200.0.1");

    objects.edit(Service.class, "web", s -> s.getSpec().setType("ClusterIP"));
    objects.await(controller);
    assertThat(ingress("web")).isEmpty();

    loadBalancer("next");
    objects.await(controller);
    assertThat(ingress("next")).containsExactly("127.200.0.1");
  }

  @Test
  void changingTheRequestedAddressMovesTheService() {
    loadBalancer("web");
    objects.await(controller);
    assertThat(ingress("web")).containsExactly("127.200.0.1");

    objects.edit(
        Service.class,
        "web",
        s -> s.getMetadata().getAnnotations().put("metallb.io/loadBalancerIPs", "127.200.9.9"));
    objects.await(controller);
    assertThat(ingress("web")).containsExactly("127.200.9.9");

    loadBalancer("other");
    objects.await(controller);
    assertThat(ingress("other")).containsExactly("127.200.0.1");
  }

  record SharingCase(
      String rule,
      String keyA,
      String keyB,
      int portB,
      String requestB,
      boolean localPolicyB,
      List<String> expectedB) {
    @Override
    public String toString() {
      return rule;
    }
  }

  static Stream<Arguments> sharingCases() {
    return Stream.of(
            new SharingCase(
                "same allow-shared-ip key, other port: the address is shared",
                "dns",
                "dns",
                53,
                null,
                false,
                List.of("127.200.0.1")),
            new SharingCase(
                "same key requested explicitly, other port: shared",
                "dns",
                "dns",
                53,
                "127.200.0.1",
                false,
                List.of("127.200.0.1")),
            new SharingCase(
                "same key, same port: not shared, the next address is used",
                "dns",
                "dns",
                80,
                null,
                false,
                List.of("127.200.0.2")),
            new SharingCase(
                "same key, same port requested explicitly: pending (port already in use)",
                "dns",
                "dns",
                80,
                "127.200.0.1",
                false,
                List.of()),
            new SharingCase(
                "different keys: not shared",
                "dns",
                "web",
                53,
                null,
                false,
                List.of("127.200.0.2")),
            new SharingCase(
                "different keys requested explicitly: pending (can't change sharing key)",
                "dns",
                "web",
                53,
                "127.200.0.1",
                false,
                List.of()),
            new SharingCase(
                "only one side allows sharing: not shared",
                "",
                "dns",
                53,
                "127.200.0.1",
                false,
                List.of()),
            new SharingCase(
                "externalTrafficPolicy Local with other pods: not shared (backend key)",
                "dns",
                "dns",
                53,
                "127.200.0.1",
                true,
                List.of()))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("sharingCases")
  void sharedAddresses(SharingCase c) {
    loadBalancer(
        "a", c.keyA().isEmpty() ? s -> s : annotate("metallb.io/allow-shared-ip", c.keyA()));
    objects.await(controller);
    loadBalancer(
        "b",
        s -> {
          s.getMetadata().getAnnotations().put("metallb.io/allow-shared-ip", c.keyB());
          if (c.requestB() != null) {
            s.getSpec().setLoadBalancerIP(c.requestB());
          }
          if (c.localPolicyB()) {
            s.getSpec().setExternalTrafficPolicy("Local");
          }
          return s;
        },
        new ServicePort[] {port("p", c.portB(), c.portB())});
    objects.await(controller);

    assertThat(ingress("a")).containsExactly("127.200.0.1");
    assertThat(ingress("b")).isEqualTo(c.expectedB());
  }

  @Test
  void sharedAddressIsReleasedOnlyWhenItsLastUserGoes() {
    loadBalancer("a", annotate("metallb.io/allow-shared-ip", "k"));
    loadBalancer("b", annotate("metallb.io/allow-shared-ip", "k"), port("dns", 53, 53));
    objects.await(controller);
    assertThat(ingress("b")).containsExactly("127.200.0.1");

    objects.deleteService("a");
    objects.await(controller);
    loadBalancer("c");
    objects.await(controller);
    assertThat(ingress("c")).containsExactly("127.200.0.2");

    objects.deleteService("b");
    objects.await(controller);
    loadBalancer("d");
    objects.await(controller);
    assertThat(ingress("d")).containsExactly("127.200.0.1");
  }

  @Test
  void addressHeldByAnotherUserOfTheSamePoolIsTaken() throws Exception {
    controller.close();
    IpAllocator shared = new IpAllocator(Cidr.parse("127.201.0.0/24"), 0);
    shared.allocate(IpLiterals.parse("127.201.0.1"));
    controller = objects.start(new LoadBalancerController(store, shared));

    loadBalancer("auto");
    loadBalancer(
        "asks",
        s -> {
          s.getSpec().setLoadBalancerIP("127.201.0.1");
          return s;
        });
    objects.await(controller);

    assertThat(ingress("auto")).containsExactly("127.201.0.2");
    assertThat(ingress("asks")).isEmpty();
  }

  @Test
  void exhaustedPoolLeavesTheRestPending() throws Exception {
    controller.close();
    controller =
        objects.start(
            new LoadBalancerController(store, new IpAllocator(Cidr.parse("127.201.0.0/30"), 0)));

    loadBalancer("a");
    objects.await(controller);
    loadBalancer("b");
    objects.await(controller);
    loadBalancer("c");
    objects.await(controller);

    // A /30 has two usable addresses.
    assertThat(ingress("a")).containsExactly("127.201.0.1");
    assertThat(ingress("b")).containsExactly("127.201.0.2");
    assertThat(ingress("c")).isEmpty();

    objects.deleteService("a");
    objects.await(controller);
    assertThat(ingress("c")).containsExactly("127.201.0.1");
  }
}
