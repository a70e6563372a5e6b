package dev.kemu.api.registry;

import static dev.kemu.api.registry.RegistryFixture.messages;
import static dev.kemu.api.registry.RegistryFixture.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.ApiException;
import dev.kemu.api.store.ResourceStore;
import dev.kemu.api.store.WriteOptions;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * ClusterIP and NodePort allocation in the write path, as {@code
 * pkg/registry/core/service/storage/alloc.go}: deterministic, honouring or rejecting requests with
 * the apiserver's messages, undone when a write fails or is a dry run, kept across updates,
 * released on type changes and deletes.
 */
class ServiceAllocationTest {
  private final RegistryFixture cluster = new RegistryFixture();
  private final ResourceStore store = cluster.store();
  private final Registry registry = cluster.registry();

  @AfterEach
  void close() {
    cluster.close();
  }

  private static String service(String name, String type, String extra) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
        spec:
          type: %s
          selector:
            app: %s
          ports:
          - port: 80
            targetPort: 8080
        %s"""
        .formatted(name, type, name, extra.indent(2));
  }

  private Service create(String name, String type) {
    return cluster.create(Service.class, service(name, type, ""));
  }

  private Service get(String name) {
    return store.get(Service.class, "default", name).orElseThrow();
  }

  private ResourceKey key(String name) {
    return new ResourceKey(ResourceTypes.SERVICE, "default", name);
  }

  @Test
  void clusterIpsComeFromAboveTheStaticBandInOrder() {
    // alloc.go/ipallocator: the lowest 256 addresses of a /12 are kept for explicit requests.
    assertThat(create("a", "ClusterIP").getSpec().getClusterIP()).isEqualTo("127.96.1.1");
    assertThat(create("b", "ClusterIP").getSpec().getClusterIPs()).containsExactly("127.96.1.2");
    assertThat(registry.allocatedClusterIps()).isEqualTo(2);
  }

  @Test
  void kubernetesAndKubeDnsAddressesAreGivenOnlyWhenAskedFor() {
    Service kubernetes =
        cluster.create(Service.class, service("kubernetes", "ClusterIP", "clusterIP: 127.96.0.1"));
    Service dns =
        cluster.create(Service.class, service("kube-dns", "ClusterIP", "clusterIP: 127.96.0.10"));
    assertThat(kubernetes.getSpec().getClusterIPs()).containsExactly("127.96.0.1");
    assertThat(dns.getSpec().getClusterIP()).isEqualTo("127.96.0.10");
    for (int i = 0; i < 20; i++) {
      assertThat(create("s" + i, "ClusterIP").getSpec().getClusterIP())
          .isNotIn("127.96.0.1", "127.96.0.10");
    }
  }

  @Test
  void sameWritesGiveSameAddressesAndPorts() {
    List<String> first = writes(cluster);
    try (RegistryFixture other = new RegistryFixture()) {
      assertThat(writes(other)).isEqualTo(first);
    }
  }

  private static List<String> writes(RegistryFixture fixture) {
    List<String> result = new ArrayList<>();
    for (String type : List.of("ClusterIP", "NodePort", "LoadBalancer", "NodePort")) {
      Service s =
          fixture.create(Service.class, service(type.toLowerCase() + result.size(), type, ""));
      result.add(s.getSpec().getClusterIP() + " " + s.getSpec().getPorts().get(0).getNodePort());
    }
    return result;
  }

  @Test
  void requestedClusterIpIsHonoured() {
    Service s = cluster.create(Service.class, service("web", "ClusterIP", "clusterIP: 127.96.4.4"));
    assertThat(s.getSpec().getClusterIPs()).containsExactly("127.96.4.4");
    assertThat(registry.clusterIps().has(IpLiterals.parse("127.96.4.4"))).isTrue();
  }

  @Test
  void requestedClusterIpOutsideTheRangeIsRejectedWithTheApiserverMessage() {
    ApiException.Invalid e =
        cluster.rejectCreate(Service.class, service("web", "ClusterIP", "clusterIP: 10.0.0.5"));
    assertThat(e.getMessage())
        .isEqualTo(
            "Service \"web\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.0.0.5\"}:"
                + " failed to allocate IP 10.0.0.5: the provided IP (10.0.0.5) is not in the valid"
                + " range. The range of valid IPs is 127.96.0.0/12");
    assertThat(registry.allocatedClusterIps()).isZero();
  }

  @Test
  void requestedClusterIpInUseIsRejectedWithTheApiserverMessage() {
    cluster.create(Service.class, service("a", "ClusterIP", "clusterIP: 127.96.4.4"));
    ApiException.Invalid e =
        cluster.rejectCreate(Service.class, service("b", "ClusterIP", "clusterIP: 127.96.4.4"));
    assertThat(messages(e))
        .containsExactly(
            "spec.clusterIPs: Invalid value: []string{\"127.96.4.4\"}: failed to allocate IP"
                + " 127.96.4.4: provided IP is already allocated");
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
  }

  @Test
  void nodePortsComeFromAboveTheStaticBand() {
    // portallocator: min(max(16, 2768/32), 128) = 86 ports are kept for explicit requests.
    Service s = create("web", "NodePort");
    assertThat(s.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30086);
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
  }

  @Test
  void requestedNodePortIsHonouredOrRejected() {
    Service s =
        cluster.create(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: NodePort
              ports: [{port: 80, nodePort: 30007}]""");
    assertThat(s.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30007);

    ApiException.Invalid taken =
        cluster.rejectCreate(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: other}
            spec:
              type: NodePort
              ports: [{port: 80, nodePort: 30007}]""");
    assertThat(taken.getMessage())
        .isEqualTo(
            "Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: 30007: provided"
                + " port is already allocated");

    ApiException.Invalid outside =
        cluster.rejectCreate(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: low}
            spec:
              type: NodePort
              ports: [{port: 80, nodePort: 80}]""");
    assertThat(outside.getMessage())
        .isEqualTo(
            "Service \"low\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port"
                + " is not in the valid range. The range of valid ports is 30000-32767");
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
  }

  @Test
  void tcpAndUdpPortsOfTheSameNumberShareOneNodePort() {
    // initNodePorts: svcPortToNodePort is keyed by the port number.
    Service s =
        cluster.create(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: dns}
            spec:
              type: NodePort
              ports:
              - {name: dns, port: 53, protocol: UDP}
              - {name: dns-tcp, port: 53, protocol: TCP}""");
    List<ServicePort> ports = s.getSpec().getPorts();
    assertThat(ports.get(0).getNodePort()).isEqualTo(ports.get(1).getNodePort());
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
  }

  @Test
  void invalidServiceIsRejectedWithoutLeakingAnIpOrAPort() {
    int ips = registry.allocatedClusterIps();
    int ports = registry.allocatedNodePorts();
    ApiException.Invalid e =
        cluster.rejectCreate(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: NodePort
              ports: [{port: 70000, targetPort: 8080}]""");
    assertThat(e.getMessage())
        .isEqualTo(
            "Service \"web\" is invalid: spec.ports[0].port: Invalid value: 70000: must be between"
                + " 1 and 65535, inclusive");
    assertThat(registry.allocatedClusterIps()).isEqualTo(ips);
    assertThat(registry.allocatedNodePorts()).isEqualTo(ports);
    // The undone allocation is given to the next write: a failed write changes nothing.
    assertThat(create("next", "NodePort").getSpec().getClusterIP()).isEqualTo("127.96.1.1");
    assertThat(get("next").getSpec().getPorts().get(0).getNodePort()).isEqualTo(30086);
  }

  @Test
  void nameConflictLeaksNothing() {
    create("web", "NodePort");
    assertThatThrownBy(() -> create("web", "NodePort"))
        .isInstanceOf(ApiException.AlreadyExists.class);
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
  }

  @Test
  void dryRunShowsTheAllocationAndKeepsNothing() {
    Service dry =
        store.create(
            yaml(Service.class, service("web", "LoadBalancer", "externalTrafficPolicy: Local")),
            new WriteOptions(true, null));
    assertThat(dry.getSpec().getClusterIP()).isEqualTo("127.96.1.1");
    assertThat(dry.getSpec().getHealthCheckNodePort()).isNotNull();
    assertThat(registry.allocatedClusterIps()).isZero();
    assertThat(registry.allocatedNodePorts()).isZero();
    assertThat(store.get(Service.class, "default", "web")).isEmpty();

    Service real = create("web", "LoadBalancer");
    assertThat(real.getSpec().getClusterIP()).isEqualTo(dry.getSpec().getClusterIP());
    assertThat(real.getSpec().getPorts().get(0).getNodePort())
        .isEqualTo(dry.getSpec().getPorts().get(0).getNodePort());
  }

  @Test
  void dryRunUpdateAndDeleteKeepWhatIsHeld() {
    Service s = create("web", "ClusterIP");
    Service dry =
        store.update(
            yaml(Service.class, service("web", "NodePort", "")), new WriteOptions(true, null));
    assertThat(dry.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30086);
    assertThat(registry.allocatedNodePorts()).isZero();
    assertThat(get("web").getSpec().getType()).isEqualTo("ClusterIP");

    store.delete(key("web"), new dev.kemu.api.store.DeleteOptions(null, null, null, null, true));
    assertThat(registry.clusterIps().has(IpLiterals.parse(s.getSpec().getClusterIP()))).isTrue();
  }

  @Test
  void deleteReleasesEverything() {
    cluster.create(Service.class, service("web", "LoadBalancer", "externalTrafficPolicy: Local"));
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
    assertThat(registry.allocatedNodePorts()).isEqualTo(2);
    store.delete(key("web"));
    assertThat(registry.allocatedClusterIps()).isZero();
    assertThat(registry.allocatedNodePorts()).isZero();
  }

  @Test
  void resubmittingTheManifestKeepsWhatWasAllocated() {
    // patchAllocatedValues: clusterIP, clusterIPs and NodePorts (matched by port name) stay.
    Service created = create("web", "NodePort");
    long version = store.resourceVersion();
    Service applied = store.apply(yaml(Service.class, service("web", "NodePort", "")));
    assertThat(applied.getSpec().getClusterIP()).isEqualTo(created.getSpec().getClusterIP());
    assertThat(applied.getSpec().getPorts().get(0).getNodePort())
        .isEqualTo(created.getSpec().getPorts().get(0).getNodePort());
    assertThat(applied.getMetadata().getGeneration()).isEqualTo(1L);
    assertThat(store.resourceVersion()).as("an unchanged apply writes nothing").isEqualTo(version);
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
  }

  @Test
  void clusterIpMayNotChange() {
    create("web", "ClusterIP");
    Service changed = yaml(Service.class, service("web", "ClusterIP", "clusterIP: 127.96.9.9"));
    assertThatThrownBy(() -> store.apply(changed))
        .isInstanceOf(ApiException.Invalid.class)
        .hasMessage(
            "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value:"
                + " []string{\"127.96.9.9\"}: may not change once set");
    assertThat(get("web").getSpec().getClusterIP()).isEqualTo("127.96.1.1");
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
  }

  @Test
  void nodePortToClusterIpReleasesTheNodePorts() {
    Service s = create("web", "NodePort");
    int nodePort = s.getSpec().getPorts().get(0).getNodePort();
    Service updated = store.apply(yaml(Service.class, service("web", "ClusterIP", "")));
    assertThat(updated.getSpec().getPorts().get(0).getNodePort()).isNull();
    assertThat(updated.getSpec().getClusterIP()).isEqualTo(s.getSpec().getClusterIP());
    assertThat(registry.nodePorts().has(nodePort)).isFalse();
    assertThat(registry.allocatedNodePorts()).isZero();
  }

  @Test
  void clientThatKeepsTheNodePortWhenSwitchingToClusterIpLosesIt() {
    // dropTypeDependentFields: a GET-modify-PUT that only changes the type clears the NodePorts.
    Service s = create("web", "NodePort");
    s.getSpec().setType("ClusterIP");
    Service updated = store.update(s);
    assertThat(updated.getSpec().getPorts().get(0).getNodePort()).isNull();
    assertThat(updated.getSpec().getExternalTrafficPolicy()).isNull();
    assertThat(registry.allocatedNodePorts()).isZero();
  }

  @Test
  void clusterIpToLoadBalancerAllocatesNodePortsAndKeepsTheIp() {
    Service s = create("web", "ClusterIP");
    Service updated =
        store.apply(
            yaml(Service.class, service("web", "LoadBalancer", "externalTrafficPolicy: Local")));
    assertThat(updated.getSpec().getClusterIP()).isEqualTo(s.getSpec().getClusterIP());
    assertThat(updated.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30086);
    assertThat(updated.getSpec().getHealthCheckNodePort()).isEqualTo(30087);
    assertThat(updated.getSpec().getAllocateLoadBalancerNodePorts()).isTrue();
    assertThat(registry.allocatedNodePorts()).isEqualTo(2);

    // Local -> Cluster releases the health check port on commit.
    Service cluster2 =
        store.apply(
            yaml(Service.class, service("web", "LoadBalancer", "externalTrafficPolicy: Cluster")));
    assertThat(cluster2.getSpec().getHealthCheckNodePort()).isNull();
    assertThat(registry.nodePorts().has(30087)).isFalse();
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
  }

  @Test
  void clusterIpToExternalNameReleasesTheIpAndBackAllocatesOne() {
    create("web", "ClusterIP");
    Service external =
        store.apply(
            yaml(
                Service.class,
                """
                apiVersion: v1
                kind: Service
                metadata: {name: web}
                spec:
                  type: ExternalName
                  externalName: example.com"""));
    assertThat(external.getSpec().getClusterIP()).isNull();
    assertThat(external.getSpec().getClusterIPs()).isNullOrEmpty();
    assertThat(external.getSpec().getIpFamilies()).isNullOrEmpty();
    assertThat(registry.allocatedClusterIps()).isZero();

    Service back = store.apply(yaml(Service.class, service("web", "ClusterIP", "")));
    assertThat(back.getSpec().getClusterIP()).isEqualTo("127.96.1.2");
    assertThat(back.getSpec().getIpFamilies()).containsExactly("IPv4");
    assertThat(registry.allocatedClusterIps()).isEqualTo(1);
  }

  @Test
  void failedUpdateUndoesNewNodePortsAndKeepsTheOldOnes() {
    Service s = create("web", "NodePort");
    int nodePort = s.getSpec().getPorts().get(0).getNodePort();
    Service bad =
        yaml(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: web}
            spec:
              type: NodePort
              selector: {app: web}
              ports:
              - {name: a, port: 80, targetPort: 8080}
              - {name: b, port: 81, targetPort: 70000}""");
    assertThatThrownBy(() -> store.apply(bad))
        .isInstanceOf(ApiException.Invalid.class)
        .hasMessage(
            "Service \"web\" is invalid: spec.ports[1].targetPort: Invalid value: 70000: must be"
                + " between 1 and 65535, inclusive");
    assertThat(registry.allocatedNodePorts()).isEqualTo(1);
    assertThat(registry.nodePorts().has(nodePort)).isTrue();
  }

  @Test
  void headlessAndExternalNameServicesGetNoClusterIp() {
    Service headless =
        cluster.create(Service.class, service("headless", "ClusterIP", "clusterIP: None"));
    assertThat(headless.getSpec().getClusterIPs()).containsExactly("None");
    assertThat(headless.getSpec().getIpFamilies()).containsExactly("IPv4");
    assertThat(headless.getSpec().getIpFamilyPolicy()).isEqualTo("SingleStack");
    Service external =
        cluster.create(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: external}
            spec:
              type: ExternalName
              externalName: example.com.""");
    assertThat(external.getSpec().getClusterIP()).isNull();
    assertThat(registry.allocatedClusterIps()).isZero();
    store.delete(key("headless"));
    store.delete(key("external"));
    assertThat(registry.allocatedClusterIps()).isZero();
  }

  @Test
  void headlessServiceWithoutSelectorIsDualStackByDefault() {
    // initIPFamilyFields: headless and selectorless defaults to RequireDualStack.
    Service s =
        cluster.create(
            Service.class,
            """
            apiVersion: v1
            kind: Service
            metadata: {name: db}
            spec:
              clusterIP: None
              ports: [{port: 5432}]""");
    assertThat(s.getSpec().getIpFamilyPolicy()).isEqualTo("RequireDualStack");
    assertThat(s.getSpec().getIpFamilies()).containsExactly("IPv4", "IPv6");
  }

  @Test
  void servicesInTheStoreBeforeInstallKeepTheirAllocations() {
    try (ResourceStore plain = new ResourceStore()) {
      plain.create(
          new io.fabric8.kubernetes.api.model.NamespaceBuilder()
              .withNewMetadata()
              .withName("default")
              .endMetadata()
              .build());
      Service old =
          yaml(
              Service.class,
              """
              apiVersion: v1
              kind: Service
              metadata: {name: old}
              spec:
                type: NodePort
                clusterIP: 127.96.1.1
                clusterIPs: [127.96.1.1]
                ports: [{port: 80, nodePort: 30086}]""");
      plain.create(old);
      Registry installed = Registry.install(plain, AddressPlan.defaults());
      assertThat(installed.allocatedClusterIps()).isEqualTo(1);
      assertThat(installed.allocatedNodePorts()).isEqualTo(1);
      Service next =
          plain.create(
              yaml(
                  Service.class,
                  """
                  apiVersion: v1
                  kind: Service
                  metadata: {name: next}
                  spec:
                    type: NodePort
                    ports: [{port: 80}]"""));
      assertThat(next.getSpec().getClusterIP()).isEqualTo("127.96.1.2");
      assertThat(next.getSpec().getPorts().get(0).getNodePort()).isEqualTo(30087);
    }
  }
}
