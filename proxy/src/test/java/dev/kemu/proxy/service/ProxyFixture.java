package dev.kemu.proxy.service;

import static org.assertj.core.api.Assertions.assertThat;

import dev.kemu.api.model.ResourceTypes;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.ServicePortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One store, one Vert.x (native transport when available), one started {@link ServiceProxy} and
 * real backends, for a test class. Services and EndpointSlices are written straight into the store,
 * with explicit ClusterIPs from the test class's own range, so classes run in parallel.
 */
final class ProxyFixture implements AutoCloseable {
  static final String NAMESPACE = "default";

  final ResourceStore store;
  final Vertx vertx;
  final ServiceProxy proxy;
  final TestBackends backends;
  final AddressPlan plan;

  ProxyFixture(AddressPlan plan, Clock clock, ServiceProxyOptions options) {
    this(plan, clock, options, true);
  }

  /**
   * A fixture on Vert.x's NIO transport ({@code nativeTransport} false) or epoll where available.
   */
  ProxyFixture(
      AddressPlan plan, Clock clock, ServiceProxyOptions options, boolean nativeTransport) {
    this.plan = plan;
    this.store = new ResourceStore(new ResourceTypes(), Clock.systemUTC(), 10_000, 0);
    store.create(
        new NamespaceBuilder().withNewMetadata().withName(NAMESPACE).endMetadata().build());
    this.vertx = Vertx.vertx(new VertxOptions().setPreferNativeTransport(nativeTransport));
    this.backends = new TestBackends(vertx);
    this.proxy = new ServiceProxy(store, plan, vertx, clock, options);
    try {
      proxy.start().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  ProxyFixture(AddressPlan plan, Clock clock) {
    this(plan, clock, ServiceProxyOptions.defaults());
  }

  /** Writes an object (create or replace) and waits until the proxy has applied it. */
  <T extends HasMetadata> T apply(T object) {
    T stored = store.apply(object);
    settle();
    return stored;
  }

  void settle() {
    try {
      proxy.whenApplied(store.resourceVersion()).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  void delete(Class<? extends HasMetadata> kind, String name) {
    var type = store.types().of(kind);
    store.delete(new dev.kemu.api.model.ResourceKey(type, NAMESPACE, name));
    settle();
  }

  // ---------------------------------------------------------------- objects

  static Service service(String name, String clusterIp, int port, Consumer<ServiceBuilder> more) {
    ServiceBuilder builder =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(NAMESPACE)
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP(clusterIp)
            .withClusterIPs(clusterIp)
            .withPorts(
                new ServicePortBuilder()
                    .withName("main")
                    .withPort(port)
                    .withProtocol("TCP")
                    .withNewTargetPort("main")
                    .build())
            .endSpec();
    more.accept(builder);
    return builder.build();
  }

  static Service service(String name, String clusterIp, int port) {
    return service(name, clusterIp, port, b -> {});
  }

  /** An endpoint of a slice: address, conditions, node. */
  record Ep(String ip, boolean ready, boolean serving, boolean terminating, String node) {
    static Ep ready(String ip) {
      return new Ep(ip, true, true, false, "kemu-node");
    }

    static Ep notReady(String ip) {
      return new Ep(ip, false, false, false, "kemu-node");
    }

    static Ep servingTerminating(String ip) {
      return new Ep(ip, false, true, true, "kemu-node");
    }
  }

  static EndpointSlice slice(
      String service,
      String sliceName,
      String portName,
      String protocol,
      int port,
      Ep... endpoints) {
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> list = new ArrayList<>();
    for (Ep ep : endpoints) {
      list.add(
          new EndpointBuilder()
              .withAddresses(ep.ip())
              .withNodeName(ep.node())
              .withNewConditions()
              .withReady(ep.ready())
              .withServing(ep.serving())
              .withTerminating(ep.terminating())
              .endConditions()
              .build());
    }
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(sliceName)
        .withNamespace(NAMESPACE)
        .addToLabels("kubernetes.io/service-name", service)
        .endMetadata()
        .withAddressType("IPv4")
        .withPorts(
            new EndpointPortBuilder()
                .withName(portName)
                .withProtocol(protocol)
                .withPort(port)
                .build())
        .withEndpoints(list)
        .build();
  }

  static EndpointSlice slice(String service, int port, Ep... endpoints) {
    return slice(service, service + "-abcde", "main", "TCP", port, endpoints);
  }

  // ---------------------------------------------------------------- clients

  /** Connects, reads the backend's greeting (its name) and closes. */
  static String greeting(String ip, int port) throws IOException {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress(ip, port), 2000);
      socket.setSoTimeout(5000);
      return readLine(socket);
    }
  }

  static String readLine(Socket socket) throws IOException {
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    String line = reader.readLine();
    assertThat(line).as("greeting from the backend").isNotNull();
    return line;
  }

  @Override
  public void close() {
    proxy.close();
    backends.close();
    try {
      vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    store.close();
  }
}
