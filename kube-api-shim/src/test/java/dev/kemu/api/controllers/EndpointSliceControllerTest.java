package dev.kemu.api.controllers;

import static dev.kemu.api.controllers.ClusterObjects.NAMESPACE;
import static dev.kemu.api.controllers.ClusterObjects.containerPort;
import static dev.kemu.api.controllers.ClusterObjects.port;
import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EndpointSliceControllerTest {
  @RegisterExtension final ClusterObjects objects = new ClusterObjects();
  private final ResourceStore store = objects.store();
  private EndpointSliceController controller;

  @BeforeEach
  void start() {
    controller = objects.start(new EndpointSliceController(store));
  }

  @Test
  void threeReadyPodsMakeOneSliceWithThreeReadyEndpoints() {
    for (int i = 1; i <= 3; i++) {
      objects.pod("web-" + i, "web", "127.244.0." + i, true, containerPort("http", 8080));
    }
    Service service = objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).hasSize(1);
    EndpointSlice slice = slices.get(0);
    assertThat(slice.getMetadata().getName()).matches("web-[bcdfghjklmnpqrstvwxz2456789]{5}");
    assertThat(slice.getMetadata().getGenerateName()).isEqualTo("web-");
    assertThat(slice.getMetadata().getLabels())
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "kubernetes.io/service-name", "web",
                "endpointslice.kubernetes.io/managed-by", "endpointslice-controller.k8s.io",
                "team", "checkout"));
    OwnerReference owner = slice.getMetadata().getOwnerReferences().get(0);
    assertThat(slice.getMetadata().getOwnerReferences()).hasSize(1);
    assertThat(owner.getApiVersion()).isEqualTo("v1");
    assertThat(owner.getKind()).isEqualTo("Service");
    assertThat(owner.getName()).isEqualTo("web");
    assertThat(owner.getUid()).isEqualTo(service.getMetadata().getUid());
    assertThat(owner.getController()).isTrue();
    assertThat(owner.getBlockOwnerDeletion()).isTrue();
    assertThat(slice.getAddressType()).isEqualTo("IPv4");
    assertThat(slice.getPorts())
        .extracting(EndpointPort::getName, EndpointPort::getPort, EndpointPort::getProtocol)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 8080, "TCP"));
    assertThat(slice.getEndpoints())
        .extracting(e -> e.getAddresses().get(0))
        .containsExactly("127.244.0.1", "127.244.0.2", "127.244.0.3");
    for (Endpoint endpoint : slice.getEndpoints()) {
      assertThat(endpoint.getConditions().getReady()).isTrue();
      assertThat(endpoint.getConditions().getServing()).isTrue();
      assertThat(endpoint.getConditions().getTerminating()).isFalse();
      assertThat(endpoint.getNodeName()).isEqualTo("kemu-node");
      assertThat(endpoint.getZone()).isNull();
      assertThat(endpoint.getHostname()).isNull();
      assertThat(endpoint.getTargetRef().getKind()).isEqualTo("Pod");
      assertThat(endpoint.getTargetRef().getNamespace()).isEqualTo(NAMESPACE);
    }
    Pod first = store.get(Pod.class, NAMESPACE, "web-1").orElseThrow();
    assertThat(slice.getEndpoints().get(0).getTargetRef().getName()).isEqualTo("web-1");
    assertThat(slice.getEndpoints().get(0).getTargetRef().getUid())
        .isEqualTo(first.getMetadata().getUid());
    // A new Service's trigger time is its creation (trigger_time_tracker.go).
    assertThat(slice.getMetadata().getAnnotations())
        .containsEntry(
            "endpoints.kubernetes.io/last-change-trigger-time",
            service.getMetadata().getCreationTimestamp());
  }

  @Test
  void scalingDownRemovesEndpointsFromTheSameSlice() {
    for (int i = 1; i <= 3; i++) {
      objects.pod("web-" + i, "web", "127.244.0." + i, true, containerPort("http", 8080));
    }
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    String name = objects.slices("web").get(0).getMetadata().getName();

    objects.deletePod("web-2");
    objects.deletePod("web-3");
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).extracting(s -> s.getMetadata().getName()).containsExactly(name);
    assertThat(slices.get(0).getEndpoints())
        .extracting(e -> e.getTargetRef().getName())
        .containsExactly("web-1");
  }

  @Test
  void readinessChangeUpdatesTheEndpointInPlaceAndSetsTheTriggerTime() {
    objects.pod("web-1", "web", "127.244.0.1", true, containerPort("http", 8080));
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    EndpointSlice before = objects.slices("web").get(0);

    Instant probeFailed = Instant.parse("2026-02-03T04:05:06Z");
    objects.setReady("web-1", false, probeFailed);
    objects.await(controller);

    EndpointSlice after = objects.slices("web").get(0);
    assertThat(after.getMetadata().getName()).isEqualTo(before.getMetadata().getName());
    assertThat(after.getEndpoints().get(0).getConditions().getReady()).isFalse();
    assertThat(after.getEndpoints().get(0).getConditions().getServing()).isFalse();
    assertThat(after.getMetadata().getAnnotations())
        .containsEntry("endpoints.kubernetes.io/last-change-trigger-time", "2026-02-03T04:05:06Z");
  }

  /** One pod, one Service; the expected endpoint, or null for none. */
  record ConditionCase(
      String rule,
      boolean publishNotReady,
      String phase,
      String ip,
      boolean podReady,
      boolean terminating,
      Boolean ready,
      Boolean serving,
      Boolean expectTerminating) {
    @Override
    public String toString() {
      return rule;
    }
  }

  static Stream<Arguments> conditionCases() {
    return Stream.of(
            new ConditionCase(
                "ready pod: ready, serving, not terminating (podToEndpoint)",
                false,
                "Running",
                "127.244.0.9",
                true,
                false,
                true,
                true,
                false),
            new ConditionCase(
                "not-ready pod: ready=false, serving=false (serving is the Ready condition)",
                false,
                "Running",
                "127.244.0.9",
                false,
                false,
                false,
                false,
                false),
            new ConditionCase(
                "terminating ready pod: serving stays true, ready=false (ready never true while"
                    + " terminating)",
                false,
                "Running",
                "127.244.0.9",
                true,
                true,
                false,
                true,
                true),
            new ConditionCase(
                "terminating not-ready pod: ready=false, serving=false, terminating=true",
                false,
                "Running",
                "127.244.0.9",
                false,
                true,
                false,
                false,
                true),
            new ConditionCase(
                "publishNotReadyAddresses: not-ready pod is ready=true, serving=false",
                true,
                "Running",
                "127.244.0.9",
                false,
                false,
                true,
                false,
                false),
            new ConditionCase(
                "publishNotReadyAddresses: terminating pod is still ready=true",
                true,
                "Running",
                "127.244.0.9",
                true,
                true,
                true,
                true,
                true),
            new ConditionCase(
                "pending pod with an IP is included (ShouldPodBeInEndpoints checks terminal phase"
                    + " only)",
                false,
                "Pending",
                "127.244.0.9",
                false,
                false,
                false,
                false,
                false),
            new ConditionCase(
                "pod without an IP has no endpoint (ShouldPodBeInEndpoints)",
                false,
                "Pending",
                null,
                false,
                false,
                null,
                null,
                null),
            new ConditionCase(
                "Succeeded pod has no endpoint (terminal phase)",
                false,
                "Succeeded",
                "127.244.0.9",
                false,
                false,
                null,
                null,
                null),
            new ConditionCase(
                "Failed pod has no endpoint even with publishNotReadyAddresses (terminal phase)",
                true,
                "Failed",
                "127.244.0.9",
                false,
                false,
                null,
                null,
                null))
        .map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conditionCases")
  void endpointConditions(ConditionCase c) {
    objects.serviceWithOnePod(
        c.publishNotReady(), c.phase(), c.ip(), c.podReady(), c.terminating());
    if (c.terminating()) {
      assertThat(store.get(Pod.class, NAMESPACE, "web-1").orElseThrow().getMetadata())
          .extracting(m -> m.getDeletionTimestamp())
          .isNotNull();
    }
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).hasSize(1);
    List<Endpoint> endpoints = slices.get(0).getEndpoints();
    if (c.ready() == null) {
      assertThat(endpoints).isEmpty();
      return;
    }
    assertThat(endpoints).hasSize(1);
    assertThat(endpoints.get(0).getAddresses()).containsExactly(c.ip());
    assertThat(endpoints.get(0).getConditions().getReady()).isEqualTo(c.ready());
    assertThat(endpoints.get(0).getConditions().getServing()).isEqualTo(c.serving());
    assertThat(endpoints.get(0).getConditions().getTerminating()).isEqualTo(c.expectTerminating());
  }

  @Test
  void namedTargetPortResolvedPerPodGroupsPodsBySlicePorts() {
    objects.pod("api-a", "api", "127.244.0.1", true, containerPort("http", 8080));
    objects.pod("api-b", "api", "127.244.0.2", true, containerPort("http", 9090));
    objects.pod("api-c", "api", "127.244.0.3", true, containerPort("http", 8080));
    objects.pod("api-d", "api", "127.244.0.4", true, containerPort("metrics", 9100));
    objects.service("api", "api", port("web", 80, "http"));
    objects.await(controller);

    // One slice per distinct set of resolved ports; a pod without the named port gets a slice
    // without that port (getEndpointPorts skips it).
    Map<String, List<String>> byPorts =
        objects.slices("api").stream()
            .collect(
                java.util.stream.Collectors.toMap(
                    s ->
                        s.getPorts().stream()
                            .map(p -> p.getName() + "/" + p.getPort() + "/" + p.getProtocol())
                            .toList()
                            .toString(),
                    s -> s.getEndpoints().stream().map(e -> e.getTargetRef().getName()).toList()));
    assertThat(byPorts)
        .containsExactlyInAnyOrderEntriesOf(
            Map.of(
                "[web/8080/TCP]", List.of("api-a", "api-c"),
                "[web/9090/TCP]", List.of("api-b"),
                "[]", List.of("api-d")));
  }

  @Test
  void headlessServiceSetsHostnameForPodsInItsSubdomain() {
    objects.service(
        "db",
        "db",
        s -> {
          s.getSpec().setClusterIP("None");
          s.getSpec().setClusterIPs(List.of("None"));
          return s;
        },
        port("sql", 5432, 5432));
    UnaryOperator<Pod> member =
        p -> {
          p.getSpec().setHostname(p.getMetadata().getName());
          p.getSpec().setSubdomain("db");
          return p;
        };
    UnaryOperator<Pod> elsewhere =
        p -> {
          p.getSpec().setHostname("other");
          p.getSpec().setSubdomain("not-db");
          return p;
        };
    objects.pod("db-0", "db", "127.244.0.1", true, member);
    objects.pod("db-1", "db", "127.244.0.2", true, elsewhere);
    objects.await(controller);

    EndpointSlice slice = objects.slices("db").get(0);
    assertThat(slice.getMetadata().getLabels()).containsEntry("service.kubernetes.io/headless", "");
    assertThat(slice.getEndpoints())
        .extracting(Endpoint::getHostname)
        .containsExactly("db-0", null);
  }

  @Test
  void ipv6ServiceGetsIpv6Slices() {
    objects.service(
        "web6",
        "web",
        s -> {
          s.getSpec().setClusterIP("fd00:96::20");
          s.getSpec().setClusterIPs(List.of("fd00:96::20"));
          s.getSpec().setIpFamilies(List.of("IPv6"));
          return s;
        },
        port("http", 80, 8080));
    objects.pod("web-4", "web", "127.244.0.4", true);
    objects.pod("web-6", "web", "fd00:0244:0:0::6", true);
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web6");
    assertThat(slices).hasSize(1);
    assertThat(slices.get(0).getAddressType()).isEqualTo("IPv6");
    // The IPv4-only pod has no address of the slice's type, so no endpoint.
    assertThat(slices.get(0).getEndpoints())
        .extracting(e -> e.getAddresses().get(0))
        .containsExactly("fd00:244::6");
  }

  @Test
  void serviceWithoutPodsGetsOnePlaceholderSliceThatStays() {
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).hasSize(1);
    assertThat(slices.get(0).getEndpoints()).isEmpty();
    assertThat(slices.get(0).getPorts()).isEmpty();

    // Another change to the Service must not replace the placeholder.
    objects.edit(
        Service.class, "web", s -> s.getMetadata().getAnnotations().put("note", "touched"));
    objects.await(controller);
    assertThat(objects.slices("web"))
        .extracting(s -> s.getMetadata().getName())
        .containsExactly(slices.get(0).getMetadata().getName());
  }

  @Test
  void firstPodFillsThePlaceholderInPlace() {
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    String placeholder = objects.slices("web").get(0).getMetadata().getName();

    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).extracting(s -> s.getMetadata().getName()).containsExactly(placeholder);
    assertThat(slices.get(0).getEndpoints()).hasSize(1);
    assertThat(slices.get(0).getPorts()).extracting(EndpointPort::getPort).containsExactly(8080);
  }

  @Test
  void selectorlessServiceKeepsUserMadeSlices() {
    objects.service("external", null, port("https", 443, 443));
    EndpointSlice userSlice =
        store.create(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("external-1")
                .withNamespace(NAMESPACE)
                .addToLabels("kubernetes.io/service-name", "external")
                .addToLabels("endpointslice.kubernetes.io/managed-by", "staff")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("192.0.2.10")
                .endEndpoint()
                .addNewPort()
                .withName("https")
                .withPort(443)
                .withProtocol("TCP")
                .endPort()
                .build());
    objects.pod("any", "external", "127.244.0.1", true);
    objects.await(controller);

    assertThat(objects.slices("external"))
        .singleElement()
        .satisfies(
            s -> {
              assertThat(s.getMetadata().getName()).isEqualTo("external-1");
              assertThat(s.getMetadata().getResourceVersion())
                  .isEqualTo(userSlice.getMetadata().getResourceVersion());
            });

    objects.deleteService("external");
    objects.await(controller);
    assertThat(objects.slices("external")).hasSize(1);
  }

  @Test
  void deletedServiceLosesItsSlices() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    assertThat(objects.slices("web")).hasSize(1);

    objects.deleteService("web");
    objects.await(controller);

    assertThat(objects.slices("web")).isEmpty();
  }

  @Test
  void sliceDeletedByHandIsRecreated() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    EndpointSlice slice = objects.slices("web").get(0);

    store.delete(
        new ResourceKey(ResourceTypes.ENDPOINT_SLICE, NAMESPACE, slice.getMetadata().getName()));
    objects.await(controller);

    assertThat(objects.slices("web"))
        .singleElement()
        .satisfies(s -> assertThat(s.getEndpoints()).hasSize(1));
  }

  @Test
  void moreThanOneHundredPodsSpreadOverSlicesOfAtMostOneHundred() {
    // The pods exist before the Service, so one reconcile sees all of them and packs them
    // as full as it can; pods arriving in many batches may leave slices less full, as upstream.
    for (int i = 0; i < 250; i++) {
      objects.pod(String.format("web-%03d", i), "web", "127.244.1." + i, true);
    }
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).extracting(s -> s.getEndpoints().size()).allMatch(n -> n <= 100);
    assertThat(slices.stream().mapToInt(s -> s.getEndpoints().size()).sum()).isEqualTo(250);
    assertThat(slices)
        .extracting(s -> s.getEndpoints().size())
        .containsExactlyInAnyOrder(100, 100, 50);
    assertThat(
            slices.stream()
                .flatMap(s -> s.getEndpoints().stream())
                .map(e -> e.getTargetRef().getName())
                .distinct()
                .count())
        .isEqualTo(250);

    // More pods, in whatever batches the informer sees them: still at most 100 per slice.
    for (int i = 0; i < 120; i++) {
      objects.pod(String.format("more-%03d", i), "web", "127.244.2." + i, true);
    }
    objects.await(controller);
    List<EndpointSlice> grown = objects.slices("web");
    assertThat(grown).extracting(s -> s.getEndpoints().size()).allMatch(n -> n <= 100);
    assertThat(
            grown.stream()
                .flatMap(s -> s.getEndpoints().stream())
                .map(e -> e.getTargetRef().getName())
                .distinct()
                .count())
        .isEqualTo(370);
    assertThat(grown.stream().mapToInt(s -> s.getEndpoints().size()).sum()).isEqualTo(370);
  }

  @Test
  void packingIsDeterministicForTheSameSequenceOfWrites() throws Exception {
    List<List<List<String>>> runs = new java.util.ArrayList<>();
    for (int run = 0; run < 2; run++) {
      try (ClusterObjects o = new ClusterObjects()) {
        EndpointSliceController second = o.start(new EndpointSliceController(o.store(), 10));
        o.service("web", "web", port("http", 80, 8080));
        // Packing depends on the order in which changes are seen, as upstream's does, so each
        // write is applied before the next; no randomness may remain.
        for (int i = 0; i < 25; i++) {
          o.pod(String.format("web-%02d", i), "web", "127.244.2." + i, true);
          o.await(second);
        }
        for (int i = 0; i < 25; i += 3) {
          o.deletePod(String.format("web-%02d", i));
          o.await(second);
        }
        o.pod("web-late", "web", "127.244.2.99", true);
        o.await(second);
        runs.add(
            o.slices("web").stream()
                .map(
                    s ->
                        Stream.concat(
                                Stream.of(s.getMetadata().getName()),
                                s.getEndpoints().stream().map(e -> e.getTargetRef().getName()))
                            .toList())
                .toList());
      }
    }
    assertThat(runs.get(0)).hasSize(3).isEqualTo(runs.get(1));
  }

  @Test
  void startingOnExistingStateAdoptsOwnSlicesAndCollectsOrphans() throws Exception {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.service("gone", "gone", port("http", 80, 8080));
    objects.await(controller);
    String webSlice = objects.slices("web").get(0).getMetadata().getName();
    controller.close();

    // While no controller runs, "gone" is deleted: its placeholder slice is orphaned.
    objects.deleteService("gone");
    assertThat(objects.slices("gone")).hasSize(1);

    controller = objects.start(new EndpointSliceController(store));
    objects.await(controller);

    assertThat(objects.slices("gone")).isEmpty();
    assertThat(objects.slices("web"))
        .extracting(s -> s.getMetadata().getName())
        .containsExactly(webSlice);
  }

  @Test
  void targetPortChangeRewritesTheSliceUnderItsName() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);
    String name = objects.slices("web").get(0).getMetadata().getName();

    // The old slice's ports are no longer wanted, a new one is: finalize turns the create into
    // an update of the slice it would delete.
    objects.edit(Service.class, "web", s -> s.getSpec().setPorts(List.of(port("http", 80, 9090))));
    objects.await(controller);

    List<EndpointSlice> slices = objects.slices("web");
    assertThat(slices).extracting(s -> s.getMetadata().getName()).containsExactly(name);
    assertThat(slices.get(0).getPorts()).extracting(EndpointPort::getPort).containsExactly(9090);
    assertThat(slices.get(0).getEndpoints()).hasSize(1);
  }

  @Test
  void serviceLabelsAreMirroredOntoItsSlices() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);

    objects.edit(
        Service.class,
        "web",
        s -> s.getMetadata().setLabels(Map.of("team", "payments", "tier", "front")));
    objects.await(controller);

    assertThat(objects.slices("web").get(0).getMetadata().getLabels())
        .containsEntry("team", "payments")
        .containsEntry("tier", "front")
        .containsEntry("kubernetes.io/service-name", "web");
  }

  @Test
  void podRelabelledOutOfTheSelectorLeavesTheSlice() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.pod("web-2", "web", "127.244.0.2", true);
    objects.service("web", "web", port("http", 80, 8080));
    objects.await(controller);

    objects.edit(Pod.class, "web-2", p -> p.getMetadata().setLabels(Map.of("app", "debug")));
    objects.await(controller);

    assertThat(objects.slices("web").get(0).getEndpoints())
        .extracting(e -> e.getTargetRef().getName())
        .containsExactly("web-1");
  }

  @Test
  void externalNameServiceGetsNoSlices() {
    objects.pod("web-1", "web", "127.244.0.1", true);
    objects.service(
        "alias",
        "web",
        s -> {
          s.getSpec().setType("ExternalName");
          s.getSpec().setExternalName("example.com");
          return s;
        },
        port("http", 80, 8080));
    objects.await(controller);

    assertThat(objects.slices("alias")).isEmpty();
  }
}
