package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ClusterObjects.NAMESPACE;
import static dev.kemu.api.controllers.ClusterObjects.containerPort;
import static dev.kemu.api.controllers.ClusterObjects.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.groups.Tuple.tuple;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointPort;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndpointsControllerTest {
  @RegisterExtension final ClusterObjects objects = new ClusterObjects();
  private final ResourceStore store = objects.store();
  private EndpointsController controller;

  @BeforeEach
  void start() {
    controller = objects.start(new EndpointsController(store));
  }

  @Test
  void readyAndNotReadyPodsFillOneSubset() {
    objects.pod("web-1", "web", "127.244.0.1", true, containerPort("http", 8080));
    objects.pod("web-2", "web", "127.244.0.2", false, containerPort("http", 8080));
    objects.pod("web-3", "web", "127.244.0.3", true, containerPort("http", 8080));
    Service service = objects.service("web", "web", port("http", 80, "http"));
    objects.await(controller);

    Endpoints endpoints = objects.endpoints("web");
    assertThat(endpoints.getMetadata().getLabels())
        .containsExactlyEntriesOf(service.getMetadata().getLabels());
    assertThat(endpoints.getMetadata().getAnnotations())
        .containsEntry(
            "endpoints.kubernetes.io/last-change-trigger-time",
            service.getMetadata().getCreationTimestamp());
    assertThat(endpoints.getSubsets()).hasSize(1);
    EndpointSubset subset = endpoints.getSubsets().get(0);
    assertThat(subset.getAddresses())
        .extracting(
            EndpointAddress::getIp, EndpointAddress::getNodeName, a -> a.getTargetRef().getName())
        .containsExactly(
            tuple("127.244.0.1", "kemu-node", "web-1"), tuple("127.244.0.3", "kemu-node", "web-3"));
    assertThat(subset.getNotReadyAddresses())
        .extracting(EndpointAddress::getIp)
        .containsExactly("127.244.0.2");
    assertThat(subset.getPorts())
        .extracting(EndpointPort::getName, EndpointPort::getPort, EndpointPort::getProtocol)
        .containsExactly(tuple("http", 8080, "TCP"));
    Pod pod = store.get(Pod.class, NAMESPACE, "web-1").orElseThrow();
    assertThat(subset.getAddresses().get(0).getTargetRef().getKind()).isEqualTo("Pod");
    assertThat(subset.getAddresses().get(0).getTargetRef().getUid())
        .isEqualTo(pod.getMetadata().getUid());
  }

  record MembershipCase(
      String rule,
      boolean publishNotReady,
      String phase,
      String ip,
      boolean podReady,
      boolean terminating,
      String expected) {
    @Override
    public String toString() {
      return rule;
    }
  }

  static Stream<Arguments> membershipCases() {
    return Stream.of(
            new MembershipCase(
                "ready pod is in addresses",
                false,
                "Running",
                "127.244.0.9",
                true,
                false,
                "addresses"),
            new MembershipCase(
                "not-ready pod is in notReadyAddresses",
                false,
                "Running",
                "127.244.0.9",
                false,
                false,
                "notReadyAddresses"),
            new MembershipCase(
                "terminating pod is left out (ShouldPodBeInEndpoints, includeTerminating=false)",
                false,
                "Running",
                "127.244.0.9",
                true,
                true,
                "none"),
            new MembershipCase(
                "publishNotReadyAddresses: not-ready pod is in addresses",
                true,
                "Running",
                "127.244.0.9",
                false,
                false,
                "addresses"),
            new MembershipCase(
                "publishNotReadyAddresses: terminating pod is kept, in addresses",
                true,
                "Running",
                "127.244.0.9",
                false,
                true,
                "addresses"),
            new MembershipCase(
                "Succeeded pod is left out (terminal phase)",
                true,
                "Succeeded",
                "127.244.0.9",
                false,
                false,
                "none"),
            new MembershipCase(
                "pod without IP is left out", false, "Pending", null, false, false, "none"))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("membershipCases")
  void podMembership(MembershipCase c) {
    objects.serviceWithOnePod(
        c.publishNotReady(), c.phase(), c.ip(), c.podReady(), c.terminating());
    objects.await(controller);

    List<EndpointSubset> subsets = objects.endpoints("web").getSubsets();
    switch (c.expected()) {
      case "none" -> assertThat(subsets).isEmpty();
      case "addresses" -> {
        assertThat(subsets).hasSize(1);
        assertThat(subsets.get(0).getAddresses())
            .extracting(EndpointAddress::getIp)
            .containsExactly(c.ip());
        assertThat(subsets.get(0).getNotReadyAddresses()).isEmpty();
      }
      default -> {
        assertThat(subsets).hasSize(1);
        assertThat(subsets.get(0).getNotReadyAddresses())
            .extracting(EndpointAddress::getIp)
            .containsExactly(c.ip());
        assertThat(subsets.get(0).getAddresses()).isEmpty();
      }
    }
  }

  @Test
  void podsWithDifferentNamedPortNumbersGetSeparateSubsets() {
    objects.pod("api-a", "api", "127.244.0.1", true, containerPort("http", 8080));
    objects.pod("api-b", "api", "127.244.0.2", true, containerPort("http", 9090));
    objects.service("api", "api", port("web", 80, "http"));
    objects.await(controller);

    assertThat(objects.endpoints("api").getSubsets())
        .extracting(s -> s.getPorts().get(0).getPort(), s -> s.getAddresses().get(0).getIp())
        .containsExactly(tuple(8080, "127.244.0.1"), tuple(9090, "127.244.0.2"));
  }

  @Test
  void headlessServiceGetsHostnamesAndTheHeadlessLabel() {
    objects.service(
        "db",
        "db",
        s -> {
          s.getSpec().setClusterIP("None");
          s.getSpec().setClusterIPs(List.of("None"));
          s.getSpec().setPorts(List.of());
          return s;
        });
    objects.pod(
        "db-0",
        "db",
        "127.244.0.1",
        true,
        p -> {
          p.getSpec().setHostname("db-0");
          p.getSpec().setSubdomain("db");
          return p;
        });
    objects.await(controller);

    Endpoints endpoints = objects.endpoints("db");
    assertThat(endpoints.getMetadata().getLabels())
        .containsEntry("service.kubernetes.io/headless", "");
    // A headless Service without ports still lists its pods.
    assertThat(endpoints.getSubsets()).hasSize(1);
    assertThat(endpoints.getSubsets().get(0).getPorts()).isEmpty();
    assertThat(endpoints.getSubsets().get(0).getAddresses())
        .extracting(EndpointAddress::getHostname)
        .containsExactly("db-0");
  }

  @Test
  void selectorlessServiceKeepsUserEndpointsUntilItIsDeleted() {
    objects.service("external", null, port("https", 443, 443));
    Endpoints user =
        store.create(
            new EndpointsBuilder()
                .withNewMetadata()
                .withName("external")
                .withNamespace(NAMESPACE)
                .endMetadata()
                .addNewSubset()
                .addNewAddress()
                .withIp("192.0.2.10")
                .endAddress()
                .addNewPort()
                .withName("https")
                .withPort(443)
                .withProtocol("TCP")
                .endPort()
                .endSubset()
                .build());
    objects.await(controller);
    assertThat(objects.endpoints("external").getMetadata().getResourceVersion())
        .isEqualTo(user.getMetadata().getResourceVersion());

    // syncService deletes the Endpoints of a Service that no longer exists, whoever wrote them.
    objects.deleteService("external");
    objects.await(controller);
    assertThat(objects.endpoints("external")).isNull();
  }

  @Test
  void deletedEndpointsAreRecreatedAndDeletedServiceTakesThemAlong() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);

    store.delete(new ResourceKey(ResourceTypes.ENDPOINTS, NAMESPACE, "web"));
    objects.await(controller);
    assertThat(objects.endpoints("web").getSubsets()).hasSize(1);

    objects.deleteService("web");
    objects.await(controller);
    assertThat(objects.endpoints("web")).isNull();
  }

  @Test
  void leftoverEndpointsWithoutServiceAreDeletedOnStart() throws Exception {
    controller.close();
    store.create(
        new EndpointsBuilder()
            .withNewMetadata()
            .withName("orphan")
            .withNamespace(NAMESPACE)
            .endMetadata()
            .build());
    store.create(
        new EndpointsBuilder()
            .withNewMetadata()
            .withName("lock")
            .withNamespace(NAMESPACE)
            .addToAnnotations("control-plane.alpha.kubernetes.io/leader", "{}")
            .endMetadata()
            .build());

    controller = objects.start(new EndpointsController(store));
    objects.await(controller);

    assertThat(objects.endpoints("orphan")).isNull();
    assertThat(objects.endpoints("lock")).isNotNull();
  }

  @Test
  void endpointsMirrorTheEndpointSlices() throws Exception {
    try (EndpointSliceController slices = new EndpointSliceController(store)) {
      slices.start().get();
      objects.service("web", "web", port("http", 80, "http"));
      objects.pod("web-1", "web", "127.244.0.1", true, containerPort("http", 8080));
      objects.pod("web-2", "web", "127.244.0.2", false, containerPort("http", 8080));
      objects.pod("web-3", "web", "127.244.0.3", true, containerPort("http", 9090));
      objects.pod("web-4", "web", "127.244.0.4", true, containerPort("http", 8080));
      objects.terminate("web-4");
      objects.await(controller);
      objects.await(slices);

      // Per port: ready addresses are the slice endpoints with ready=true, not-ready ones are
      // those neither ready nor terminating (terminating pods are only in the slices).
      Set<String> fromEndpoints = new TreeSet<>();
      for (EndpointSubset subset : objects.endpoints("web").getSubsets()) {
        for (EndpointPort port : subset.getPorts()) {
          subset
              .getAddresses()
              .forEach(a -> fromEndpoints.add(port.getPort() + " ready " + a.getIp()));
          subset
              .getNotReadyAddresses()
              .forEach(a -> fromEndpoints.add(port.getPort() + " not-ready " + a.getIp()));
        }
      }
      Set<String> fromSlices = new TreeSet<>();
      for (EndpointSlice slice : objects.slices("web")) {
        for (var port : slice.getPorts()) {
          slice.getEndpoints().stream()
              .filter(e -> !e.getConditions().getTerminating())
              .forEach(
                  e ->
                      fromSlices.add(
                          port.getPort()
                              + (e.getConditions().getReady() ? " ready " : " not-ready ")
                              + e.getAddresses().get(0)));
        }
      }
      assertThat(fromEndpoints)
          .isEqualTo(fromSlices)
          .containsExactly(
              "8080 not-ready 127.244.0.2", "8080 ready 127.244.0.1", "9090 ready 127.244.0.3");
      assertThat(
              objects.slices("web").stream()
                  .flatMap(s -> s.getEndpoints().stream())
                  .filter(e -> e.getConditions().getTerminating())
                  .map(e -> e.getAddresses().get(0))
                  .collect(Collectors.toList()))
          .containsExactly("127.244.0.4");
    }
  }
}
