package dev.kemu.api.controllers;

import dev.kemu.api.informer.StoreReader;
import dev.kemu.api.model.ResourceKey;
import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.store.DeleteOptions;
import dev.kemu.api.store.LabelSelector;
import dev.kemu.api.store.ListOptions;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A {@link ControllerFixture} with the namespace {@code shop} as well: builds the objects the
 * controller tests write, in the shape the apiserver stores them (defaulted protocol, targetPort,
 * ClusterIP and ipFamilies), and plays the kubelet's part for pod status. Registered on a test
 * instance ({@code @RegisterExtension}), it closes the controllers it started and the store after
 * each test; a test may also make and close one of its own.
 */
final class ClusterObjects implements AutoCloseable, AfterEachCallback {
  static final String NAMESPACE = "shop";

  private final ControllerFixture cluster = new ControllerFixture();
  private final ResourceStore store = cluster.store;
  private int nextServiceIp = 20;

  ClusterObjects() {
    store.create(
        new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build());
  }

  ResourceStore store() {
    return store;
  }

  /** Starts the reader and waits for its first sync; it is closed after the test. */
  <R extends StoreReader> R start(R reader) {
    cluster.start(reader);
    return reader;
  }

  @Override
  public void afterEach(ExtensionContext context) {
    close();
  }

  @Override
  public void close() {
    cluster.close();
  }

  /** A port {@code name} on {@code port}, targeting {@code targetPort} (a number or a name). */
  static ServicePort port(String name, int port, Object targetPort) {
    return new ServicePortBuilder()
        .withName(name)
        .withPort(port)
        .withProtocol("TCP")
        .withTargetPort(new IntOrString(targetPort))
        .build();
  }

  static ContainerPort containerPort(String name, int port) {
    return new ContainerPortBuilder()
        .withName(name)
        .withContainerPort(port)
        .withProtocol("TCP")
        .build();
  }

  /** A ClusterIP Service selecting {@code app=<selector>}, with an allocated IPv4 ClusterIP. */
  Service service(String name, String app, ServicePort... ports) {
    return service(name, app, s -> s, ports);
  }

  Service service(String name, String app, UnaryOperator<Service> edit, ServicePort... ports) {
    String ip = "127.96.0." + nextServiceIp++;
    Service service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .addToLabels("team", "checkout")
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP(ip)
            .withClusterIPs(ip)
            .withIpFamilies("IPv4")
            .withIpFamilyPolicy("SingleStack")
            .withPorts(ports)
            .endSpec()
            .build();
    if (app != null) {
      service.getSpec().setSelector(Map.of("app", app));
    }
    return store.create(edit.apply(service));
  }

  /** A pod labelled {@code app=<app>} on the node, Running with {@code ip}, Ready or not. */
  Pod pod(String name, String app, String ip, boolean ready, ContainerPort... ports) {
    return pod(name, app, ip, ready, p -> p, ports);
  }

  Pod pod(
      String name,
      String app,
      String ip,
      boolean ready,
      UnaryOperator<Pod> edit,
      ContainerPort... ports) {
    Pod pod =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .addToLabels("app", app)
            .endMetadata()
            .withNewSpec()
            .withNodeName("kemu-node")
            .addNewContainer()
            .withName("app")
            .withImage("kemu/echo")
            .withPorts(ports)
            .endContainer()
            .endSpec()
            .build();
    Pod created = store.create(edit.apply(pod));
    if (ip == null) {
      return created;
    }
    return setStatus(created, "Running", ip, ready, Instant.parse("2026-01-01T00:00:00Z"));
  }

  /**
   * One row of the endpoint membership tables: Service {@code web} (port 80 to 8080, publishing
   * not-ready addresses or not) and its pod {@code web-1} with the phase, IP and readiness given,
   * gracefully deleted if {@code terminating}.
   */
  Pod serviceWithOnePod(
      boolean publishNotReady, String phase, String ip, boolean ready, boolean terminating) {
    service(
        "web",
        "web",
        s -> {
          s.getSpec().setPublishNotReadyAddresses(publishNotReady);
          return s;
        },
        port("http", 80, 8080));
    Pod pod = pod("web-1", "web", null, false);
    pod = setStatus(pod, phase, ip, ready, Instant.parse("2026-01-01T00:00:00Z"));
    if (terminating) {
      terminate("web-1");
    }
    return pod;
  }

  /** Changes an object of {@code shop} as a user's edit would (read, change, write). */
  <T extends HasMetadata> T edit(Class<T> kind, String name, Consumer<T> change) {
    return store.modify(
        kind,
        new ResourceKey(store.types().of(kind), NAMESPACE, name),
        object -> {
          change.accept(object);
          return object;
        });
  }

  /** Writes the pod status as the kubelet would: phase, IPs and the Ready condition. */
  Pod setStatus(Pod pod, String phase, String ip, boolean ready, Instant transition) {
    Pod copy = store.get(Pod.class, NAMESPACE, pod.getMetadata().getName()).orElseThrow();
    copy.setStatus(
        new io.fabric8.kubernetes.api.model.PodStatusBuilder()
            .withPhase(phase)
            .withPodIP(ip)
            .withPodIPs(ip == null ? List.of() : List.of(new PodIPBuilder().withIp(ip).build()))
            .withConditions(
                new PodConditionBuilder()
                    .withType("Ready")
                    .withStatus(ready ? "True" : "False")
                    .withLastTransitionTime(ResourceStore.timestamp(transition))
                    .build())
            .build());
    return store.updateStatus(copy);
  }

  /** Flips a pod's readiness, as a readiness probe would. */
  Pod setReady(String name, boolean ready, Instant transition) {
    Pod pod = store.get(Pod.class, NAMESPACE, name).orElseThrow();
    return setStatus(
        pod, pod.getStatus().getPhase(), pod.getStatus().getPodIP(), ready, transition);
  }

  /** Starts graceful deletion of a pod on the node: it gets a deletionTimestamp and stays. */
  void terminate(String name) {
    store.delete(new ResourceKey(ResourceTypes.POD, NAMESPACE, name), DeleteOptions.DEFAULT);
  }

  /** Removes a pod at once. */
  void deletePod(String name) {
    store.delete(new ResourceKey(ResourceTypes.POD, NAMESPACE, name), DeleteOptions.NOW);
  }

  void deleteService(String name) {
    store.delete(new ResourceKey(ResourceTypes.SERVICE, NAMESPACE, name));
  }

  /** The EndpointSlices labelled for a Service, by name. */
  List<EndpointSlice> slices(String service) {
    List<EndpointSlice> slices =
        new ArrayList<>(
            store.list(
                EndpointSlice.class,
                ListOptions.inNamespace(NAMESPACE)
                    .withLabels(LabelSelector.of(Map.of("kubernetes.io/service-name", service)))));
    slices.sort(Comparator.comparing(s -> s.getMetadata().getName()));
    return slices;
  }

  Endpoints endpoints(String service) {
    return store.get(Endpoints.class, NAMESPACE, service).orElse(null);
  }

  /** Waits until the reader has applied every write made so far. */
  void await(StoreReader reader) {
    try {
      reader.whenApplied(store.resourceVersion()).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(reader.name() + " did not catch up with the store", e);
    }
  }
}
