package dev.kemu.proxy.ingress;

import dev.kemu.api.model.ResourceCodec;
import dev.kemu.api.registry.AddressPlan;
import dev.kemu.api.registry.Cidr;
import dev.kemu.api.registry.IpAllocator;
import dev.kemu.api.registry.Registry;
import dev.kemu.api.store.ResourceStore;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A store, the registry, an Ingress controller on ephemeral node ports, and Vert.x backends on
 * loopback addresses {@code 127.247.<n>.x} that answer with JSON naming themselves.
 */
final class IngressFixture implements AutoCloseable {
  final ResourceStore store = new ResourceStore();
  final Vertx vertx = Vertx.vertx();
  final AddressPlan plan;
  final IpAllocator pool;
  final IngressController controller;
  final int subnet;
  private final List<HttpServer> servers = new ArrayList<>();

  IngressFixture(int subnet) throws Exception {
    this(subnet, IngressOptions.defaults().withNodePorts(0, 0).withLoadBalancerPorts(-1, -1));
  }

  IngressFixture(int subnet, IngressOptions options) throws Exception {
    this.subnet = subnet;
    this.plan =
        AddressPlan.defaults().withLoadBalancerPool(Cidr.parse("127.201." + subnet + ".0/24"));
    this.pool = new IpAllocator(plan.loadBalancerPool(), 0);
    Registry.install(store, plan);
    Namespace namespace = new Namespace();
    namespace.setMetadata(new ObjectMeta());
    namespace.getMetadata().setName("default");
    store.create(namespace);
    controller =
        new IngressController(store, plan, pool, vertx, options, CertificateAuthority.generate());
    controller.start().get(20, TimeUnit.SECONDS);
  }

  /** A backend named {@code name} on 127.247.subnet.host, port chosen by the kernel. */
  int backend(String name, int host) throws Exception {
    String ip = "127.247." + subnet + "." + host;
    HttpServer server =
        vertx
            .createHttpServer()
            .requestHandler(
                request -> {
                  JsonObject headers = new JsonObject();
                  request
                      .headers()
                      .forEach(h -> headers.put(h.getKey().toLowerCase(), h.getValue()));
                  request
                      .body()
                      .onSuccess(
                          body ->
                              request
                                  .response()
                                  .putHeader("Content-Type", "application/json")
                                  .end(
                                      new JsonObject()
                                          .put("backend", name)
                                          .put("uri", request.uri())
                                          .put("host", request.getHeader("Host"))
                                          .put("bytes", body.length())
                                          .put("headers", headers)
                                          .encode()));
                })
            .listen(0, ip)
            .toCompletionStage()
            .toCompletableFuture()
            .get(10, TimeUnit.SECONDS);
    servers.add(server);
    return server.actualPort();
  }

  /** Applies YAML documents and waits until the controller has applied them. */
  void apply(String yaml) throws Exception {
    for (String document : yaml.split("(?m)^---\\s*$")) {
      if (document.isBlank()) {
        continue;
      }
      Map<?, ?> tree = ResourceCodec.yaml().readValue(document, Map.class);
      HasMetadata object = decode(document, String.valueOf(tree.get("kind")));
      store.apply(object);
    }
    sync();
  }

  void sync() throws Exception {
    controller.whenApplied(store.resourceVersion()).get(20, TimeUnit.SECONDS);
  }

  private static HasMetadata decode(String yaml, String kind) throws Exception {
    Class<? extends HasMetadata> type =
        switch (kind) {
          case "Service" -> io.fabric8.kubernetes.api.model.Service.class;
          case "EndpointSlice" -> io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class;
          case "Ingress" -> io.fabric8.kubernetes.api.model.networking.v1.Ingress.class;
          case "IngressClass" -> io.fabric8.kubernetes.api.model.networking.v1.IngressClass.class;
          case "Secret" -> io.fabric8.kubernetes.api.model.Secret.class;
          default -> throw new IllegalArgumentException(kind);
        };
    return ResourceCodec.yaml().readValue(yaml, type);
  }

  /** A Service {@code name} (port 80, named http) whose one EndpointSlice lists the addresses. */
  void service(String name, int targetPort, String... ips) throws Exception {
    StringBuilder endpoints = new StringBuilder();
    for (String ip : ips) {
      endpoints.append("- addresses: [\"").append(ip).append("\"]\n  conditions: {ready: true}\n");
    }
    apply(
        """
        apiVersion: v1
        kind: Service
        metadata: {name: %1$s, namespace: default}
        spec:
          ports: [{name: http, port: 80, targetPort: %2$d}]
        ---
        apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: %1$s-manual
          namespace: default
          labels: {kubernetes.io/service-name: %1$s}
        addressType: IPv4
        ports: [{name: http, port: %2$d, protocol: TCP}]
        endpoints:
        %3$s
        """
            .formatted(
                name,
                targetPort,
                endpoints.toString().isEmpty() ? "[]" : endpoints.toString().indent(0)));
  }

  String nodeUrl() {
    return "http://127.0.0.1:" + controller.httpPort();
  }

  @Override
  public void close() throws Exception {
    controller.close();
    vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    store.close();
  }
}
